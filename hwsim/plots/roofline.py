"""The roofline: every PE-array layer's arithmetic intensity against its achieved MACs per cycle."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hwsim.plots.common import _SERIES_COLORS, _figure, _plain_log_axis
from hwsim.plots.tables import _is_gemm

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from hwsim.hardware.load import Accelerator
    from hwsim.cost.result import SimResult


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
    if math.isinf(bandwidth):  # unlimited DRAM bandwidth: the compute roof alone
        ax.text(lo * 1.3, pes * 1.2, f"compute roof: {pes} PEs = {pes} MACs/cycle (DRAM bandwidth unlimited)", fontsize=8)
    else:
        _bandwidth_roof(ax, pes, bandwidth, lo)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(min(lows) / 2, pes * 3)
    _plain_log_axis(ax.xaxis)
    _plain_log_axis(ax.yaxis)
    ax.set_xlabel("arithmetic intensity (MACs per DRAM byte)")
    ax.set_ylabel("achieved MACs per cycle")
    ports = "" if accel.dram.ports == "shared" else " per port"
    shown = "DRAM unlimited" if math.isinf(bandwidth) else f"{bandwidth:g} B/cycle{ports}"
    ax.set_title(f"Roofline on {accel.name} ({accel.array.rows}x{accel.array.cols}, {accel.dataflow}, "
                 f"{shown}); point area ~ share of cycles", fontsize=10)
    ax.grid(True, which="major", alpha=0.25)
    legend = ax.legend(fontsize=8, loc="lower right")
    for handle in legend.legend_handles[: len(results)]:
        handle.set_sizes([30])
    return fig


def _bandwidth_roof(ax: Any, pes: int, bandwidth: float, lo: float) -> None:
    """The ridge (where the bandwidth roof meets the compute roof) and the labels of both roofs."""
    ridge = pes / bandwidth
    ax.axvline(ridge, color="0.5", linestyle=":", linewidth=1)
    ax.text(ridge / 1.15, pes * 1.2, f"compute roof: {pes} PEs = {pes} MACs/cycle", fontsize=8, va="bottom", ha="right")
    ax.text(ridge * 1.1, pes * 0.05, f"ridge: {ridge:g} MACs/byte", fontsize=8, color="0.3")
    x0 = lo * 5
    ax.annotate(f"bandwidth roof:\n{bandwidth:g} B/cycle x intensity", xy=(x0, bandwidth * x0), xytext=(lo * 1.3, pes * 0.25),
                fontsize=8, arrowprops={"arrowstyle": "->", "color": "0.3"})
