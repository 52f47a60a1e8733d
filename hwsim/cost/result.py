"""``SimResult``: per-layer metrics of one network on one accelerator, and the network totals."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SimResult:
    """Per-layer metrics of one network on one accelerator (arrays over layers), and totals.

    Units: cycles of the accelerator clock, bytes, pJ. ``dataflow`` is ``"-"`` for layers that
    do not run on the PE array. ``bound`` is ``compute`` or ``memory`` for GEMM layers (memory
    when DRAM transfer time exceeds the stall-free compute time), ``vector``/``memory`` for
    vector-unit ops and ``free`` for ops that cost nothing (reshape, in-place concat, ...).
    """

    graph_name: str
    accelerator_name: str
    clock_mhz: float
    pes: int
    names: tuple[str, ...]
    ops: tuple[str, ...]
    dataflow: tuple[str, ...]
    bound: tuple[str, ...]
    macs: IntArray
    params: IntArray
    gemm_m: IntArray
    gemm_k: IntArray
    gemm_n: IntArray
    groups: IntArray
    folds: IntArray
    mapping_efficiency: FloatArray
    compute_cycles: IntArray
    stall_cycles: IntArray
    cycles: IntArray
    utilization: FloatArray
    sram_read_bytes: FloatArray
    sram_write_bytes: FloatArray
    dram_ifmap_bytes: FloatArray
    dram_filter_bytes: FloatArray
    dram_ofmap_bytes: FloatArray
    dram_psum_read_bytes: FloatArray
    dram_bytes: FloatArray
    compulsory_bytes: FloatArray
    roofline_cycles: FloatArray
    energy_mac_pj: FloatArray
    energy_rf_pj: FloatArray
    energy_sram_pj: FloatArray
    energy_dram_pj: FloatArray
    energy_vector_pj: FloatArray
    energy_leakage_pj: FloatArray
    energy_pj: FloatArray
    unsupported: tuple[tuple[str, int], ...] = ()

    # ------------------------------------------------------------------ derived per layer
    @property
    def latency_us(self) -> FloatArray:
        """Per-layer latency in microseconds at the accelerator clock."""
        return self.cycles / self.clock_mhz

    @property
    def arithmetic_intensity(self) -> FloatArray:
        """MACs per DRAM byte (0 where a layer moves no data)."""
        return np.divide(self.macs, self.dram_bytes, out=np.zeros_like(self.dram_bytes), where=self.dram_bytes > 0)

    # ------------------------------------------------------------------ totals
    @property
    def total_cycles(self) -> int:
        return int(self.cycles.sum())

    @property
    def total_macs(self) -> int:
        return int(self.macs.sum())

    @property
    def total_energy_pj(self) -> float:
        return float(self.energy_pj.sum())

    @property
    def total_dram_bytes(self) -> float:
        return float(self.dram_bytes.sum())

    @property
    def latency_ms(self) -> float:
        """End-to-end latency in ms: total cycles / clock (layers run one after another)."""
        return self.total_cycles / (self.clock_mhz * 1e3)

    @property
    def utilization_total(self) -> float:
        """Network utilization: total MACs / (total cycles x PEs)."""
        return self.total_macs / max(self.total_cycles * self.pes, 1)

    def __len__(self) -> int:
        return len(self.names)
