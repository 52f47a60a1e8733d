"""The figures of a joint network x accelerator search: :func:`plot_codesign` (that of
``hwsim search ... --set ... --plot``) and :func:`plot_area_budgets`.

Every (candidate, configuration) pair as its objective (latency in ms, energy in uJ, energy x
latency in uJ x ms, area in mm², or accuracy: what ``--objective`` ranked by) against its
configuration's chip area in mm², the front of the objective against area (the best pair within
each area: what another mm² buys), the family's published networks on their best configuration
(filled) and on the base accelerator (hollow), labelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hwsim.plots.common import _figure
from hwsim.plots.search_objective import OBJECTIVE_LABELS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from hwsim.explore.search.results import SearchResult

__all__ = ["plot_area_budgets", "plot_codesign"]

#: Above this many pairs the cloud is drawn as a raster image inside the figure (a vector file
#: with a million points is unusable).
RASTER_POINTS = 20_000


def _mm2(value: float) -> str:
    """An area for a label: 1.6034 -> '1.603 mm2', 1.0 -> '1 mm2'."""
    return f"{value:.3f}".rstrip("0").rstrip(".") + " mm2"


def _value(result: SearchResult, r: object) -> float:
    """The objective as plotted: accuracy as measured (higher is better), the others as ranked."""
    value = r.objective(result.objective)  # type: ignore[attr-defined]
    return -value if result.objective == "accuracy" else value


def plot_codesign(result: SearchResult, budgets_mm2: Sequence[float] = ()) -> Figure:
    """Objective vs chip area of every ranked pair, the front of the objective against area,
    the published networks on their best configuration and on the base accelerator, and area
    budgets (mm²) as dashed vertical lines."""
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
    for budget in budgets_mm2:
        ax.axvline(budget, color="#55A868", linestyle="--", linewidth=1, zorder=1)
        ax.annotate(_mm2(budget), (budget, 1), xycoords=("data", "axes fraction"), xytext=(2, -10),
                    textcoords="offset points", fontsize=7, color="#55A868")
    ax.set_xlabel("chip area (mm2, docs/MODEL.md §10)")
    ax.set_ylabel(OBJECTIVE_LABELS.get(objective, objective))
    configurations = result.configurations
    swept = configurations.describe_space() if configurations is not None else ""
    ax.set_title(f"{result.space.family}: {result.space.describe()}\non {result.accelerator_name} with {swept}, "
                 f"ranked by {objective}", fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return fig


def plot_area_budgets(result: SearchResult, budgets_mm2: Sequence[float]) -> Figure:
    """Speed-up of the best pair within each area budget (mm²) over the family's last published
    network on the base accelerator (:func:`hwsim.plots.tables.area_budget_table`), for any
    number of parameters and within the published network's parameters, bar labels its allocation."""
    from hwsim.plots.tables import area_budget_table

    reference = (result.on_base or result.versions)[-1]
    tables = {"any size": area_budget_table(result, budgets_mm2),
              f"no more params than {reference.label}": area_budget_table(result, budgets_mm2, reference.result.params)}
    fig = _figure(8.0, 4.4)
    ax = fig.subplots()
    x = np.arange(len(budgets_mm2))
    for j, ((label, table), color) in enumerate(zip(tables.items(), ("#4C72B0", "#DD8452"))):
        bars = ax.bar(x - 0.2 + 0.4 * j, table["speedup"].to_numpy(dtype=float), width=0.38, color=color, label=label)
        ax.bar_label(bars, labels=[str(a) if isinstance(a, str) else "" for a in table["allocation"]], fontsize=7,
                     padding=2, rotation=90)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(x, [_mm2(b) for b in budgets_mm2])
    ax.set_xlabel("area budget")
    ax.set_ylabel(f"speed-up over {reference.label} on {result.accelerator_name}")
    ax.set_title(f"{result.space.family}: the best co-designed pair within each area budget, "
                 f"against {reference.label} on {result.accelerator_name} ({reference.result.area_mm2:.3f} mm2)",
                 fontsize=9)
    ax.margins(y=0.25)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, axis="y", alpha=0.3)
    return fig
