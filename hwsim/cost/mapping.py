"""Mapping a GEMM onto an R_a x C_a systolic array: folds, fill/drain, compute cycles, SRAM reads.

Pure numpy, no graphs, no YAML: every function takes arrays of GEMM dimensions (one GEMM =
one group of a layer) and array sizes, and broadcasts, so one call evaluates many layers x
many configurations (shape ``(configs, layers)`` when configs are a column and layers a row).

The cycle model is SCALE-Sim's stall-free model (docs/MODEL.md §2). Each dataflow
(:mod:`hwsim.cost.dataflows`, named by a string here) declares which GEMM dimensions lie on the
rows (Sr) and columns (Sc) and which one streams (T), and the cycles of one fold; then, for
every dataflow, folds = ceil(Sr / R_a) * ceil(Sc / C_a) and the compute cycles of one GEMM are
folds * per_fold - 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hwsim.cost.arrays import IntArray, ceil_div
from hwsim.cost.dataflows import SramReads, get_dataflow


def _ints(*values: ArrayLike) -> tuple[IntArray, ...]:
    return tuple(np.asarray(v, dtype=np.int64) for v in values)


@dataclass(frozen=True)
class Mapping:
    """How a GEMM lies on the array: spatial dims on rows (``sr``) and columns (``sc``), ``t`` streamed.

    All fields are int64 arrays broadcast to a common shape; ``folds = row_folds * col_folds``.
    """

    sr: IntArray
    sc: IntArray
    t: IntArray
    row_folds: IntArray
    col_folds: IntArray
    per_fold_cycles: IntArray

    @property
    def folds(self) -> IntArray:
        return self.row_folds * self.col_folds

    @property
    def cycles(self) -> IntArray:
        """Stall-free cycles of the GEMM: ``folds * per_fold - 1`` (SCALE-Sim's Total - Stall cycles)."""
        return self.folds * self.per_fold_cycles - 1


def spatial_dims(dataflow: str, gemm_m: ArrayLike, gemm_k: ArrayLike, gemm_n: ArrayLike) -> tuple[IntArray, IntArray, IntArray]:
    """(Sr, Sc, T) of the dataflow: which GEMM dimension goes on rows, columns and time."""
    return get_dataflow(dataflow).spatial_dims(*_ints(gemm_m, gemm_k, gemm_n))


def per_fold_cycles(dataflow: str, t: ArrayLike, rows: ArrayLike, cols: ArrayLike) -> IntArray:
    """Cycles one fold takes: fill + stream T + drain (SCALE-Sim's demand lines per fold)."""
    return get_dataflow(dataflow).per_fold_cycles(*_ints(t, rows, cols))


def map_gemm(dataflow: str, gemm_m: ArrayLike, gemm_k: ArrayLike, gemm_n: ArrayLike, rows: ArrayLike, cols: ArrayLike) -> Mapping:
    """Map one GEMM (per group) onto a ``rows x cols`` array with the given dataflow."""
    flow = get_dataflow(dataflow)
    sr, sc, t = flow.spatial_dims(*_ints(gemm_m, gemm_k, gemm_n))
    rows, cols = _ints(rows, cols)
    row_folds = ceil_div(sr, rows)
    col_folds = ceil_div(sc, cols)
    per_fold = flow.per_fold_cycles(t, rows, cols)
    sr, sc, t, row_folds, col_folds, per_fold = np.broadcast_arrays(sr, sc, t, row_folds, col_folds, per_fold)
    return Mapping(sr=sr, sc=sc, t=t, row_folds=row_folds, col_folds=col_folds, per_fold_cycles=per_fold)


def compute_cycles(dataflow: str, gemm_m: ArrayLike, gemm_k: ArrayLike, gemm_n: ArrayLike, rows: ArrayLike, cols: ArrayLike) -> IntArray:
    """Stall-free cycles of ONE GEMM: ``folds * per_fold - 1`` (SCALE-Sim's Total - Stall cycles)."""
    return map_gemm(dataflow, gemm_m, gemm_k, gemm_n, rows, cols).cycles


def mapping_efficiency(mapping: Mapping, rows: ArrayLike, cols: ArrayLike) -> NDArray[np.float64]:
    """Share of the array's PEs holding work, averaged over folds: Sr*Sc / (folds*R_a*C_a)."""
    pes = np.asarray(rows, dtype=np.int64) * np.asarray(cols, dtype=np.int64)
    return (mapping.sr * mapping.sc) / (mapping.folds * pes)


def sram_reads(dataflow: str, gemm_m: ArrayLike, gemm_k: ArrayLike, gemm_n: ArrayLike, rows: ArrayLike, cols: ArrayLike) -> SramReads:
    """Buffer reads of ifmap and filter words and writes of ofmap words for one GEMM (counts per
    dataflow in its module), broadcast to a common shape."""
    reads = get_dataflow(dataflow).sram_reads(*_ints(gemm_m, gemm_k, gemm_n, rows, cols))
    ifmap, filt, ofmap = np.broadcast_arrays(reads.ifmap_reads, reads.filter_reads, reads.ofmap_writes)
    return SramReads(ifmap_reads=ifmap, filter_reads=filt, ofmap_writes=ofmap)
