"""Design-space figures from sweep frames: dataflow by array size, and Pareto fronts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hwsim.plots.common import _SERIES_COLORS, _check_columns, _figure, _panels, _plain_log_axis, column_label

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


def plot_dataflow_arrays(frame: pd.DataFrame, size_column: str = "array.rows") -> Figure:
    """Latency (top) and utilization (bottom) against array size, one line per dataflow, one
    column per model. ``frame`` holds one row per (model, dataflow, square array), e.g. from
    :func:`hwsim.explore.sweep.run.sweep`: columns ``model``, ``dataflow``, ``size_column``, ``latency_ms``,
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


def plot_pareto_fronts(frame: pd.DataFrame, x: str, y: str, by: str = "model", hue: str | None = None,
                       log: bool = True) -> Figure:
    """One panel per ``by`` value: every row as a point, coloured by ``hue`` (a few categories), and
    for each ``hue`` value the Pareto front of (``x``, ``y``), both minimised, as a step line."""
    from hwsim.explore.pareto import pareto_mask

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
