"""The dataflow registry: what one dataflow declares (:class:`Dataflow`) and the table of them.

A dataflow says how a GEMM (one group of a layer, ``gemm_m x gemm_k`` inputs times
``gemm_k x gemm_n`` weights) lies on an ``R_a x C_a`` systolic array (docs/MODEL.md §2, §3):

- ``spatial_dims``: which GEMM dimensions go on the rows (Sr) and columns (Sc) and which one
  streams through time (T);
- ``per_fold_cycles``: the cycles of one fold (fill + stream T + drain);
- ``sram_reads``: buffer reads of ifmap and filter words and writes of ofmap words of one GEMM;
- ``dram_passes``: how many folds must see each operand again (an operand that does not fit
  half its buffer is re-streamed from DRAM for each of them);
- ``partial_sums_in_pes``: whether outputs accumulate inside the PEs (written once) or leave the
  array as a partial sum per K-fold (accumulated in the ofmap buffer, spilled to DRAM when a
  column fold's outputs do not fit half of it).

The table keeps registration order, which is the tie-break order of ``best`` (after cycles and
energy). :mod:`hwsim.cost.dataflows` registers the built-in ones (ws, os, is); a new dataflow is
one module declaring a :class:`Dataflow` plus one :func:`register` call there. Everything that
lists dataflows (the accelerator schema, the CLI, the sweep's columns, ``best``) asks
:func:`dataflow_names` when it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Names a dataflow may not take: ``best`` is the accelerator's per-layer choice, ``-`` marks
#: layers off the PE array, ``host`` the layers of a host model.
RESERVED_NAMES: tuple[str, ...] = ("best", "-", "host")


@dataclass(frozen=True)
class SramReads:
    """On-chip buffer accesses of one GEMM, in words (SCALE-Sim's counts; docs/MODEL.md §2).

    ``ofmap_writes`` counts one write per partial sum leaving the array.
    """

    ifmap_reads: IntArray
    filter_reads: IntArray
    ofmap_writes: IntArray


@dataclass(frozen=True)
class Dataflow:
    """What is specific to one dataflow; every function takes and returns int64 arrays that broadcast.

    Arguments are named as in docs/MODEL.md: ``m, k, n`` the GEMM dimensions of one group, ``t``
    the streamed one, ``rows, cols`` the array (R_a, C_a), ``row_folds, col_folds`` the folds
    over Sr and Sc (float64 arrays in ``dram_passes``).
    """

    name: str  #: as written in accelerator files, on the command line and in outputs (``ws``)
    title: str  #: in words (``weight stationary``)
    spatial_dims: Callable[[IntArray, IntArray, IntArray], tuple[IntArray, IntArray, IntArray]]  #: (m, k, n) -> (Sr, Sc, T)
    per_fold_cycles: Callable[[IntArray, IntArray, IntArray], IntArray]  #: (t, rows, cols) -> cycles of one fold
    sram_reads: Callable[[IntArray, IntArray, IntArray, IntArray, IntArray], SramReads]  #: (m, k, n, rows, cols) -> words
    dram_passes: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]  #: (row_folds, col_folds) -> (ifmap, filter) passes
    partial_sums_in_pes: bool  #: True: outputs accumulate in the PEs and are written once


_TABLE: dict[str, Dataflow] = {}


def register(dataflow: Dataflow) -> Dataflow:
    """Add ``dataflow`` at the end of the table (the last in tie-break order); returns it.

    A name already registered, a reserved name (:data:`RESERVED_NAMES`) or a name that is not a
    lower-case identifier (it becomes part of column names such as ``layers_ws``) is refused.
    """
    name = dataflow.name
    if name in _TABLE:
        raise ValueError(f"dataflow {name!r} is already registered")
    if name in RESERVED_NAMES or not name.isidentifier() or name != name.lower():
        raise ValueError(f"dataflow name {name!r}: expected a lower-case identifier other than {', '.join(RESERVED_NAMES)}")
    _TABLE[name] = dataflow
    return dataflow


def unregister(name: str) -> None:
    """Remove a registered dataflow (tests register a toy dataflow and remove it after)."""
    if name not in _TABLE:
        raise ValueError(f"dataflow {name!r} is not registered")
    del _TABLE[name]


def dataflow_names() -> tuple[str, ...]:
    """The registered dataflows' names, in tie-break order (``("ws", "os", "is")`` built in)."""
    return tuple(_TABLE)


def get_dataflow(name: str) -> Dataflow:
    """The registered dataflow called ``name``; ValueError naming the registered ones otherwise."""
    try:
        return _TABLE[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown dataflow {name!r}; expected one of {', '.join(_TABLE)}") from None
