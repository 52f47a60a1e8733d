"""render_table: columns, padding, justification, folding; the same layout rich gives a borderless table."""

from __future__ import annotations

import io

import pytest

from hwsim.hardware.load import load_accelerator
from hwsim.report import profile as report
from hwsim.report.formatting import layer_table
from hwsim.report.plain_table import Column, render_table, wrap_title
from hwsim.simulate import simulate
from hwsim.sources import load_graph

COLUMNS = [Column("name", fold=True), Column("n", "right"), Column("kind")]


def test_tiny_table_by_hand():
    # widths: name 5 (+1 right pad), n 3 (+2), kind 4 (+1 left pad): columns two spaces apart
    text = render_table("T", COLUMNS, [("a", "1", "x"), ("bcdef", "100", "yy")], width=80)
    assert text.splitlines() == [
        "T",
        "name     n  kind",
        "a        1  x",
        "bcdef  100  yy",
    ]


def test_the_foldable_column_gives_up_the_excess_and_folds():
    # natural width: 10 + 1, 1 + 2, 4 + 1 = 19; within 15 the name column loses 4: 11 - 4 - 1 = 6 of text
    text = render_table("", COLUMNS, [("abcdefghij", "1", "x")], width=15)
    assert text.splitlines() == [
        "name    n  kind",
        "abcdef  1  x",
        "ghij",
    ]


def test_cells_that_cannot_fit_end_in_an_ellipsis():
    columns = [Column("a"), Column("b")]
    # natural 11 + 11 = 22 within 12: each column gives up half of the excess (5), down to 5 + 5 of text
    text = render_table("", columns, [("0123456789", "abcdefghij")], width=12)
    assert text.splitlines() == ["a      b", "0123…  abcd…"]


def test_at_most_one_column_folds():
    with pytest.raises(ValueError, match="at most one"):
        render_table("", [Column("a", fold=True), Column("b", fold=True)], [], 80)


def test_brackets_are_text():
    """rich read ``[os]`` in ``best_32x32[os]`` as markup and dropped it from the title."""
    lines = render_table("m on best_32x32[os]", COLUMNS, [("[a]", "1", "x"), ("a_layer_name_of_24_chars", "1", "x")], 80).splitlines()
    assert lines[0] == "m on best_32x32[os]" and lines[2].startswith("[a] ")


def rich_table(title: str, columns: list[Column], rows: list[tuple[str, ...]], width: int) -> str:
    """The layout hwsim's per-layer tables had with rich (box=None, pad_edge=False, cells and title
    as Text: no markup), as plain text."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title), title_justify="left", box=None, pad_edge=False)
    for c in columns:
        table.add_column(c.header, justify=c.justify, overflow="fold" if c.fold else "ellipsis", no_wrap=not c.fold)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(table)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


@pytest.mark.parametrize(
    "rows, width",
    [
        ([("a", "1", "x"), ("bcdef", "100", "yy")], 80),
        ([("abcdefghij" * 3, "12345", "kind")], 30),  # folds over three lines
        ([("abcdefghij" * 3, "12345", "kind"), ("short", "1", "k")], 25),
        ([("x" * 70, "1" * 20, "kind-of-a-long-op" * 3)], 80),  # every column must give way
        ([], 80),
    ],
)
def test_agrees_with_rich(rows, width):
    assert render_table("title", COLUMNS, rows, width) == rich_table("title", COLUMNS, rows, width)


@pytest.mark.parametrize(
    "title",
    [
        "a very long title that is longer than the table itself by far, really",  # wraps at spaces
        "averylongtitlewithoutspacesthatislongerthanthetable",  # folds in pieces of the table's width
        "a  b   c    dddddddddd eeeeeeee",  # runs of spaces; a folded word's trailing space
        "  leading spaces, then words",
        "m on best_32x32[os]",
    ],
)
def test_titles_wrap_as_rich_wraps_them(title):
    rows = [("ab", "1", "x")]  # a table 11 characters wide: name 2 + 1, n 1 + 2, kind 4 + 1
    assert render_table(title, COLUMNS, rows, 80) == rich_table(title, COLUMNS, rows, 80)
    assert wrap_title("ab cd", 3) == ["ab", "cd"] and wrap_title("abcdefg", 3) == ["abc", "def", "g"]


def profile_columns() -> list[Column]:
    """The profile table's columns as layer_table lays them out: the first (layer names) folds."""
    return [Column(header, justify, fold=k == 0) for k, (header, justify) in enumerate(report.TABLE_COLUMNS)]


@pytest.mark.parametrize("model", ["squeezenext_23v5", "mobilenet_v2_1.4", "shufflenet_v2_1.0", "alexnet_grouped"])
@pytest.mark.parametrize("width", [80, 120])
def test_profile_tables_agree_with_rich(model, width):
    result = simulate(load_graph(model), load_accelerator("best_16x16"))
    rows = [report.table_row(result, i) for i in range(len(result))]
    title = f"{model} on best_16x16"
    expected = rich_table(title, profile_columns(), rows, width)
    assert report.format_table(result, width=width).split("\n\nTotals")[0] == expected
    assert layer_table(title, report.TABLE_COLUMNS, rows, width) == expected
    assert max(len(line) for line in expected.splitlines()) <= width


def test_layer_table_is_at_least_80_wide():
    rows = [("x" * 90, "conv", "ws", "1", "2", "3", "4.0", "5", "6", "compute")]
    assert layer_table("t", report.TABLE_COLUMNS, rows, 40) == rich_table("t", profile_columns(), rows, 80)
