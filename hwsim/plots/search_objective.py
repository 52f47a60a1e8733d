"""The figure of ``hwsim search --plot``: the searched candidates by the search's own objective.

Every candidate's objective (latency in ms, energy in uJ, or energy x latency in uJ x ms: what
``--objective`` ranked by) against its MACs, the front of the objective against MACs (more MACs
stand in for higher accuracy), and the published networks of the family labelled (SqueezeNext v1..v5).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hwsim.plots.common import _figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from hwsim.explore.search.run import SearchResult

__all__ = ["OBJECTIVE_LABELS", "plot_search_objective"]

#: Axis label (with units) of each search objective.
OBJECTIVE_LABELS = {
    "latency": "latency (ms)",
    "energy": "energy (uJ)",
    "edp": "energy x latency (uJ x ms)",
    "area": "chip area (mm2)",
    "accuracy": "measured accuracy",
}


def plot_search_objective(result: SearchResult) -> Figure:
    """Objective (``result.objective``) vs MACs of every ranked candidate, its front, v1..v5 labelled."""
    from hwsim.explore.search.results import pareto_mask

    objective = result.objective
    ranked = result.ranked
    macs = np.array([r.macs for r in ranked], dtype=np.float64) / 1e6
    values = np.array([r.objective(objective) for r in ranked], dtype=np.float64)
    front = pareto_mask(values, macs)
    order = np.flatnonzero(front)[np.argsort(macs[front])]
    fig = _figure(8.0, 5.5)
    ax = fig.subplots()
    ax.scatter(macs, values, s=6, color="#9BA3AF", alpha=0.6, label=f"candidates ({len(ranked):,})")
    ax.plot(macs[order], values[order], "-o", drawstyle="steps-post", color="#C44E52", markersize=4,
            label=f"Pareto front: {objective} vs MACs ({len(order)})")
    for v in result.versions:
        x, y = v.result.macs / 1e6, v.result.objective(objective)
        ax.scatter([x], [y], s=40, color="#4C72B0", zorder=3)
        ax.annotate(v.label, (x, y), textcoords="offset points", xytext=(5, 5), fontsize=9, color="#4C72B0")
    ax.set_xlabel("MACs (millions)")
    ax.set_ylabel(OBJECTIVE_LABELS.get(objective, objective))
    ax.set_title(f"{result.space.family}: {result.space.describe()}\non {result.accelerator_name}, "
                 f"ranked by {objective}", fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
    return fig
