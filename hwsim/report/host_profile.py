"""The terminal table and totals of a host-model profile (``hwsim profile MODEL --accel host.yaml``).

A host model (``kind: host``, written by ``hwsim calibrate``) predicts a CPU's time per layer as
overhead + compute + memory terms and hands the prediction over as a
:class:`~hwsim.cost.result.SimResult` with a 1000 MHz "clock" (a cycle is a nanosecond), no energy
and no PE array. Accelerator words (cycles, PEs, uJ, stalls) mean nothing for a CPU, so this table
speaks in microseconds and milliseconds, shows each layer's host kind, and totals the predicted
latency by kind with the share of the per-layer overhead. What the host model does not know
(:class:`HostTerms`: kinds and the overhead term) comes from the caller, who built the prediction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwsim.cost.result import SimResult
from hwsim.graph.layer_graph import GEMM_OPS
from hwsim.report.formatting import format_number, format_percent, format_si, layer_table, text_table
from hwsim.report.profile import top_rows

__all__ = ["HostTerms", "format_host_table", "kind_records"]

#: Columns of the per-layer host table: header and alignment.
HOST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("layer", "left"),
    ("kind", "left"),
    ("MACs", "right"),
    ("time us", "right"),
    ("memory us", "right"),
    ("% of peak", "right"),
    ("bytes", "right"),
    ("bound", "left"),
)


@dataclass(frozen=True)
class HostTerms:
    """What a host prediction knows beyond its SimResult, arrays over layers.

    ``kinds``: each layer's host kind (conv, conv1x1, depthwise, grouped, linear, pool, vector,
    reshape); ``overhead_ns``: the fixed per-layer term of the prediction in nanoseconds (the
    SimResult's ``compute_cycles`` hold overhead + compute, its ``stall_cycles`` the memory term).
    """

    kinds: tuple[str, ...]
    overhead_ns: np.ndarray

    def check(self, result: SimResult) -> None:
        """Raise ValueError unless the terms have one entry per layer of ``result``."""
        if len(self.kinds) != len(result) or len(self.overhead_ns) != len(result):
            raise ValueError(f"host terms of {len(self.kinds)} layers for a result of {len(result)} layers")


def kind_records(result: SimResult, terms: HostTerms) -> list[dict[str, object]]:
    """Predicted time per host kind (in order of first appearance): layers, time in ms, share of
    the total, and the overhead term's time in ms."""
    terms.check(result)
    total = max(float(result.cycles.sum()), 1.0)
    records = []
    for kind in dict.fromkeys(terms.kinds):
        mask = np.array([k == kind for k in terms.kinds], dtype=bool)
        ns = float(result.cycles[mask].sum())
        records.append({
            "kind": kind,
            "layers": int(mask.sum()),
            "time_ms": ns / 1e6,
            "share_%": round(100 * ns / total, 1),
            "overhead_ms": float(terms.overhead_ns[mask].sum()) / 1e6,
        })
    return records


def _totals_lines(result: SimResult, terms: HostTerms, slowest: int) -> list[str]:
    total_ns = max(float(result.cycles.sum()), 1.0)
    overhead_ns = float(terms.overhead_ns.sum())
    memory_ns = float(result.stall_cycles.sum())
    compute_ns = float(result.compute_cycles.sum()) - overhead_ns
    macs = result.total_macs
    achieved = macs / total_ns  # MACs per ns = GMAC/s
    lines = [
        "",
        f"Totals  {result.graph_name} on {result.accelerator_name} (host model: predicted time, {len(result)} layers)",
        f"  MACs               {macs:,}",
        f"  params             {int(result.params.sum()):,}",
        f"  predicted latency  {format_number(result.latency_ms)} ms (the layers one after another)",
        f"  overhead           {format_number(overhead_ns / 1e6)} ms = {format_percent(overhead_ns / total_ns)}% "
        f"(a fixed cost per layer: dispatch, operator selection; {len(result)} layers)",
        f"  compute            {format_number(compute_ns / 1e6)} ms = {format_percent(compute_ns / total_ns)}% "
        "(work / peak rate of each kind)",
        f"  memory             {format_number(memory_ns / 1e6)} ms = {format_percent(memory_ns / total_ns)}% "
        "(compulsory bytes / bandwidth)",
        f"  throughput         {format_number(achieved)} GMAC/s = {format_percent(result.utilization_total)}% of the "
        f"dense-conv peak ({result.pes:,} GMAC/s)",
        "  by kind",
    ]
    lines += ["    " + line for line in text_table(kind_records(result, terms)).splitlines()]
    order = sorted(range(len(result)), key=lambda i: -result.cycles[i])[:slowest]
    if order:
        share = float(result.cycles[order].sum()) / total_ns
        lines.append(f"  slowest            {len(order)} layers take {format_percent(share)}% of the time:")
        width = max(len(result.names[i]) for i in order)
        for i in order:
            lines.append(f"    {result.names[i]:<{width}}  {format_number(result.latency_us[i])} us = "
                         f"{format_percent(result.cycles[i] / total_ns)}% ({terms.kinds[i]}, {result.bound[i]} bound)")
    if result.unsupported:
        left = ", ".join(f"{op} x{n}" for op, n in result.unsupported)
        lines.append(f"  NOT PREDICTED      unsupported ops left out: {left}")
    return lines


def format_host_table(result: SimResult, terms: HostTerms, top: int | None = None, slowest: int = 5,
                      width: int = 120) -> str:
    """The per-layer table and totals of a host-model prediction as text (fits ``width`` columns, at least 80).

    ``top`` keeps only the ``top`` slowest layers (in network order); the totals list the
    ``slowest`` layers.
    """
    terms.check(result)
    rows = []
    for i in top_rows(result, top):
        rows.append((
            result.names[i],
            terms.kinds[i],
            format_si(result.macs[i]),
            format_number(result.latency_us[i]),
            format_number(result.stall_cycles[i] / 1e3),
            format_percent(result.utilization[i]) if result.ops[i] in GEMM_OPS else "-",
            format_si(result.dram_bytes[i]),
            result.bound[i],
        ))
    table = layer_table(f"{result.graph_name} on {result.accelerator_name} (host model)", HOST_COLUMNS, rows, width)
    return table + "\n" + "\n".join(_totals_lines(result, terms, slowest)) + "\n"
