"""Small tables behind the figures: cycles per stage, per layer kind and per block, cycles by what
bounds each layer, the ranked candidates of a search, the best co-designed pair per area budget,
and measured beside simulated latency per layer (pandas DataFrames; pandas is imported only when one is built)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hwsim.graph.layer_graph import GEMM_OPS

if TYPE_CHECKING:
    import pandas as pd  # imported by the functions that build frames: `import hwsim.plots` needs no pandas

    from hwsim.graph.layer_graph import LayerGraph
    from hwsim.measure.profiler import ModelMeasurement
    from hwsim.explore.search.run import SearchResult
    from hwsim.cost.result import SimResult


_FUNCTIONAL_OPS = frozenset({"add", "mul", "concat", "shuffle"})
_STAGE_PATTERNS = ((re.compile(r"^stages\.(\d+)\."), 1), (re.compile(r"^stage(\d+)\."), 0))
_BLOCK = re.compile(r"^stages\.(\d+)\.blocks\.(\d+)\.")
#: Block of a layer from its module path, first match wins: a SqueezeNext block or stage entry
#: (``stages.1.blocks.3``, ``stages.1.entry``), a ShuffleNet unit (``stage2.0``), a numbered
#: block (MobileNet's ``blocks.4``).
_BLOCK_PATTERNS = (
    re.compile(r"^stages\.\d+\.blocks\.\d+(?=\.)"),
    re.compile(r"^stages\.\d+\.[A-Za-z_]\w*(?=\.)"),
    re.compile(r"^stage\d+\.\d+(?=\.)"),
    re.compile(r"^[A-Za-z_]\w*\.\d+(?=\.)"),
)


def stage_labels(result: SimResult) -> tuple[str, ...]:
    """The stage of every layer, from the module names of the zoo's staged networks.

    ``stages.<i>.`` (SqueezeNext) is ``stage <i+1>``; ``stage<i>.`` (ShuffleNet) is ``stage <i>``;
    the exporter names functional ops after their module too (``stages.2.blocks.3.add``). A
    functional op without a module path (an op of the top module's own ``forward``, or a graph
    exported before functional ops carried one: ``add_3``, ``cat``) belongs to the stage of the
    layer before it; other layers are ``stem`` before the first stage and ``head`` after the last.
    A network without stages is one group, ``network``.
    """
    labels: list[str | None] = []
    for name, op in zip(result.names, result.ops):
        label = None
        for pattern, offset in _STAGE_PATTERNS:
            match = pattern.match(name)
            if match:
                label = f"stage {int(match.group(1)) + offset}"
                break
        if label is None and op in _FUNCTIONAL_OPS and "." not in name and labels:
            label = labels[-1]
        labels.append(label)
    staged = [i for i, label in enumerate(labels) if label is not None and label.startswith("stage")]
    if not staged:
        return ("network",) * len(labels)
    first = staged[0]
    return tuple(
        label if label is not None else ("stem" if i < first else "head") for i, label in enumerate(labels)
    )


def block_labels(result: SimResult) -> tuple[str, ...]:
    """The block of every layer, from the module names: a SqueezeNext block or stage entry
    (``stages.1.blocks.3``, ``stages.1.entry``), a ShuffleNet unit (``stage2.0``), a numbered
    block (``blocks.4``); else the name without its last part when it has three or more
    (SqueezeNet's ``features.fire2``, ``stem.conv1``), else the layer's own name (``fc``). A
    functional op without a module path (``add_3``) belongs to the block of the layer before it.
    """
    labels: list[str] = []
    for name, op in zip(result.names, result.ops):
        if op in _FUNCTIONAL_OPS and "." not in name and labels:
            labels.append(labels[-1])
            continue
        for pattern in _BLOCK_PATTERNS:
            match = pattern.match(name)
            if match:
                labels.append(match.group(0))
                break
        else:
            parts = name.split(".")
            labels.append(".".join(parts[:-1]) if len(parts) >= 3 else name)
    return tuple(labels)


def _is_gemm(result: SimResult) -> np.ndarray:
    return np.array([op in GEMM_OPS for op in result.ops], dtype=bool)


def _cycle_parts(result: SimResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-layer (PE-array compute, vector-unit compute, stall) cycles."""
    gemm = _is_gemm(result)
    compute = result.compute_cycles.astype(np.float64)
    return np.where(gemm, compute, 0.0), np.where(gemm, 0.0, compute), result.stall_cycles.astype(np.float64)


def group_table(result: SimResult, keys: Sequence[str], column: str) -> pd.DataFrame:
    """Cycles per group of layers (``keys``: one label per layer; groups in order of first
    appearance), indexed by ``column``; the columns of :func:`stage_table`."""
    return _group_table(result, keys, column)


def _group_table(result: SimResult, keys: Sequence[str], column: str) -> pd.DataFrame:
    import pandas as pd

    array_cycles, vector_cycles, stall = _cycle_parts(result)
    gemm = _is_gemm(result)
    frame = pd.DataFrame(
        {
            column: list(keys),
            "layers": 1,
            "macs": result.macs.astype(np.int64),
            "array_cycles": array_cycles,
            "vector_cycles": vector_cycles,
            "stall_cycles": stall,
            "cycles": result.cycles.astype(np.float64),
            "gemm_cycles": np.where(gemm, result.cycles, 0).astype(np.float64),
            "slots": np.where(gemm, result.mapping_efficiency * result.compute_cycles, 0.0),
        }
    )
    table = frame.groupby(column, sort=False).sum()
    total_cycles = max(float(result.cycles.sum()), 1.0)
    total_macs = max(float(result.macs.sum()), 1.0)
    table["cycle_share"] = table["cycles"] / total_cycles
    table["mac_share"] = table["macs"] / total_macs
    table["utilization"] = table["macs"] / (table["cycles"].clip(lower=1) * result.pes)
    table["array_utilization"] = table["macs"] / (table["gemm_cycles"].clip(lower=1) * result.pes)
    table["mapping_efficiency"] = table["slots"] / table["array_cycles"].clip(lower=1)
    return table.drop(columns=["gemm_cycles", "slots"])


def stage_table(result: SimResult) -> pd.DataFrame:
    """Cycles per stage (:func:`stage_labels`), in network order.

    Columns: ``layers``, ``macs``, ``array_cycles`` (stall-free PE-array cycles),
    ``vector_cycles`` (stall-free vector-unit cycles), ``stall_cycles``, ``cycles``,
    ``cycle_share`` and ``mac_share`` (of the network), ``utilization`` (MACs / (cycles x PEs),
    vector ops and stalls included), ``array_utilization`` (the same over the stage's PE-array
    layers only) and ``mapping_efficiency`` (share of PEs holding work, weighted by the array's
    stall-free cycles).
    """
    return _group_table(result, stage_labels(result), "stage")


#: Values of a layer's ``bound`` (docs/MODEL.md §3, §9), in the order :func:`bound_table` lists them.
BOUNDS: tuple[str, ...] = ("compute", "vector", "global_buffer", "memory", "free")


def global_buffer_label(capacity_bytes: float) -> str:
    """A global-buffer capacity for a table or an axis: ``none``, ``256 KiB``, ``1 MiB``."""
    if capacity_bytes <= 0:
        return "none"
    kib = capacity_bytes / 1024
    return f"{kib / 1024:g} MiB" if kib >= 1024 else f"{kib:g} KiB"


def bound_table(results: Sequence[SimResult]) -> pd.DataFrame:
    """One row per result: its network, global buffer (:func:`global_buffer_label`), cycles, the
    share of the cycles spent in stalls and in layers bound by each of :data:`BOUNDS`
    (``<bound>_share``: compute = the PE array's mapping, memory = DRAM), DRAM MiB,
    global-buffer MiB (reads + writes), peak occupancy KiB, energy in uJ and utilization."""
    import pandas as pd

    rows = []
    for r in results:
        cycles = max(float(r.cycles.sum()), 1.0)
        bound = np.asarray(r.bound, dtype=object)
        row = {
            "model": r.graph_name,
            "global_buffer": global_buffer_label(r.global_buffer_bytes),
            "cycles": int(r.cycles.sum()),
            "latency_ms": r.latency_ms,
            "stall_share": float(r.stall_cycles.sum()) / cycles,
            **{f"{b}_share": float(r.cycles[bound == b].sum()) / cycles for b in BOUNDS if b != "free"},
            "dram_mib": r.total_dram_bytes / 2**20,
            "gbuf_mib": float((r.gbuf_read_bytes + r.gbuf_write_bytes).sum()) / 2**20,
            "gbuf_peak_kib": r.gbuf_peak_bytes / 1024,
            "energy_uj": r.total_energy_pj / 1e6,
            "utilization": r.utilization_total,
        }
        rows.append(row)
    return pd.DataFrame(rows)


def conv_kinds(graph: LayerGraph) -> tuple[str, ...]:
    """Kind of every layer: ``conv`` (spatial kernel, or a transposed conv), ``pointwise`` (1x1),
    ``depthwise`` (one group per input channel), ``grouped``, ``linear``, ``matmul`` (a product of
    two activations), or ``vector`` (not on the PE array)."""
    kinds = []
    for layer in graph.layers:
        if layer.op in ("linear", "matmul"):
            kinds.append(layer.op)
        elif layer.op == "conv_transpose":
            kinds.append("conv")
        elif layer.op != "conv":
            kinds.append("vector")
        elif layer.groups > 1:
            kinds.append("depthwise" if layer.groups == layer.c else "grouped")
        else:
            kinds.append("pointwise" if layer.r * layer.s == 1 else "conv")
    return tuple(kinds)


def kind_table(result: SimResult, graph: LayerGraph) -> pd.DataFrame:
    """Cycles per layer kind (:func:`conv_kinds`); the columns of :func:`stage_table`."""
    if result.names != tuple(layer.name for layer in graph.layers):
        raise ValueError(f"kind_table: the result of {result.graph_name!r} does not come from graph {graph.name!r}")
    return _group_table(result, conv_kinds(graph), "kind")


def block_table(result: SimResult) -> pd.DataFrame:
    """Cycles and MACs of every SqueezeNext block (``stages.<i>.blocks.<j>.*``, its residual add
    ``stages.<i>.blocks.<j>.add`` included; an add without a module path joins the block before it); index (``stage``, ``block``) with stage ``i + 1``. Layers outside blocks (stem,
    stage-entry convs, head) are left out. Columns: ``layers``, ``macs``, ``cycles``, ``latency_us``."""
    import pandas as pd

    keys: list[tuple[int, int] | None] = []
    for name, op in zip(result.names, result.ops):
        match = _BLOCK.match(name)
        if match:
            keys.append((int(match.group(1)) + 1, int(match.group(2))))
        elif op in _FUNCTIONAL_OPS and "." not in name and keys:
            keys.append(keys[-1])
        else:
            keys.append(None)
    rows = [i for i, key in enumerate(keys) if key is not None]
    if not rows:
        raise ValueError(f"block_table: {result.graph_name} has no stages.<i>.blocks.<j> layers")
    frame = pd.DataFrame(
        {
            "stage": [keys[i][0] for i in rows],  # type: ignore[index]
            "block": [keys[i][1] for i in rows],  # type: ignore[index]
            "layers": 1,
            "macs": result.macs[rows].astype(np.int64),
            "cycles": result.cycles[rows].astype(np.int64),
        }
    )
    table = frame.groupby(["stage", "block"]).sum()
    table["latency_us"] = table["cycles"] / result.clock_mhz
    return table


def search_frame(result: SearchResult) -> pd.DataFrame:
    """The ranked candidates of a search as a DataFrame (best first).

    Columns: ``rank``, ``allocation`` (blocks per stage, ``2-4-14-1``), one per choice of the
    family (SqueezeNext: ``conv1``, ``shortcut``), in a joint search one per swept accelerator
    field (``array.rows``, ...), ``latency_ms``, ``energy_uj``, ``utilization``, ``area_mm2``
    (the configuration's chip area), ``macs``, ``params``, ``accuracy`` (measured; NaN without
    one), ``on_front`` (on the search's Pareto front) and ``version`` (the labels of the
    published networks the candidate is, such as SqueezeNext ``v5``, else empty).
    """
    import pandas as pd

    front = set(result.pareto)
    names = [choice.name for choice in result.space.definition.choices]
    configurations = result.configurations if result.joint else None
    paths = configurations.paths if configurations is not None else ()
    rows = []
    for i, r in enumerate(result.ranked):
        c = r.candidate
        rows.append(
            {
                "rank": i + 1,
                "allocation": c.allocation,
                **dict(zip(names, c.choices)),
                **(dict(zip(paths, configurations.values(r.config))) if configurations is not None else {}),
                "latency_ms": r.latency_ms,
                "energy_uj": r.energy_uj,
                "utilization": r.utilization,
                "area_mm2": r.area_mm2,
                "macs": r.macs,
                "params": r.params,
                "accuracy": float("nan") if r.accuracy is None else r.accuracy,
                "on_front": i in front,
                "version": ",".join(result.version_of(c)),
            }
        )
    return pd.DataFrame(rows)


def area_budget_table(result: SearchResult, budgets_mm2: Sequence[float], max_params: int | None = None) -> pd.DataFrame:
    """Per area budget (mm²), the best pair of a joint search within it (and within ``max_params``
    parameters when given) against the reference: the family's last published network on the base
    accelerator (SqueezeNext v5 on ``ws_32x32``), or on the only accelerator of a plain search.

    Columns: ``budget_mm2``, ``rank``, ``allocation``, one per choice of the family, one per swept
    accelerator field, ``latency_ms``, ``energy_uj``, ``area_mm2``, ``params``, ``speedup`` (the
    reference's latency / the pair's), ``energy_ratio`` and ``area_ratio`` (the pair's / the
    reference's). A budget no pair fits leaves its row empty (NaN).
    """
    import pandas as pd

    points = result.on_base or result.versions
    if not points:
        raise ValueError("area_budget_table: the search's family has no published network to compare with")
    reference = points[-1].result
    names = [choice.name for choice in result.space.definition.choices]
    configurations = result.configurations if result.joint else None
    paths = configurations.paths if configurations is not None else ()
    rows = []
    for budget in budgets_mm2:
        rank, best = next(((i + 1, r) for i, r in enumerate(result.ranked)
                           if r.area_mm2 <= budget and (max_params is None or r.params <= max_params)), (None, None))
        row: dict[str, object] = {"budget_mm2": budget, "rank": rank}
        if best is not None:
            row.update({
                "allocation": best.candidate.allocation,
                **dict(zip(names, best.candidate.choices)),
                **(dict(zip(paths, configurations.values(best.config))) if configurations is not None else {}),
                "latency_ms": best.latency_ms, "energy_uj": best.energy_uj, "area_mm2": best.area_mm2,
                "params": best.params, "speedup": reference.latency_ms / best.latency_ms,
                "energy_ratio": best.energy_uj / reference.energy_uj, "area_ratio": best.area_mm2 / reference.area_mm2,
            })
        rows.append(row)
    return pd.DataFrame(rows).set_index("budget_mm2")


def _check_same_layers(where: str, measurement: ModelMeasurement, results: Sequence[SimResult]) -> None:
    names = measurement.layer_names
    for result in results:
        if result.names != names:
            raise ValueError(f"{where}: {result.graph_name} on {result.accelerator_name} does not have the "
                             f"layers of the measured {measurement.model} (simulate measurement.graph)")


def time_table(measurement: ModelMeasurement, results: Sequence[SimResult]) -> pd.DataFrame:
    """Per layer: kind (:func:`conv_kinds`), measured median latency (``measured_us``) and the latency
    of each result (``<accelerator>_us``, from :attr:`SimResult.latency_us`), in microseconds.
    The results must come from ``measurement.graph`` (same layers, same order)."""
    import pandas as pd

    _check_same_layers("time_table", measurement, results)
    frame = pd.DataFrame(
        {
            "layer": list(measurement.layer_names),
            "op": [layer.op for layer in measurement.graph.layers],
            "kind": list(conv_kinds(measurement.graph)),
            "measured_us": np.asarray(measurement.layer_seconds, dtype=np.float64) * 1e6,
        }
    )
    for result in results:
        frame[f"{result.accelerator_name}_us"] = np.asarray(result.latency_us, dtype=np.float64)
    return frame
