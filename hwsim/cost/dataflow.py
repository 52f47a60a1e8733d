"""Mapping a GEMM onto an R_a x C_a systolic array: folds, fill/drain, compute cycles, SRAM reads.

Pure numpy, no graphs, no YAML: every function takes arrays of GEMM dimensions (one GEMM =
one group of a layer) and array sizes, and broadcasts, so one call evaluates many layers x
many configurations (shape ``(configs, layers)`` when configs are a column and layers a row).

The cycle model is SCALE-Sim's stall-free model (MODELING.md §2, SCALESIM.md):

======  ========  ========  ========  ==================
flow    Sr (rows) Sc (cols) T         cycles per fold
======  ========  ========  ========  ==================
os      gemm_m    gemm_n    gemm_k    T + R_a + C_a - 2
ws      gemm_k    gemm_n    gemm_m    2 R_a + C_a + T - 2
is      gemm_k    gemm_m    gemm_n    2 R_a + C_a + T - 2
======  ========  ========  ========  ==================

folds = ceil(Sr / R_a) * ceil(Sc / C_a); compute cycles of one GEMM = folds * per_fold - 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: The three dataflows, in the order used to break ties in ``best`` (after energy).
DATAFLOWS: tuple[str, ...] = ("ws", "os", "is")

IntArray = NDArray[np.int64]


def ceil_div(a: ArrayLike, b: ArrayLike) -> IntArray:
    """Integer ceil(a / b) for non-negative integer arrays."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    return -(-a // b)


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
    m = np.asarray(gemm_m, dtype=np.int64)
    k = np.asarray(gemm_k, dtype=np.int64)
    n = np.asarray(gemm_n, dtype=np.int64)
    if dataflow == "os":
        return m, n, k
    if dataflow == "ws":
        return k, n, m
    if dataflow == "is":
        return k, m, n
    raise ValueError(f"unknown dataflow {dataflow!r}; expected one of {DATAFLOWS}")


def per_fold_cycles(dataflow: str, t: ArrayLike, rows: ArrayLike, cols: ArrayLike) -> IntArray:
    """Cycles one fold takes: fill + stream T + drain (SCALE-Sim's demand lines per fold)."""
    t = np.asarray(t, dtype=np.int64)
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if dataflow == "os":
        return t + rows + cols - 2
    if dataflow in ("ws", "is"):
        return 2 * rows + cols + t - 2
    raise ValueError(f"unknown dataflow {dataflow!r}; expected one of {DATAFLOWS}")


def map_gemm(dataflow: str, gemm_m: ArrayLike, gemm_k: ArrayLike, gemm_n: ArrayLike, rows: ArrayLike, cols: ArrayLike) -> Mapping:
    """Map one GEMM (per group) onto a ``rows x cols`` array with the given dataflow."""
    sr, sc, t = spatial_dims(dataflow, gemm_m, gemm_k, gemm_n)
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    row_folds = ceil_div(sr, rows)
    col_folds = ceil_div(sc, cols)
    per_fold = per_fold_cycles(dataflow, t, rows, cols)
    sr, sc, t, row_folds, col_folds, per_fold = np.broadcast_arrays(sr, sc, t, row_folds, col_folds, per_fold)
    return Mapping(sr=sr, sc=sc, t=t, row_folds=row_folds, col_folds=col_folds, per_fold_cycles=per_fold)


def compute_cycles(dataflow: str, gemm_m: ArrayLike, gemm_k: ArrayLike, gemm_n: ArrayLike, rows: ArrayLike, cols: ArrayLike) -> IntArray:
    """Stall-free cycles of ONE GEMM: ``folds * per_fold - 1`` (SCALE-Sim's Total - Stall cycles)."""
    return map_gemm(dataflow, gemm_m, gemm_k, gemm_n, rows, cols).cycles


def mapping_efficiency(mapping: Mapping, rows: ArrayLike, cols: ArrayLike) -> NDArray[np.float64]:
    """Share of the array's PEs holding work, averaged over folds: Sr*Sc / (folds*R_a*C_a)."""
    pes = np.asarray(rows, dtype=np.int64) * np.asarray(cols, dtype=np.int64)
    return (mapping.sr * mapping.sc) / (mapping.folds * pes)


@dataclass(frozen=True)
class SramReads:
    """On-chip buffer accesses of one GEMM in words (SCALE-Sim's counts; MODELING.md §5).

    ``ofmap_writes`` counts one write per partial sum leaving the array: WS and IS emit a
    partial sum per K-fold (``M*N*ceil(K/R_a)``), OS accumulates inside the PEs (``M*N``).
    """

    ifmap_reads: IntArray
    filter_reads: IntArray
    ofmap_writes: IntArray


def sram_reads(dataflow: str, gemm_m: ArrayLike, gemm_k: ArrayLike, gemm_n: ArrayLike, rows: ArrayLike, cols: ArrayLike) -> SramReads:
    """Buffer reads of ifmap and filter words and writes of ofmap words for one GEMM.

    - OS: ifmap ``M*K*ceil(N/C_a)`` (re-read per column fold), filter ``K*N*ceil(M/R_a)``, ofmap ``M*N``
    - WS: ifmap ``M*K*ceil(N/C_a)``, filter ``K*N`` (loaded once, stationary), ofmap ``M*N*ceil(K/R_a)``
    - IS: ifmap ``K*M`` (stationary), filter ``K*N*ceil(M/C_a)``, ofmap ``M*N*ceil(K/R_a)``
    """
    m = np.asarray(gemm_m, dtype=np.int64)
    k = np.asarray(gemm_k, dtype=np.int64)
    n = np.asarray(gemm_n, dtype=np.int64)
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if dataflow == "os":
        ifmap, filt, ofmap = m * k * ceil_div(n, cols), k * n * ceil_div(m, rows), m * n
    elif dataflow == "ws":
        ifmap, filt, ofmap = m * k * ceil_div(n, cols), k * n, m * n * ceil_div(k, rows)
    elif dataflow == "is":
        ifmap, filt, ofmap = k * m, k * n * ceil_div(m, cols), m * n * ceil_div(k, rows)
    else:
        raise ValueError(f"unknown dataflow {dataflow!r}; expected one of {DATAFLOWS}")
    ifmap, filt, ofmap = np.broadcast_arrays(ifmap, filt, ofmap)
    return SramReads(ifmap_reads=ifmap, filter_reads=filt, ofmap_writes=ofmap)
