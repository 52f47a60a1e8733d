"""The figure of ``hwsim profile --plot``: where one network's cycles go, readable at any depth.

Bars run horizontally, one per layer, block or stage in network order from the top, so names are
never rotated and the figure grows in height (a fixed :data:`BAR_HEIGHT_IN` per bar) instead of
squeezing its labels: every label is :data:`LABEL_FONTSIZE` points. ``by="auto"`` draws one bar per
layer up to :data:`AUTO_MAX_BARS` layers, else one per block (:func:`~hwsim.plots.tables.block_labels`)
if that is few enough, else one per stage (:func:`~hwsim.plots.tables.stage_labels`). Left: stacked
PE-array, vector-unit and stall cycles (optionally on a log axis, where a bar's length is its
total and the segments are only ordered, not proportional); right: PE-array utilization
of the bar's conv/linear layers (MACs / (their cycles x PEs)). Layers that cost nothing (reshape)
are left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hwsim.plots.common import COMPUTE_COLOR, STALL_COLOR, UTIL_COLOR, VECTOR_COLOR, _figure, _si, _si_formatter
from hwsim.plots.profile_options import AUTO_MAX_BARS, BY_CHOICES
from hwsim.plots.tables import block_labels, group_table, stage_labels

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from hwsim.cost.result import SimResult

__all__ = ["AUTO_MAX_BARS", "BAR_HEIGHT_IN", "BY_CHOICES", "LABEL_FONTSIZE", "plot_profile", "profile_groups"]

#: Height of one bar's row in inches (at the CLI's 120 dpi: 26 px, room for an 8-point label).
BAR_HEIGHT_IN = 0.22
#: Font size of every tick label, in points.
LABEL_FONTSIZE = 8.0
#: Width of the figure in inches, and the height it adds to the bars (title, legend, axis).
FIGURE_WIDTH_IN = 10.0
_FRAME_HEIGHT_IN = 1.9


def _labels(result: SimResult, by: str) -> tuple[str, ...]:
    if by == "layer":
        return result.names
    return block_labels(result) if by == "block" else stage_labels(result)


def profile_groups(result: SimResult, by: str = "auto", top: int | None = None) -> tuple[str, pd.DataFrame]:
    """What ``hwsim profile --plot`` draws: ``(by, table)`` with ``auto`` resolved and one row
    per bar in network order (the columns of :func:`~hwsim.plots.tables.stage_table`), layers
    without cycles left out; ``top`` keeps the ``top`` rows with the most cycles."""
    if by not in BY_CHOICES:
        raise ValueError(f"by={by!r}: expected one of {', '.join(BY_CHOICES)}")
    if by == "auto":
        counts = {choice: len(set(np.asarray(_labels(result, choice))[result.cycles > 0])) for choice in ("layer", "block")}
        by = next((choice for choice in ("layer", "block") if counts[choice] <= AUTO_MAX_BARS), "stage")
    table = group_table(result, _labels(result, by), by)
    table = table[table["cycles"] > 0]
    if top is not None and top < len(table):
        keep = set(table["cycles"].nlargest(top, keep="first").index)
        table = table[[label in keep for label in table.index]]
    return by, table


def plot_profile(result: SimResult, by: str = "auto", top: int | None = None, log: bool = False) -> Figure:
    """Horizontal bars of cycles per layer, block or stage (:func:`profile_groups`) beside their
    PE-array utilization; ``log`` puts the cycles on a log axis."""
    by, table = profile_groups(result, by, top)
    n, of = len(table), len(profile_groups(result, by)[1])
    fig = _figure(FIGURE_WIDTH_IN, _FRAME_HEIGHT_IN + BAR_HEIGHT_IN * max(n, 1))
    cycles_ax, util_ax = fig.subplots(1, 2, sharey=True, width_ratios=(3, 1))
    y = np.arange(n)
    left = np.zeros(n)
    for column, color, label in (
        ("array_cycles", COMPUTE_COLOR, "PE-array compute cycles"),
        ("vector_cycles", VECTOR_COLOR, "vector-unit cycles"),
        ("stall_cycles", STALL_COLOR, "memory stall cycles"),
    ):
        values = table[column].to_numpy(dtype=np.float64)
        cycles_ax.barh(y, values, left=left, height=0.8, color=color, label=label)
        left += values
    cycles_ax.set_yticks(y, [str(label) for label in table.index], fontsize=LABEL_FONTSIZE)
    cycles_ax.set_ylim(n - 0.5, -0.5)  # network order from the top
    if log:
        from matplotlib.ticker import NullFormatter

        cycles_ax.set_xscale("log")
        cycles_ax.set_xlim(left=max(float(left[left > 0].min()) / 2, 0.5) if (left > 0).any() else 0.5)
        cycles_ax.xaxis.set_minor_formatter(NullFormatter())
    cycles_ax.xaxis.set_major_formatter(_si_formatter())
    cycles_ax.set_xlabel("cycles" + (" (log scale)" if log else ""), fontsize=LABEL_FONTSIZE)
    cycles_ax.tick_params(axis="x", labelsize=LABEL_FONTSIZE)
    cycles_ax.grid(True, axis="x", alpha=0.3)
    gemm = table["array_cycles"].to_numpy() > 0
    utilization = 100 * table["array_utilization"].to_numpy()[gemm]
    util_ax.barh(y[gemm], utilization, height=0.8, color=UTIL_COLOR)
    for yi, value in zip(y[gemm], utilization):
        util_ax.text(value + 1.5, yi, f"{value:.1f}", va="center", fontsize=LABEL_FONTSIZE - 1)
    util_ax.set_xlim(0, 100)
    util_ax.set_xlabel("PE-array utilization (%)", fontsize=LABEL_FONTSIZE)
    util_ax.tick_params(axis="x", labelsize=LABEL_FONTSIZE)
    util_ax.tick_params(axis="y", left=False)
    util_ax.grid(True, axis="x", alpha=0.3)
    fig.legend(loc="outside lower center", ncol=3, fontsize=LABEL_FONTSIZE, frameon=False)
    shown = f"the {n} of {of} {by}s with the most cycles" if n < of else f"per {by}"
    fig.suptitle(
        f"{result.graph_name} on {result.accelerator_name}: {_si(result.total_cycles)} cycles, "
        f"{result.latency_ms:.4g} ms, utilization {100 * result.utilization_total:.1f}% ({shown})",
        fontsize=10,
    )
    return fig
