"""The figure of a joint network x accelerator search (``hwsim search ... --set ... --plot``).

Every (candidate, configuration) pair as its objective (latency in ms, energy in uJ, energy x
latency in uJ x ms, area in mm², or accuracy: what ``--objective`` ranked by) against its
configuration's chip area in mm², the front of the objective against area (the best pair within
each area: what another mm² buys), the family's published networks on their best configuration
(filled) and on the base accelerator (hollow), labelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hwsim.plots.common import _figure
from hwsim.plots.search_objective import OBJECTIVE_LABELS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from hwsim.explore.search.results import SearchResult

__all__ = ["plot_codesign"]

#: Above this many pairs the cloud is drawn as a raster image inside the figure (a vector file
#: with a million points is unusable).
RASTER_POINTS = 20_000


def _value(result: SearchResult, r: object) -> float:
    """The objective as plotted: accuracy as measured (higher is better), the others as ranked."""
    value = r.objective(result.objective)  # type: ignore[attr-defined]
    return -value if result.objective == "accuracy" else value


def plot_codesign(result: SearchResult) -> Figure:
    """Objective vs chip area of every ranked pair, the front of the objective against area,
    the published networks on their best configuration and on the base accelerator."""
    from hwsim.explore.search.results import area_front

    objective, ranked = result.objective, result.ranked
    area = np.array([r.area_mm2 for r in ranked], dtype=np.float64)
    values = np.array([_value(result, r) for r in ranked], dtype=np.float64)
    steps = area_front(ranked, objective)
    fig = _figure(8.0, 5.5)
    ax = fig.subplots()
    ax.scatter(area, values, s=5, color="#9BA3AF", alpha=0.4, linewidths=0, rasterized=len(ranked) > RASTER_POINTS,
               label=f"pairs ({len(ranked):,})")
    ax.plot(area[steps], values[steps], "-o", drawstyle="steps-post", color="#C44E52", markersize=4,
            label=f"best within each area ({len(steps)})")
    for points, filled, where in ((result.versions, True, "on its best configuration"),
                                  (result.on_base, False, f"on {result.accelerator_name}")):
        for k, v in enumerate(points):
            x, y = v.result.area_mm2, _value(result, v.result)
            face = "#4C72B0" if filled else "none"
            ax.scatter([x], [y], s=45, facecolors=face, edgecolors="#4C72B0", linewidths=1.2, zorder=3,
                       label=f"published, {where}" if k == 0 else None)
            ax.annotate(v.label, (x, y), textcoords="offset points", xytext=(5, 5 if filled else -11), fontsize=8,
                        color="#4C72B0")
    ax.set_xlabel("chip area (mm2, docs/MODEL.md §10)")
    ax.set_ylabel(OBJECTIVE_LABELS.get(objective, objective))
    configurations = result.configurations
    swept = configurations.describe_space() if configurations is not None else ""
    ax.set_title(f"{result.space.family}: {result.space.describe()}\non {result.accelerator_name} with {swept}, "
                 f"ranked by {objective}", fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return fig
