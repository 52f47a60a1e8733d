"""The cost core's inputs: a network and accelerator configurations as numpy arrays.

:class:`LayerArrays` holds a network as arrays over layers (the GEMM view per group, element
counts, vector-op counts, and which earlier layer each input comes from); :class:`HardwareArrays` holds one or many accelerator configurations
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
#: Codes in :attr:`LayerArrays.source_layers` besides layer indices: a slot that reads from DRAM
#: (the network input, or a layer with no producer named) and an unused slot.
SOURCE_DRAM, SOURCE_NONE = -1, -2


#: Vector-unit operations per input element of the ops that make several passes over their
#: input (docs/MODEL.md §4): softmax = max, subtract, exp, sum, scale; layer/group/instance
#: norm = sum, subtract, square-sum, scale, affine (fvcore's estimate for an affine norm).
OPS_PER_INPUT_ELEMENT = {"softmax": 5, "norm": 5}
#: Ops that write every output element once (data movement that makes more than it reads).
PER_OUTPUT_ELEMENT = frozenset({"resize", "pad"})


def vector_ops(op: str, input_elements: int, output_elements: int, window: int) -> int:
    """Element operations a non-GEMM op costs on the vector unit.

    Pools do ``window`` (R*S) operations per output; global pools, adds, multiplies,
    activations, batch-norms, copies (concat, shuffle, transpose) one per input element; LRN
    ``window`` per input element (its size along channels is stored in R); softmax and norms
    :data:`OPS_PER_INPUT_ELEMENT` per input element; resize and pad one per output element.
    """
    if op == "pool":
        return output_elements * window
    if op == "lrn":
        return input_elements * window
    if op in PER_OUTPUT_ELEMENT:
        return output_elements
    return input_elements * OPS_PER_INPUT_ELEMENT.get(op, 1)


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
    #: (L, J) the producer of each input slot of each layer: an earlier layer's index,
    #: SOURCE_DRAM or SOURCE_NONE (padding). None: not known (then no tensor can stay on chip).
    source_layers: IntArray | None = None
    #: (L, J) elements the layer reads through each slot (0 for padding).
    source_elements: IntArray | None = None

    def __len__(self) -> int:
        return len(self.names)

    @property
    def has_sources(self) -> bool:
        """Whether the producer table (:attr:`source_layers`) is known."""
        return self.source_layers is not None and self.source_elements is not None

    def take(self, indices: NDArray[np.int64]) -> LayerArrays:
        """The layers at ``indices``, in that order (without the producer table, whose indices
        would no longer hold)."""
        skip = ("names", "ops", "source_layers", "source_elements")
        arrays = {f.name: getattr(self, f.name)[indices] for f in fields(self) if f.name not in skip}
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
    #: global-buffer capacity in bytes (docs/MODEL.md §9); None or 0: no global buffer
    gbuf_bytes: FloatArray | None = None
    #: bandwidth between the global buffer and the operand buffers, bytes per cycle
    gbuf_bandwidth_bytes_per_cycle: FloatArray | None = None

    @property
    def pes(self) -> IntArray:
        return self.rows * self.cols

    @property
    def has_global_buffer(self) -> bool:
        """Whether any configuration has a global buffer (capacity > 0)."""
        return self.gbuf_bytes is not None and bool((np.asarray(self.gbuf_bytes) > 0).any())

    def area(self) -> Area:
        """Chip area of each configuration (docs/MODEL.md §10): arrays of one value per configuration, mm²."""
        buffers = self.ifmap_buffer_bytes + self.filter_buffer_bytes + self.ofmap_buffer_bytes
        gbuf = 0.0 if self.gbuf_bytes is None else self.gbuf_bytes
        parts = area(self.pes, buffers, gbuf, self.area_figures)
        return Area(*(np.broadcast_to(p, self.rows.shape).reshape(-1)
                      for p in (parts.pe_mm2, parts.buffer_mm2, parts.global_buffer_mm2)))

    def allowed(self, dataflow: str) -> NDArray[np.bool_]:
        """``(configs, 1)`` mask of the configurations that may use ``dataflow``."""
        try:
            return self.allowed_dataflows[dataflow]
        except KeyError:
            raise ValueError(f"dataflow {dataflow!r} has no allowed mask; masks are given for {', '.join(self.allowed_dataflows)}") from None
