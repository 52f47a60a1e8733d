"""What one chunk of a sweep evaluates and the rows it gives.

- :func:`summary_columns`, :data:`LAYER_COLUMNS`: the metric columns of summary and per-layer rows;
- :class:`ModelArrays`: a network's distinct layers (identical shapes are evaluated once);
- :class:`ChunkTask` / :class:`ChunkResult`: one chunk of configurations on one model (picklable);
- :func:`summarise`, :func:`layer_rows`: ``(configs, unique layers)`` metrics of
  :func:`hwsim.cost.evaluate.evaluate` -> per-configuration totals (a
  :class:`~hwsim.cost.totals.Totals` over configurations) and per-layer rows.

:func:`hwsim.explore.sweep.run.run_chunk` evaluates a task (it lives next to ``BLOCK_ELEMENTS`` in
:mod:`hwsim.explore.sweep.run`, where tests and callers tune and replace them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hwsim.cost.arrays import KIND_GEMM, HardwareArrays, LayerArrays
from hwsim.cost.dataflows import dataflow_names
from hwsim.cost.checks import check_totals
from hwsim.cost.energy import COMPONENT_LEVELS, COMPONENTS
from hwsim.cost.metrics import select
from hwsim.cost.totals import Totals
from hwsim.errors import ConfigError
from hwsim.graph.layer_graph import LayerGraph
from hwsim.simulate import layer_arrays
from hwsim.explore.sweep.grid import Grid, IntArray
from hwsim.explore.sweep.rows import Columns

#: Summary columns before the per-dataflow counts (``energy_<component>_uj`` stands for one per
#: energy component; the global buffer's columns only where a configuration has one).
_SUMMARY_HEAD: tuple[str, ...] = (
    "accelerator",  # name of the base accelerator
    "macs",  # MACs of the network
    "cycles",  # end-to-end cycles (layers run one after another)
    "compute_cycles",  # stall-free cycles
    "stall_cycles",  # cycles - compute_cycles
    "stall_share",  # stall_cycles / cycles
    "latency_ms",  # cycles / clock
    "energy_uj",  # total energy, microjoules
    "energy_<component>_uj",  # energy of each component, microjoules
    "utilization",  # MACs / (cycles x PEs)
    "dram_bytes",  # DRAM traffic, bytes
    "sram_bytes",  # buffer reads + writes, bytes
    "gbuf_bytes",  # global-buffer reads + writes, bytes (with a global buffer)
    "gbuf_peak_bytes",  # most bytes the global buffer holds at once (with a global buffer)
    "roofline_cycles",  # sum over layers of max(MACs / PEs, DRAM bytes / bandwidth)
    "memory_bound_share",  # share of the cycles spent in memory-bound layers
    "bound",  # "memory" when memory_bound_share > 0.5, else "compute"
    "bottleneck_layer",  # the layer taking the most cycles (first one on ties)
    "bottleneck_share",  # its share of the cycles
)
#: Summary columns after them.
_SUMMARY_TAIL: tuple[str, ...] = (
    "area_pes",  # area proxy: rows x cols
    "area_buffer_kib",  # area proxy: ifmap + filter + ofmap buffer KiB
    "area_mm2",  # chip area: PE array + buffers (docs/MODEL.md §10)
)
_GLOBAL_BUFFER_ONLY = ("gbuf_bytes", "gbuf_peak_bytes")


def _components(global_buffer: bool) -> tuple[str, ...]:
    return tuple(c for c in COMPONENTS if global_buffer or c not in COMPONENT_LEVELS)


def summary_columns(global_buffer: bool = False) -> tuple[str, ...]:
    """Per-configuration metric columns of a summary row, after ``model``, ``config_id`` and the
    swept fields; ``layers_<dataflow>`` counts the GEMM layers mapped with each registered dataflow.
    ``global_buffer``: some configuration of the sweep has one (adds its energy and bytes)."""
    head: list[str] = []
    for column in _SUMMARY_HEAD:
        if column == "energy_<component>_uj":
            head += [f"energy_{c}_uj" for c in _components(global_buffer)]
        elif global_buffer or column not in _GLOBAL_BUFFER_ONLY:
            head.append(column)
    return (*head, *(f"layers_{d}" for d in dataflow_names()), *_SUMMARY_TAIL)


#: Per-layer metrics of a ``--per-layer`` row, in order (a compact selection from :mod:`hwsim.cost.metrics`).
LAYER_METRICS: tuple[str, ...] = (
    "layer", "op", "dataflow", "cycles", "compute_cycles", "stall_cycles", "utilization", "dram_bytes", "energy_pj", "memory_bound",
)  # fmt: skip
#: Columns of a per-layer row.
LAYER_COLUMNS: tuple[str, ...] = ("model", "config_id", "layer_index", *(m.name for m in select(LAYER_METRICS)))
#: The metrics of :func:`hwsim.cost.evaluate.evaluate` that :func:`layer_rows` reads.
LAYER_SOURCES: tuple[str, ...] = (*(n for n in LAYER_METRICS if n not in ("layer", "op", "dataflow")), "dataflow_index")


# --------------------------------------------------------------------------------------------
# Models: layers with identical shapes are evaluated once


_LAYER_FIELDS = (
    "kind", "gemm_m", "gemm_k", "gemm_n", "groups", "macs", "params",
    "input_elements", "weight_elements", "output_elements", "vector_ops",
)  # fmt: skip


@dataclass(frozen=True)
class ModelArrays:
    """A network ready for sweeping: its distinct layers and how they map back to all layers."""

    name: str
    layer_names: tuple[str, ...]
    layer_ops: tuple[str, ...]
    unique: LayerArrays  #: the distinct layers (U of them)
    inverse: IntArray  #: (L,) index into ``unique`` of every layer
    counts: IntArray  #: (U,) how many layers each distinct layer stands for
    first: IntArray  #: (U,) position of its first occurrence
    macs: int  #: MACs of the whole network

    @classmethod
    def from_graph(cls, graph: LayerGraph, every_layer: bool = False) -> ModelArrays:
        """``every_layer``: evaluate every layer on its own, keeping the producer table (needed
        with a global buffer, where identical layers at different places hold different tensors)."""
        la = layer_arrays(graph)
        if len(la) == 0:
            raise ConfigError(f"model {graph.name!r}: the graph has no layers to sweep")
        if every_layer:
            positions = np.arange(len(la), dtype=np.int64)
            return cls(graph.name, la.names, la.ops, la, positions, np.ones(len(la), dtype=np.int64), positions, int(la.macs.sum()))
        op_codes = {op: i for i, op in enumerate(sorted(set(la.ops)))}
        key = np.column_stack([np.array([op_codes[o] for o in la.ops], dtype=np.int64)] + [getattr(la, f) for f in _LAYER_FIELDS])
        _, first, inverse, counts = np.unique(key, axis=0, return_index=True, return_inverse=True, return_counts=True)
        # GEMM layers first (evaluate() then joins the GEMM and vector parts without scattering)
        order = np.argsort(la.kind[first] != KIND_GEMM, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        first, counts, inverse = first[order], counts[order], rank[inverse.reshape(-1)]
        unique = LayerArrays(
            tuple(la.names[i] for i in first),
            tuple(la.ops[i] for i in first),
            *(getattr(la, f)[first] for f in _LAYER_FIELDS),
        )
        return cls(
            name=graph.name,
            layer_names=la.names,
            layer_ops=la.ops,
            unique=unique,
            inverse=inverse.reshape(-1).astype(np.int64),
            counts=counts.astype(np.int64),
            first=first.astype(np.int64),
            macs=int(la.macs.sum()),
        )

    def __len__(self) -> int:
        return len(self.layer_names)


# --------------------------------------------------------------------------------------------
# Evaluating one chunk


@dataclass(frozen=True)
class ChunkTask:
    """Configurations ``ordinals`` of ``grid`` on one model; picklable (processes, Dask)."""

    model: ModelArrays
    model_index: int  #: position of the model in the sweep (orders the output parts)
    grid: Grid
    ordinals: IntArray
    config_ids: NDArray[np.object_]  #: ids of ``ordinals``
    per_layer: bool


@dataclass(frozen=True)
class ChunkResult:
    """A chunk's summary rows and (with ``per_layer``) its per-layer rows, as numpy columns."""

    summary: Columns
    layers: Columns | None


def config_groups(grid: Grid, ordinals: IntArray) -> list[IntArray]:
    """Positions in ``ordinals`` grouped by the configuration's dataflow value, each group in chunk
    order (one group when ``dataflow`` is not swept).

    Every configuration of a group may use the same dataflows, so a block of one group maps its
    layers only with those (a ``ws`` configuration needs one mapping, ``best`` all of them);
    configurations never affect each other's numbers, so the grouping changes no result.
    """
    if "dataflow" not in grid.paths:
        return [np.arange(len(ordinals), dtype=np.int64)]
    codes = grid.axis_indices(ordinals)[grid.paths.index("dataflow")]
    order = np.argsort(codes, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)


def sibling_blocks(grid: Grid, ordinals: IntArray, block: int) -> list[list[IntArray]]:
    """Positions in ``ordinals`` in blocks of at most ``block`` configurations that share every
    value but the dataflow: each entry is a list of equally long position arrays, one per
    ``dataflow`` value (values allowing fewer dataflows first, ``best`` last), whose ``i``-th
    positions differ only in their dataflow. :func:`hwsim.cost.evaluate.evaluate` evaluates such
    siblings with one ``shared`` dict, mapping each layer once per dataflow for all of them.

    Configurations whose siblings are not all in ``ordinals`` (a chunk's edge, a resumed
    sweep) come last, in blocks of one dataflow value (:func:`config_groups`); without a swept
    ``dataflow`` every block is a single array.
    """
    if "dataflow" not in grid.paths:
        singles = config_groups(grid, ordinals)
    else:
        axis = grid.paths.index("dataflow")
        values = grid.axes[axis].values
        codes = grid.axis_indices(ordinals)[axis]
        stride = int(np.prod(grid.shape[axis + 1 :], dtype=np.int64))
        base = ordinals - codes * stride  # the same for configurations that differ only in dataflow
        _, inverse, counts = np.unique(base, return_inverse=True, return_counts=True)
        complete = counts[inverse.reshape(-1)] == len(values)
        order = np.flatnonzero(complete)
        order = order[np.lexsort((codes[order], base[order]))].reshape(-1, len(values))  # a row per base, a column per value
        narrow_first = sorted(range(len(values)), key=lambda j: (values[j] == "best", j))
        out = [[order[start : start + block, j] for j in narrow_first] for start in range(0, len(order), block)]
        rest = np.flatnonzero(~complete)
        singles = [rest[g] for g in config_groups(grid, ordinals[rest])] if len(rest) else []
        return out + [[g[start : start + block]] for g in singles for start in range(0, len(g), block)]
    return [[g[start : start + block]] for g in singles for start in range(0, len(g), block)]


def summarise(model: ModelArrays, hw: HardwareArrays, out: Mapping[str, NDArray[Any]], global_buffer: bool = False) -> dict[str, Any]:
    """Per-configuration totals from ``(configs, unique layers)`` metrics, columns of
    :func:`summary_columns` (``global_buffer`` as there)."""
    w = model.counts
    t = Totals.from_layers({**out, "macs": model.unique.macs, "params": model.unique.params}, counts=w)
    cycles = t.cycles
    safe = np.maximum(cycles, 1)
    clock = hw.clock_mhz[:, 0]
    pes = hw.pes[:, 0]
    energy = t.energy_by_component_pj()
    memory_share = (out["cycles"] * out["memory_bound"] * w).sum(axis=1) / safe
    layer_cycles = out["cycles"]
    most = layer_cycles.max(axis=1, keepdims=True)
    bottleneck = np.where(layer_cycles == most, model.first, len(model)).min(axis=1)
    is_gemm = model.unique.kind == KIND_GEMM
    columns: dict[str, Any] = {
        "macs": np.full(len(cycles), t.macs, dtype=np.int64),
        "cycles": cycles,
        "compute_cycles": t.compute_cycles,
        "stall_cycles": t.stall_cycles,
        "stall_share": t.stall_cycles / safe,
        "latency_ms": t.latency_ms(clock),
        # The sum of the component totals (not t.energy_pj, the sum of the layers' totals, which
        # can differ in the last bit): energy_uj has always been the sum of the energy_*_uj columns.
        "energy_uj": sum(energy.values()) / 1e6,
        **{f"energy_{c}_uj": energy[c] / 1e6 for c in _components(global_buffer)},
        "utilization": t.utilization(pes),
        "dram_bytes": t.dram_bytes,
        "sram_bytes": t.sram_bytes,
        "roofline_cycles": t.roofline_cycles,
        "memory_bound_share": memory_share,
        "bound": np.where(memory_share > 0.5, "memory", "compute").astype(object),
        "bottleneck_layer": np.asarray(model.layer_names, dtype=object)[bottleneck],
        "bottleneck_share": most[:, 0] / safe,
    }
    for index, d in enumerate(dataflow_names()):
        columns[f"layers_{d}"] = ((out["dataflow_index"] == index) & is_gemm) @ w
    if global_buffer:
        columns["gbuf_bytes"] = t.gbuf_bytes
        columns["gbuf_peak_bytes"] = out["gbuf_occupancy_bytes"].max(axis=1)
    columns["area_pes"] = pes
    columns["area_buffer_kib"] = (hw.ifmap_buffer_bytes + hw.filter_buffer_bytes + hw.ofmap_buffer_bytes)[:, 0] / 1024.0
    columns["area_mm2"] = hw.area().total_mm2
    check_totals(f"sweep of {model.name}", [f"#{i} of this block" for i in range(len(cycles))], columns)  # the guard
    return {c: columns[c] for c in summary_columns(global_buffer) if c in columns}


def layer_rows(model: ModelArrays, ids: NDArray[np.object_], out: Mapping[str, NDArray[Any]]) -> Columns:
    """Per-layer rows (:data:`LAYER_COLUMNS`) of the configurations ``ids`` from their ``(configs, unique layers)`` metrics."""
    n, layers = len(ids), len(model)

    def expand(key: str) -> NDArray[Any]:
        return out[key][:, model.inverse].reshape(-1)

    flows = np.array([*dataflow_names(), "-"], dtype=object)
    labels = {
        "layer": lambda: np.tile(np.asarray(model.layer_names, dtype=object), n),
        "op": lambda: np.tile(np.asarray(model.layer_ops, dtype=object), n),
        "dataflow": lambda: flows[expand("dataflow_index")],
    }
    columns: Columns = {
        "model": np.full(n * layers, model.name, dtype=object),
        "config_id": np.repeat(ids, layers),
        "layer_index": np.tile(np.arange(layers, dtype=np.int64), n),
    }
    for metric in select(LAYER_METRICS):
        columns[metric.name] = labels[metric.name]() if metric.name in labels else expand(metric.name)
    return columns
