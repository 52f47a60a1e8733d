"""report.formatting: the one number rule of every table, and the text table that never wraps."""

import math

import numpy as np
import pytest

from hwsim.report.formatting import format_number, format_percent, format_si, text_table


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (224_916_480, "224,916,480"),  # integers in full, thousands separators
        (np.int64(1024), "1,024"),
        (0.24217, "0.2422"),  # 4 significant digits: the "0.2" the old per-column decimals printed
        (0.242, "0.242"),  # exact in 3 digits: no trailing zero added
        (1.8719, "1.872"),  # the same latency prints the same everywhere (compare said "1.9")
        (7.29957, "7.300"),  # rounded: the zeros say the precision
        (2467.36, "2,467"),  # never fewer digits than the integer part
        (13309.2, "13,309"),
        (99999.5, "100,000"),
        (16.0, "16"),  # an integral float (a swept bandwidth) reads as an integer
        (0.5, "0.5"),
        (-1.5, "-1.5"),
        (0.0, "0"),
        (0.00012345, "0.0001234"),
        (2.3e-7, "2.3e-07"),  # below 1e-4: scientific
        (np.float64(11.004), "11.00"),
        (None, "-"),
        (math.nan, "-"),
        ("ws", "ws"),
    ],
)
def test_format_number(value, text):
    assert format_number(value) == text


def test_format_number_digits():
    assert format_number(87.84, digits=3) == "87.8"
    assert format_number(0.048912, digits=3) == "0.0489"
    assert format_number(8410.2, digits=3) == "8,410"


@pytest.mark.parametrize(("value", "text"), [(60_211_200, "60.2M"), (935_925, "936k"), (12, "12"), (0, "0"), (0.5, "0.5")])
def test_format_si(value, text):
    assert format_si(value) == text


def test_format_percent():
    assert format_percent(0.2347) == "23.5"
    assert format_percent(1.0) == "100.0"
    assert format_percent(None) == "-"


def test_text_table_aligns_and_formats():
    rows = [{"model": "a", "latency_ms": 0.24217, "macs": 1234}, {"model": "bb", "latency_ms": 12.5, "macs": None}]
    lines = text_table(rows).splitlines()
    assert lines == [
        "model  latency_ms   macs",
        "a          0.2422  1,234",
        "bb           12.5      -",
    ]


def test_text_table_adds_optional_columns_while_they_fit_and_never_wraps():
    rows = [{"a": "x" * 30, "b": 1.0, "c": "y" * 30, "d": 2.0}]
    # a, b are required (30 + 2 + 1 = 33 wide); c takes 2 + 30 = 32 more (65), d 2 + 1 more (68)
    assert text_table(rows, ["a", "b"], ["c", "d"], width=66).splitlines()[0].split() == ["a", "b", "c"]
    assert text_table(rows, ["a", "b"], ["c", "d"], width=68).splitlines()[0].split() == ["a", "b", "c", "d"]
    narrow = text_table(rows, ["a", "b", "c"], width=10)  # required columns stay, on one line per row
    assert len(narrow.splitlines()) == 2 and "y" * 30 in narrow
