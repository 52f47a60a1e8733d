"""The per-layer metric schema: every per-layer metric hwsim computes, declared once.

Each :class:`Metric` has a name (the CSV/JSON column and the :class:`~hwsim.cost.result.SimResult`
attribute), a dtype (``int``, ``float``, ``bool``, ``str``), a unit, a one-line meaning and a
source, which says where its value comes from:

- ``layer``: a property of the layer itself (the graph's GEMM view, MACs, parameters);
- ``evaluated``: computed by :func:`hwsim.cost.evaluate.evaluate` for every (configuration, layer);
- ``label``: a name given to evaluated codes (the dataflow a layer uses, what bounds it);
- ``derived``: computed from the other metrics of a result (a ``SimResult`` property).

``reported`` metrics are the columns of a per-layer profile (``hwsim profile --format csv|json``),
in the order of :data:`LAYER_METRICS` (a metric of an optional memory ``level``, such as the
global buffer's, only where the accelerator has that level: :func:`reported`); the others are what ``evaluate`` computes on the way
(the dataflow index, DRAM time, flags). Everything derives from :data:`LAYER_METRICS`:
``evaluate``'s :data:`EVALUATED`, the fields a ``SimResult`` holds (:data:`HELD`), the profile
columns (:data:`REPORTED`), the dtypes of the sweep's per-layer output and the zeros a host
prediction reports. Adding a metric is one line here plus the code computing it (in
``evaluate`` for an evaluated one; ``SimResult`` and ``evaluate`` refuse a metric declared here
and not computed). docs/MODEL.md §6 says how each is computed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from hwsim.cost.energy import COMPONENT_EVENTS, COMPONENT_LEVELS, COMPONENTS

#: Where a metric's value comes from (module docstring).
SOURCES: tuple[str, ...] = ("layer", "evaluated", "label", "derived")
#: Optional memory levels a metric can belong to (docs/MODEL.md §9 for the global buffer).
LEVELS: tuple[str, ...] = ("global_buffer",)
#: A metric's dtype name -> the numpy dtype of its arrays (``str`` metrics are tuples of str).
DTYPES: dict[str, Any] = {"int": np.int64, "float": np.float64, "bool": np.bool_, "str": np.object_}


@dataclass(frozen=True)
class Metric:
    """One per-layer metric (module docstring)."""

    name: str  #: column and attribute name, unit in the name where it has one
    dtype: str  #: ``int``, ``float``, ``bool`` or ``str``
    unit: str  #: ``cycles``, ``bytes``, ``pJ``, ``MACs``, ``us``, ``ratio`` (0..1), ``count``, ``bytes/cycle``, ``-`` (a name or flag)
    meaning: str  #: one line
    source: str  #: ``layer``, ``evaluated``, ``label`` or ``derived``
    reported: bool = True  #: a column of the per-layer profile (and held by SimResult unless derived)
    level: str = ""  #: an optional memory level (:data:`LEVELS`) it belongs to: reported only where it exists

    @property
    def numpy_dtype(self) -> Any:
        return DTYPES[self.dtype]


def _energy(component: str) -> Metric:
    level = COMPONENT_LEVELS.get(component, "")
    return Metric(f"energy_{component}_pj", "float", "pJ", f"energy of {COMPONENT_EVENTS[component]}", "evaluated", level=level)


_GB = "global_buffer"


#: Every per-layer metric; reported ones in profile column order (docs/MODEL.md §6).
LAYER_METRICS: tuple[Metric, ...] = (
    Metric("layer", "str", "-", "qualified module name of the layer", "layer"),
    Metric("op", "str", "-", "operation: conv, linear, pool, global_pool, add, mul, concat, shuffle, reshape, ...", "layer"),
    Metric("dataflow", "str", "-", "dataflow the layer is mapped with (`-` off the PE array)", "label"),
    Metric("dataflow_index", "int", "-", "index of that dataflow in the registry's order (-1 off the PE array)", "evaluated", reported=False),
    Metric("macs", "int", "MACs", "multiply-accumulates (1 MAC = 1 multiply-add)", "layer"),
    Metric("params", "int", "count", "learnable parameters (folded batch-norm included)", "layer"),
    Metric("gemm_m", "int", "count", "rows of the per-group GEMM: output pixels (0 off the PE array)", "layer"),
    Metric("gemm_k", "int", "count", "reduction of the per-group GEMM: window C/g x R x S (0 off the PE array)", "layer"),
    Metric("gemm_n", "int", "count", "columns of the per-group GEMM: filters per group (0 off the PE array)", "layer"),
    Metric("groups", "int", "count", "GEMMs the layer runs one after another (1 off the PE array)", "layer"),
    Metric("folds", "int", "count", "array tiles the layer needs (all groups)", "evaluated"),
    Metric("mapping_efficiency", "float", "ratio", "share of PE slots holding work over the folds", "evaluated"),
    Metric("compute_cycles", "int", "cycles", "stall-free cycles (vector ops: ceil(operations / lanes))", "evaluated"),
    Metric("stall_cycles", "int", "cycles", "cycles the memory adds: cycles - compute_cycles", "evaluated"),
    Metric("cycles", "int", "cycles", "total cycles of the layer", "evaluated"),
    Metric("utilization", "float", "ratio", "macs / (cycles x PEs)", "evaluated"),
    Metric("latency_us", "float", "us", "cycles / clock", "derived"),
    Metric("sram_read_bytes", "float", "bytes", "on-chip buffer reads", "evaluated"),
    Metric("sram_write_bytes", "float", "bytes", "on-chip buffer writes", "evaluated"),
    Metric("dram_ifmap_bytes", "float", "bytes", "ifmap bytes read from DRAM", "evaluated"),
    Metric("dram_filter_bytes", "float", "bytes", "filter bytes read from DRAM", "evaluated"),
    Metric("dram_ofmap_bytes", "float", "bytes", "ofmap bytes written to DRAM (partial sums included)", "evaluated"),
    Metric("dram_psum_read_bytes", "float", "bytes", "partial sums read back from DRAM", "evaluated"),
    Metric("dram_bytes", "float", "bytes", "DRAM traffic in total", "evaluated"),
    Metric("compulsory_bytes", "float", "bytes", "each operand that crosses the DRAM interface, once (a lower bound of dram_bytes)", "evaluated"),
    Metric("gbuf_read_bytes", "float", "bytes", "global-buffer reads", "evaluated", level=_GB),
    Metric("gbuf_write_bytes", "float", "bytes", "global-buffer writes", "evaluated", level=_GB),
    Metric("gbuf_occupancy_bytes", "float", "bytes", "bytes the global buffer holds while the layer runs", "evaluated", level=_GB),
    Metric("gbuf_operands", "str", "-", "what the global buffer serves: ifmap, ifmap(part), ifmap(staged), filter(staged), ofmap, ofmap(staged) or -", "label", level=_GB),
    Metric("gbuf_plan", "int", "-", "gbuf_operands as bits (hwsim.cost.global_buffer.OPERAND_BITS)", "evaluated", reported=False),
    Metric("arithmetic_intensity", "float", "MACs/byte", "macs per DRAM byte", "derived"),
    Metric("dram_bytes_per_cycle", "float", "bytes/cycle", "dram_bytes / cycles: the DRAM bandwidth the layer uses on average "
           "(with unlimited bandwidth, what it needs to run without DRAM stalls)", "derived"),
    Metric("memory_cycles", "float", "cycles", "transfer time on the binding port(s), no overlap credit", "evaluated", reported=False),
    Metric("gbuf_cycles", "float", "cycles", "the global buffer's part of memory_cycles", "evaluated", reported=False),
    Metric("roofline_cycles", "float", "cycles", "max(macs / PEs or vector cycles, DRAM time): a lower bound of cycles", "evaluated"),
    Metric("bound", "str", "-", "what limits the layer: compute, memory (DRAM), global_buffer, vector or free", "label"),
    Metric("memory_bound", "bool", "-", "memory time exceeds the stall-free compute time", "evaluated", reported=False),
    Metric("gbuf_bound", "bool", "-", "memory-bound, and the global buffer takes most of the memory time", "evaluated", reported=False),
    Metric("free", "bool", "-", "the layer costs nothing (a view, an in-place concat, ...)", "evaluated", reported=False),
    *(_energy(c) for c in COMPONENTS),
    Metric("energy_pj", "float", "pJ", "energy in total", "evaluated"),
)


def _check(metrics: tuple[Metric, ...]) -> None:
    names = [m.name for m in metrics]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"metric schema: names declared twice: {', '.join(repeated)}")
    for m in metrics:
        if m.dtype not in DTYPES or m.source not in SOURCES:
            raise ValueError(f"metric {m.name}: dtype {m.dtype!r} / source {m.source!r}: expected one of {tuple(DTYPES)} / {SOURCES}")
        if m.level and m.level not in LEVELS:
            raise ValueError(f"metric {m.name}: level {m.level!r}: expected one of {LEVELS}")


_check(LAYER_METRICS)

#: Metrics by name.
BY_NAME: dict[str, Metric] = {m.name: m for m in LAYER_METRICS}
#: Columns of a per-layer profile, in order, every memory level's included.
REPORTED: tuple[str, ...] = tuple(m.name for m in LAYER_METRICS if m.reported)
#: What a SimResult holds per layer: the reported metrics that are not derived.
HELD: tuple[str, ...] = tuple(m.name for m in LAYER_METRICS if m.reported and m.source != "derived")
#: What evaluate() returns, each a ``(configs, layers)`` array of the metric's dtype.
EVALUATED: tuple[str, ...] = tuple(m.name for m in LAYER_METRICS if m.source == "evaluated")


def reported(levels: Iterable[str] = ()) -> tuple[str, ...]:
    """Columns of a per-layer profile of an accelerator with the optional memory ``levels``
    (:data:`LEVELS`), in order: the metrics of other levels are left out."""
    have = set(levels)
    return tuple(m.name for m in LAYER_METRICS if m.reported and (not m.level or m.level in have))


def select(names: Iterable[str]) -> tuple[Metric, ...]:
    """The metrics called ``names``, in that order; ValueError naming an undeclared one."""
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise ValueError(f"not in the metric schema: {', '.join(unknown)}")
    return tuple(BY_NAME[n] for n in names)
