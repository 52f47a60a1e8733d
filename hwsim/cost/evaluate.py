"""``evaluate(layers, hardware)``: every per-layer metric for every configuration, vectorised.

Every GEMM layer is mapped with every registered dataflow some configuration allows
(:mod:`hwsim.cost.dataflows`, :mod:`hwsim.cost.mapping`), memory traffic and stalls are added
(:mod:`hwsim.cost.memory`) and energy priced (:mod:`hwsim.cost.energy`); each (configuration,
layer) then takes the dataflow it chooses (fewest cycles, then least energy, then the registry's
order: ws, os, is). Non-GEMM ops run on the vector unit (docs/MODEL.md §4): reshapes are free;
concat is free when ``options.concat_in_place`` and a channel shuffle when
``options.shuffle_in_addressing``. With a global buffer (docs/MODEL.md §9) the residency plan
(:mod:`hwsim.cost.residency`) is made once for all configurations and each layer's traffic is
divided between DRAM and the global buffer (:mod:`hwsim.cost.global_buffer`). Units: cycles,
bytes, pJ.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from hwsim.cost.arrays import KIND_CONCAT, KIND_FREE, KIND_GEMM, KIND_SHUFFLE, HardwareArrays, LayerArrays, ceil_div
from hwsim.cost.dataflows import dataflow_names
from hwsim.cost.energy import COMPONENTS, EnergyCounts, price
from hwsim.cost.global_buffer import Split, resolved_bandwidth, split_gemm, split_vector
from hwsim.cost.mapping import map_gemm, mapping_efficiency, sram_reads
from hwsim.cost.memory import gemm_timing, gemm_traffic, vector_timing
from hwsim.cost.metrics import BY_NAME, EVALUATED
from hwsim.cost.residency import Residency, plan

#: Per-layer metrics :func:`evaluate` returns (each a ``(configs, layers)`` array): the schema's
#: evaluated metrics (:mod:`hwsim.cost.metrics`).
METRICS: tuple[str, ...] = EVALUATED


def _gbuf_bandwidth(hw: HardwareArrays) -> NDArray[np.float64]:
    return resolved_bandwidth(hw.gbuf_bandwidth_bytes_per_cycle, hw.rows, hw.cols, hw.word_bytes)


def _gbuf_metrics(split: Split | None, like: NDArray[Any]) -> dict[str, NDArray[Any]]:
    """The global buffer's per-layer metrics (zeros without one), shaped like ``like``."""
    zero = np.zeros(like.shape)
    if split is None:
        return {"gbuf_read_bytes": zero, "gbuf_write_bytes": zero, "gbuf_plan": zero}
    return {"gbuf_read_bytes": split.gbuf_read_bytes + zero, "gbuf_write_bytes": split.gbuf_write_bytes + zero,
            "gbuf_plan": split.plan + zero}  # fmt: skip


def _evaluate_gemm(dataflow: str, la: LayerArrays, hw: HardwareArrays, res: Residency | None) -> dict[str, NDArray[Any]]:
    """Every metric of every layer treated as a GEMM with one dataflow (configs x layers);
    ``res``: the residency plan of these layers (None: no global buffer)."""
    m, k, n, g = la.gemm_m, la.gemm_k, la.gemm_n, la.groups
    mapping = map_gemm(dataflow, m, k, n, hw.rows, hw.cols)
    # Diagonal packing of small groups (accelerator option, off by default): p groups share a fold.
    # rows // Sr is 0 when a group does not fit the array: then one group per pass.
    if hw.pack_groups.any():
        pack = np.minimum(g, np.minimum(hw.rows // mapping.sr, hw.cols // mapping.sc))
        per_pass = np.where(hw.pack_groups, np.maximum(pack, 1), 1)
        passes = ceil_div(g, per_pass)
    else:  # no configuration packs: one group per pass
        passes = np.broadcast_to(g, mapping.row_folds.shape)
    # A 1x1 OS array would finish one cycle "early" by SCALE-Sim's formula; never below MACs/PEs.
    compute = np.maximum(passes * mapping.cycles, ceil_div(la.macs, hw.pes))
    folds = passes * mapping.folds
    word = hw.word_bytes
    traffic = gemm_traffic(  # what the operand buffers exchange with the level below them
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
    split = None
    if res is not None:  # part of the traffic goes to the global buffer instead of DRAM
        split = split_gemm(traffic, la.input_elements * word, la.weight_elements * word, la.output_elements * word, res)
    dram = traffic if split is None else split.dram
    gbuf = None if split is None else split.gbuf
    timing = gemm_timing(compute, folds, dram, hw.bandwidth_bytes_per_cycle, hw.per_operand_ports, gbuf, _gbuf_bandwidth(hw))
    reads = sram_reads(dataflow, m, k, n, hw.rows, hw.cols)
    psum_on_chip = reads.ofmap_writes - m * n  # read-modify-write of partial sums (0 for OS)
    sram_read = g * (reads.ifmap_reads + reads.filter_reads + psum_on_chip) * word + traffic.ofmap_bytes
    sram_write = g * reads.ofmap_writes * word + traffic.read_bytes
    cycles = timing.cycles
    gbuf_metrics = _gbuf_metrics(split, cycles)
    energy = price(
        EnergyCounts(macs=la.macs, sram_bytes=sram_read + sram_write, dram_bytes=dram.total_bytes, vector_ops=0,
                     cycles=cycles, gbuf_bytes=gbuf_metrics["gbuf_read_bytes"] + gbuf_metrics["gbuf_write_bytes"]),
        hw.prices,
    )  # fmt: skip
    return {
        "free": np.zeros_like(cycles),
        "folds": folds,
        # one GEMM's efficiency, times the groups each pass holds (g / passes; 1 without packing)
        "mapping_efficiency": mapping_efficiency(mapping, hw.rows, hw.cols) * g / passes,
        "compute_cycles": compute.astype(np.float64),
        "cycles": cycles,
        "sram_read_bytes": sram_read,
        "sram_write_bytes": sram_write,
        "dram_ifmap_bytes": dram.ifmap_bytes,
        "dram_filter_bytes": dram.filter_bytes,
        "dram_ofmap_bytes": dram.ofmap_bytes,
        "dram_psum_read_bytes": dram.psum_read_bytes,
        **gbuf_metrics,
        "memory_cycles": timing.memory_cycles,
        "gbuf_cycles": timing.gbuf_cycles,
        **{f"energy_{c}_pj": e for c, e in energy.items()},
    }


def _evaluate_vector(la: LayerArrays, hw: HardwareArrays, res: Residency | None) -> dict[str, NDArray[Any]]:
    """Every metric of every layer treated as a vector-unit op (configs x layers); ``res`` as
    for :func:`_evaluate_gemm`."""
    free = (
        (la.kind == KIND_FREE)
        | ((la.kind == KIND_CONCAT) & hw.concat_in_place)
        | ((la.kind == KIND_SHUFFLE) & hw.shuffle_in_addressing)
    )
    word = hw.word_bytes
    read = np.where(free, 0, la.input_elements * word).astype(np.float64)  # through the buffers, from either level
    write = np.where(free, 0, la.output_elements * word).astype(np.float64)
    vector_ops = np.where(free, 0, la.vector_ops)
    vector_cycles = ceil_div(vector_ops, hw.vector_lanes)
    split = None if res is None else split_vector(read, write, res)
    dram_read = read if split is None else split.dram.ifmap_bytes
    dram_write = write if split is None else split.dram.ofmap_bytes
    timing = vector_timing(vector_cycles, dram_read, dram_write, hw.bandwidth_bytes_per_cycle, hw.per_operand_ports,
                           None if split is None else split.gbuf_read_bytes, 0.0 if split is None else split.gbuf_write_bytes,
                           _gbuf_bandwidth(hw))  # fmt: skip
    gbuf_metrics = _gbuf_metrics(split, timing.cycles)
    energy = price(
        EnergyCounts(macs=0, sram_bytes=2 * (read + write), dram_bytes=dram_read + dram_write, vector_ops=vector_ops,
                     cycles=timing.cycles, gbuf_bytes=gbuf_metrics["gbuf_read_bytes"] + gbuf_metrics["gbuf_write_bytes"]),
        hw.prices,
    )  # fmt: skip
    zero = np.zeros_like(read)
    return {
        "free": np.broadcast_to(free, zero.shape).astype(np.float64),
        "folds": np.zeros_like(vector_cycles),
        "mapping_efficiency": zero,
        "compute_cycles": vector_cycles.astype(np.float64),
        "cycles": timing.cycles,
        "sram_read_bytes": read + write,
        "sram_write_bytes": read + write,
        "dram_ifmap_bytes": dram_read,
        "dram_filter_bytes": zero,
        "dram_ofmap_bytes": dram_write,
        "dram_psum_read_bytes": zero,
        **gbuf_metrics,
        "memory_cycles": timing.memory_cycles,
        "gbuf_cycles": timing.gbuf_cycles,
        **{f"energy_{c}_pj": e for c, e in energy.items()},
    }


def _choose(per_flow: list[dict[str, NDArray[Any]]], flows: list[str], hw: HardwareArrays, shape: tuple[int, ...]) -> NDArray[np.int64]:
    """Index into ``flows`` of the dataflow each (config, layer) uses: fewest cycles among the
    allowed ones, ties -> less energy -> the registry's order (ws, os, is)."""
    if len(flows) == 1:
        return np.zeros(shape, dtype=np.int64)
    cycles = np.stack([np.broadcast_to(np.where(hw.allowed(d), r["cycles"], np.inf), shape) for d, r in zip(flows, per_flow)])
    energy = np.stack([np.broadcast_to(sum(r[f"energy_{c}_pj"] for c in COMPONENTS), shape) for r in per_flow])
    return np.where(cycles == cycles.min(axis=0), energy, np.inf).argmin(axis=0)


def evaluate(la: LayerArrays, hw: HardwareArrays, shared: dict[str, Any] | None = None) -> dict[str, NDArray[Any]]:
    """All per-layer metrics (:data:`METRICS`) for every configuration: arrays of ``(configs, layers)``.

    No Python loop over configurations or layers: GEMM layers are evaluated once per dataflow
    that some configuration allows, then each (configuration, layer) takes the dataflow it
    chooses among those its configuration allows; vector-unit layers are evaluated once.

    ``shared``: results to reuse between calls whose configurations are the same, row for row,
    but for the dataflows they allow (a sweep's ``ws``, ``os``, ``is`` and ``best`` siblings):
    the per-dataflow GEMM results, the vector-unit results and the residency plan do not depend
    on that choice, so each is computed by the first call that needs it and kept in ``shared``
    (a dict the caller starts empty); later calls take it from there. Results are the same
    either way.
    """

    def once(key: str, compute: Any) -> Any:
        if shared is None:
            return compute()
        if key not in shared:
            shared[key] = compute()
        return shared[key]

    shape = np.broadcast_shapes(hw.rows.shape, la.macs.shape)
    is_gemm = la.kind == KIND_GEMM
    gemm_idx = np.flatnonzero(is_gemm)
    vector_idx = np.flatnonzero(~is_gemm)
    gemm, vector = la.take(gemm_idx), la.take(vector_idx)
    residency = once("residency", lambda: plan(la, hw)) if hw.has_global_buffer else None
    gemm_res = None if residency is None else residency.take(gemm_idx)
    vector_res = None if residency is None else residency.take(vector_idx)
    names = dataflow_names()
    flows = [d for d in names if hw.allowed(d).any()]
    per_flow = [once(f"gemm {d}", lambda d=d: _evaluate_gemm(d, gemm, hw, gemm_res)) for d in flows]
    gemm_shape = (shape[0], len(gemm_idx))
    choice = _choose(per_flow, flows, hw, gemm_shape)
    masks = [choice == i for i in range(len(flows) - 1)]
    vector_out = once("vector", lambda: _evaluate_vector(vector, hw, vector_res))

    # GEMM layers all before the vector-unit ones (as the sweep orders its distinct layers): the
    # two parts are joined by one concatenation instead of two scattered writes
    gemm_first = len(gemm_idx) == 0 or int(gemm_idx[-1]) == len(gemm_idx) - 1
    out: dict[str, NDArray[Any]] = {}
    for key in vector_out:
        picked = per_flow[-1][key]
        for i in reversed(range(len(flows) - 1)):
            picked = np.where(masks[i], per_flow[i][key], picked)
        dtype = BY_NAME[key].numpy_dtype  # cycles, folds: whole numbers (float64 values cut as astype does)
        if gemm_first:
            parts = (np.broadcast_to(picked, gemm_shape), np.broadcast_to(vector_out[key], (shape[0], len(vector_idx))))
            out[key] = np.concatenate(parts, axis=1, dtype=dtype, casting="unsafe")
            continue
        merged = np.empty(shape, dtype=np.float64)
        merged[:, gemm_idx] = picked
        merged[:, vector_idx] = vector_out[key]
        out[key] = merged.astype(dtype, copy=False)
    flow_index = np.array([names.index(d) for d in flows], dtype=np.int64)
    out["dataflow_index"] = np.full(shape, -1, dtype=np.int64)
    out["dataflow_index"][:, gemm_idx] = flow_index[choice]
    out["stall_cycles"] = out["cycles"] - out["compute_cycles"]
    pes = hw.pes
    # in float64: cycles x PEs can pass 2^63 (memory-bound layers on large arrays), the ratio cannot
    out["utilization"] = np.where(is_gemm, la.macs / np.maximum(out["cycles"] * pes.astype(np.float64), 1.0), 0.0)
    out["dram_bytes"] = out["dram_ifmap_bytes"] + out["dram_filter_bytes"] + out["dram_ofmap_bytes"] + out["dram_psum_read_bytes"]
    word = hw.word_bytes
    gemm_compulsory = (la.input_elements + la.weight_elements + la.output_elements) * word
    if residency is not None:  # what stays in the global buffer never has to cross the DRAM interface
        kept = residency.ifmap_share * (la.input_elements * word) + residency.ofmap_resident * (la.output_elements * word)
        gemm_compulsory = gemm_compulsory - kept
    out["compulsory_bytes"] = np.where(is_gemm, gemm_compulsory, out["dram_bytes"]).astype(np.float64)
    out["gbuf_occupancy_bytes"] = np.zeros(shape) if residency is None else residency.occupancy_bytes
    vector_floor = out["compute_cycles"]
    out["roofline_cycles"] = np.ceil(np.maximum(np.where(is_gemm, ceil_div(la.macs, pes), vector_floor), out["memory_cycles"]))
    out["memory_bound"] = out["memory_cycles"] > out["compute_cycles"]
    # the global buffer binds when it takes the larger part of the binding port's time
    out["gbuf_bound"] = out["memory_bound"] & (2 * out["gbuf_cycles"] > out["memory_cycles"])
    out["energy_pj"] = sum(out[f"energy_{c}_pj"] for c in COMPONENTS)
    if set(out) != set(METRICS):
        raise RuntimeError(f"evaluate() computes {sorted(set(out) ^ set(METRICS))} unlike the metric schema")
    return {name: out[name] for name in METRICS}
