"""Shared pieces of the notebook figures: colours, axis labels, figure and axis helpers, saving.

Every figure is a :class:`matplotlib.figure.Figure` built directly (no pyplot state); matplotlib is
imported lazily inside the helpers, so importing this module is cheap.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwsim.report.formatting import format_si as _si

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


#: Environment variable naming the folder :func:`save_figure` writes PNGs into (unset: no file).
FIGURES_ENV = "HWSIM_SAVE_FIGURES"


#: Colours of the cycle components, shared by every figure.
COMPUTE_COLOR = "#4C72B0"
VECTOR_COLOR = "#8C8C8C"
STALL_COLOR = "#DD8452"
UTIL_COLOR = "#2CA02C"
#: Colours of layer kinds (:func:`conv_kinds`).
KIND_COLORS: Mapping[str, str] = {
    "conv": "#4C72B0",
    "pointwise": "#55A868",
    "depthwise": "#C44E52",
    "grouped": "#8172B2",
    "linear": "#CCB974",
    "matmul": "#DA8BC3",
    "vector": "#8C8C8C",
}
_SERIES_COLORS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B2", "#937860", "#DA8BC3", "#8C8C8C")


#: Axis labels (with units) of sweep columns; other columns are labelled by their name.
COLUMN_LABELS: Mapping[str, str] = {
    "latency_ms": "latency (ms)",
    "energy_uj": "energy (uJ)",
    "cycles": "cycles",
    "utilization": "utilization (MACs / (cycles x PEs))",
    "area_pes": "area proxy: PEs (rows x cols)",
    "area_buffer_kib": "area proxy: on-chip buffers (KiB)",
    "area_mm2": "chip area (mm2)",
    "dram_bytes": "DRAM traffic (bytes)",
    "macs": "MACs",
    "params": "parameters",
    "array.rows": "array rows (PEs)",
    "array.cols": "array columns (PEs)",
    "dram.bandwidth_bytes_per_cycle": "DRAM bandwidth (bytes/cycle)",
    "buffers.ifmap_kib": "ifmap buffer (KiB)",
    "buffers.filter_kib": "filter buffer (KiB)",
    "buffers.ofmap_kib": "ofmap buffer (KiB)",
}


def column_label(column: str) -> str:
    """Axis label with units for a sweep column (:data:`COLUMN_LABELS`, else the name)."""
    return COLUMN_LABELS.get(column, column)


def _figure(width_in: float, height_in: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in), layout="constrained")


def _panels(count: int, width_in: float = 4.2, height_in: float = 4.2) -> tuple[Figure, list[Axes]]:
    fig = _figure(width_in * count + 0.6, height_in)
    axes = fig.subplots(1, count, squeeze=False)[0]
    return fig, list(axes)


def _check_columns(where: str, frame: pd.DataFrame, columns: Sequence[str | None]) -> None:
    missing = sorted({c for c in columns if c is not None} - set(frame.columns))
    if missing:
        raise ValueError(f"{where}: frame lacks columns {missing}")


def save_figure(fig: Figure, name: str, dpi: int = 100) -> Path | None:
    """Write ``fig`` as ``<$HWSIM_SAVE_FIGURES>/<name>.png`` when that variable is set; else nothing.

    Returns the path written, or None. The folder is created if missing.
    """
    folder = os.environ.get(FIGURES_ENV)
    if not folder:
        return None
    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path


def _si_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _pos: _si(value) if value else "0")


def _plain_log_axis(axis: Any, subs: tuple[float, ...] = (1.0, 2.0, 5.0)) -> None:
    """Ticks at ``subs`` x 10^n labelled as plain numbers (0.5, 2, 10, 200) on a log axis."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())
