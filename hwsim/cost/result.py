"""``SimResult``: per-layer metrics of one network on one accelerator, and the network totals.

The metrics a result holds are the schema's (:data:`hwsim.cost.metrics.HELD`); each is also an
attribute (``result.cycles``). :func:`layer_metrics` gives the ones that come from the layers
themselves and :func:`zero_metrics` zeros of every evaluated one, for predictors that say
nothing about some of them (the host model).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hwsim.cost.area import Area
from hwsim.cost.arrays import KIND_GEMM, LayerArrays
from hwsim.cost.metrics import BY_NAME, HELD, Metric
from hwsim.cost.totals import Totals

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SimResult:
    """Per-layer metrics of one network on one accelerator (arrays over layers), and totals.

    ``metrics`` maps every name of :data:`~hwsim.cost.metrics.HELD` to an array over layers
    (a tuple of str for ``layer``, ``op``, ``dataflow`` and ``bound``); each is also an attribute
    of the same name. Units: cycles of the accelerator clock, bytes, pJ. ``dataflow`` is ``"-"``
    for layers that do not run on the PE array. ``bound`` is ``compute`` or ``memory`` for GEMM
    layers (memory when DRAM transfer time exceeds the stall-free compute time; ``global_buffer``
    when the memory time is mostly the global buffer's), ``vector``/``memory``/``global_buffer``
    for vector-unit ops and ``free`` for ops that cost nothing (reshape, in-place concat, ...). ``clock_mhz`` in MHz; ``pes`` = rows x cols; ``global_buffer_bytes``
    the global buffer's capacity (0: the accelerator has none, docs/MODEL.md §9). ``area``: the
    accelerator's chip area by part, mm² (None for a predictor without hardware: the host model).
    """

    graph_name: str
    accelerator_name: str
    clock_mhz: float
    pes: int
    metrics: Mapping[str, Any]
    unsupported: tuple[tuple[str, int], ...] = ()
    global_buffer_bytes: float = 0.0
    area: Area | None = None

    def __post_init__(self) -> None:
        missing = [n for n in HELD if n not in self.metrics]
        unknown = [n for n in self.metrics if n not in HELD]
        if missing or unknown:
            raise ValueError(f"SimResult metrics: missing {missing}, not in the schema {unknown}")
        lengths = {name: len(self.metrics[name]) for name in HELD}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"SimResult metrics: lengths differ: {lengths}")

    def __len__(self) -> int:
        return len(self.metrics["layer"])

    @property
    def names(self) -> tuple[str, ...]:
        """Layer names (the ``layer`` metric)."""
        return self.metrics["layer"]

    @property
    def ops(self) -> tuple[str, ...]:
        """Layer operations (the ``op`` metric)."""
        return self.metrics["op"]

    # ------------------------------------------------------------------ derived per layer
    @property
    def latency_us(self) -> FloatArray:
        """Per-layer latency in microseconds at the accelerator clock."""
        return self.cycles / self.clock_mhz

    @property
    def arithmetic_intensity(self) -> FloatArray:
        """MACs per DRAM byte (0 where a layer moves no data)."""
        return np.divide(self.macs, self.dram_bytes, out=np.zeros_like(self.dram_bytes), where=self.dram_bytes > 0)

    @property
    def dram_bytes_per_cycle(self) -> FloatArray:
        """DRAM bytes per cycle of each layer, dram_bytes / cycles (0 where a layer takes no cycles):
        the bandwidth it uses on average; with unlimited DRAM bandwidth (no stalls) the bandwidth it
        needs to run at its compute speed (SCALE-Sim's CALC-mode report)."""
        cycles = np.asarray(self.cycles, dtype=np.float64)
        dram = np.asarray(self.dram_bytes, dtype=np.float64)
        return np.divide(dram, cycles, out=np.zeros_like(dram), where=cycles > 0)

    @property
    def levels(self) -> tuple[str, ...]:
        """The optional memory levels the accelerator has (:data:`hwsim.cost.metrics.LEVELS`)."""
        return ("global_buffer",) if self.global_buffer_bytes > 0 else ()

    # ------------------------------------------------------------------ totals
    @property
    def gbuf_peak_bytes(self) -> float:
        """Most bytes the global buffer holds at once, over the layers (0 without one)."""
        occupancy = np.asarray(self.metrics["gbuf_occupancy_bytes"], dtype=np.float64)
        return float(occupancy.max()) if len(occupancy) else 0.0

    @property
    def dram_bytes_per_cycle_peak(self) -> float:
        """The largest :attr:`dram_bytes_per_cycle` over the layers (0 without layers): with unlimited
        DRAM bandwidth, the bandwidth that runs the whole network without a DRAM stall."""
        per_layer = self.dram_bytes_per_cycle
        return float(per_layer.max()) if len(per_layer) else 0.0

    @functools.cached_property
    def totals(self) -> Totals:
        """Sums over the layers (:class:`~hwsim.cost.totals.Totals`)."""
        return Totals.from_layers(self.metrics)

    @property
    def total_cycles(self) -> int:
        return int(self.totals.cycles)

    @property
    def total_macs(self) -> int:
        return int(self.totals.macs)

    @property
    def total_energy_pj(self) -> float:
        return float(self.totals.energy_pj)

    @property
    def total_dram_bytes(self) -> float:
        return float(self.totals.dram_bytes)

    @property
    def latency_ms(self) -> float:
        """End-to-end latency in ms: total cycles / clock (layers run one after another)."""
        return float(self.totals.latency_ms(self.clock_mhz))

    @property
    def area_mm2(self) -> float | None:
        """Chip area of the accelerator, mm² (None without one)."""
        return None if self.area is None else float(self.area.total_mm2)

    @property
    def utilization_total(self) -> float:
        """Network utilization: total MACs / (total cycles x PEs)."""
        return float(self.totals.utilization(self.pes))


def _metric_attribute(metric: Metric) -> property:
    def get(self: SimResult) -> Any:
        return self.metrics[metric.name]

    return property(get, doc=f"{metric.meaning} ({metric.unit}), per layer")


def _add_metric_attributes() -> None:
    """``result.<metric>`` for every held metric (``result.cycles`` is ``result.metrics["cycles"]``)."""
    for name in HELD:
        if hasattr(SimResult, name):
            raise ValueError(f"metric {name!r} would hide SimResult.{name}")
        setattr(SimResult, name, _metric_attribute(BY_NAME[name]))


_add_metric_attributes()


def layer_metrics(la: LayerArrays) -> dict[str, Any]:
    """The held metrics whose source is the layer itself (GEMM dimensions 0 off the PE array)."""
    is_gemm = la.kind == KIND_GEMM
    return {
        "layer": la.names,
        "op": la.ops,
        "macs": la.macs,
        "params": la.params,
        "gemm_m": np.where(is_gemm, la.gemm_m, 0),
        "gemm_k": np.where(is_gemm, la.gemm_k, 0),
        "gemm_n": np.where(is_gemm, la.gemm_n, 0),
        "groups": la.groups,
    }


def zero_metrics(layers: int) -> dict[str, NDArray[Any]]:
    """Zeros (of each metric's dtype) for every held evaluated metric of ``layers`` layers."""
    return {n: np.zeros(layers, dtype=BY_NAME[n].numpy_dtype) for n in HELD if BY_NAME[n].source == "evaluated"}
