"""How a global buffer moves a network's bottleneck (docs/MODEL.md §9): cycles by what bounds each layer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hwsim.plots.common import COMPUTE_COLOR, STALL_COLOR, UTIL_COLOR, VECTOR_COLOR, _figure, _si_formatter
from hwsim.plots.tables import BOUNDS, bound_table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from hwsim.cost.result import SimResult

#: Colour and legend text of each bound (free layers take no cycles).
_BOUND_STYLE = {
    "compute": (COMPUTE_COLOR, "PE-array bound (mapping, fill and drain)"),
    "vector": (VECTOR_COLOR, "vector-unit bound"),
    "global_buffer": ("#8172B2", "global-buffer bound"),
    "memory": (STALL_COLOR, "DRAM bound"),
}


def plot_bottleneck_shift(results: Sequence[SimResult]) -> Figure:
    """One panel per network: for each global buffer (results in the order given), its cycles split
    by what bounds each layer (stacked bars) and the network's utilization (dots, right axis)."""
    if not results:
        raise ValueError("plot_bottleneck_shift: expected at least one SimResult")
    table = bound_table(results)
    models = list(dict.fromkeys(table["model"]))
    fig = _figure(4.2 * len(models) + 0.8, 4.2)
    axes = fig.subplots(1, len(models), squeeze=False)[0]
    handles: list = []
    for k, (ax, model) in enumerate(zip(axes, models)):
        rows = table[table["model"] == model]
        x = np.arange(len(rows))
        bottom = np.zeros(len(rows))
        for bound in BOUNDS:
            if bound == "free":
                continue
            color, label = _BOUND_STYLE[bound]
            height = rows[f"{bound}_share"].to_numpy() * rows["cycles"].to_numpy()
            ax.bar(x, height, bottom=bottom, width=0.7, color=color, label=label)
            bottom += height
        ax.set_xticks(x)
        ax.set_xticklabels(rows["global_buffer"])
        ax.set_xlabel("global buffer")
        ax.set_ylabel("cycles" if k == 0 else "")
        ax.yaxis.set_major_formatter(_si_formatter())
        ax.set_title(model, fontsize=10)
        twin = ax.twinx()
        twin.plot(x, 100 * rows["utilization"].to_numpy(), "o-", color=UTIL_COLOR, label="utilization (right axis)")
        twin.set_ylim(0, 100)
        twin.set_ylabel("utilization (%)" if k == len(models) - 1 else "")
        if k == 0:
            handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.suptitle(f"Cycles by what bounds each layer on {results[0].accelerator_name}, as the global buffer grows", fontsize=11)
    return fig
