"""The cost core's inputs: a network and accelerator configurations as numpy arrays.

:class:`LayerArrays` holds a network as arrays over layers (the GEMM view per group, element
counts, vector-op counts); :class:`HardwareArrays` holds one or many accelerator configurations
as ``(configs, 1)`` columns, so every metric broadcasts to ``(configs, layers)``. The core never
sees a graph or a YAML file: :mod:`hwsim.simulate` builds these from a
:class:`~hwsim.graph.layer_graph.LayerGraph` and :class:`~hwsim.hardware.spec.Accelerator` s, and
the sweep builds :class:`HardwareArrays` straight from its grid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hwsim.cost.area import Area, AreaFigures, area
from hwsim.cost.energy import EnergyPrices

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

def ceil_div(a: ArrayLike, b: ArrayLike) -> IntArray:
    """Integer ceil(a / b) for non-negative integer arrays."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    return -(-a // b)


#: Layer kinds in :attr:`LayerArrays.kind`.
KIND_GEMM, KIND_VECTOR, KIND_FREE, KIND_CONCAT, KIND_SHUFFLE = 0, 1, 2, 3, 4


def vector_ops(op: str, input_elements: int, output_elements: int, window: int) -> int:
    """Element operations a non-GEMM op costs on the vector unit.

    Pools do ``window`` (R*S) operations per output; global pools, adds, multiplies,
    activations, batch-norms, copies (concat, shuffle) one per input element; LRN ``window``
    per input element (its size along channels is stored in R).
    """
    if op == "pool":
        return output_elements * window
    if op == "lrn":
        return input_elements * window
    return input_elements


@dataclass(frozen=True)
class LayerArrays:
    """A graph as arrays over layers (length L), ready for broadcasting against configurations."""

    names: tuple[str, ...]
    ops: tuple[str, ...]
    kind: IntArray  #: KIND_* code per layer
    gemm_m: IntArray  #: per group (1 for non-GEMM layers, so mapping never divides by zero)
    gemm_k: IntArray
    gemm_n: IntArray
    groups: IntArray
    macs: IntArray
    params: IntArray
    input_elements: IntArray
    weight_elements: IntArray
    output_elements: IntArray
    vector_ops: IntArray  #: element operations of non-GEMM layers (0 for GEMM layers)

    def __len__(self) -> int:
        return len(self.names)

    def take(self, indices: NDArray[np.int64]) -> LayerArrays:
        """The layers at ``indices``, in that order."""
        arrays = {f.name: getattr(self, f.name)[indices] for f in fields(self) if f.name not in ("names", "ops")}
        return LayerArrays(
            names=tuple(self.names[i] for i in indices), ops=tuple(self.ops[i] for i in indices), **arrays
        )


@dataclass(frozen=True)
class HardwareArrays:
    """One or many accelerator configurations as ``(configs, 1)`` columns (sizes in bytes).

    ``allowed_dataflows`` holds, for every registered dataflow (:mod:`hwsim.cost.dataflows`), a
    ``(configs, 1)`` mask of the configurations that may map a layer with it. ``area_figures``
    prices the chip area (:mod:`hwsim.cost.area`; :meth:`area`).
    """

    rows: IntArray
    cols: IntArray
    word_bytes: IntArray
    ifmap_buffer_bytes: FloatArray
    filter_buffer_bytes: FloatArray
    ofmap_buffer_bytes: FloatArray
    bandwidth_bytes_per_cycle: FloatArray
    per_operand_ports: NDArray[np.bool_]
    vector_lanes: IntArray
    pack_groups: NDArray[np.bool_]
    concat_in_place: NDArray[np.bool_]
    shuffle_in_addressing: NDArray[np.bool_]
    allowed_dataflows: Mapping[str, NDArray[np.bool_]]
    clock_mhz: FloatArray
    prices: EnergyPrices
    area_figures: AreaFigures

    @property
    def pes(self) -> IntArray:
        return self.rows * self.cols

    def area(self) -> Area:
        """Chip area of each configuration (docs/MODEL.md §10): arrays of one value per configuration, mm²."""
        buffers = self.ifmap_buffer_bytes + self.filter_buffer_bytes + self.ofmap_buffer_bytes
        parts = area(self.pes, buffers, 0.0, self.area_figures)
        return Area(*(np.broadcast_to(p, self.rows.shape).reshape(-1)
                      for p in (parts.pe_mm2, parts.buffer_mm2, parts.global_buffer_mm2)))

    def allowed(self, dataflow: str) -> NDArray[np.bool_]:
        """``(configs, 1)`` mask of the configurations that may use ``dataflow``."""
        try:
            return self.allowed_dataflows[dataflow]
        except KeyError:
            raise ValueError(f"dataflow {dataflow!r} has no allowed mask; masks are given for {', '.join(self.allowed_dataflows)}") from None
