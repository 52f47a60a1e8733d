"""Resume refuses, in one line naming the row, kept rows whose metrics no sweep writes."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from hwsim.errors import ConfigError
from hwsim.explore.sweep.run import read_sweep, sweep

GRID = {"array.rows": [4, 8], "array.cols": [8, 16]}


def damaged_csv(tmp_path, column, value, row=1):
    out = tmp_path / "s.csv"
    sweep("alexnet", "ws_8x8", GRID, output=out)
    rows = list(csv.reader(out.open()))
    rows[row][rows[0].index(column)] = value
    with out.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    return out


@pytest.mark.parametrize(("column", "value", "expected"), [
    ("latency_ms", "nan", "latency_ms = 'nan': expected a finite number >= 0"),
    ("cycles", "-5", "cycles = '-5': expected a finite number >= 0"),
    ("energy_uj", "fast", "energy_uj = 'fast': expected a finite number >= 0"),
    ("utilization", "1.5", "utilization = '1.5': expected a number from 0 to 1"),
    ("dram_bytes", "inf", "dram_bytes = 'inf': expected a finite number >= 0"),
])  # fmt: skip
def test_a_damaged_kept_csv_row_is_refused_by_line(tmp_path, column, value, expected):
    out = damaged_csv(tmp_path, column, value, row=3)
    before = out.read_bytes()
    with pytest.raises(ConfigError, match=f"s.csv line 4: {expected}") as info:
        sweep("alexnet", "ws_8x8", GRID, output=out, resume=True)
    assert "\n" not in str(info.value) and "drop --resume" in str(info.value)
    assert out.read_bytes() == before  # refused untouched


def test_a_damaged_parquet_part_is_refused_by_part_and_row(tmp_path):
    out = tmp_path / "s.parquet"
    sweep("alexnet", "ws_8x8", GRID, output=out, chunk_size=2)
    part = sorted(out.glob("part-*.parquet"))[1]
    frame = pd.read_parquet(part)
    frame.loc[1, "latency_ms"] = -1.0
    frame.to_parquet(part, index=False)
    with pytest.raises(ConfigError, match=f"{part.name} row 2: latency_ms = '-1.0': expected a finite number >= 0"):
        sweep("alexnet", "ws_8x8", GRID, output=out, resume=True)


def test_untouched_rows_resume_and_a_huge_integer_is_one_line(tmp_path):
    out = tmp_path / "s.csv"
    full = sweep("alexnet", "ws_8x8", GRID, output=out)
    resumed = sweep("alexnet", "ws_8x8", GRID, output=out, resume=True)
    assert resumed.attrs["kept"] == 4 and resumed.attrs["computed"] == 0
    pd.testing.assert_frame_equal(resumed, full, check_flags=False)
    huge = damaged_csv(tmp_path, "array.rows", "9" * 23)
    with pytest.raises(ConfigError, match="beyond the 64-bit range"):
        read_sweep(huge)
