"""The residency plan: what the global buffer holds while each layer runs, per configuration
(docs/MODEL.md §9).

Graph-free: the plan reads the producer table of :class:`~hwsim.cost.arrays.LayerArrays`
(which earlier layer each input slot reads, and how many elements) and the capacity, word size
and view options of :class:`~hwsim.cost.arrays.HardwareArrays`. Layers run in order; step ``j``
is layer ``j``.

Views. A reshape, a concat written in place (``options.concat_in_place``) and a shuffle folded
into addressing (``options.shuffle_in_addressing``) make no tensor of their own: their readers
read the tensors behind them.

Items the global buffer can hold (sizes in elements, times the word size in bytes):

- a *tensor*: a layer's output that is not a view and is read by later layers, from its
  producer's step to its last reader's step (readers through views count). The network input
  and the network outputs go through DRAM and are never items;
- three *staging* items per PE-array layer: its ifmap, filter and ofmap, for its own step only.
  A staged operand that lives in DRAM crosses the DRAM interface once; its re-streams (ifmap,
  filter) or its partial sums (ofmap) use the copy (:mod:`hwsim.cost.global_buffer`).

Policy. Items are ranked: tensors before staging items (a kept tensor saves a DRAM write and a
read per reader, a staged copy only the re-streams), then by footprint (size x steps alive,
smallest first: the cheapest to keep), then smaller, then earlier layer, then ifmap, filter,
ofmap. An item's *demand* is the most, over the steps it is alive,
that it and every item ranked before it and alive at that step add up to. An item is held when
``demand x word_bytes <= capacity``. This is deterministic, computed once per graph and view
setting for every capacity, and monotone: a larger buffer holds a superset of the items. It
never overfills: at any step the held items alive are all ranked at or before the lowest-ranked
of them, whose demand covers them all. It can leave room unused (an item ranked before a held
one counts even when it is not held itself), the price of monotonicity.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from hwsim.cost.arrays import KIND_CONCAT, KIND_FREE, KIND_GEMM, KIND_SHUFFLE, HardwareArrays, LayerArrays

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

#: Item kinds, in the order of :func:`demands`' rows; staging items follow the tensor.
TENSOR, STAGE_IFMAP, STAGE_FILTER, STAGE_OFMAP = 0, 1, 2, 3


@dataclass(frozen=True)
class Residency:
    """The plan for every (configuration, layer): ``(configs, layers)`` arrays."""

    ifmap_share: FloatArray  #: share of the layer's input bytes read from tensors held in the global buffer
    ifmap_staged: BoolArray  #: the layer's ifmap is staged (PE-array layers)
    filter_staged: BoolArray  #: its weights are staged
    ofmap_resident: BoolArray  #: its output tensor is held until its last reader
    ofmap_staged: BoolArray  #: its ofmap is staged
    occupancy_bytes: FloatArray  #: bytes held while the layer runs: tensors alive then and its staged operands

    def take(self, indices: IntArray) -> Residency:
        """The plan of the layers at ``indices`` (columns)."""
        return Residency(**{f.name: getattr(self, f.name)[:, indices] for f in fields(self)})


def no_residency(shape: tuple[int, int]) -> Residency:
    """The plan without a global buffer: nothing held."""
    false = np.zeros(shape, dtype=bool)
    return Residency(np.zeros(shape), false, false, false, false, np.zeros(shape))


def views(kind: IntArray, concat_in_place: bool, shuffle_in_addressing: bool) -> BoolArray:
    """Which layers are views (no tensor of their own) under these options."""
    return (kind == KIND_FREE) | ((kind == KIND_CONCAT) & concat_in_place) | ((kind == KIND_SHUFFLE) & shuffle_in_addressing)


def last_reads(source_layers: IntArray, view: BoolArray) -> IntArray:
    """Step of the last layer that reads each layer's output, through views; ``L`` (past the
    last step) for an output nobody reads or that a network output shows (a network output)."""
    count = len(view)
    last = np.full(count, -1, dtype=np.int64)
    for j in range(count - 1, -1, -1):  # readers come after their producers
        until = (last[j] if last[j] >= 0 else count) if view[j] else j
        for source in source_layers[j]:
            if source >= 0:
                last[source] = max(last[source], until)
    return np.where(last < 0, count, last)


def demands(la: LayerArrays, view: BoolArray, last: IntArray) -> FloatArray:
    """Demand of every item in elements, ``(4, L)``: row :data:`TENSOR` for each layer's output,
    rows ``STAGE_*`` for its staged operands; ``inf`` where there is no such item."""
    count = len(la)
    sizes = np.stack([la.output_elements, la.input_elements, la.weight_elements, la.output_elements]).astype(np.float64)
    active = np.zeros((4, count), dtype=bool)
    active[TENSOR] = ~view & (last < count)
    active[STAGE_IFMAP:] = la.kind == KIND_GEMM
    start = np.broadcast_to(np.arange(count), (4, count))
    end = np.where(np.arange(4)[:, None] == TENSOR, last[None, :], start)
    kinds, layers = np.nonzero(active)
    size = sizes[kinds, layers]
    footprint = size * (end - start + 1)[kinds, layers]  # elements x steps held
    order = np.lexsort((kinds, layers, size, footprint, kinds != TENSOR))
    live = np.zeros(count + 1)
    out = np.full((4, count), np.inf)
    for item in order:
        k, j = kinds[item], layers[item]
        span = slice(start[k, j], end[k, j] + 1)
        size = sizes[k, j]
        out[k, j] = live[span].max() + size
        live[span] += size
    return out


def _per_config(la: LayerArrays, hw: HardwareArrays) -> tuple[BoolArray, IntArray, FloatArray]:
    """Views ``(C, L)``, last reads ``(C, L)`` and demands ``(C, 4, L)`` of every configuration,
    computed once per setting of the two view options."""
    concat = np.broadcast_to(np.asarray(hw.concat_in_place, dtype=bool).reshape(-1), np.asarray(hw.gbuf_bytes).reshape(-1).shape)
    shuffle = np.broadcast_to(np.asarray(hw.shuffle_in_addressing, dtype=bool).reshape(-1), concat.shape)
    setting = 2 * concat.astype(np.int64) + shuffle.astype(np.int64)
    keys, which = np.unique(setting, return_inverse=True)
    assert la.source_layers is not None
    view_by, last_by, demand_by = [], [], []
    for key in keys:  # at most the four settings of the two options
        view = views(la.kind, bool(key // 2), bool(key % 2))
        last = last_reads(la.source_layers, view)
        view_by.append(view)
        last_by.append(last)
        demand_by.append(demands(la, view, last))
    which = which.reshape(-1)
    return np.stack(view_by)[which], np.stack(last_by)[which], np.stack(demand_by)[which]


def plan(la: LayerArrays, hw: HardwareArrays) -> Residency:
    """The residency plan of every configuration (module docstring); nothing is held where the
    capacity is 0. Needs the producer table (:attr:`LayerArrays.source_layers`)."""
    if not hw.has_global_buffer:
        return no_residency((len(np.asarray(hw.rows)), len(la)))
    if not la.has_sources:
        raise ValueError("a global buffer needs the layers' producers (LayerArrays.source_layers); build the arrays with hwsim.simulate.layer_arrays")
    assert la.source_layers is not None and la.source_elements is not None
    view, last, demand = _per_config(la, hw)
    configs, count = view.shape
    capacity = np.asarray(hw.gbuf_bytes, dtype=np.float64).reshape(-1, 1, 1)
    word = np.asarray(hw.word_bytes, dtype=np.float64).reshape(-1, 1, 1)
    held = (capacity > 0) & (demand * word <= capacity)
    resident = held[:, TENSOR]

    # Share of each layer's input read from held tensors; a view shows its sources' share.
    share = np.zeros((configs, count))
    shown = np.zeros((configs, count))  # share of each layer's output that is held
    for j in range(count):
        sources, elements = la.source_layers[j], la.source_elements[j].astype(np.float64)
        total = elements.sum()
        inner = sources >= 0
        if total > 0 and inner.any():
            share[:, j] = shown[:, sources[inner]] @ elements[inner] / total
        shown[:, j] = np.where(view[:, j], share[:, j], resident[:, j])

    # Occupancy: held tensors from their producer's step to their last reader's, plus staged operands.
    rows = np.arange(configs)
    tensor_bytes = la.output_elements * word[:, 0, 0:1] * resident
    change = np.zeros((configs, count + 2))
    change[:, :count] += tensor_bytes
    np.add.at(change, (np.repeat(rows, count), (last + 1).reshape(-1)), -tensor_bytes.reshape(-1))
    sizes = np.stack([la.input_elements, la.weight_elements, la.output_elements]).astype(np.float64)
    staged_bytes = (held[:, STAGE_IFMAP:] * sizes[None]).sum(axis=1) * word[:, 0, 0:1]
    occupancy = np.cumsum(change, axis=1)[:, :count] + staged_bytes
    return Residency(
        ifmap_share=share,
        ifmap_staged=held[:, STAGE_IFMAP],
        filter_staged=held[:, STAGE_FILTER],
        ofmap_resident=resident,
        ofmap_staged=held[:, STAGE_OFMAP],
        occupancy_bytes=occupancy,
    )
