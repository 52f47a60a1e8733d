"""Per-layer, per-stage and per-kind cycle figures of simulation results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hwsim.plots.common import (
    _SERIES_COLORS,
    COMPUTE_COLOR,
    KIND_COLORS,
    STALL_COLOR,
    UTIL_COLOR,
    VECTOR_COLOR,
    _figure,
    _si,
    _si_formatter,
)
from hwsim.plots.tables import _cycle_parts, _is_gemm, conv_kinds, kind_table, stage_labels, stage_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from hwsim.graph.layer_graph import LayerGraph
    from hwsim.cost.result import SimResult


def _stage_bands(ax: Axes, labels: Sequence[str]) -> None:
    """Alternate shading and a label at the top for each run of equal ``labels``."""
    start = 0
    runs = []
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            runs.append((start, i - 1, labels[start]))
            start = i
    transform = ax.get_xaxis_transform()
    for j, (lo, hi, label) in enumerate(runs):
        if j % 2:
            ax.axvspan(lo - 0.5, hi + 0.5, color="0.93", zorder=0)
        if hi - lo >= 2 or len(runs) <= 6:
            ax.text((lo + hi) / 2, 0.98, label, transform=transform, ha="center", va="top", fontsize=8, color="0.3")


def plot_layer_cycles(results: Sequence[SimResult]) -> Figure:
    """One panel per result: stacked PE-array, vector-unit and stall cycles per layer (bars) and
    PE-array utilization (dots, right axis), stages shaded. Free layers (reshape) are left out."""
    if not results:
        raise ValueError("plot_layer_cycles: expected at least one SimResult")
    longest = max(len(r) for r in results)
    fig = _figure(min(max(8.0, 0.075 * longest + 2.5), 16.0), 2.6 * len(results) + 0.7)
    axes = fig.subplots(len(results), 1, squeeze=False)[:, 0]
    for k, (ax, result) in enumerate(zip(axes, results)):
        keep = np.flatnonzero(result.cycles > 0)
        x = np.arange(len(keep))
        array_cycles, vector_cycles, stall = (part[keep] for part in _cycle_parts(result))
        ax.bar(x, array_cycles, width=0.85, color=COMPUTE_COLOR, label="PE-array compute cycles")
        ax.bar(x, vector_cycles, width=0.85, bottom=array_cycles, color=VECTOR_COLOR, label="vector-unit cycles")
        ax.bar(x, stall, width=0.85, bottom=array_cycles + vector_cycles, color=STALL_COLOR, label="memory stall cycles")
        stages = stage_labels(result)
        _stage_bands(ax, [stages[i] for i in keep])
        ax.set_xlim(-0.6, len(keep) - 0.4)
        ax.set_ylim(0, 1.12 * float((array_cycles + vector_cycles + stall).max()))
        ax.set_ylabel("cycles")
        ax.yaxis.set_major_formatter(_si_formatter())
        ax.set_xlabel("layer index (network order, free layers left out)" if k == len(results) - 1 else "")
        twin = ax.twinx()
        gemm = _is_gemm(result)[keep]
        twin.plot(x[gemm], 100 * result.utilization[keep][gemm], "o", color=UTIL_COLOR, markersize=2.5,
                  label="PE-array utilization (right axis)")
        twin.set_ylim(0, 105)
        twin.set_ylabel("utilization (%)")
        ax.set_title(
            f"{result.graph_name} on {result.accelerator_name}: {_si(result.total_cycles)} cycles, "
            f"{100 * result.utilization_total:.1f}% utilization",
            fontsize=10,
        )
        if k == 0:
            handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
            fig.legend(handles=handles, loc="outside upper center", ncol=4, fontsize=8, frameon=False)
    return fig


def _label(result: SimResult) -> str:
    return f"{result.graph_name} / {result.accelerator_name}"


def plot_stage_breakdown(results: Sequence[SimResult]) -> Figure:
    """Top: one panel per result with stacked PE-array / vector-unit / stall cycles per stage
    (shared cycle axis). Bottom: utilization per stage, one bar per result. The results should
    share their stage names (one network family, :func:`stage_labels`)."""
    if not results:
        raise ValueError("plot_stage_breakdown: expected at least one SimResult")
    tables = [stage_table(r) for r in results]
    stages = list(dict.fromkeys(s for t in tables for s in t.index))
    n = len(results)
    fig = _figure(max(8.0, 3.0 * n), 7.0)
    mosaic = [[f"cycles{j}" for j in range(n)], ["util"] * n]
    axes = fig.subplot_mosaic(mosaic, height_ratios=(1.2, 1), sharey=False)
    x = np.arange(len(stages))
    top = max(float(t["cycles"].max()) for t in tables)
    for j, (result, table) in enumerate(zip(results, tables)):
        ax = axes[f"cycles{j}"]
        table = table.reindex(stages).fillna(0.0)
        bottom = np.zeros(len(stages))
        for column, color, name in (
            ("array_cycles", COMPUTE_COLOR, "PE-array compute"),
            ("vector_cycles", VECTOR_COLOR, "vector unit"),
            ("stall_cycles", STALL_COLOR, "memory stall"),
        ):
            values = table[column].to_numpy()
            ax.bar(x, values, width=0.75, bottom=bottom, color=color, label=name)
            bottom += values
        ax.set_ylim(0, 1.05 * top)
        ax.set_xticks(x, stages, rotation=45, ha="right", fontsize=8)
        ax.set_title(f"{result.graph_name}\non {result.accelerator_name}", fontsize=9)
        ax.yaxis.set_major_formatter(_si_formatter())
        if j == 0:
            ax.set_ylabel("cycles")
            ax.legend(fontsize=7, loc="upper right")
        else:
            ax.tick_params(labelleft=False)
    util = axes["util"]
    width = 0.8 / n
    for j, (result, table) in enumerate(zip(results, tables)):
        table = table.reindex(stages).fillna(0.0)
        util.bar(x - 0.4 + width * (j + 0.5), 100 * table["utilization"].to_numpy(), width=width * 0.95,
                 color=_SERIES_COLORS[j % len(_SERIES_COLORS)], label=_label(result))
    util.set_xticks(x, stages)
    util.set_xlabel("stage")
    util.set_ylabel("utilization (%)")
    util.set_ylim(0, 100)
    util.set_title("Utilization per stage: MACs / (cycles x PEs), vector ops and stalls included", fontsize=9)
    util.legend(fontsize=7, loc="upper left", ncol=2)
    util.grid(True, axis="y", alpha=0.3)
    fig.suptitle("Where the cycles go, stage by stage", fontsize=11)
    return fig


def plot_kind_breakdown(result: SimResult, graph: LayerGraph) -> Figure:
    """Left: cycles of every PE-array layer coloured by kind (e.g. MobileNet's depthwise beside its
    pointwise layers), utilization on the right axis. Right: each kind's share of the MACs and of
    the cycles."""
    kinds = conv_kinds(graph)
    table = kind_table(result, graph)
    gemm = np.flatnonzero(_is_gemm(result))
    fig = _figure(12.0, 4.4)
    left, right = fig.subplots(1, 2, width_ratios=(2, 1))
    x = np.arange(len(gemm))
    colors = [KIND_COLORS[kinds[i]] for i in gemm]
    left.bar(x, result.cycles[gemm], color=colors, width=0.85)
    left.set_xlabel("PE-array layer index (network order)")
    left.set_ylabel("cycles (compute + stall)")
    left.yaxis.set_major_formatter(_si_formatter())
    left.set_xlim(-0.6, len(gemm) - 0.4)
    twin = left.twinx()
    twin.plot(x, 100 * result.utilization[gemm], "o", color="black", markersize=3, label="utilization")
    twin.set_ylabel("utilization (%)")
    twin.set_ylim(0, 105)
    from matplotlib.patches import Patch

    present = [k for k in KIND_COLORS if k in set(kinds[i] for i in gemm)]
    handles = [Patch(color=KIND_COLORS[k], label=k) for k in present] + twin.get_legend_handles_labels()[0]
    left.legend(handles=handles, fontsize=8, loc="upper right", framealpha=0.9)
    left.set_title(f"{result.graph_name} on {result.accelerator_name}: cycles per layer", fontsize=10)
    shown = [k for k in present if k in table.index]
    y = np.arange(len(shown))
    right.barh(y - 0.2, 100 * table.loc[shown, "cycle_share"], height=0.4, color=[KIND_COLORS[k] for k in shown])
    right.barh(y + 0.2, 100 * table.loc[shown, "mac_share"], height=0.4, color="0.75", hatch="///", edgecolor="white")
    for yi, kind in zip(y, shown):
        for offset, column in ((-0.2, "cycle_share"), (0.2, "mac_share")):
            value = 100 * table.loc[kind, column]
            right.text(value + 1.5, yi + offset, f"{value:.1f}%", va="center", fontsize=7)
    right.set_yticks(y, shown)
    right.invert_yaxis()
    right.set_xlabel("share of the network (%)")
    right.set_xlim(0, 100)
    right.set_title("MACs vs cycles by layer kind", fontsize=10)
    right.legend(handles=[Patch(facecolor="0.5", label="share of cycles (kind colour)"),
                          Patch(facecolor="0.75", hatch="///", edgecolor="white", label="share of MACs")],
                 fontsize=8, loc="lower right")
    return fig
