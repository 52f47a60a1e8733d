"""Figures for the notebooks: each function takes hwsim results and returns a matplotlib Figure.

The notebooks in ``notebooks/`` hold no logic: they call hwsim's API, these helpers shape the
results into small tables (:func:`stage_table`, :func:`kind_table`) and draw them. Every figure
is built on a :class:`matplotlib.figure.Figure` directly (no pyplot state, nothing shown or kept
alive behind the caller's back) with titled axes and units in the labels.

:func:`save_figure` writes a figure only when the environment variable ``HWSIM_SAVE_FIGURES``
names a folder; that is how ``docs/figures/*.png`` are regenerated from the notebooks.
matplotlib is imported lazily, so ``import hwsim.plots`` is cheap; torch is never imported.

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

from hwsim.plots.common import (
    COLUMN_LABELS,
    COMPUTE_COLOR,
    FIGURES_ENV,
    KIND_COLORS,
    STALL_COLOR,
    UTIL_COLOR,
    VECTOR_COLOR,
    column_label,
    save_figure,
)
from hwsim.plots.design_space import plot_dataflow_arrays, plot_pareto_fronts
from hwsim.plots.global_buffer import plot_bottleneck_shift
from hwsim.plots.layers import plot_kind_breakdown, plot_layer_cycles, plot_stage_breakdown
from hwsim.plots.measured import plot_measured_vs_predicted, plot_time_shares
from hwsim.plots.profile import plot_profile
from hwsim.plots.roofline import plot_roofline
from hwsim.plots.search import plot_block_costs, plot_search_results
from hwsim.plots.search_codesign import plot_area_budgets, plot_codesign
from hwsim.plots.tables import (
    BOUNDS,
    area_budget_table,
    block_labels,
    block_table,
    bound_table,
    conv_kinds,
    kind_table,
    search_frame,
    stage_labels,
    stage_table,
    global_buffer_label,
    time_table,
)

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
