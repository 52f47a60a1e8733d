"""SimResult -> pandas DataFrame, terminal table, CSV/JSON (the CLI's figures: :mod:`hwsim.plots`).

Column names are stable and documented in the README ("CSV columns"); units are in the names
(``*_cycles``, ``*_bytes``, ``*_pj``, ``latency_us``). pandas (frames, CSV, JSON) and matplotlib
are imported only by what needs them: the table needs neither.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hwsim.errors import HwsimError
from hwsim.report.formatting import format_number, format_percent, format_si, layer_table
from hwsim.graph.layer_graph import GEMM_OPS
from hwsim.cost.metrics import reported
from hwsim.cost.result import SimResult
from hwsim.graph.coverage import Coverage
from hwsim.report.coverage import coverage_lines, coverage_or_default

if TYPE_CHECKING:
    import pandas as pd

#: Per-layer columns of CSV/JSON output, in order: the schema's reported metrics (:mod:`hwsim.cost.metrics`)
#: of an accelerator without optional memory levels.
LAYER_COLUMNS: tuple[str, ...] = reported()


def layer_columns(result: SimResult) -> tuple[str, ...]:
    """The per-layer columns of ``result``: :data:`LAYER_COLUMNS` plus those of the memory levels
    its accelerator has (the global buffer's, docs/MODEL.md §9)."""
    return reported(result.levels)


def to_frame(result: SimResult) -> pd.DataFrame:
    """One row per layer, columns :func:`layer_columns`."""
    import pandas as pd

    return pd.DataFrame({column: _column(getattr(result, column)) for column in layer_columns(result)})


def _column(values: Any) -> Any:
    return list(values) if isinstance(values, tuple) else values


def lost_cycles(result: SimResult) -> np.ndarray:
    """Cycles each layer loses to low utilization: cycles x (1 - utilization) on the PE array, 0 elsewhere.

    A layer at 20 % utilization over 1,000 cycles loses 800: the array could have done its MACs
    in the other 200. Vector-unit and free layers lose nothing by this measure.
    """
    gemm = np.array([op in GEMM_OPS for op in result.ops], dtype=bool)
    return np.where(gemm, result.cycles * (1.0 - result.utilization), 0.0)


def least_efficient(result: SimResult, count: int) -> list[int]:
    """Indices of the ``count`` PE-array layers that lose the most cycles to low utilization
    (:func:`lost_cycles`; ties: network order), most first."""
    lost = lost_cycles(result)
    gemm = [i for i, op in enumerate(result.ops) if op in GEMM_OPS]
    gemm.sort(key=lambda i: -lost[i])
    return gemm[:count]


def totals(result: SimResult, worst: int = 5, coverage: Coverage | None = None) -> dict[str, Any]:
    """Network totals: cycles, latency, energy, utilization, and where the cycles go.

    With ``coverage`` (:func:`hwsim.graph.coverage.coverage_of` of the graph) ``params`` counts
    every parameter of the model, simulated or not, and a ``coverage`` entry is added when
    anything is left out or parameters sit outside every layer.
    """
    t = result.totals
    total = max(result.total_cycles, 1)
    worst_idx = least_efficient(result, worst)
    cover = coverage_or_default(result, coverage)
    extra = {"coverage": cover.to_dict()} if coverage_lines(cover) else {}
    return {
        "model": result.graph_name,
        "accelerator": result.accelerator_name,
        "layers": len(result),
        "macs": int(t.macs),
        "params": int(cover.total_params),
        "compute_cycles": int(t.compute_cycles),
        "stall_cycles": int(t.stall_cycles),
        "cycles": int(t.cycles),
        "clock_mhz": result.clock_mhz,
        "latency_ms": float(t.latency_ms(result.clock_mhz)),
        "energy_uj": float(t.energy_pj) / 1e6,
        "utilization": float(t.utilization(result.pes)),
        "dram_bytes": float(t.dram_bytes),
        "dram_bytes_per_cycle_peak": result.dram_bytes_per_cycle_peak,
        "dram_bytes_per_cycle_peak_layer": _peak_layer(result),
        "area_mm2": result.area_mm2,
        "non_gemm_cycles": int(sum(c for c, op in zip(result.cycles, result.ops) if op not in GEMM_OPS)),
        "least_efficient_layers": [result.names[i] for i in worst_idx],
        "least_efficient_cycle_share": float(sum(result.cycles[i] for i in worst_idx) / total),
        "unsupported_ops": {op: count for op, count in result.unsupported},
        **extra,
        **_global_buffer_totals(result),
    }


def _peak_layer(result: SimResult) -> str | None:
    """The layer of :attr:`SimResult.dram_bytes_per_cycle_peak` (the first on ties; None without DRAM traffic)."""
    per_layer = result.dram_bytes_per_cycle
    return result.names[int(np.argmax(per_layer))] if len(per_layer) and per_layer.max() > 0 else None


def _global_buffer_totals(result: SimResult) -> dict[str, Any]:
    """The global buffer's totals (none without one): capacity, peak occupancy, bytes, energy."""
    if not result.levels:
        return {}
    t = result.totals
    return {
        "gbuf_bytes_capacity": result.global_buffer_bytes,
        "gbuf_peak_bytes": result.gbuf_peak_bytes,
        "gbuf_read_bytes": float(t.gbuf_read_bytes),
        "gbuf_write_bytes": float(t.gbuf_write_bytes),
        "gbuf_energy_uj": float(t.energy_gbuf_pj) / 1e6,
    }


def top_rows(result: SimResult, top: int | None) -> list[int]:
    """Indices of the layers a table shows: all, or the ``top`` with the most cycles (in network order)."""
    rows = list(range(len(result)))
    if top is None:
        return rows
    keep = set(sorted(rows, key=lambda i: -result.cycles[i])[:top])
    return [i for i in rows if i in keep]


#: Columns of the per-layer table: header and alignment.
TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("layer", "left"),
    ("op", "left"),
    ("df", "left"),
    ("MACs", "right"),
    ("cycles", "right"),
    ("stall", "right"),
    ("util%", "right"),
    ("DRAM B", "right"),
    ("uJ", "right"),
    ("bound", "left"),
)


def table_row(result: SimResult, i: int) -> tuple[str, ...]:
    """The cells of layer ``i`` in the per-layer table (:data:`TABLE_COLUMNS`)."""
    return (
        result.names[i],
        result.ops[i],
        result.dataflow[i],
        format_si(result.macs[i]),
        format_si(result.cycles[i]),
        format_si(result.stall_cycles[i]),
        format_percent(result.utilization[i]) if result.ops[i] in GEMM_OPS else "-",
        format_si(result.dram_bytes[i]),
        format_number(result.energy_pj[i] / 1e6, digits=3),
        result.bound[i],
    )


def format_table(result: SimResult, top: int | None = None, worst: int = 5, width: int = 120,
                 coverage: Coverage | None = None) -> str:
    """The per-layer table and totals block as text (fits ``width`` columns, at least 80).

    ``top`` keeps only the ``top`` layers with the most cycles (in network order). Numbers follow
    :mod:`hwsim.report.formatting`. The totals block starts with the COVERAGE lines
    (:func:`~hwsim.report.coverage.coverage_lines`) when anything is left out.
    """
    rows = [table_row(result, i) for i in top_rows(result, top)]
    title = f"{result.graph_name} on {result.accelerator_name}"
    table = layer_table(title, TABLE_COLUMNS, rows, width)
    return table + "\n" + "\n".join(totals_lines(result, worst, coverage)) + "\n"


def totals_lines(result: SimResult, worst: int = 5, coverage: Coverage | None = None) -> list[str]:
    """The totals block under the per-layer table (a blank line first)."""
    t = totals(result, worst, coverage)
    cycles = max(t["cycles"], 1)
    lines = [
        "",
        f"Totals  {t['model']} on {t['accelerator']} ({t['layers']} layers)",
        *coverage_lines(coverage_or_default(result, coverage)),
        f"  MACs               {t['macs']:,}",
        f"  params             {t['params']:,}",
        f"  cycles             {t['cycles']:,} (compute {t['compute_cycles']:,}, stalls {t['stall_cycles']:,} = "
        f"{format_percent(t['stall_cycles'] / cycles)}%)",
        f"  latency            {format_number(t['latency_ms'])} ms at {format_number(t['clock_mhz'])} MHz",
        f"  energy             {format_number(t['energy_uj'])} uJ",
        f"  utilization        {format_percent(t['utilization'])}% of {result.pes:,} PEs",
        f"  DRAM traffic       {format_number(t['dram_bytes'] / 2**20)} MiB"
        + (f", at most {format_number(t['dram_bytes_per_cycle_peak'])} B/cycle ({t['dram_bytes_per_cycle_peak_layer']})"
           if t["dram_bytes_per_cycle_peak_layer"] else ""),
        *(
            [f"  global buffer      {format_number(t['gbuf_bytes_capacity'] / 2**10)} KiB: peak "
             f"{format_number(t['gbuf_peak_bytes'] / 2**10)} KiB held, "
             f"{format_number((t['gbuf_read_bytes'] + t['gbuf_write_bytes']) / 2**20)} MiB read and written, "
             f"{format_number(t['gbuf_energy_uj'])} uJ"]
            if result.levels else []
        ),
        *_area_lines(result),
        f"  non-GEMM layers    {t['non_gemm_cycles']:,} cycles ({format_percent(t['non_gemm_cycles'] / cycles)}%, "
        "vector unit and their DRAM traffic)",
    ]
    lines += _least_efficient_lines(result, worst)
    return lines


def _area_lines(result: SimResult) -> list[str]:
    """The chip area and its parts (docs/MODEL.md §10); nothing for a result without hardware."""
    a = result.area
    if a is None:
        return []
    parts = [f"PE array {format_number(a.pe_mm2)}", f"operand buffers {format_number(a.buffer_mm2)}"]
    if a.global_buffer_mm2:
        parts.append(f"global buffer {format_number(a.global_buffer_mm2)}")
    return [f"  area               {format_number(a.total_mm2)} mm2 ({', '.join(parts)})"]


def _least_efficient_lines(result: SimResult, worst: int) -> list[str]:
    """The PE-array layers that lose the most cycles to low utilization, and how much."""
    worst_idx = least_efficient(result, worst)
    if not worst_idx:
        return []
    lost = lost_cycles(result)
    cycles = max(result.total_cycles, 1)
    share = float(sum(lost[i] for i in worst_idx)) / cycles
    lines = [
        f"  least efficient    {len(worst_idx)} PE-array layers lose {format_percent(share)}% of all cycles to low "
        "utilization (cycles x (1 - utilization)):",
    ]
    name_width = max(len(result.names[i]) for i in worst_idx)
    for i in worst_idx:
        lines.append(
            f"    {result.names[i]:<{name_width}}  {format_percent(lost[i] / cycles):>5}% of cycles lost "
            f"({format_percent(result.cycles[i] / cycles)}% of cycles at {format_percent(result.utilization[i])}% "
            "utilization)"
        )
    return lines


def to_json(result: SimResult, worst: int = 5, coverage: Coverage | None = None) -> str:
    """``{"totals": {...}, "layers": [{column: value}, ...]}`` with the columns of :func:`layer_columns`."""
    frame = to_frame(result)
    records = json.loads(frame.to_json(orient="records"))
    return json.dumps({"totals": totals(result, worst, coverage), "layers": records}, indent=1)


def to_csv(result: SimResult, coverage: Coverage | None = None) -> str:
    """The per-layer CSV; after the layers, one row per label of left-out ops: ``layer`` =
    ``<label> x<count>``, ``op`` and ``bound`` = ``left_out``, ``macs`` = their MACs (empty when
    unknown), every other column empty."""
    import pandas as pd

    frame = to_frame(result)
    cover = coverage_or_default(result, coverage)
    if cover.complete:
        return frame.to_csv(index=False)
    rows = [
        {**{column: "" for column in layer_columns(result)}, "layer": f"{item.label} x{item.count}", "op": "left_out",
         "dataflow": "-", "macs": "" if item.macs is None else item.macs, "bound": "left_out"}
        for item in cover.left_out
    ]
    left_out = pd.DataFrame(rows, columns=list(layer_columns(result)), dtype=object)
    return pd.concat([frame.astype(object), left_out], ignore_index=True).to_csv(index=False)


def write(result: SimResult, path: str | Path, fmt: str) -> None:
    """Write the per-layer results as ``csv`` or ``json`` (the table as ``table``)."""
    path = Path(path)
    if fmt == "csv":
        path.write_text(to_csv(result))
    elif fmt == "json":
        path.write_text(to_json(result) + "\n")
    elif fmt == "table":
        path.write_text(format_table(result))
    else:
        raise ValueError(f"unknown format {fmt!r}")


def write_figure(fig: Any, path: str | Path, dpi: int = 120) -> None:
    """Save a matplotlib figure and close it; an unwritable path is a one-line HwsimError."""
    import matplotlib.pyplot as plt

    try:
        fig.savefig(path, dpi=dpi)
    except OSError as exc:
        raise HwsimError(f"cannot write {path}: {exc.strerror or exc}") from None
    except ValueError as exc:  # matplotlib: unknown file format
        raise HwsimError(f"cannot write {path}: {exc}; use .png, .pdf or .svg") from None
    finally:
        plt.close(fig)
