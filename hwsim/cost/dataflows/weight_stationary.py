"""Weight stationary (WS): weights stay in the PEs while the inputs stream past them.

- mapping: Sr = gemm_k on the rows, Sc = gemm_n on the columns, T = gemm_m streams;
- one fold: 2 R_a + C_a + T - 2 cycles (load the weights, stream, drain);
- SRAM words: ifmap M*K*ceil(N/C_a) (re-read per column fold), filter K*N (loaded once),
  ofmap writes M*N*ceil(K/R_a) (a partial sum per K-fold);
- DRAM: the ifmap is seen again by every column fold (ceil(N/C_a) passes), the filter once;
  partial sums leave the array (docs/MODEL.md §3).
"""

from __future__ import annotations

import numpy as np

from hwsim.cost.arrays import ceil_div
from hwsim.cost.dataflows.registry import Dataflow, FloatArray, IntArray, SramReads


def spatial_dims(m: IntArray, k: IntArray, n: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    return k, n, m


def per_fold_cycles(t: IntArray, rows: IntArray, cols: IntArray) -> IntArray:
    return 2 * rows + cols + t - 2


def sram_reads(m: IntArray, k: IntArray, n: IntArray, rows: IntArray, cols: IntArray) -> SramReads:
    return SramReads(ifmap_reads=m * k * ceil_div(n, cols), filter_reads=k * n, ofmap_writes=m * n * ceil_div(k, rows))


def dram_passes(row_folds: FloatArray, col_folds: FloatArray) -> tuple[FloatArray, FloatArray]:
    return col_folds, np.ones_like(col_folds)


DATAFLOW = Dataflow(
    name="ws",
    title="weight stationary",
    spatial_dims=spatial_dims,
    per_fold_cycles=per_fold_cycles,
    sram_reads=sram_reads,
    dram_passes=dram_passes,
    partial_sums_in_pes=False,
)
