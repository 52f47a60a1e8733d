"""How every table of hwsim writes its numbers, and the plain text table they go into.

One rule for every number a table prints (profile totals, compare, list, the sweep's fastest
configurations, Pareto fronts, measurements):

- integers in full with thousands separators: ``224,916,480``;
- other numbers to :data:`SIGNIFICANT_DIGITS` significant digits, never fewer than their integer
  digits, with thousands separators: ``1.872``, ``0.2420``, ``7.300`` (7.29957), ``2,467``;
  trailing zeros are dropped only where the value is exact without them (``16``, ``0.5``);
- very small magnitudes (below ``1e-4``) in scientific notation: ``2.3e-07``;
- missing values (None, NaN) as ``-``.

:func:`format_si` is the compact form of the per-layer tables (3 significant digits and a k/M/G
suffix: ``60.2M``), :func:`format_percent` a share as a percentage with one decimal.
:func:`text_table` aligns rows of such cells (text left, numbers right) within a width;
:func:`layer_table` lays out the per-layer tables of ``hwsim profile`` (:mod:`hwsim.report.plain_table`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "SIGNIFICANT_DIGITS",
    "format_number",
    "format_percent",
    "format_si",
    "is_number",
    "layer_table",
    "text_table",
]

#: Significant digits of a non-integer number in every table.
SIGNIFICANT_DIGITS = 4
#: Magnitudes below this are written in scientific notation.
_SMALLEST_PLAIN = 1e-4


def _plain(value: Any) -> Any:
    """numpy scalars as Python scalars (checked by module name: numpy is not imported here)."""
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        return value.item()
    return value


def is_number(value: Any) -> bool:
    """True for ints and floats (numpy scalars included), False for bools and everything else."""
    value = _plain(value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_missing(value: Any) -> bool:
    value = _plain(value)
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_number(value: Any, digits: int = SIGNIFICANT_DIGITS) -> str:
    """A number as tables print it (module docstring): ``1234567 -> '1,234,567'``,
    ``0.24217 -> '0.2422'``, ``1.8719 -> '1.872'``, ``7.29957 -> '7.300'``, ``2467.36 -> '2,467'``,
    ``16.0 -> '16'``, ``0.5 -> '0.5'``."""
    value = _plain(value)
    if _is_missing(value):
        return "-"
    if not is_number(value):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude < _SMALLEST_PLAIN:
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"
    integer_digits = math.floor(math.log10(magnitude)) + 1
    decimals = max(digits - integer_digits, 0)
    text = f"{value:,.{decimals}f}"
    if "." in text:
        exact = text.rstrip("0").rstrip(".")
        if float(exact.replace(",", "")) == value:  # trailing zeros say nothing: 16.0 -> 16, 0.5 -> 0.5
            text = exact
    return "0" if text == "-0" else text


def format_si(value: float) -> str:
    """Compact number of the per-layer tables: 3 significant digits and k/M/G (``60.2M``, ``935k``, ``12``)."""
    if value == 0:
        return "0"
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:.3g}" if value != int(value) else str(int(value))


def format_percent(fraction: float) -> str:
    """A share as a percentage with one decimal: ``0.2347 -> '23.5'`` (``-`` when missing)."""
    return "-" if _is_missing(fraction) else f"{100 * fraction:.1f}"


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else format_number(value)


def text_table(
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    optional: Sequence[str] = (),
    width: int | None = None,
) -> str:
    """Rows of plain values as an aligned text table, one line per row (never wrapped).

    ``columns`` (default: the keys of the first row) are always shown; each of ``optional`` that
    is in the rows is added, in order, while the table stays within ``width`` characters.
    Numbers are right-aligned and written by :func:`format_number`; text is left-aligned; a
    column is numeric when each of its values is a number or missing.
    """
    shown = list(dict.fromkeys(columns if columns is not None else (records[0] if records else [])))
    present = set().union(*(r.keys() for r in records)) if records else set()

    def render(names: list[str]) -> list[str]:
        cells = [[_cell(row.get(c)) for c in names] for row in records]
        numeric = [all(is_number(r.get(c)) or _is_missing(r.get(c)) for r in records) for c in names]
        widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(names)]

        def line(values: Sequence[str]) -> str:
            return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

        return [line(names)] + [line(row) for row in cells]

    for column in optional:
        if column in present and column not in shown:
            trial = shown + [column]
            if width is None or max(len(line) for line in render(trial)) <= width:
                shown = trial
    return "\n".join(render(shown))


def layer_table(title: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[str]], width: int = 120) -> str:
    """A per-layer table of already formatted cells under ``title``, within ``width`` columns (at least 80).

    ``columns`` are (header, ``left``/``right``); the first column (layer names) folds when the
    table would be too wide, the others never wrap (cells that cannot fit end in ``…``). Brackets
    in names and titles are printed as they are (``ws_32x32[os]``). The layout is
    :func:`hwsim.report.plain_table.render_table`'s (a borderless rich table's, without rich).
    """
    from hwsim.report.plain_table import Column, render_table

    spec = [Column(header, "right" if justify == "right" else "left", fold=k == 0) for k, (header, justify) in enumerate(columns)]
    return render_table(title, spec, rows, max(80, width)).rstrip()
