"""Input stationary (IS): inputs stay in the PEs while the weights stream past them.

- mapping: Sr = gemm_k on the rows, Sc = gemm_m on the columns, T = gemm_n streams;
- one fold: 2 R_a + C_a + T - 2 cycles (load the inputs, stream, drain);
- SRAM words: ifmap K*M (loaded once), filter K*N*ceil(M/C_a) (re-read per column fold),
  ofmap writes M*N*ceil(K/R_a) (a partial sum per K-fold);
- DRAM: the ifmap once, the filter is seen again by every column fold (ceil(M/C_a) passes);
  partial sums leave the array (docs/MODEL.md §3).
"""

from __future__ import annotations

import numpy as np

from hwsim.cost.arrays import ceil_div
from hwsim.cost.dataflows.registry import Dataflow, FloatArray, IntArray, SramReads


def spatial_dims(m: IntArray, k: IntArray, n: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    return k, m, n


def per_fold_cycles(t: IntArray, rows: IntArray, cols: IntArray) -> IntArray:
    return 2 * rows + cols + t - 2


def sram_reads(m: IntArray, k: IntArray, n: IntArray, rows: IntArray, cols: IntArray) -> SramReads:
    return SramReads(ifmap_reads=k * m, filter_reads=k * n * ceil_div(m, cols), ofmap_writes=m * n * ceil_div(k, rows))


def dram_passes(row_folds: FloatArray, col_folds: FloatArray) -> tuple[FloatArray, FloatArray]:
    return np.ones_like(col_folds), col_folds


DATAFLOW = Dataflow(
    name="is",
    title="input stationary",
    spatial_dims=spatial_dims,
    per_fold_cycles=per_fold_cycles,
    sram_reads=sram_reads,
    dram_passes=dram_passes,
    partial_sums_in_pes=False,
)
