"""SimResult -> pandas DataFrame, terminal table, CSV/JSON and a per-layer plot.

Column names are stable and documented in the README ("CSV columns"); units are in the names
(``*_cycles``, ``*_bytes``, ``*_pj``, ``latency_us``). matplotlib is imported lazily.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from hwsim.errors import HwsimError
from hwsim.graph.coverage import Coverage, LeftOut
from hwsim.graph.layer_graph import GEMM_OPS
from hwsim.cost.result import SimResult

#: Per-layer columns of CSV/JSON output, in order (MODELING.md §6).
LAYER_COLUMNS: tuple[str, ...] = (
    "layer",
    "op",
    "dataflow",
    "macs",
    "params",
    "gemm_m",
    "gemm_k",
    "gemm_n",
    "groups",
    "folds",
    "mapping_efficiency",
    "compute_cycles",
    "stall_cycles",
    "cycles",
    "utilization",
    "latency_us",
    "sram_read_bytes",
    "sram_write_bytes",
    "dram_ifmap_bytes",
    "dram_filter_bytes",
    "dram_ofmap_bytes",
    "dram_psum_read_bytes",
    "dram_bytes",
    "compulsory_bytes",
    "arithmetic_intensity",
    "roofline_cycles",
    "bound",
    "energy_mac_pj",
    "energy_rf_pj",
    "energy_sram_pj",
    "energy_dram_pj",
    "energy_vector_pj",
    "energy_leakage_pj",
    "energy_pj",
)


def to_frame(result: SimResult) -> pd.DataFrame:
    """One row per layer, columns :data:`LAYER_COLUMNS`."""
    data: dict[str, Any] = {"layer": list(result.names), "op": list(result.ops), "dataflow": list(result.dataflow), "bound": list(result.bound)}
    for column in LAYER_COLUMNS:
        if column not in data:
            data[column] = getattr(result, column)
    frame = pd.DataFrame(data)
    return frame[list(LAYER_COLUMNS)]


def least_efficient(result: SimResult, count: int) -> list[int]:
    """Indices of the ``count`` PE-array layers with the lowest utilization (ties: more cycles first)."""
    gemm = [i for i, op in enumerate(result.ops) if op in GEMM_OPS]
    gemm.sort(key=lambda i: (result.utilization[i], -result.cycles[i]))
    return gemm[:count]


def coverage_or_default(result: SimResult, coverage: Coverage | None) -> Coverage:
    """``coverage``, or what ``result`` alone tells: its left-out ops with MACs unknown."""
    if coverage is not None:
        return coverage
    return Coverage(
        simulated_macs=result.total_macs,
        left_out=tuple(LeftOut(op, count, None) for op, count in result.unsupported),
        layer_params=int(result.params.sum()),
    )


def coverage_lines(coverage: Coverage) -> list[str]:
    """The lines that start the totals block when anything is left out of the simulation (or
    parameters sit outside every layer); none otherwise."""
    notes = []
    if coverage.left_out_params:
        notes.append(f"{coverage.left_out_params:,} of {coverage.total_params:,} params are in left-out ops")
    if coverage.unused_params:
        notes.append(f"{coverage.unused_params:,} of {coverage.total_params:,} params are unused by the forward pass")
    if coverage.complete and not notes:
        return []
    head = "every op simulated" if coverage.complete else coverage.summary()
    return [f"  COVERAGE           {head}", *(f"{' ' * 21}{note}" for note in notes)]


def totals(result: SimResult, worst: int = 5, coverage: Coverage | None = None) -> dict[str, Any]:
    """Network totals: cycles, latency, energy, utilization, and where the cycles go.

    With ``coverage`` (:func:`hwsim.graph.coverage.coverage_of` of the graph) ``params`` counts
    every parameter of the model, simulated or not, and a ``coverage`` entry is added when
    anything is left out or parameters sit outside every layer.
    """
    total = max(result.total_cycles, 1)
    worst_idx = least_efficient(result, worst)
    cover = coverage_or_default(result, coverage)
    extra = {"coverage": cover.to_dict()} if coverage_lines(cover) else {}
    return {
        "model": result.graph_name,
        "accelerator": result.accelerator_name,
        "layers": len(result),
        "macs": result.total_macs,
        "params": cover.total_params,
        "compute_cycles": int(result.compute_cycles.sum()),
        "stall_cycles": int(result.stall_cycles.sum()),
        "cycles": result.total_cycles,
        "clock_mhz": result.clock_mhz,
        "latency_ms": result.latency_ms,
        "energy_uj": result.total_energy_pj / 1e6,
        "utilization": result.utilization_total,
        "dram_bytes": result.total_dram_bytes,
        "non_gemm_cycles": int(sum(c for c, op in zip(result.cycles, result.ops) if op not in GEMM_OPS)),
        "least_efficient_layers": [result.names[i] for i in worst_idx],
        "least_efficient_cycle_share": float(sum(result.cycles[i] for i in worst_idx) / total),
        "unsupported_ops": {op: count for op, count in result.unsupported},
        **extra,
    }


def _si(value: float) -> str:
    """Compact number: 1234567 -> '1.23M'."""
    if value == 0:
        return "0"
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:.3g}" if value != int(value) else str(int(value))


def _energy_uj(energy_pj: float) -> str:
    """pJ as uJ for the table: 3 significant digits, no scientific notation (8410, 87.8, 0.0489)."""
    uj = energy_pj / 1e6
    return f"{uj:,.0f}" if uj >= 100 else f"{uj:.3g}" if uj >= 0.001 else ("0" if uj == 0 else f"{uj:.1e}")


def format_table(result: SimResult, top: int | None = None, worst: int = 5, width: int = 120,
                 coverage: Coverage | None = None) -> str:
    """The per-layer table and totals block as text (fits ``width`` columns, at least 80).

    ``top`` keeps only the ``top`` layers with the most cycles (in network order). The totals
    block starts with :func:`coverage_lines` when anything is left out.
    """
    from rich.console import Console
    from rich.table import Table

    rows = list(range(len(result)))
    if top is not None:
        keep = set(sorted(rows, key=lambda i: -result.cycles[i])[:top])
        rows = [i for i in rows if i in keep]
    table = Table(title=f"{result.graph_name} on {result.accelerator_name}", title_justify="left", box=None, pad_edge=False)
    for header, justify in (
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
    ):
        table.add_column(header, justify=justify, overflow="fold" if header == "layer" else "ellipsis", no_wrap=header != "layer")
    for i in rows:
        is_gemm = result.ops[i] in GEMM_OPS
        table.add_row(
            result.names[i],
            result.ops[i],
            result.dataflow[i],
            _si(result.macs[i]),
            _si(result.cycles[i]),
            _si(result.stall_cycles[i]),
            f"{100 * result.utilization[i]:.1f}" if is_gemm else "-",
            _si(result.dram_bytes[i]),
            _energy_uj(result.energy_pj[i]),
            result.bound[i],
        )
    console = Console(width=max(80, width), record=True, file=io.StringIO(), color_system=None)
    console.print(table)
    text = "\n".join(line.rstrip() for line in console.export_text().splitlines())
    t = totals(result, worst, coverage)
    stall_share = t["stall_cycles"] / max(t["cycles"], 1)
    lines = [
        "",
        f"Totals  {t['model']} on {t['accelerator']} ({t['layers']} layers)",
        *coverage_lines(coverage_or_default(result, coverage)),
        f"  MACs               {t['macs']:,}",
        f"  params             {t['params']:,}",
        f"  cycles             {t['cycles']:,} (compute {t['compute_cycles']:,}, stalls {t['stall_cycles']:,} = {100 * stall_share:.1f}%)",
        f"  latency            {t['latency_ms']:.3f} ms at {t['clock_mhz']:g} MHz",
        f"  energy             {t['energy_uj']:.1f} uJ",
        f"  utilization        {100 * t['utilization']:.1f}% of {result.pes} PEs",
        f"  DRAM traffic       {t['dram_bytes'] / 2**20:.2f} MiB",
        f"  non-GEMM layers    {t['non_gemm_cycles']:,} cycles ({100 * t['non_gemm_cycles'] / max(t['cycles'], 1):.1f}%, "
        "vector unit and their DRAM traffic)",
        f"  least efficient    {len(t['least_efficient_layers'])} PE-array layers take "
        f"{100 * t['least_efficient_cycle_share']:.1f}% of cycles:",
    ]
    for i in least_efficient(result, worst):
        lines.append(
            f"    {result.names[i]} ({100 * result.utilization[i]:.1f}% utilization, "
            f"{100 * result.cycles[i] / max(t['cycles'], 1):.1f}% of cycles)"
        )
    return text.rstrip() + "\n" + "\n".join(lines) + "\n"


def to_json(result: SimResult, worst: int = 5, coverage: Coverage | None = None) -> str:
    """``{"totals": {...}, "layers": [{column: value}, ...]}`` with the columns of :data:`LAYER_COLUMNS`."""
    frame = to_frame(result)
    records = json.loads(frame.to_json(orient="records"))
    return json.dumps({"totals": totals(result, worst, coverage), "layers": records}, indent=1)


def to_csv(result: SimResult, coverage: Coverage | None = None) -> str:
    """The per-layer CSV; after the layers, one row per label of left-out ops: ``layer`` =
    ``<label> x<count>``, ``op`` and ``bound`` = ``left_out``, ``macs`` = their MACs (empty when
    unknown), every other column empty."""
    frame = to_frame(result)
    cover = coverage_or_default(result, coverage)
    if cover.complete:
        return frame.to_csv(index=False)
    rows = [
        {**{column: "" for column in LAYER_COLUMNS}, "layer": f"{item.label} x{item.count}", "op": "left_out",
         "dataflow": "-", "macs": "" if item.macs is None else item.macs, "bound": "left_out"}
        for item in cover.left_out
    ]
    left_out = pd.DataFrame(rows, columns=list(LAYER_COLUMNS), dtype=object)
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


def plot_layers(result: SimResult, path: str | Path) -> None:
    """Per-layer figure: stacked compute/stall cycles (bars) and utilization (line, right axis)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    idx = [i for i in range(len(result)) if result.cycles[i] > 0]
    x = list(range(len(idx)))
    compute = [result.compute_cycles[i] for i in idx]
    stall = [result.stall_cycles[i] for i in idx]
    util = [100 * result.utilization[i] if result.ops[i] in GEMM_OPS else math.nan for i in idx]
    fig_width = min(max(8.0, 0.16 * len(idx) + 2), 40.0)
    fig, ax = plt.subplots(figsize=(fig_width, 5.0))
    ax.bar(x, compute, color="#4C72B0", label="compute cycles")
    ax.bar(x, stall, bottom=compute, color="#DD8452", label="stall cycles")
    ax.set_ylabel("cycles")
    ax.set_xlabel("layer (network order)")
    ax.set_xticks(x)
    ax.set_xticklabels([result.names[i] for i in idx], rotation=90, fontsize=6)
    ax.set_xlim(-0.6, len(idx) - 0.4)
    ax2 = ax.twinx()
    ax2.plot(x, util, "o", color="#55A868", markersize=3, label="utilization (PE array)")
    ax2.set_ylabel("utilization (%)")
    ax2.set_ylim(0, 105)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper right", fontsize=8)
    ax.set_title(
        f"{result.graph_name} on {result.accelerator_name}: {result.latency_ms:.3f} ms, "
        f"utilization {100 * result.utilization_total:.1f}%"
    )
    fig.tight_layout()
    write_figure(fig, path)
