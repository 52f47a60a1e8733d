"""Plain-text tables laid out in columns within a width, with no styling library.

:func:`render_table` is the layout of the per-layer table of ``hwsim profile`` (the layout that
``rich`` gives a borderless table: hwsim used it before, and a test checks the two agree):

- every cell has one space of padding on each side, except at the outer edges, so neighbouring
  columns are two spaces apart; a column is as wide as its widest cell or header;
- text is justified left or right per column; trailing spaces are cut from every line;
- when the table is wider than ``width``, the foldable column (at most one) gives up the excess
  and its longer cells fold onto further lines of their row, in pieces as wide as the column;
  should that not be enough, every column gives up an even share and cells that no longer fit
  end in ``…``;
- the title is left-justified above the table and wraps at the table's width as rich wraps text:
  at spaces, a word longer than the width folded in pieces.

Widths count characters (layer and op names are ASCII).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = ["Column", "render_table"]

ELLIPSIS = "…"


@dataclass(frozen=True)
class Column:
    """One column: its header, how its cells are justified, and whether long cells fold (else they are cut)."""

    header: str
    justify: Literal["left", "right"] = "left"
    fold: bool = False


def _reduce(total: int, ratios: list[int], maximums: list[int], values: list[int]) -> list[int]:
    """Take ``total`` off ``values`` in proportion to ``ratios``, at most ``maximums[i]`` off each
    (rounding each share to the nearest integer, in column order)."""
    ratios = [ratio if maximum else 0 for ratio, maximum in zip(ratios, maximums)]
    remaining_ratio = sum(ratios)
    if not remaining_ratio:
        return list(values)
    remaining = total
    out = []
    for ratio, maximum, value in zip(ratios, maximums, values):
        if ratio and remaining_ratio > 0:
            taken = min(maximum, round(ratio * remaining / remaining_ratio))
            out.append(value - taken)
            remaining -= taken
            remaining_ratio -= ratio
        else:
            out.append(value)
    return out


def _widths(natural: list[int], fold: list[bool], width: int) -> list[int]:
    """Column widths (padding included) within ``width``: the foldable column shrinks first,
    then every column evenly; a column is never wider than its contents."""
    widths = list(natural)
    excess = sum(widths) - width
    if excess <= 0:
        return widths
    for index, foldable in enumerate(fold):
        if foldable and excess > 0:
            widths[index] -= min(excess, widths[index])
            excess = sum(widths) - width
    if excess > 0:
        widths = _reduce(excess, [1] * len(widths), widths, widths)
    return [min(w, n) for w, n in zip(widths, natural)]


def _lines(text: str, size: int, column: Column) -> list[str]:
    """A cell's text as lines of at most ``size`` characters: folded in pieces, or cut with an ellipsis."""
    if len(text) <= size:
        return [text]
    if size <= 0:
        return [""]
    if column.fold:
        return [text[start : start + size] for start in range(0, len(text), size)]
    return [text[: size - 1] + ELLIPSIS]


#: A word of a title and the spaces after it (rich's ``rich._wrap.re_word``).
_WORD = re.compile(r"\s*\S+\s*")


def wrap_title(title: str, width: int) -> list[str]:
    """``title`` as lines of at most ``width`` characters, broken where rich breaks it: before a
    word that does not fit the rest of the line, and inside a word longer than ``width``."""
    breaks: list[int] = []
    offset = 0
    for match in _WORD.finditer(title):
        start, word = match.start(), match.group()
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width and width > 0:
            pieces = [word[i : i + width] for i in range(0, len(word), width)]
            for k, piece in enumerate(pieces):
                if start:
                    breaks.append(start)
                if k == len(pieces) - 1:
                    offset = len(piece)
                else:
                    start += len(piece)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    bounds = [0, *breaks, len(title)]
    return [title[a:b].rstrip() for a, b in zip(bounds, bounds[1:])]


def render_table(title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> str:
    """``rows`` of cell texts under ``columns``, headed by ``title``, laid out within ``width``
    characters (module docstring); lines end without trailing spaces."""
    count = len(columns)
    if sum(c.fold for c in columns) > 1:
        raise ValueError("render_table: at most one column may fold")
    left = [0 if i == 0 else 1 for i in range(count)]
    right = [0 if i == count - 1 else 1 for i in range(count)]
    body = [list(columns[i].header for i in range(count)), *(list(row) for row in rows)]
    natural = [max(len(row[i]) for row in body) + left[i] + right[i] for i in range(count)]
    widths = _widths(natural, [c.fold for c in columns], width)
    sizes = [max(w - l - r, 0) for w, l, r in zip(widths, left, right)]
    lines = wrap_title(title, sum(widths)) if title else []
    for row in body:
        cells = [_lines(text, size, column) for text, size, column in zip(row, sizes, columns)]
        for depth in range(max(len(c) for c in cells)):
            parts = []
            for i, column in enumerate(columns):
                text = cells[i][depth] if depth < len(cells[i]) else ""
                text = text.rjust(sizes[i]) if column.justify == "right" else text.ljust(sizes[i])
                parts.append(" " * left[i] + text + " " * right[i])
            lines.append("".join(parts).rstrip())
    return "\n".join(lines)
