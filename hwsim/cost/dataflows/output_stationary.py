"""Output stationary (OS): each PE accumulates one output while inputs and weights stream through.

- mapping: Sr = gemm_m on the rows, Sc = gemm_n on the columns, T = gemm_k streams;
- one fold: T + R_a + C_a - 2 cycles;
- SRAM words: ifmap M*K*ceil(N/C_a) (re-read per column fold), filter K*N*ceil(M/R_a) (re-read
  per row fold), ofmap writes M*N (outputs leave the array once, complete);
- DRAM: the ifmap is seen again by every column fold (ceil(N/C_a) passes), the filter by every
  row fold (ceil(M/R_a)); partial sums stay in the PEs (docs/MODEL.md §3).
"""

from __future__ import annotations

from hwsim.cost.arrays import ceil_div
from hwsim.cost.dataflows.registry import Dataflow, FloatArray, IntArray, SramReads


def spatial_dims(m: IntArray, k: IntArray, n: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    return m, n, k


def per_fold_cycles(t: IntArray, rows: IntArray, cols: IntArray) -> IntArray:
    return t + rows + cols - 2


def sram_reads(m: IntArray, k: IntArray, n: IntArray, rows: IntArray, cols: IntArray) -> SramReads:
    return SramReads(ifmap_reads=m * k * ceil_div(n, cols), filter_reads=k * n * ceil_div(m, rows), ofmap_writes=m * n)


def dram_passes(row_folds: FloatArray, col_folds: FloatArray) -> tuple[FloatArray, FloatArray]:
    return col_folds, row_folds


DATAFLOW = Dataflow(
    name="os",
    title="output stationary",
    spatial_dims=spatial_dims,
    per_fold_cycles=per_fold_cycles,
    sram_reads=sram_reads,
    dram_passes=dram_passes,
    partial_sums_in_pes=True,
)
