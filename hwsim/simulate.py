"""``simulate(graph, accelerator) -> SimResult``: the pipeline from a layer graph to per-layer metrics.

1. :func:`layer_arrays` turns a :class:`~hwsim.graph.layer_graph.LayerGraph` into
   :class:`~hwsim.cost.arrays.LayerArrays`;
2. :func:`hardware_arrays` turns one or many accelerators into
   :class:`~hwsim.cost.arrays.HardwareArrays` (a column of configurations);
3. :func:`hwsim.cost.evaluate.evaluate` computes every metric as ``configs x layers`` arrays —
   the vectorised path the sweeps use;
4. :func:`simulate` does this for one accelerator and wraps row 0 in a
   :class:`~hwsim.cost.result.SimResult`.

The model behind every number is docs/MODEL.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from hwsim.cost.area import AreaFigures
from hwsim.cost.arrays import (
    KIND_CONCAT,
    KIND_FREE,
    KIND_GEMM,
    KIND_SHUFFLE,
    KIND_VECTOR,
    SOURCE_DRAM,
    SOURCE_NONE,
    HardwareArrays,
    LayerArrays,
    vector_ops,
)
from hwsim.cost.dataflows import dataflow_names
from hwsim.cost.energy import EnergyPrices
from hwsim.cost.evaluate import evaluate
from hwsim.cost.global_buffer import energy_pj_per_byte, operands_label
from hwsim.cost.metrics import BY_NAME, HELD
from hwsim.cost.result import SimResult, layer_metrics
from hwsim.graph.layer_graph import LayerGraph

if TYPE_CHECKING:
    from hwsim.hardware.spec import Accelerator

#: The integer columns of :class:`LayerArrays`, in field order (every field but the names, ops
#: and the producer table).
_INTEGER_COLUMNS = tuple(f.name for f in fields(LayerArrays) if f.name not in ("names", "ops", "source_layers", "source_elements"))


def source_table(graph: LayerGraph) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The producer table of :class:`LayerArrays`: per layer and input slot, the index of the
    layer it reads (``SOURCE_DRAM`` for the network input or a layer with no input named,
    ``SOURCE_NONE`` for padding) and the elements it reads there (``operand_elements`` when
    given for every input, else the input elements split evenly)."""
    index = {layer.name: i for i, layer in enumerate(graph.layers)}
    width = max([1, *(len(layer.inputs) for layer in graph.layers)])
    sources = np.full((len(graph.layers), width), SOURCE_NONE, dtype=np.int64)
    elements = np.zeros((len(graph.layers), width), dtype=np.int64)
    for i, layer in enumerate(graph.layers):
        names = layer.inputs or ("input",)
        if len(layer.operand_elements) == len(names):
            counts = list(layer.operand_elements)
        else:
            share, extra = divmod(layer.input_elements, len(names))
            counts = [share + (1 if slot < extra else 0) for slot in range(len(names))]
        for slot, (name, count) in enumerate(zip(names, counts)):
            sources[i, slot] = index.get(name, SOURCE_DRAM)
            elements[i, slot] = count
    return sources, elements


def layer_arrays(graph: LayerGraph) -> LayerArrays:
    """A graph as arrays over layers (:class:`LayerArrays`): the GEMM view per group, element and vector-op counts."""
    kinds = {"reshape": KIND_FREE, "concat": KIND_CONCAT, "shuffle": KIND_SHUFFLE}
    rows = []
    for layer in graph.layers:
        kind = KIND_GEMM if layer.is_gemm else kinds.get(layer.op, KIND_VECTOR)
        rows.append(
            (
                kind,
                max(layer.gemm_m, 1),
                max(layer.gemm_k, 1),
                max(layer.gemm_n, 1),
                layer.groups if layer.is_gemm else 1,
                layer.macs,
                layer.params,
                layer.input_elements,
                layer.weight_elements,
                layer.output_elements,
                0 if layer.is_gemm else vector_ops(layer.op, layer.input_elements, layer.output_elements, layer.r * layer.s),
            )
        )
    columns = np.array(rows, dtype=np.int64).reshape(len(rows), len(_INTEGER_COLUMNS)).T
    sources, elements = source_table(graph)
    return LayerArrays(tuple(layer.name for layer in graph.layers), tuple(layer.op for layer in graph.layers), *columns,
                       source_layers=sources, source_elements=elements)  # fmt: skip


def hardware_arrays(accels: Sequence[Accelerator]) -> HardwareArrays:
    """One or many accelerators as ``(configs, 1)`` columns (:class:`HardwareArrays`; sizes in bytes)."""

    def col(values: Sequence[Any], dtype: Any) -> NDArray[Any]:
        return np.asarray(values, dtype=dtype).reshape(-1, 1)

    kib = 1024.0
    gbuf_bytes = col([a.global_buffer.kib * kib for a in accels], np.float64)
    gbuf_price = [a.global_buffer.energy_pj_per_byte for a in accels]
    return HardwareArrays(
        rows=col([a.array.rows for a in accels], np.int64),
        cols=col([a.array.cols for a in accels], np.int64),
        word_bytes=col([a.word_bytes for a in accels], np.int64),
        ifmap_buffer_bytes=col([a.buffers.ifmap_kib * kib for a in accels], np.float64),
        filter_buffer_bytes=col([a.buffers.filter_kib * kib for a in accels], np.float64),
        ofmap_buffer_bytes=col([a.buffers.ofmap_kib * kib for a in accels], np.float64),
        bandwidth_bytes_per_cycle=col([a.dram.bandwidth_bytes_per_cycle for a in accels], np.float64),
        per_operand_ports=col([a.dram.ports == "per_operand" for a in accels], bool),
        vector_lanes=col([a.vector_lanes for a in accels], np.int64),
        pack_groups=col([a.options.pack_groups for a in accels], bool),
        concat_in_place=col([a.options.concat_in_place for a in accels], bool),
        shuffle_in_addressing=col([a.options.shuffle_in_addressing for a in accels], bool),
        allowed_dataflows={d: col([d in a.candidate_dataflows for a in accels], bool) for d in dataflow_names()},
        clock_mhz=col([a.clock_mhz for a in accels], np.float64),
        prices=EnergyPrices(
            mac=col([a.energy_pj.mac for a in accels], np.float64),
            rf_access=col([a.energy_pj.rf_access for a in accels], np.float64),
            sram_byte=col([a.energy_pj.sram_byte for a in accels], np.float64),
            dram_byte=col([a.energy_pj.dram_byte for a in accels], np.float64),
            vector_op=col([a.energy_pj.resolved_vector_op for a in accels], np.float64),
            leakage_per_cycle=col([a.energy_pj.leakage_per_cycle for a in accels], np.float64),
            gbuf_byte=np.where(np.isnan(col(gbuf_price, np.float64)), energy_pj_per_byte(gbuf_bytes), col(gbuf_price, np.float64)),
        ),
        gbuf_bytes=gbuf_bytes,
        gbuf_bandwidth_bytes_per_cycle=col([a.global_buffer.bandwidth_bytes_per_cycle for a in accels], np.float64),
        area_figures=AreaFigures.resolve(
            word_bytes=col([a.word_bytes for a in accels], np.int64),
            pe=col([_or_nan(a.area.pe_um2) for a in accels], np.float64),
            buffer=col([_or_nan(a.area.buffer_mm2_per_kib) for a in accels], np.float64),
            global_buffer=col([_or_nan(a.area.global_buffer_mm2_per_kib) for a in accels], np.float64),
        ),
    )


def _or_nan(value: float | None) -> float:
    """An optional figure as a float (NaN: not given)."""
    return np.nan if value is None else value


def simulate(graph: LayerGraph, accel: Accelerator) -> SimResult:
    """Simulate every layer of ``graph`` on ``accel`` (docs/MODEL.md)."""
    la = layer_arrays(graph)
    hw = hardware_arrays([accel])
    out = {key: value[0] for key, value in evaluate(la, hw).items()}
    is_gemm = la.kind == KIND_GEMM
    names = dataflow_names()
    dataflow = tuple(names[i] if i >= 0 else "-" for i in out["dataflow_index"])
    bound = tuple(
        "free" if f else ("global_buffer" if gb else "memory") if mb else ("compute" if g else "vector")
        for f, mb, gb, g in zip(out["free"], out["memory_bound"], out["gbuf_bound"], is_gemm)
    )
    labels = {"dataflow": dataflow, "bound": bound, "gbuf_operands": tuple(operands_label(c) for c in out["gbuf_plan"])}
    evaluated = {name: out[name] for name in HELD if BY_NAME[name].source == "evaluated"}
    return SimResult(
        graph_name=graph.name,
        accelerator_name=accel.name,
        clock_mhz=float(accel.clock_mhz),
        pes=int(accel.array.rows * accel.array.cols),
        metrics={**layer_metrics(la), **evaluated, **labels},
        unsupported=graph.unsupported,
        global_buffer_bytes=float(accel.global_buffer.kib * 1024),
        area=hw.area().at(0),
    )
