"""Figures for the notebooks: each function takes hwsim results and returns a matplotlib Figure.

The notebooks in ``notebooks/`` hold no logic: they call hwsim's API, these helpers shape the
results into small tables (:func:`stage_table`, :func:`kind_table`) and draw them. Every figure
is built on a :class:`matplotlib.figure.Figure` directly (no pyplot state, nothing shown or kept
alive behind the caller's back) with titled axes and units in the labels.

:func:`save_figure` writes a figure only when the environment variable ``HWSIM_SAVE_FIGURES``
names a folder; that is how ``docs/figures/*.png`` are regenerated from the notebooks.
matplotlib is imported lazily, so ``import hwsim.plots`` is cheap; torch is never imported.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hwsim.graph import LayerGraph
from hwsim.sim import SimResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from hwsim.accelerator import Accelerator
    from hwsim.measure import ModelMeasurement
    from hwsim.search import SearchResult

__all__ = [
    "COLUMN_LABELS",
    "FIGURES_ENV",
    "KIND_COLORS",
    "block_table",
    "column_label",
    "conv_kinds",
    "kind_table",
    "plot_block_costs",
    "plot_dataflow_arrays",
    "plot_kind_breakdown",
    "plot_layer_cycles",
    "plot_measured_vs_predicted",
    "plot_pareto_fronts",
    "plot_roofline",
    "plot_search_results",
    "plot_stage_breakdown",
    "plot_time_shares",
    "save_figure",
    "search_frame",
    "stage_labels",
    "stage_table",
    "time_table",
]

#: Environment variable naming the folder :func:`save_figure` writes PNGs into (unset: no file).
FIGURES_ENV = "HWSIM_SAVE_FIGURES"

#: Colours of the cycle components, shared by every figure.
COMPUTE_COLOR = "#4C72B0"
VECTOR_COLOR = "#8C8C8C"
STALL_COLOR = "#DD8452"
UTIL_COLOR = "#2CA02C"
#: Colours of layer kinds (:func:`conv_kinds`).
KIND_COLORS: Mapping[str, str] = {
    "conv": "#4C72B0",
    "pointwise": "#55A868",
    "depthwise": "#C44E52",
    "grouped": "#8172B2",
    "linear": "#CCB974",
    "vector": "#8C8C8C",
}
_SERIES_COLORS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B2", "#937860", "#DA8BC3", "#8C8C8C")
_FUNCTIONAL_OPS = frozenset({"add", "mul", "concat", "shuffle"})
_STAGE_PATTERNS = ((re.compile(r"^stages\.(\d+)\."), 1), (re.compile(r"^stage(\d+)\."), 0))


def _figure(width_in: float, height_in: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in), layout="constrained")


#: Axis labels (with units) of sweep columns; other columns are labelled by their name.
COLUMN_LABELS: Mapping[str, str] = {
    "latency_ms": "latency (ms)",
    "energy_uj": "energy (uJ)",
    "cycles": "cycles",
    "utilization": "utilization (MACs / (cycles x PEs))",
    "area_pes": "area proxy: PEs (rows x cols)",
    "area_buffer_kib": "area proxy: on-chip buffers (KiB)",
    "dram_bytes": "DRAM traffic (bytes)",
    "macs": "MACs",
    "params": "parameters",
    "array.rows": "array rows (PEs)",
    "array.cols": "array columns (PEs)",
    "dram.bandwidth_bytes_per_cycle": "DRAM bandwidth (bytes/cycle)",
    "buffers.ifmap_kib": "ifmap buffer (KiB)",
    "buffers.filter_kib": "filter buffer (KiB)",
    "buffers.ofmap_kib": "ofmap buffer (KiB)",
}


def column_label(column: str) -> str:
    """Axis label with units for a sweep column (:data:`COLUMN_LABELS`, else the name)."""
    return COLUMN_LABELS.get(column, column)


def _check_columns(where: str, frame: pd.DataFrame, columns: Sequence[str | None]) -> None:
    missing = sorted({c for c in columns if c is not None} - set(frame.columns))
    if missing:
        raise ValueError(f"{where}: frame lacks columns {missing}")


def _panels(count: int, width_in: float = 4.2, height_in: float = 4.2) -> tuple[Figure, list[Axes]]:
    fig = _figure(width_in * count + 0.6, height_in)
    axes = fig.subplots(1, count, squeeze=False)[0]
    return fig, list(axes)


def save_figure(fig: Figure, name: str, dpi: int = 100) -> Path | None:
    """Write ``fig`` as ``<$HWSIM_SAVE_FIGURES>/<name>.png`` when that variable is set; else nothing.

    Returns the path written, or None. The folder is created if missing.
    """
    folder = os.environ.get(FIGURES_ENV)
    if not folder:
        return None
    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path


# ------------------------------------------------------------------------------------------
# Small tables


def stage_labels(result: SimResult) -> tuple[str, ...]:
    """The stage of every layer, from the module names of the zoo's staged networks.

    ``stages.<i>.`` (SqueezeNext) is ``stage <i+1>``; ``stage<i>.`` (ShuffleNet) is ``stage <i>``.
    Functional ops without a module path (``add_3``, ``cat``) belong to the stage of the layer
    before them; other layers are ``stem`` before the first stage and ``head`` after the last.
    A network without stages is one group, ``network``.
    """
    labels: list[str | None] = []
    for name, op in zip(result.names, result.ops):
        label = None
        for pattern, offset in _STAGE_PATTERNS:
            match = pattern.match(name)
            if match:
                label = f"stage {int(match.group(1)) + offset}"
                break
        if label is None and op in _FUNCTIONAL_OPS and "." not in name and labels:
            label = labels[-1]
        labels.append(label)
    staged = [i for i, label in enumerate(labels) if label is not None and label.startswith("stage")]
    if not staged:
        return ("network",) * len(labels)
    first = staged[0]
    return tuple(
        label if label is not None else ("stem" if i < first else "head") for i, label in enumerate(labels)
    )


def _is_gemm(result: SimResult) -> np.ndarray:
    return np.array([op in ("conv", "linear") for op in result.ops], dtype=bool)


def _cycle_parts(result: SimResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-layer (PE-array compute, vector-unit compute, stall) cycles."""
    gemm = _is_gemm(result)
    compute = result.compute_cycles.astype(np.float64)
    return np.where(gemm, compute, 0.0), np.where(gemm, 0.0, compute), result.stall_cycles.astype(np.float64)


def _group_table(result: SimResult, keys: Sequence[str], column: str) -> pd.DataFrame:
    array_cycles, vector_cycles, stall = _cycle_parts(result)
    gemm = _is_gemm(result)
    frame = pd.DataFrame(
        {
            column: list(keys),
            "layers": 1,
            "macs": result.macs.astype(np.int64),
            "array_cycles": array_cycles,
            "vector_cycles": vector_cycles,
            "stall_cycles": stall,
            "cycles": result.cycles.astype(np.float64),
            "gemm_cycles": np.where(gemm, result.cycles, 0).astype(np.float64),
            "slots": np.where(gemm, result.mapping_efficiency * result.compute_cycles, 0.0),
        }
    )
    table = frame.groupby(column, sort=False).sum()
    total_cycles = max(float(result.cycles.sum()), 1.0)
    total_macs = max(float(result.macs.sum()), 1.0)
    table["cycle_share"] = table["cycles"] / total_cycles
    table["mac_share"] = table["macs"] / total_macs
    table["utilization"] = table["macs"] / (table["cycles"].clip(lower=1) * result.pes)
    table["array_utilization"] = table["macs"] / (table["gemm_cycles"].clip(lower=1) * result.pes)
    table["mapping_efficiency"] = table["slots"] / table["array_cycles"].clip(lower=1)
    return table.drop(columns=["gemm_cycles", "slots"])


def stage_table(result: SimResult) -> pd.DataFrame:
    """Cycles per stage (:func:`stage_labels`), in network order.

    Columns: ``layers``, ``macs``, ``array_cycles`` (stall-free PE-array cycles),
    ``vector_cycles`` (stall-free vector-unit cycles), ``stall_cycles``, ``cycles``,
    ``cycle_share`` and ``mac_share`` (of the network), ``utilization`` (MACs / (cycles x PEs),
    vector ops and stalls included), ``array_utilization`` (the same over the stage's PE-array
    layers only) and ``mapping_efficiency`` (share of PEs holding work, weighted by the array's
    stall-free cycles).
    """
    return _group_table(result, stage_labels(result), "stage")


def conv_kinds(graph: LayerGraph) -> tuple[str, ...]:
    """Kind of every layer: ``conv`` (spatial kernel), ``pointwise`` (1x1), ``depthwise``
    (one group per input channel), ``grouped``, ``linear``, or ``vector`` (not on the PE array)."""
    kinds = []
    for layer in graph.layers:
        if layer.op == "linear":
            kinds.append("linear")
        elif layer.op != "conv":
            kinds.append("vector")
        elif layer.groups > 1:
            kinds.append("depthwise" if layer.groups == layer.c else "grouped")
        else:
            kinds.append("pointwise" if layer.r * layer.s == 1 else "conv")
    return tuple(kinds)


def kind_table(result: SimResult, graph: LayerGraph) -> pd.DataFrame:
    """Cycles per layer kind (:func:`conv_kinds`); the columns of :func:`stage_table`."""
    if result.names != tuple(layer.name for layer in graph.layers):
        raise ValueError(f"kind_table: the result of {result.graph_name!r} does not come from graph {graph.name!r}")
    return _group_table(result, conv_kinds(graph), "kind")


# ------------------------------------------------------------------------------------------
# Per-layer and per-stage figures


def _si(value: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:.3g}"


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


def _si_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _pos: _si(value) if value else "0")


def _plain_log_axis(axis: Any, subs: tuple[float, ...] = (1.0, 2.0, 5.0)) -> None:
    """Ticks at ``subs`` x 10^n labelled as plain numbers (0.5, 2, 10, 200) on a log axis."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())


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


# ------------------------------------------------------------------------------------------
# Dataflows, array sizes and the roofline


def plot_dataflow_arrays(frame: pd.DataFrame, size_column: str = "array.rows") -> Figure:
    """Latency (top) and utilization (bottom) against array size, one line per dataflow, one
    column per model. ``frame`` holds one row per (model, dataflow, square array), e.g. from
    :func:`hwsim.sweep.sweep`: columns ``model``, ``dataflow``, ``size_column``, ``latency_ms``,
    ``utilization``."""
    _check_columns("plot_dataflow_arrays", frame, ["model", "dataflow", size_column, "latency_ms", "utilization"])
    models = list(dict.fromkeys(frame["model"]))
    dataflows = list(dict.fromkeys(frame["dataflow"]))
    sizes = sorted(frame[size_column].unique())
    fig = _figure(3.6 * len(models) + 0.8, 6.2)
    axes = fig.subplots(2, len(models), squeeze=False, sharex=True)
    styles = {"ws": ("o", "-"), "os": ("s", "-"), "is": ("^", "-"), "best": ("*", "--")}
    for col, model in enumerate(models):
        rows = frame[frame["model"] == model]
        for k, dataflow in enumerate(dataflows):
            line = rows[rows["dataflow"] == dataflow].sort_values(size_column)
            marker, style = styles.get(dataflow, ("o", "-"))
            color = "black" if dataflow == "best" else _SERIES_COLORS[k % 8]
            for row, metric, scale in ((0, "latency_ms", 1.0), (1, "utilization", 100.0)):
                axes[row, col].plot(line[size_column], scale * line[metric], style, marker=marker, color=color,
                                    label=dataflow, markersize=6 if dataflow != "best" else 9)
        top, bottom = axes[0, col], axes[1, col]
        top.set_title(model, fontsize=10)
        top.set_yscale("log")
        _plain_log_axis(top.yaxis, subs=(1.0, 2.0, 3.0, 5.0))
        top.set_ylabel("latency (ms)")
        bottom.set_ylabel("utilization (%)")
        bottom.set_ylim(0, 100)
        bottom.set_xscale("log", base=2)
        bottom.set_xticks(sizes, [f"{s}x{s}" for s in sizes])
        bottom.set_xlabel("array (rows x cols PEs)")
        top.grid(True, which="both", alpha=0.3)
        bottom.grid(True, alpha=0.3)
    axes[0, 0].legend(title="dataflow", fontsize=8)
    fig.suptitle("Latency and utilization by dataflow and array size", fontsize=11)
    return fig


def plot_roofline(results: Sequence[SimResult], accel: Accelerator) -> Figure:
    """Every PE-array layer of ``results`` (all on ``accel``) as a point: arithmetic intensity
    (MACs per DRAM byte) against achieved MACs per cycle, under the compute roof (PEs) and the
    bandwidth roof (intensity x DRAM bytes per cycle). One colour per network; marker size grows
    with the layer's cycles. With ``dram.ports: per_operand`` each operand has that bandwidth, so
    layers can rise above the single-port roof drawn (up to 3x)."""
    if not results:
        raise ValueError("plot_roofline: expected at least one SimResult")
    for r in results:
        if r.accelerator_name != accel.name:
            raise ValueError(f"plot_roofline: {r.graph_name} ran on {r.accelerator_name}, not on {accel.name}")
    fig = _figure(8.0, 5.4)
    ax = fig.subplots()
    pes = accel.pes
    bandwidth = accel.dram.bandwidth_bytes_per_cycle
    markers = ("o", "s", "^", "D", "v", "P")
    intensities, lows = [], []
    for j, result in enumerate(results):
        gemm = _is_gemm(result) & (result.dram_bytes > 0)
        intensity = result.arithmetic_intensity[gemm]
        achieved = result.macs[gemm] / result.cycles[gemm]
        share = result.cycles[gemm] / result.total_cycles
        intensities.append(intensity)
        lows.append(achieved.min())
        ax.scatter(intensity, achieved, s=10 + 600 * share, marker=markers[j % len(markers)],
                   color=_SERIES_COLORS[j % len(_SERIES_COLORS)], alpha=0.55, edgecolors="black", linewidths=0.3,
                   label=f"{result.graph_name} ({int(gemm.sum())} layers)")
    values = np.concatenate(intensities)
    lo = 10 ** math.floor(math.log10(max(values.min(), 1e-3)))
    hi = 10 ** math.ceil(math.log10(max(values.max(), 4 * pes / bandwidth)))
    xs = np.geomspace(lo, hi, 200)
    ax.plot(xs, np.minimum(pes, bandwidth * xs), color="black", linewidth=1.5, label="roofline")
    ridge = pes / bandwidth
    ax.axvline(ridge, color="0.5", linestyle=":", linewidth=1)
    ax.text(ridge / 1.15, pes * 1.2, f"compute roof: {pes} PEs = {pes} MACs/cycle", fontsize=8, va="bottom", ha="right")
    ax.text(ridge * 1.1, pes * 0.05, f"ridge: {ridge:g} MACs/byte", fontsize=8, color="0.3")
    x0 = lo * 5
    ax.annotate(f"bandwidth roof:\n{bandwidth:g} B/cycle x intensity", xy=(x0, bandwidth * x0), xytext=(lo * 1.3, pes * 0.25),
                fontsize=8, arrowprops={"arrowstyle": "->", "color": "0.3"})
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(min(lows) / 2, pes * 3)
    _plain_log_axis(ax.xaxis)
    _plain_log_axis(ax.yaxis)
    ax.set_xlabel("arithmetic intensity (MACs per DRAM byte)")
    ax.set_ylabel("achieved MACs per cycle")
    ports = "" if accel.dram.ports == "shared" else " per port"
    ax.set_title(f"Roofline on {accel.name} ({accel.array.rows}x{accel.array.cols}, {accel.dataflow}, "
                 f"{bandwidth:g} B/cycle{ports}); point area ~ share of cycles", fontsize=10)
    ax.grid(True, which="major", alpha=0.25)
    legend = ax.legend(fontsize=8, loc="lower right")
    for handle in legend.legend_handles[: len(results)]:
        handle.set_sizes([30])
    return fig


# ------------------------------------------------------------------------------------------
# Design-space sweeps and Pareto fronts

def plot_pareto_fronts(frame: pd.DataFrame, x: str, y: str, by: str = "model", hue: str | None = None,
                       log: bool = True) -> Figure:
    """One panel per ``by`` value: every row as a point, coloured by ``hue`` (a few categories), and
    for each ``hue`` value the Pareto front of (``x``, ``y``), both minimised, as a step line."""
    from hwsim.pareto import pareto_mask

    _check_columns("plot_pareto_fronts", frame, [x, y, by, hue])
    groups = list(dict.fromkeys(frame[by]))
    fig, axes = _panels(len(groups))
    hues = list(dict.fromkeys(sorted(frame[hue].unique()))) if hue is not None else [None]
    for ax, group in zip(axes, groups):
        rows = frame[frame[by] == group]
        for k, value in enumerate(hues):
            part = rows if value is None else rows[rows[hue] == value]
            color = _SERIES_COLORS[k % len(_SERIES_COLORS)]
            name = "all configurations" if value is None else f"{value:g}" if isinstance(value, (int, float, np.number)) else str(value)
            ax.scatter(part[x], part[y], s=9, color=color, alpha=0.35, linewidths=0, label=name)
            front = part[pareto_mask(part[[x, y]].to_numpy(dtype=np.float64))].sort_values([x, y])
            ax.plot(front[x], front[y], drawstyle="steps-post", color=color, linewidth=1.4)
            ax.scatter(front[x], front[y], s=22, facecolors="none", edgecolors=color, linewidths=1.2)
        if log:
            ax.set_xscale("log")
            ax.set_yscale("log")
            _plain_log_axis(ax.xaxis, subs=(1.0, 2.0, 5.0))
            _plain_log_axis(ax.yaxis, subs=(1.0, 2.0, 3.0, 5.0))
            ticks = sorted(frame[x].unique())
            if len(ticks) <= 10:  # a few grid values (64 ... 4096 PEs): tick exactly those
                from matplotlib.ticker import NullLocator

                ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
                ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlabel(column_label(x))
        ax.set_ylabel(column_label(y))
        ax.set_title(str(group), fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
    legend = axes[0].legend(fontsize=7, loc="upper right", markerscale=1.5,
                            title=column_label(hue) if hue is not None else None, title_fontsize=7)
    for handle in legend.legend_handles:
        handle.set_alpha(1.0)
    fig.suptitle(f"Pareto fronts (lines, circled points) of {column_label(y)} vs {column_label(x)}, both minimised", fontsize=11)
    return fig


# ------------------------------------------------------------------------------------------
# Block-allocation search

_BLOCK = re.compile(r"^stages\.(\d+)\.blocks\.(\d+)\.")


def block_table(result: SimResult) -> pd.DataFrame:
    """Cycles and MACs of every SqueezeNext block (``stages.<i>.blocks.<j>.*``), its residual add
    included; index (``stage``, ``block``) with stage ``i + 1``. Layers outside blocks (stem,
    stage-entry convs, head) are left out. Columns: ``layers``, ``macs``, ``cycles``, ``latency_us``."""
    keys: list[tuple[int, int] | None] = []
    for name, op in zip(result.names, result.ops):
        match = _BLOCK.match(name)
        if match:
            keys.append((int(match.group(1)) + 1, int(match.group(2))))
        elif op in _FUNCTIONAL_OPS and "." not in name and keys:
            keys.append(keys[-1])
        else:
            keys.append(None)
    rows = [i for i, key in enumerate(keys) if key is not None]
    if not rows:
        raise ValueError(f"block_table: {result.graph_name} has no stages.<i>.blocks.<j> layers")
    frame = pd.DataFrame(
        {
            "stage": [keys[i][0] for i in rows],  # type: ignore[index]
            "block": [keys[i][1] for i in rows],  # type: ignore[index]
            "layers": 1,
            "macs": result.macs[rows].astype(np.int64),
            "cycles": result.cycles[rows].astype(np.int64),
        }
    )
    table = frame.groupby(["stage", "block"]).sum()
    table["latency_us"] = table["cycles"] / result.clock_mhz
    return table


def plot_block_costs(results: Sequence[SimResult]) -> Figure:
    """Latency of one block in each stage (mean over the stage's blocks, :func:`block_table`), one
    bar per result: what adding a block to each stage costs on each accelerator."""
    if not results:
        raise ValueError("plot_block_costs: expected at least one SimResult")
    tables = [block_table(r).groupby("stage")["latency_us"].mean() for r in results]
    stages = sorted(set().union(*(t.index for t in tables)))
    fig = _figure(8.0, 4.4)
    ax = fig.subplots()
    width = 0.8 / len(results)
    x = np.arange(len(stages))
    for j, (result, table) in enumerate(zip(results, tables)):
        values = table.reindex(stages).to_numpy()
        bars = ax.bar(x - 0.4 + width * (j + 0.5), values, width=width * 0.95, color=_SERIES_COLORS[j % len(_SERIES_COLORS)],
                      label=result.accelerator_name)
        ax.bar_label(bars, fmt="%.0f", fontsize=7, padding=2)
    ax.set_xticks(x, [f"stage {s}" for s in stages])
    ax.set_xlabel("stage the block is added to")
    ax.set_ylabel("latency of one block (us)")
    names = ", ".join(dict.fromkeys(r.graph_name for r in results))
    ax.set_title(f"Cost of one more block, by stage ({names})", fontsize=10)
    ax.legend(fontsize=8, title="accelerator", title_fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    return fig


def search_frame(result: SearchResult) -> pd.DataFrame:
    """The ranked candidates of a search as a DataFrame (best first).

    Columns: ``rank``, ``allocation`` (blocks per stage, ``2-4-14-1``), ``conv1``, ``shortcut``,
    ``latency_ms``, ``energy_uj``, ``utilization``, ``macs``, ``params``, ``on_front`` (on the
    search's Pareto front: objective vs MACs and parameters) and ``version`` (``v1``..``v5``
    where the candidate is a published SqueezeNext, else empty).
    """
    front = set(result.pareto)
    rows = []
    for i, r in enumerate(result.ranked):
        c = r.candidate
        rows.append(
            {
                "rank": i + 1,
                "allocation": c.allocation,
                "conv1": c.conv1_kernel,
                "shortcut": c.shortcut,
                "latency_ms": r.latency_ms,
                "energy_uj": r.energy_uj,
                "utilization": r.utilization,
                "macs": r.macs,
                "params": r.params,
                "on_front": i in front,
                "version": ",".join(f"v{v}" for v in result.version_of(c)),
            }
        )
    return pd.DataFrame(rows)


def plot_search_results(results: Sequence[SearchResult]) -> Figure:
    """One panel per search (accelerator): latency against parameters of every candidate, coloured
    by conv1 kernel and shortcut style; the front of (latency down, parameters up) as a step line,
    the fastest candidate starred and the published v1..v5 labelled."""
    from hwsim.search import pareto_mask

    if not results:
        raise ValueError("plot_search_results: expected at least one SearchResult")
    fig, axes = _panels(len(results), width_in=3.9, height_in=4.4)
    combos = sorted({(r.candidate.conv1_kernel, r.candidate.shortcut) for res in results for r in res.ranked})
    colors = {combo: _SERIES_COLORS[k % len(_SERIES_COLORS)] for k, combo in enumerate(combos)}
    for ax, result in zip(axes, results):
        ranked = result.ranked
        latency = np.array([r.latency_ms for r in ranked])
        params = np.array([r.params for r in ranked], dtype=np.float64) / 1e6
        combo_of = [(r.candidate.conv1_kernel, r.candidate.shortcut) for r in ranked]
        for combo in combos:
            mask = np.array([c == combo for c in combo_of])
            ax.scatter(params[mask], latency[mask], s=4, alpha=0.35, color=colors[combo], linewidths=0,
                       label=f"conv1 {combo[0]}x{combo[0]}, {combo[1]} shortcut")
        front = np.flatnonzero(pareto_mask(latency, params))
        order = front[np.argsort(params[front])]
        ax.plot(params[order], latency[order], "-o", color="black", linewidth=1.0, markersize=2,
                label="front: fastest for its parameters")
        ax.scatter(params[:1], latency[:1], marker="*", s=160, color="gold", edgecolors="black", zorder=4,
                   label="fastest candidate")
        ax.annotate(ranked[0].candidate.allocation, (params[0], latency[0]), textcoords="offset points",
                    xytext=(0, -12), fontsize=7, va="top", fontweight="bold",
                    ha="right" if params[0] > params.min() + 0.8 * np.ptp(params) else "center")
        ax.margins(y=0.1)
        for v in result.versions:
            px, py = v.result.params / 1e6, v.result.latency_ms
            ax.scatter([px], [py], s=30, color="black", zorder=5)
            ax.annotate(f"v{v.version}", (px, py), textcoords="offset points", xytext=(5, 0) if v.version % 2 else (-6, 0),
                        ha="left" if v.version % 2 else "right", va="center", fontsize=8, fontweight="bold")
        ax.set_xlabel("parameters (millions)")
        ax.set_ylabel("latency (ms)")
        ax.set_title(f"on {result.accelerator_name} ({len(ranked):,} candidates)", fontsize=10)
        ax.grid(True, alpha=0.3)
    legend = axes[0].legend(fontsize=6.5, loc="upper right")
    for handle in legend.legend_handles[: len(combos)]:
        handle.set_alpha(1.0)
        handle.set_sizes([20])
    space = results[0].space
    fig.suptitle(f"SqueezeNext block allocations: {space.describe()}", fontsize=10)
    return fig


# ------------------------------------------------------------------------------------------
# Measured host latency beside simulated and predicted latency


def _check_same_layers(where: str, measurement: ModelMeasurement, results: Sequence[SimResult]) -> None:
    names = measurement.layer_names
    for result in results:
        if result.names != names:
            raise ValueError(f"{where}: {result.graph_name} on {result.accelerator_name} does not have the "
                             f"layers of the measured {measurement.model} (simulate measurement.graph)")


def time_table(measurement: ModelMeasurement, results: Sequence[SimResult]) -> pd.DataFrame:
    """Per layer: kind (:func:`conv_kinds`), measured median latency (``measured_us``) and the latency
    of each result (``<accelerator>_us``, from :attr:`SimResult.latency_us`), in microseconds.
    The results must come from ``measurement.graph`` (same layers, same order)."""
    _check_same_layers("time_table", measurement, results)
    frame = pd.DataFrame(
        {
            "layer": list(measurement.layer_names),
            "op": [layer.op for layer in measurement.graph.layers],
            "kind": list(conv_kinds(measurement.graph)),
            "measured_us": np.asarray(measurement.layer_seconds, dtype=np.float64) * 1e6,
        }
    )
    for result in results:
        frame[f"{result.accelerator_name}_us"] = np.asarray(result.latency_us, dtype=np.float64)
    return frame


def plot_measured_vs_predicted(measurement: ModelMeasurement, results: Sequence[SimResult]) -> Figure:
    """One panel per result: every layer's measured latency on this host (y) against its predicted
    or simulated latency (x), log-log, coloured by layer kind, with the line y = x and the Spearman
    rank correlation over the layers that take time on both sides."""
    if not results:
        raise ValueError("plot_measured_vs_predicted: expected at least one SimResult")
    table = time_table(measurement, results)
    fig, axes = _panels(len(results), width_in=4.6, height_in=4.4)
    for ax, result in zip(axes, results):
        column = f"{result.accelerator_name}_us"
        rows = table[(table["measured_us"] > 0) & (table[column] > 0)]
        for kind, color in KIND_COLORS.items():
            part = rows[rows["kind"] == kind]
            if len(part):
                ax.scatter(part[column], part["measured_us"], s=16, color=color, alpha=0.75, edgecolors="white",
                           linewidths=0.3, label=f"{kind} ({len(part)})")
        lo = float(min(rows[column].min(), rows["measured_us"].min()))
        hi = float(max(rows[column].max(), rows["measured_us"].max()))
        ax.plot([lo, hi], [lo, hi], color="0.4", linestyle="--", linewidth=0.8, label="y = x")
        rho = rows[column].corr(rows["measured_us"], method="spearman") if len(rows) >= 3 else float("nan")
        ax.set_xscale("log")
        ax.set_yscale("log")
        for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            decades = math.log10(limits[1] / limits[0])
            _plain_log_axis(axis, subs=(1.0,) if decades > 2.5 else (1.0, 2.0, 5.0))
        ax.set_xlabel(f"{result.accelerator_name}: latency per layer (us)")
        ax.set_ylabel("measured on this host: median per layer (us)")
        ax.set_title(f"{measurement.model} vs {result.accelerator_name}: Spearman rho = {rho:.2f}", fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"Per-layer latency, measured ({measurement.info.describe()}) against the models", fontsize=10)
    return fig


def plot_time_shares(measurement: ModelMeasurement, results: Sequence[SimResult]) -> Figure:
    """Share of the network's time spent in each layer kind: measured on this host beside each
    result (host-model prediction, accelerator simulation)."""
    table = time_table(measurement, results)
    columns = ["measured_us"] + [f"{r.accelerator_name}_us" for r in results]
    labels = [f"measured ({measurement.info.device})"] + [r.accelerator_name for r in results]
    shares = table.groupby("kind")[columns].sum()
    shares = 100 * shares / shares.sum()
    kinds = [k for k in KIND_COLORS if k in shares.index]
    fig = _figure(8.0, 1.0 + 0.75 * len(kinds))
    ax = fig.subplots()
    y = np.arange(len(kinds))
    height = 0.8 / len(columns)
    for j, (column, label) in enumerate(zip(columns, labels)):
        values = shares.loc[kinds, column].to_numpy()
        bars = ax.barh(y - 0.4 + height * (j + 0.5), values, height=height * 0.95, color=_SERIES_COLORS[j % len(_SERIES_COLORS)],
                       label=label)
        ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=2)
    ax.set_yticks(y, kinds)
    ax.invert_yaxis()
    ax.set_xlabel("share of the network's latency (%)")
    ax.set_ylabel("layer kind")
    ax.set_xlim(0, 105)
    ax.set_title(f"{measurement.model}: where the time goes, by layer kind", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return fig
