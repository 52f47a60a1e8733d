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
from hwsim.graph.layer_graph import GEMM_OPS
from hwsim.cost.metrics import reported
from hwsim.cost.result import SimResult

#: Per-layer columns of CSV/JSON output, in order: the schema's reported metrics (:mod:`hwsim.cost.metrics`)
#: of an accelerator without optional memory levels.
LAYER_COLUMNS: tuple[str, ...] = reported()


def layer_columns(result: SimResult) -> tuple[str, ...]:
    """The per-layer columns of ``result``: :data:`LAYER_COLUMNS` plus those of the memory levels
    its accelerator has (the global buffer's, docs/MODEL.md §9)."""
    return reported(result.levels)


def to_frame(result: SimResult) -> pd.DataFrame:
    """One row per layer, columns :func:`layer_columns`."""
    return pd.DataFrame({column: _column(getattr(result, column)) for column in layer_columns(result)})


def _column(values: Any) -> Any:
    return list(values) if isinstance(values, tuple) else values


def least_efficient(result: SimResult, count: int) -> list[int]:
    """Indices of the ``count`` PE-array layers with the lowest utilization (ties: more cycles first)."""
    gemm = [i for i, op in enumerate(result.ops) if op in GEMM_OPS]
    gemm.sort(key=lambda i: (result.utilization[i], -result.cycles[i]))
    return gemm[:count]


def totals(result: SimResult, worst: int = 5) -> dict[str, Any]:
    """Network totals: cycles, latency, energy, utilization, and where the cycles go."""
    t = result.totals
    total = max(result.total_cycles, 1)
    worst_idx = least_efficient(result, worst)
    return {
        "model": result.graph_name,
        "accelerator": result.accelerator_name,
        "layers": len(result),
        "macs": int(t.macs),
        "params": int(t.params),
        "compute_cycles": int(t.compute_cycles),
        "stall_cycles": int(t.stall_cycles),
        "cycles": int(t.cycles),
        "clock_mhz": result.clock_mhz,
        "latency_ms": float(t.latency_ms(result.clock_mhz)),
        "energy_uj": float(t.energy_pj) / 1e6,
        "utilization": float(t.utilization(result.pes)),
        "dram_bytes": float(t.dram_bytes),
        "non_gemm_cycles": int(sum(c for c, op in zip(result.cycles, result.ops) if op not in GEMM_OPS)),
        "least_efficient_layers": [result.names[i] for i in worst_idx],
        "least_efficient_cycle_share": float(sum(result.cycles[i] for i in worst_idx) / total),
        "unsupported_ops": {op: count for op, count in result.unsupported},
        **_global_buffer_totals(result),
    }


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


def format_table(result: SimResult, top: int | None = None, worst: int = 5, width: int = 120) -> str:
    """The per-layer table and totals block as text (fits ``width`` columns, at least 80).

    ``top`` keeps only the ``top`` layers with the most cycles (in network order).
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
    t = totals(result, worst)
    stall_share = t["stall_cycles"] / max(t["cycles"], 1)
    lines = [
        "",
        f"Totals  {t['model']} on {t['accelerator']} ({t['layers']} layers)",
        f"  MACs               {t['macs']:,}",
        f"  params             {t['params']:,}",
        f"  cycles             {t['cycles']:,} (compute {t['compute_cycles']:,}, stalls {t['stall_cycles']:,} = {100 * stall_share:.1f}%)",
        f"  latency            {t['latency_ms']:.3f} ms at {t['clock_mhz']:g} MHz",
        f"  energy             {t['energy_uj']:.1f} uJ",
        f"  utilization        {100 * t['utilization']:.1f}% of {result.pes} PEs",
        f"  DRAM traffic       {t['dram_bytes'] / 2**20:.2f} MiB",
        *(
            [f"  global buffer      {t['gbuf_bytes_capacity'] / 2**10:g} KiB: peak {t['gbuf_peak_bytes'] / 2**10:.1f} KiB held, "
             f"{(t['gbuf_read_bytes'] + t['gbuf_write_bytes']) / 2**20:.2f} MiB read and written, {t['gbuf_energy_uj']:.1f} uJ"]
            if result.levels else []
        ),
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
    if t["unsupported_ops"]:
        left = ", ".join(f"{op} x{n}" for op, n in t["unsupported_ops"].items())
        lines.append(f"  NOT SIMULATED      unsupported ops left out: {left}")
    return text.rstrip() + "\n" + "\n".join(lines) + "\n"


def to_json(result: SimResult, worst: int = 5) -> str:
    """``{"totals": {...}, "layers": [{column: value}, ...]}`` with the columns of :func:`layer_columns`."""
    frame = to_frame(result)
    records = json.loads(frame.to_json(orient="records"))
    return json.dumps({"totals": totals(result, worst), "layers": records}, indent=1)


def write(result: SimResult, path: str | Path, fmt: str) -> None:
    """Write the per-layer results as ``csv`` or ``json`` (the table as ``table``)."""
    path = Path(path)
    if fmt == "csv":
        to_frame(result).to_csv(path, index=False)
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
