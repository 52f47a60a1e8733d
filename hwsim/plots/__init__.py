"""Figures for the notebooks: each function takes hwsim results and returns a matplotlib Figure.

The notebooks in ``notebooks/`` hold no logic: they call hwsim's API, these helpers shape the
results into small tables (:func:`stage_table`, :func:`kind_table`) and draw them. Every figure
is built on a :class:`matplotlib.figure.Figure` directly (no pyplot state, nothing shown or kept
alive behind the caller's back) with titled axes and units in the labels.

:func:`save_figure` writes a figure only when the environment variable ``HWSIM_SAVE_FIGURES``
names a folder; that is how ``docs/figures/*.png`` are regenerated from the notebooks.
matplotlib is imported lazily, and the names below are imported from their module when first used,
so ``import hwsim.plots`` is cheap; torch is never imported.

Modules: :mod:`~hwsim.plots.common` (colours, axis labels, :func:`save_figure`),
:mod:`~hwsim.plots.tables` (the DataFrames behind the figures), :mod:`~hwsim.plots.layers`
(per-layer, per-stage and per-kind cycles), :mod:`~hwsim.plots.profile` (the figure of
``hwsim profile --plot``), :mod:`~hwsim.plots.search_objective` (that of ``hwsim search --plot``),
:mod:`~hwsim.plots.search_codesign` (that of a joint search: objective vs chip area),
:mod:`~hwsim.plots.roofline`,
:mod:`~hwsim.plots.design_space` (dataflows by array size, Pareto fronts),
:mod:`~hwsim.plots.global_buffer` (the bottleneck as the global buffer grows),
:mod:`~hwsim.plots.search` (block-allocation search) and :mod:`~hwsim.plots.measured`
(measured host latency beside the models).
"""

from __future__ import annotations

import importlib
from typing import Any

#: Each name this package offers -> the module of hwsim.plots that defines it (imported when first used,
#: so importing one module of the package, e.g. for the CLI's --by choices, loads no other).
_LOCATIONS: dict[str, str] = {
    "COLUMN_LABELS": "common",
    "COMPUTE_COLOR": "common",
    "FIGURES_ENV": "common",
    "KIND_COLORS": "common",
    "STALL_COLOR": "common",
    "UTIL_COLOR": "common",
    "VECTOR_COLOR": "common",
    "column_label": "common",
    "save_figure": "common",
    "plot_dataflow_arrays": "design_space",
    "plot_pareto_fronts": "design_space",
    "plot_bottleneck_shift": "global_buffer",
    "plot_kind_breakdown": "layers",
    "plot_layer_cycles": "layers",
    "plot_stage_breakdown": "layers",
    "plot_measured_vs_predicted": "measured",
    "plot_time_shares": "measured",
    "plot_profile": "profile",
    "plot_roofline": "roofline",
    "plot_block_costs": "search",
    "plot_search_results": "search",
    "plot_area_budgets": "search_codesign",
    "plot_codesign": "search_codesign",
    "BOUNDS": "tables",
    "area_budget_table": "tables",
    "block_labels": "tables",
    "block_table": "tables",
    "bound_table": "tables",
    "conv_kinds": "tables",
    "kind_table": "tables",
    "search_frame": "tables",
    "stage_labels": "tables",
    "stage_table": "tables",
    "global_buffer_label": "tables",
    "time_table": "tables",
}

# COMPUTE_COLOR, STALL_COLOR, UTIL_COLOR and VECTOR_COLOR stay importable from here, as before.
__all__ = [
    "BOUNDS",
    "COLUMN_LABELS",
    "FIGURES_ENV",
    "KIND_COLORS",
    "area_budget_table",
    "block_labels",
    "block_table",
    "bound_table",
    "column_label",
    "conv_kinds",
    "global_buffer_label",
    "kind_table",
    "plot_area_budgets",
    "plot_block_costs",
    "plot_bottleneck_shift",
    "plot_codesign",
    "plot_dataflow_arrays",
    "plot_kind_breakdown",
    "plot_layer_cycles",
    "plot_measured_vs_predicted",
    "plot_pareto_fronts",
    "plot_profile",
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


def __getattr__(name: str) -> Any:
    """``hwsim.plots.<name>`` for the names of :data:`_LOCATIONS`, imported from their module when asked."""
    if name in _LOCATIONS:
        return getattr(importlib.import_module(f"hwsim.plots.{_LOCATIONS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
