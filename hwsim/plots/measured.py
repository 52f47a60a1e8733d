"""Measured host latency beside simulated and predicted latency: per layer, and by layer kind."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hwsim.plots.common import _SERIES_COLORS, KIND_COLORS, _figure, _panels, _plain_log_axis
from hwsim.plots.tables import time_table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from hwsim.measure.profiler import ModelMeasurement
    from hwsim.cost.result import SimResult


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
