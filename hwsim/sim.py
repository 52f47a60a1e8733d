"""``simulate(graph, accelerator) -> SimResult``: the analytical PE-array simulator.

The pipeline is plain functions over numpy arrays:

1. :class:`LayerArrays` turns a :class:`~hwsim.graph.LayerGraph` into arrays over layers (GEMM
   view per group, element counts, vector-op counts);
2. :class:`HardwareArrays` turns one or many accelerators into a column of configurations;
3. :func:`evaluate` maps every layer with every allowed dataflow (:mod:`hwsim.dataflow`),
   adds memory traffic and stalls (:mod:`hwsim.memory`) and energy (:mod:`hwsim.energy`),
   picks the dataflow per layer (fewest cycles, then least energy, then ws/os/is order) and
   returns ``configs x layers`` arrays — the vectorised path the sweeps use;
4. :func:`simulate` does this for one accelerator and wraps row 0 in a :class:`SimResult`.

Non-GEMM ops run on the vector unit (MODELING.md §4). Reshapes are free; concat is free when
``options.concat_in_place`` and a channel shuffle when ``options.shuffle_in_addressing``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from hwsim.dataflow import DATAFLOWS, ceil_div, map_gemm, mapping_efficiency, sram_reads
from hwsim.energy import COMPONENTS, EnergyCounts, EnergyPrices, price
from hwsim.graph import LayerGraph
from hwsim.memory import gemm_timing, gemm_traffic, vector_timing

if TYPE_CHECKING:
    from hwsim.accelerator import Accelerator

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Layer kinds in :attr:`LayerArrays.kind`.
KIND_GEMM, KIND_VECTOR, KIND_FREE, KIND_CONCAT, KIND_SHUFFLE = 0, 1, 2, 3, 4


def _vector_ops(op: str, input_elements: int, output_elements: int, window: int) -> int:
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


#: Integer columns of :class:`LayerArrays` (every field but ``names`` and ``ops``).
_LAYER_COLUMNS = 11


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

    @classmethod
    def from_graph(cls, graph: LayerGraph) -> LayerArrays:
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
                    0 if layer.is_gemm else _vector_ops(layer.op, layer.input_elements, layer.output_elements, layer.r * layer.s),
                )
            )
        columns = np.array(rows, dtype=np.int64).reshape(len(rows), _LAYER_COLUMNS).T
        return cls(tuple(layer.name for layer in graph.layers), tuple(layer.op for layer in graph.layers), *columns)

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
    """One or many accelerator configurations as ``(configs, 1)`` columns (sizes in bytes)."""

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
    allow_ws: NDArray[np.bool_]
    allow_os: NDArray[np.bool_]
    allow_is: NDArray[np.bool_]
    clock_mhz: FloatArray
    prices: EnergyPrices

    @classmethod
    def from_accelerators(cls, accels: Sequence[Accelerator]) -> HardwareArrays:
        def col(values: Sequence[Any], dtype: Any) -> NDArray[Any]:
            return np.asarray(values, dtype=dtype).reshape(-1, 1)

        kib = 1024.0
        return cls(
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
            allow_ws=col(["ws" in a.candidate_dataflows for a in accels], bool),
            allow_os=col(["os" in a.candidate_dataflows for a in accels], bool),
            allow_is=col(["is" in a.candidate_dataflows for a in accels], bool),
            clock_mhz=col([a.clock_mhz for a in accels], np.float64),
            prices=EnergyPrices(
                mac=col([a.energy_pj.mac for a in accels], np.float64),
                rf_access=col([a.energy_pj.rf_access for a in accels], np.float64),
                sram_byte=col([a.energy_pj.sram_byte for a in accels], np.float64),
                dram_byte=col([a.energy_pj.dram_byte for a in accels], np.float64),
                vector_op=col([a.energy_pj.resolved_vector_op for a in accels], np.float64),
                leakage_per_cycle=col([a.energy_pj.leakage_per_cycle for a in accels], np.float64),
            ),
        )

    @property
    def pes(self) -> IntArray:
        return self.rows * self.cols

    def allowed(self, dataflow: str) -> NDArray[np.bool_]:
        return {"ws": self.allow_ws, "os": self.allow_os, "is": self.allow_is}[dataflow]


#: Per-layer metrics :func:`evaluate` returns (each a ``(configs, layers)`` array).
METRICS: tuple[str, ...] = (
    "dataflow_index",
    "folds",
    "mapping_efficiency",
    "compute_cycles",
    "stall_cycles",
    "cycles",
    "utilization",
    "sram_read_bytes",
    "sram_write_bytes",
    "dram_ifmap_bytes",
    "dram_filter_bytes",
    "dram_ofmap_bytes",
    "dram_psum_read_bytes",
    "dram_bytes",
    "compulsory_bytes",
    "memory_cycles",
    "roofline_cycles",
    "memory_bound",
    "free",
    *(f"energy_{c}_pj" for c in COMPONENTS),
    "energy_pj",
)


def _evaluate_gemm(dataflow: str, la: LayerArrays, hw: HardwareArrays) -> dict[str, NDArray[Any]]:
    """Every metric of every layer treated as a GEMM with one dataflow (configs x layers)."""
    m, k, n, g = la.gemm_m, la.gemm_k, la.gemm_n, la.groups
    mapping = map_gemm(dataflow, m, k, n, hw.rows, hw.cols)
    # Diagonal packing of small groups (accelerator option, off by default): p groups share a fold.
    # rows // Sr is 0 when a group does not fit the array: then one group per pass.
    pack = np.minimum(g, np.minimum(hw.rows // mapping.sr, hw.cols // mapping.sc))
    per_pass = np.where(hw.pack_groups, np.maximum(pack, 1), 1)
    passes = ceil_div(g, per_pass)
    # A 1x1 OS array would finish one cycle "early" by SCALE-Sim's formula; never below MACs/PEs.
    compute = np.maximum(passes * mapping.cycles, ceil_div(la.macs, hw.pes))
    folds = passes * mapping.folds
    word = hw.word_bytes
    traffic = gemm_traffic(
        dataflow,
        mapping,
        ifmap_group_bytes=(la.input_elements // g) * word,
        filter_group_bytes=(la.weight_elements // g) * word,
        ofmap_group_bytes=(la.output_elements // g) * word,
        groups=g,
        ifmap_buffer_bytes=hw.ifmap_buffer_bytes,
        filter_buffer_bytes=hw.filter_buffer_bytes,
        ofmap_buffer_bytes=hw.ofmap_buffer_bytes,
    )
    timing = gemm_timing(compute, folds, traffic, hw.bandwidth_bytes_per_cycle, hw.per_operand_ports)
    reads = sram_reads(dataflow, m, k, n, hw.rows, hw.cols)
    psum_on_chip = reads.ofmap_writes - m * n  # read-modify-write of partial sums (0 for OS)
    sram_read = g * (reads.ifmap_reads + reads.filter_reads + psum_on_chip) * word + traffic.ofmap_bytes
    sram_write = g * reads.ofmap_writes * word + traffic.read_bytes
    dram = traffic.total_bytes
    cycles = timing.cycles
    energy = price(
        EnergyCounts(macs=la.macs, sram_bytes=sram_read + sram_write, dram_bytes=dram, vector_ops=0, cycles=cycles),
        hw.prices,
    )
    return {
        "free": np.zeros_like(cycles),
        "folds": folds,
        # one GEMM's efficiency, times the groups each pass holds (g / passes; 1 without packing)
        "mapping_efficiency": mapping_efficiency(mapping, hw.rows, hw.cols) * g / passes,
        "compute_cycles": compute.astype(np.float64),
        "cycles": cycles,
        "sram_read_bytes": sram_read,
        "sram_write_bytes": sram_write,
        "dram_ifmap_bytes": traffic.ifmap_bytes,
        "dram_filter_bytes": traffic.filter_bytes,
        "dram_ofmap_bytes": traffic.ofmap_bytes,
        "dram_psum_read_bytes": traffic.psum_read_bytes,
        "memory_cycles": timing.memory_cycles,
        **{f"energy_{c}_pj": e for c, e in energy.items()},
    }


def _evaluate_vector(la: LayerArrays, hw: HardwareArrays) -> dict[str, NDArray[Any]]:
    """Every metric of every layer treated as a vector-unit op (configs x layers)."""
    free = (
        (la.kind == KIND_FREE)
        | ((la.kind == KIND_CONCAT) & hw.concat_in_place)
        | ((la.kind == KIND_SHUFFLE) & hw.shuffle_in_addressing)
    )
    word = hw.word_bytes
    read = np.where(free, 0, la.input_elements * word).astype(np.float64)
    write = np.where(free, 0, la.output_elements * word).astype(np.float64)
    vector_ops = np.where(free, 0, la.vector_ops)
    vector_cycles = ceil_div(vector_ops, hw.vector_lanes)
    timing = vector_timing(vector_cycles, read, write, hw.bandwidth_bytes_per_cycle, hw.per_operand_ports)
    energy = price(
        EnergyCounts(macs=0, sram_bytes=2 * (read + write), dram_bytes=read + write, vector_ops=vector_ops, cycles=timing.cycles),
        hw.prices,
    )
    zero = np.zeros_like(read)
    return {
        "free": np.broadcast_to(free, zero.shape).astype(np.float64),
        "folds": np.zeros_like(vector_cycles),
        "mapping_efficiency": zero,
        "compute_cycles": vector_cycles.astype(np.float64),
        "cycles": timing.cycles,
        "sram_read_bytes": read + write,
        "sram_write_bytes": read + write,
        "dram_ifmap_bytes": read,
        "dram_filter_bytes": zero,
        "dram_ofmap_bytes": write,
        "dram_psum_read_bytes": zero,
        "memory_cycles": timing.memory_cycles,
        **{f"energy_{c}_pj": e for c, e in energy.items()},
    }


def _choose(per_flow: list[dict[str, NDArray[Any]]], flows: list[str], hw: HardwareArrays, shape: tuple[int, ...]) -> NDArray[np.int64]:
    """Index into ``flows`` of the dataflow each (config, layer) uses: fewest cycles among the
    allowed ones, ties -> less energy -> the order ws, os, is."""
    if len(flows) == 1:
        return np.zeros(shape, dtype=np.int64)
    cycles = np.stack([np.broadcast_to(np.where(hw.allowed(d), r["cycles"], np.inf), shape) for d, r in zip(flows, per_flow)])
    energy = np.stack([np.broadcast_to(sum(r[f"energy_{c}_pj"] for c in COMPONENTS), shape) for r in per_flow])
    return np.where(cycles == cycles.min(axis=0), energy, np.inf).argmin(axis=0)


def evaluate(la: LayerArrays, hw: HardwareArrays) -> dict[str, NDArray[Any]]:
    """All per-layer metrics (:data:`METRICS`) for every configuration: arrays of ``(configs, layers)``.

    No Python loop over configurations or layers: GEMM layers are evaluated once per dataflow
    that some configuration allows, then each (configuration, layer) takes the dataflow it
    chooses among those its configuration allows; vector-unit layers are evaluated once.
    """
    shape = np.broadcast_shapes(hw.rows.shape, la.macs.shape)
    is_gemm = la.kind == KIND_GEMM
    gemm_idx = np.flatnonzero(is_gemm)
    vector_idx = np.flatnonzero(~is_gemm)
    gemm, vector = la.take(gemm_idx), la.take(vector_idx)
    flows = [d for d in DATAFLOWS if hw.allowed(d).any()]
    per_flow = [_evaluate_gemm(d, gemm, hw) for d in flows]
    gemm_shape = (shape[0], len(gemm_idx))
    choice = _choose(per_flow, flows, hw, gemm_shape)
    masks = [choice == i for i in range(len(flows) - 1)]
    vector_out = _evaluate_vector(vector, hw)

    out: dict[str, NDArray[Any]] = {}
    for key in vector_out:
        picked = per_flow[-1][key]
        for i in reversed(range(len(flows) - 1)):
            picked = np.where(masks[i], per_flow[i][key], picked)
        merged = np.empty(shape, dtype=np.float64)
        merged[:, gemm_idx] = picked
        merged[:, vector_idx] = vector_out[key]
        out[key] = merged
    flow_index = np.array([DATAFLOWS.index(d) for d in flows], dtype=np.int64)
    out["dataflow_index"] = np.full(shape, -1, dtype=np.int64)
    out["dataflow_index"][:, gemm_idx] = flow_index[choice]
    out["cycles"] = out["cycles"].astype(np.int64)
    out["compute_cycles"] = out["compute_cycles"].astype(np.int64)
    out["folds"] = out["folds"].astype(np.int64)
    out["stall_cycles"] = out["cycles"] - out["compute_cycles"]
    pes = hw.pes
    out["utilization"] = np.where(is_gemm, la.macs / np.maximum(out["cycles"] * pes, 1), 0.0)
    out["dram_bytes"] = out["dram_ifmap_bytes"] + out["dram_filter_bytes"] + out["dram_ofmap_bytes"] + out["dram_psum_read_bytes"]
    word = hw.word_bytes
    gemm_compulsory = (la.input_elements + la.weight_elements + la.output_elements) * word
    out["compulsory_bytes"] = np.where(is_gemm, gemm_compulsory, out["dram_bytes"]).astype(np.float64)
    vector_floor = out["compute_cycles"]
    out["roofline_cycles"] = np.ceil(np.maximum(np.where(is_gemm, ceil_div(la.macs, pes), vector_floor), out["memory_cycles"]))
    out["memory_bound"] = out["memory_cycles"] > out["compute_cycles"]
    out["free"] = out["free"] > 0
    out["energy_pj"] = sum(out[f"energy_{c}_pj"] for c in COMPONENTS)
    return out


@dataclass(frozen=True)
class SimResult:
    """Per-layer metrics of one network on one accelerator (arrays over layers), and totals.

    Units: cycles of the accelerator clock, bytes, pJ. ``dataflow`` is ``"-"`` for layers that
    do not run on the PE array. ``bound`` is ``compute`` or ``memory`` for GEMM layers (memory
    when DRAM transfer time exceeds the stall-free compute time), ``vector``/``memory`` for
    vector-unit ops and ``free`` for ops that cost nothing (reshape, in-place concat, ...).
    """

    graph_name: str
    accelerator_name: str
    clock_mhz: float
    pes: int
    names: tuple[str, ...]
    ops: tuple[str, ...]
    dataflow: tuple[str, ...]
    bound: tuple[str, ...]
    macs: IntArray
    params: IntArray
    gemm_m: IntArray
    gemm_k: IntArray
    gemm_n: IntArray
    groups: IntArray
    folds: IntArray
    mapping_efficiency: FloatArray
    compute_cycles: IntArray
    stall_cycles: IntArray
    cycles: IntArray
    utilization: FloatArray
    sram_read_bytes: FloatArray
    sram_write_bytes: FloatArray
    dram_ifmap_bytes: FloatArray
    dram_filter_bytes: FloatArray
    dram_ofmap_bytes: FloatArray
    dram_psum_read_bytes: FloatArray
    dram_bytes: FloatArray
    compulsory_bytes: FloatArray
    roofline_cycles: FloatArray
    energy_mac_pj: FloatArray
    energy_rf_pj: FloatArray
    energy_sram_pj: FloatArray
    energy_dram_pj: FloatArray
    energy_vector_pj: FloatArray
    energy_leakage_pj: FloatArray
    energy_pj: FloatArray
    unsupported: tuple[tuple[str, int], ...] = ()

    # ------------------------------------------------------------------ derived per layer
    @property
    def latency_us(self) -> FloatArray:
        """Per-layer latency in microseconds at the accelerator clock."""
        return self.cycles / self.clock_mhz

    @property
    def arithmetic_intensity(self) -> FloatArray:
        """MACs per DRAM byte (0 where a layer moves no data)."""
        return np.divide(self.macs, self.dram_bytes, out=np.zeros_like(self.dram_bytes), where=self.dram_bytes > 0)

    # ------------------------------------------------------------------ totals
    @property
    def total_cycles(self) -> int:
        return int(self.cycles.sum())

    @property
    def total_macs(self) -> int:
        return int(self.macs.sum())

    @property
    def total_energy_pj(self) -> float:
        return float(self.energy_pj.sum())

    @property
    def total_dram_bytes(self) -> float:
        return float(self.dram_bytes.sum())

    @property
    def latency_ms(self) -> float:
        """End-to-end latency in ms: total cycles / clock (layers run one after another)."""
        return self.total_cycles / (self.clock_mhz * 1e3)

    @property
    def utilization_total(self) -> float:
        """Network utilization: total MACs / (total cycles x PEs)."""
        return self.total_macs / max(self.total_cycles * self.pes, 1)

    def __len__(self) -> int:
        return len(self.names)


def simulate(graph: LayerGraph, accel: Accelerator) -> SimResult:
    """Simulate every layer of ``graph`` on ``accel`` (MODELING.md; refinements in docs/MODEL.md)."""
    la = LayerArrays.from_graph(graph)
    hw = HardwareArrays.from_accelerators([accel])
    out = {key: value[0] for key, value in evaluate(la, hw).items()}
    is_gemm = la.kind == KIND_GEMM
    dataflow = tuple(DATAFLOWS[i] if i >= 0 else "-" for i in out["dataflow_index"])
    bound = tuple(
        "free" if f else ("memory" if mb else ("compute" if g else "vector"))
        for f, mb, g in zip(out["free"], out["memory_bound"], is_gemm)
    )
    names = {f.name for f in fields(SimResult)}
    arrays = {key: value for key, value in out.items() if key in names}
    return SimResult(
        graph_name=graph.name,
        accelerator_name=accel.name,
        clock_mhz=float(accel.clock_mhz),
        pes=int(accel.array.rows * accel.array.cols),
        names=la.names,
        ops=la.ops,
        dataflow=dataflow,
        bound=bound,
        macs=la.macs,
        params=la.params,
        gemm_m=np.where(is_gemm, la.gemm_m, 0),
        gemm_k=np.where(is_gemm, la.gemm_k, 0),
        gemm_n=np.where(is_gemm, la.gemm_n, 0),
        groups=la.groups,
        unsupported=graph.unsupported,
        **arrays,
    )
