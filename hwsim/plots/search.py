"""Block-allocation search figures: the cost of one more block per stage, and the searched candidates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hwsim.plots.common import _SERIES_COLORS, _figure, _panels
from hwsim.plots.tables import block_table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from hwsim.explore.search.run import SearchResult
    from hwsim.cost.result import SimResult


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


def _combo_label(result: SearchResult, combo: tuple[object, ...]) -> str:
    """A combination of the family's choices for the legend: ``conv1 5x5, shortcut v1``."""
    family = result.space.definition
    return ", ".join(f"{c.name} {c.show(v)}" for c, v in zip(family.choices, combo)) or "candidates"


def plot_search_results(results: Sequence[SearchResult]) -> Figure:
    """One panel per search (accelerator) of one family: latency against parameters of every
    candidate, coloured by the combination of the family's choices (SqueezeNext: conv1 kernel and
    shortcut style); the front of (latency down, parameters up) as a step line, the fastest
    candidate starred and the family's published networks (SqueezeNext v1..v5) labelled."""
    from hwsim.explore.search.run import pareto_mask

    if not results:
        raise ValueError("plot_search_results: expected at least one SearchResult")
    if len({r.space.family for r in results}) > 1:
        raise ValueError("plot_search_results: expected searches of one family, got "
                         f"{', '.join(sorted({r.space.family for r in results}))}")
    fig, axes = _panels(len(results), width_in=3.9, height_in=4.4)
    combos = sorted({r.candidate.choices for res in results for r in res.ranked})
    colors = {combo: _SERIES_COLORS[k % len(_SERIES_COLORS)] for k, combo in enumerate(combos)}
    for ax, result in zip(axes, results):
        ranked = result.ranked
        latency = np.array([r.latency_ms for r in ranked])
        params = np.array([r.params for r in ranked], dtype=np.float64) / 1e6
        combo_of = [r.candidate.choices for r in ranked]
        for combo in combos:
            mask = np.array([c == combo for c in combo_of])
            ax.scatter(params[mask], latency[mask], s=4, alpha=0.35, color=colors[combo], linewidths=0,
                       label=_combo_label(result, combo))
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
        for k, v in enumerate(result.versions):  # labels alternate right and left of their points
            px, py = v.result.params / 1e6, v.result.latency_ms
            ax.scatter([px], [py], s=30, color="black", zorder=5)
            right = k % 2 == 0
            ax.annotate(v.label, (px, py), textcoords="offset points", xytext=(5, 0) if right else (-6, 0),
                        ha="left" if right else "right", va="center", fontsize=8, fontweight="bold")
        ax.set_xlabel("parameters (millions)")
        ax.set_ylabel("latency (ms)")
        ax.set_title(f"on {result.accelerator_name} ({len(ranked):,} candidates)", fontsize=10)
        ax.grid(True, alpha=0.3)
    legend = axes[0].legend(fontsize=6.5, loc="upper right")
    for handle in legend.legend_handles[: len(combos)]:
        handle.set_alpha(1.0)
        handle.set_sizes([20])
    space = results[0].space
    fig.suptitle(f"{space.definition.title} block allocations: {space.describe()}", fontsize=10)
    return fig
