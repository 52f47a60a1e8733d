"""render_table: columns, padding, justification, folding; the same layout rich gives a borderless table."""

from __future__ import annotations

import io

import pytest

from hwsim.hardware.load import load_accelerator
from hwsim.report import profile as report
from hwsim.report.plain_table import Column, render_table
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
    assert render_table("m on best_32x32[os]", COLUMNS, [("[a]", "1", "x")], 80).splitlines()[:3:2] == [
        "m on best_32x32[os]",
        "[a]   1  x",
    ]


def rich_table(title: str, columns: list[Column], rows: list[tuple[str, ...]], width: int) -> str:
    """The layout hwsim's profile table had with rich (box=None, pad_edge=False), as plain text."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left", box=None, pad_edge=False)
    for c in columns:
        table.add_column(c.header, justify=c.justify, overflow="fold" if c.fold else "ellipsis", no_wrap=not c.fold)
    for row in rows:
        table.add_row(*row)
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


@pytest.mark.parametrize("model", ["squeezenext_23v5", "mobilenet_v2_1.4", "shufflenet_v2_1.0", "alexnet_grouped"])
@pytest.mark.parametrize("width", [80, 120])
def test_profile_tables_agree_with_rich(model, width):
    result = simulate(load_graph(model), load_accelerator("best_16x16"))
    rows = [report.table_row(result, i) for i in range(len(result))]
    title = f"{model} on best_16x16"
    expected = rich_table(title, list(report.TABLE_COLUMNS), rows, width)
    assert report.format_table(result, width=width).split("\n\nTotals")[0] == expected
    assert max(len(line) for line in expected.splitlines()) <= width
