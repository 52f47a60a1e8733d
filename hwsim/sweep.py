"""Design-space sweeps: the cartesian product of values over accelerator fields, for every model.

``sweep(models, base, {"array.rows": [8, 16], "dataflow": ["ws", "best"]})`` returns one row per
(model, configuration). A configuration is the base accelerator with one value per swept field
(dotted paths of :meth:`hwsim.accelerator.Accelerator.field_paths`).

How it runs:

- every swept value is validated **once** (``base.with_overrides({path: value})``); the
  configurations themselves are never built as pydantic objects: :meth:`Grid.hardware` builds
  the ``(configs, 1)`` columns of :class:`hwsim.sim.HardwareArrays` straight from the per-axis
  value tables;
- layers with identical shapes are evaluated once (:class:`ModelArrays`) and
  :func:`hwsim.sim.evaluate` runs over blocks of ``configs x unique layers`` small enough to
  stay in cache — no Python loop per configuration;
- configurations are grouped into chunks (``chunk_size`` configurations of one model); each
  finished chunk is appended to the output at once, so an interrupted sweep loses at most the
  chunk in flight (the chunks in flight with ``workers``/``scheduler``: up to two per worker
  thread), and ``resume=True`` skips every (model, config_id) already in the output;
- chunks run in this process (default), in ``workers`` local processes, or on a Dask cluster
  (``scheduler``); results are written in chunk order, so the output is the same either way.

Output formats (by the file name): ``*.csv`` is appended to, header written once (a row cut by a
kill is dropped on resume); ``*.parquet`` (or an existing directory) is a dataset directory
with one ``part-*.parquet`` file per chunk, each written to a hidden temporary name and renamed
into place, so a kill never leaves a broken part.

Columns of a summary row (units in the names): ``model``, ``config_id`` (16 hex digits, a hash
of every functional field of the configuration, so the same accelerator always gets the same
id), one column per swept field named by its dotted path, then :data:`SUMMARY_COLUMNS`.
``--per-layer`` rows carry :data:`LAYER_COLUMNS`.

Testing aid: the environment variable ``HWSIM_SWEEP_CHUNK_DELAY_S`` makes the writer pause that
many seconds after each written chunk (the resume tests use it to kill a sweep mid-way).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import typing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from hwsim.accelerator import GEMM_DATAFLOWS, Accelerator, load_accelerator
from hwsim.dataflow import DATAFLOWS
from hwsim.energy import COMPONENTS, EnergyPrices
from hwsim.errors import ConfigError, HwsimError
from hwsim.graph import LayerGraph
from hwsim.sim import KIND_GEMM, HardwareArrays, LayerArrays, evaluate

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo

__all__ = [
    "LAYER_COLUMNS",
    "SUMMARY_COLUMNS",
    "Axis",
    "Grid",
    "ModelArrays",
    "field_kind",
    "parse_set",
    "parse_sets",
    "read_sweep",
    "sweep",
    "sweepable_paths",
]

IntArray = NDArray[np.int64]

#: Fields that describe rather than define an accelerator: never swept, not part of the config id.
_DESCRIPTIVE = ("name", "description", "energy_pj.source")
#: ``dataflow_choices`` is not swept: sweep ``dataflow`` (``best`` uses the base's choices).
_NOT_SWEPT = (*_DESCRIPTIVE, "dataflow_choices")

#: Per-configuration metric columns of a summary row, after ``model``, ``config_id`` and the swept fields.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "accelerator",  # name of the base accelerator
    "macs",  # MACs of the network
    "cycles",  # end-to-end cycles (layers run one after another)
    "compute_cycles",  # stall-free cycles
    "stall_cycles",  # cycles - compute_cycles
    "stall_share",  # stall_cycles / cycles
    "latency_ms",  # cycles / clock
    "energy_uj",  # total energy, microjoules
    *(f"energy_{c}_uj" for c in COMPONENTS),
    "utilization",  # MACs / (cycles x PEs)
    "dram_bytes",  # DRAM traffic, bytes
    "sram_bytes",  # buffer reads + writes, bytes
    "roofline_cycles",  # sum over layers of max(MACs / PEs, DRAM bytes / bandwidth)
    "memory_bound_share",  # share of the cycles spent in memory-bound layers
    "bound",  # "memory" when memory_bound_share > 0.5, else "compute"
    "bottleneck_layer",  # the layer taking the most cycles (first one on ties)
    "bottleneck_share",  # its share of the cycles
    "layers_ws",  # GEMM layers mapped weight-stationary
    "layers_os",  # ... output-stationary
    "layers_is",  # ... input-stationary
    "area_pes",  # area proxy: rows x cols
    "area_buffer_kib",  # area proxy: ifmap + filter + ofmap buffer KiB
)

#: Columns of a per-layer row.
LAYER_COLUMNS: tuple[str, ...] = (
    "model",
    "config_id",
    "layer_index",
    "layer",
    "op",
    "dataflow",
    "cycles",
    "compute_cycles",
    "stall_cycles",
    "utilization",
    "dram_bytes",
    "energy_pj",
    "memory_bound",
)

#: Configurations x unique layers evaluated in one call of :func:`hwsim.sim.evaluate` (cache-sized).
BLOCK_ELEMENTS = 16384
#: Default configurations per written chunk.
DEFAULT_CHUNK_CONFIGS = 2048
#: With per-layer output, a chunk holds at most this many configurations x layers.
PER_LAYER_CHUNK_ELEMENTS = 1_000_000
DELAY_ENV = "HWSIM_SWEEP_CHUNK_DELAY_S"
#: Seconds to wait for a Dask scheduler to answer.
SCHEDULER_TIMEOUT_S = 20.0


# --------------------------------------------------------------------------------------------
# Fields: which can be swept, how their values are typed, --set parsing


def sweepable_paths() -> tuple[str, ...]:
    """Dotted accelerator fields a sweep can vary."""
    return tuple(p for p in Accelerator.field_paths() if p not in _NOT_SWEPT)


def _field_info(path: str) -> FieldInfo:
    model: Any = Accelerator
    info = None
    for part in path.split("."):
        info = model.model_fields[part]
        model = info.annotation
    assert info is not None
    return info


def field_kind(path: str) -> str:
    """Value type of a sweepable field: ``int``, ``float``, ``bool``, ``str`` or ``optional_int``."""
    _check_sweepable(path)
    annotation = _field_info(path).annotation
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return "str"
    if type(None) in args:
        inner = [a for a in args if a is not type(None)][0]
        return "optional_int" if inner is int else "optional_float"
    return {int: "int", float: "float", bool: "bool", str: "str"}[annotation]


def _check_sweepable(path: object) -> None:
    import difflib

    paths = sweepable_paths()
    if isinstance(path, str) and path in paths:
        return
    if isinstance(path, str) and path in _NOT_SWEPT:
        why = "sweep dataflow instead" if path == "dataflow_choices" else "it does not change the hardware"
        raise ConfigError(f"sweep field {path!r} cannot be swept ({why})")
    close = difflib.get_close_matches(str(path), paths, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ConfigError(f"unknown sweep field {path!r}{hint} (fields: {', '.join(paths)})")


_RANGE = re.compile(r"^range\((.*)\)$")
_EXPECT = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "str": "a string",
    "optional_int": "an integer or null",
    "optional_float": "a number or null",
}


def _parse_token(path: str, kind: str, token: str) -> Any:
    """One ``--set`` value typed by its field (errors name the field and the value)."""
    text = token.strip()
    try:
        if kind.startswith("optional_") and text.lower() in ("null", "none"):
            return None
        if kind in ("int", "optional_int"):
            return int(text)
        if kind in ("float", "optional_float"):
            return float(text)
        if kind == "bool":
            return {"true": True, "false": False}[text.lower()]
    except (ValueError, KeyError):
        raise ConfigError(f"--set {path}: value {text!r}: expected {_EXPECT[kind]}") from None
    return text


def parse_set(text: str) -> tuple[str, tuple[Any, ...]]:
    """``"array.rows=8,16,32"`` or ``"buffers.ifmap_kib=range(16,256,16)"`` -> (path, typed values).

    ``range(start, stop[, step])`` has Python's semantics (integers, stop excluded). Values are
    typed by the field (``int``, ``float``, ``true``/``false``, strings, ``null`` for optional
    fields); their validity is checked when the :class:`Grid` is built.
    """
    path, sep, rhs = text.partition("=")
    path, rhs = path.strip(), rhs.strip()
    if not sep or not path:
        raise ConfigError(f"--set {text!r}: expected FIELD=V1,V2,... or FIELD=range(START,STOP[,STEP])")
    _check_sweepable(path)
    kind = field_kind(path)
    match = _RANGE.match(rhs.replace(" ", ""))
    if match:
        try:
            bounds = [int(b) for b in match.group(1).split(",")]
            if not 1 <= len(bounds) <= 3:
                raise ValueError
            values: tuple[Any, ...] = tuple(range(*bounds))
        except ValueError:
            raise ConfigError(f"--set {path}: {rhs!r}: expected range(START,STOP[,STEP]) with integers, step != 0") from None
        if not values:
            raise ConfigError(f"--set {path}: {rhs} is empty")
        if kind in ("float", "optional_float"):
            values = tuple(float(v) for v in values)
        return path, values
    tokens = rhs.split(",")
    if any(not t.strip() for t in tokens):
        raise ConfigError(f"--set {path}: {rhs!r}: expected a comma-separated list of values (an empty value was given)")
    return path, tuple(_parse_token(path, kind, t) for t in tokens)


def parse_sets(texts: Iterable[str]) -> dict[str, tuple[Any, ...]]:
    """Several ``--set`` options -> a grid mapping; a field set twice is an error."""
    grid: dict[str, tuple[Any, ...]] = {}
    for text in texts:
        path, values = parse_set(text)
        if path in grid:
            raise ConfigError(f"--set {path}: field given twice; list all its values in one --set")
        grid[path] = values
    return grid


# --------------------------------------------------------------------------------------------
# Configuration ids: a sum of per-field hashes, so one field's value can be swapped in cheaply


def _field_hash(path: str, value: Any) -> int:
    text = f"{path}={json.dumps(list(value) if isinstance(value, tuple) else value)}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def _identity_hash(accel: Accelerator) -> int:
    """Hash of every functional field of ``accel`` (mod 2**64)."""
    paths = [p for p in Accelerator.field_paths() if p not in _DESCRIPTIVE]
    return sum(_field_hash(p, accel.get(p)) for p in paths) % 2**64


# --------------------------------------------------------------------------------------------
# The grid


@dataclass(frozen=True)
class Axis:
    """One swept field: its validated values, each value's config-id delta and allowed dataflows."""

    path: str
    values: tuple[Any, ...]
    id_deltas: tuple[int, ...]  #: hash(base with this value) - hash(base), mod 2**64

    def __len__(self) -> int:
        return len(self.values)


def _coerce(path: str, kind: str, value: Any) -> Any:
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()
    if kind in ("float", "optional_float") and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


@dataclass(frozen=True)
class Grid:
    """The cartesian product of axes over a base accelerator; configurations are ordinals 0..size-1.

    The last axis varies fastest (C order). Build with :meth:`build`.
    """

    base: Accelerator
    axes: tuple[Axis, ...]
    base_id: int  #: identity hash of the base
    best_choices: tuple[str, ...]  #: dataflows ``dataflow=best`` allows

    @classmethod
    def build(cls, base: Accelerator, grid: Mapping[str, Sequence[Any]]) -> Grid:
        """Validate every value of every axis once (not every combination)."""
        base_id = _identity_hash(base)
        axes = []
        for path, raw in grid.items():
            _check_sweepable(path)
            if isinstance(raw, (str, bytes)) or not isinstance(raw, Iterable):
                raise ConfigError(f"sweep field {path}: expected a list of values, got {raw!r}")
            kind = field_kind(path)
            values: list[Any] = []
            deltas: list[int] = []
            for value in (_coerce(path, kind, v) for v in raw):
                try:
                    accel = base.with_overrides({path: value})
                except ConfigError as exc:
                    expected = str(exc).split(": expected ", 1)[-1]
                    raise ConfigError(f"sweep field {path}: value {value!r}: expected {expected}") from None
                canonical = accel.get(path)
                if canonical in values:
                    raise ConfigError(f"sweep field {path}: value {value!r} given twice")
                values.append(canonical)
                deltas.append((_identity_hash(accel) - base_id) % 2**64)
            if not values:
                raise ConfigError(f"sweep field {path}: no values given")
            axes.append(Axis(path, tuple(values), tuple(deltas)))
        best = base.with_overrides({"dataflow": "best"}).candidate_dataflows
        return cls(base=base, axes=tuple(axes), base_id=base_id, best_choices=tuple(best))

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(a.path for a in self.axes)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a) for a in self.axes)

    @property
    def size(self) -> int:
        """Number of configurations (1 for an empty grid: the base itself)."""
        return int(np.prod(self.shape, dtype=np.int64))

    def axis_indices(self, ordinals: IntArray) -> tuple[IntArray, ...]:
        """Per axis, the value index of each configuration."""
        if not self.axes:
            return ()
        return tuple(np.asarray(i, dtype=np.int64) for i in np.unravel_index(ordinals, self.shape))

    def config_ids(self, ordinals: IntArray) -> NDArray[np.object_]:
        """Stable 16-hex-digit ids of the configurations (a hash of every functional field)."""
        total = np.full(len(ordinals), self.base_id, dtype=np.uint64)
        for axis, index in zip(self.axes, self.axis_indices(ordinals)):
            total += np.asarray(axis.id_deltas, dtype=np.uint64)[index]  # wraps mod 2**64
        return np.array([f"{v:016x}" for v in total.tolist()], dtype=object)

    def value_columns(self, ordinals: IntArray) -> dict[str, NDArray[Any]]:
        """The swept values of each configuration, one array per swept field."""
        out = {}
        for axis, index in zip(self.axes, self.axis_indices(ordinals)):
            table = np.empty(len(axis), dtype=object)
            table[:] = list(axis.values)
            out[axis.path] = _typed(field_kind(axis.path), table[index])
        return out

    def accelerator(self, ordinal: int) -> Accelerator:
        """One configuration as a validated :class:`Accelerator` (for checks; sweeps never need it)."""
        index = self.axis_indices(np.array([ordinal]))
        return self.base.with_overrides({a.path: a.values[int(i[0])] for a, i in zip(self.axes, index)})

    def hardware(self, ordinals: IntArray) -> HardwareArrays:
        """:class:`HardwareArrays` of the configurations, built from columns (no pydantic objects).

        Mirrors :meth:`HardwareArrays.from_accelerators` (tests check they agree field by field).
        """
        n = len(ordinals)
        indices = dict(zip(self.paths, self.axis_indices(ordinals)))
        axes = {a.path: a for a in self.axes}

        def leaf(path: str, dtype: Any, none: Any = None) -> NDArray[Any]:
            if path in axes:
                values = [none if v is None else v for v in axes[path].values]
                return np.asarray(values, dtype=dtype)[indices[path]]
            value = self.base.get(path)
            return np.full(n, none if value is None else value, dtype=dtype)

        def col(values: NDArray[Any]) -> NDArray[Any]:
            return values.reshape(-1, 1)

        rows = leaf("array.rows", np.int64)
        cols = leaf("array.cols", np.int64)
        lanes = leaf("vector.lanes", np.int64, none=0)
        mac = leaf("energy_pj.mac", np.float64)
        vector_op = leaf("energy_pj.vector_op", np.float64, none=np.nan)
        dataflow = leaf("dataflow", object)
        best = dataflow == "best"

        def allowed(d: str) -> NDArray[np.bool_]:
            return (dataflow == d) | (best & (d in self.best_choices))

        kib = 1024.0
        return HardwareArrays(
            rows=col(rows),
            cols=col(cols),
            word_bytes=col(leaf("word_bytes", np.int64)),
            ifmap_buffer_bytes=col(leaf("buffers.ifmap_kib", np.float64) * kib),
            filter_buffer_bytes=col(leaf("buffers.filter_kib", np.float64) * kib),
            ofmap_buffer_bytes=col(leaf("buffers.ofmap_kib", np.float64) * kib),
            bandwidth_bytes_per_cycle=col(leaf("dram.bandwidth_bytes_per_cycle", np.float64)),
            per_operand_ports=col(leaf("dram.ports", object) == "per_operand"),
            vector_lanes=col(np.where(lanes == 0, cols, lanes)),
            pack_groups=col(leaf("options.pack_groups", bool)),
            concat_in_place=col(leaf("options.concat_in_place", bool)),
            shuffle_in_addressing=col(leaf("options.shuffle_in_addressing", bool)),
            allow_ws=col(allowed("ws")),
            allow_os=col(allowed("os")),
            allow_is=col(allowed("is")),
            clock_mhz=col(leaf("clock_mhz", np.float64)),
            prices=EnergyPrices(
                mac=col(mac),
                rf_access=col(leaf("energy_pj.rf_access", np.float64)),
                sram_byte=col(leaf("energy_pj.sram_byte", np.float64)),
                dram_byte=col(leaf("energy_pj.dram_byte", np.float64)),
                vector_op=col(np.where(np.isnan(vector_op), mac, vector_op)),
                leakage_per_cycle=col(leaf("energy_pj.leakage_per_cycle", np.float64)),
            ),
        )


def _typed(kind: str, values: NDArray[np.object_]) -> Any:
    if kind == "int":
        return values.astype(np.int64)
    if kind == "float":
        return values.astype(np.float64)
    if kind == "bool":
        return values.astype(bool)
    if kind == "optional_int":
        return pd.array(values.tolist(), dtype="Int64")
    if kind == "optional_float":
        return pd.array(values.tolist(), dtype="Float64")
    return values


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
    def from_graph(cls, graph: LayerGraph) -> ModelArrays:
        la = LayerArrays.from_graph(graph)
        if len(la) == 0:
            raise ConfigError(f"model {graph.name!r}: the graph has no layers to sweep")
        op_codes = {op: i for i, op in enumerate(sorted(set(la.ops)))}
        key = np.column_stack([np.array([op_codes[o] for o in la.ops], dtype=np.int64)] + [getattr(la, f) for f in _LAYER_FIELDS])
        _, first, inverse, counts = np.unique(key, axis=0, return_index=True, return_inverse=True, return_counts=True)
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
    summary: pd.DataFrame
    layers: pd.DataFrame | None


def _summarise(model: ModelArrays, hw: HardwareArrays, out: Mapping[str, NDArray[Any]]) -> dict[str, Any]:
    """Per-configuration totals from ``(configs, unique layers)`` metrics."""
    w = model.counts

    def total(key: str) -> NDArray[Any]:
        return (out[key] * w).sum(axis=1)

    cycles = total("cycles")
    compute = total("compute_cycles")
    stalls = cycles - compute
    safe = np.maximum(cycles, 1)
    clock = hw.clock_mhz[:, 0]
    pes = hw.pes[:, 0]
    energy = {c: total(f"energy_{c}_pj") for c in COMPONENTS}
    memory_share = (out["cycles"] * out["memory_bound"] * w).sum(axis=1) / safe
    layer_cycles = out["cycles"]
    most = layer_cycles.max(axis=1, keepdims=True)
    bottleneck = np.where(layer_cycles == most, model.first, len(model)).min(axis=1)
    is_gemm = model.unique.kind == KIND_GEMM
    columns: dict[str, Any] = {
        "macs": np.full(len(cycles), model.macs, dtype=np.int64),
        "cycles": cycles,
        "compute_cycles": compute,
        "stall_cycles": stalls,
        "stall_share": stalls / safe,
        "latency_ms": cycles / (clock * 1e3),
        "energy_uj": sum(energy.values()) / 1e6,
        **{f"energy_{c}_uj": e / 1e6 for c, e in energy.items()},
        "utilization": model.macs / np.maximum(cycles * pes, 1),
        "dram_bytes": total("dram_bytes"),
        "sram_bytes": total("sram_read_bytes") + total("sram_write_bytes"),
        "roofline_cycles": total("roofline_cycles"),
        "memory_bound_share": memory_share,
        "bound": np.where(memory_share > 0.5, "memory", "compute").astype(object),
        "bottleneck_layer": np.asarray(model.layer_names, dtype=object)[bottleneck],
        "bottleneck_share": most[:, 0] / safe,
    }
    for index, d in enumerate(DATAFLOWS):
        columns[f"layers_{d}"] = ((out["dataflow_index"] == index) & is_gemm) @ w
    columns["area_pes"] = pes
    columns["area_buffer_kib"] = (hw.ifmap_buffer_bytes + hw.filter_buffer_bytes + hw.ofmap_buffer_bytes)[:, 0] / 1024.0
    return columns


def _layer_rows(model: ModelArrays, ids: NDArray[np.object_], out: Mapping[str, NDArray[Any]]) -> pd.DataFrame:
    n, layers = len(ids), len(model)

    def expand(key: str) -> NDArray[Any]:
        return out[key][:, model.inverse].reshape(-1)

    flows = np.array([*DATAFLOWS, "-"], dtype=object)
    return pd.DataFrame(
        {
            "model": np.full(n * layers, model.name, dtype=object),
            "config_id": np.repeat(ids, layers),
            "layer_index": np.tile(np.arange(layers, dtype=np.int64), n),
            "layer": np.tile(np.asarray(model.layer_names, dtype=object), n),
            "op": np.tile(np.asarray(model.layer_ops, dtype=object), n),
            "dataflow": flows[expand("dataflow_index")],
            "cycles": expand("cycles"),
            "compute_cycles": expand("compute_cycles"),
            "stall_cycles": expand("stall_cycles"),
            "utilization": expand("utilization"),
            "dram_bytes": expand("dram_bytes"),
            "energy_pj": expand("energy_pj"),
            "memory_bound": expand("memory_bound"),
        }
    )


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Evaluate one chunk (vectorised over configurations x distinct layers, in cache-sized blocks)."""
    model, grid = task.model, task.grid
    block = max(1, BLOCK_ELEMENTS // len(model.unique))
    parts: list[dict[str, Any]] = []
    layer_parts: list[pd.DataFrame] = []
    ids_all = task.config_ids
    for start in range(0, len(task.ordinals), block):
        ordinals = task.ordinals[start : start + block]
        hw = grid.hardware(ordinals)
        out = evaluate(model.unique, hw)
        parts.append(_summarise(model, hw, out))
        if task.per_layer:
            layer_parts.append(_layer_rows(model, ids_all[start : start + block], out))
    metrics = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    summary = pd.DataFrame(
        {
            "model": np.full(len(task.ordinals), model.name, dtype=object),
            "config_id": ids_all,
            **grid.value_columns(task.ordinals),
            "accelerator": np.full(len(task.ordinals), grid.base.name, dtype=object),
            **metrics,
        }
    )
    layers = pd.concat(layer_parts, ignore_index=True) if task.per_layer else None
    return ChunkResult(summary=summary, layers=layers)


# --------------------------------------------------------------------------------------------
# Output: CSV appended chunk by chunk, or a Parquet dataset directory of one file per chunk


KEY = ["model", "config_id"]


def _kind_of_output(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq") or path.is_dir():
        return "parquet"
    raise ConfigError(f"{path}: unsupported sweep output: expected a .csv file or a .parquet dataset directory")


def _part_name(task: ChunkTask, first_id: str) -> str:
    """``part-<model index>-<first ordinal>-<first config id>.parquet``: sorts in sweep order, never collides."""
    return f"part-{task.model_index:04d}-{int(task.ordinals[0]):010d}-{first_id}.parquet"


class _CsvSink:
    """A CSV file appended to chunk by chunk; the header is written once."""

    def __init__(self, path: Path, dtypes: Mapping[str, Any]) -> None:
        self.path = path
        self.dtypes = dict(dtypes)

    def reset(self) -> None:
        self._write_bytes(b"", "w")

    def exists(self) -> bool:
        return self.path.is_file() and self.path.stat().st_size > 0

    def repair(self) -> None:
        """Cut a row left half-written by a kill (everything after the last newline)."""
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end != len(data):
            with self.path.open("r+b") as f:
                f.truncate(end)

    def columns(self) -> list[str] | None:
        with self.path.open(encoding="utf-8") as f:
            header = f.readline()
        return header.rstrip("\n").split(",") if header.endswith("\n") else None

    def read(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        if not self.exists():
            return pd.DataFrame(columns=list(columns or KEY))
        dtypes = {k: v for k, v in self.dtypes.items() if columns is None or k in columns}
        return pd.read_csv(self.path, usecols=columns, dtype=dtypes, keep_default_na=False, na_values=[""])

    def write(self, frame: pd.DataFrame, part: str) -> None:
        header = not self.exists()
        self._write_bytes(frame.to_csv(index=False, header=header).encode("utf-8"), "a")

    def keep_only(self, keys: pd.DataFrame) -> None:
        """Drop rows whose (model, config_id) is not in ``keys`` (rewrites the file atomically)."""
        if not self.exists():
            return
        frame = self.read()
        kept = frame.merge(keys, on=KEY, how="inner")
        if len(kept) != len(frame):
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            tmp.write_bytes(frame.iloc[:0].to_csv(index=False).encode() + kept.to_csv(index=False, header=False).encode())
            os.replace(tmp, self.path)

    def _write_bytes(self, data: bytes, mode: str) -> None:
        try:
            with self.path.open(mode + "b") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise HwsimError(f"cannot write {self.path}: {exc.strerror or exc}") from None


class _ParquetSink:
    """A directory of ``part-*.parquet`` files, one per chunk, each renamed into place when complete."""

    def __init__(self, path: Path) -> None:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ConfigError(f"{path}: Parquet output needs pyarrow (pip install 'hwsim[sweep]'), or use a .csv output") from None
        self.path = path

    def parts(self) -> list[Path]:
        return sorted(self.path.glob("part-*.parquet")) if self.path.is_dir() else []

    def reset(self) -> None:
        try:
            if self.path.exists() and not self.path.is_dir():
                self.path.unlink()
            self.path.mkdir(parents=True, exist_ok=True)
            for old in [*self.parts(), *self.path.glob(".part-*.tmp")]:
                old.unlink()
        except OSError as exc:
            raise HwsimError(f"cannot write {self.path}: {exc.strerror or exc}") from None

    def exists(self) -> bool:
        return bool(self.parts())

    def repair(self) -> None:
        for tmp in self.path.glob(".part-*.tmp"):
            tmp.unlink()

    def columns(self) -> list[str] | None:
        import pyarrow.parquet as pq

        return list(pq.read_schema(self.parts()[0]).names) if self.exists() else None

    def read(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        parts = self.parts()
        if not parts:
            return pd.DataFrame(columns=list(columns or KEY))
        return pd.concat([pd.read_parquet(p, columns=columns) for p in parts], ignore_index=True)

    def write(self, frame: pd.DataFrame, part: str) -> None:
        tmp = self.path / f".{part}.tmp"
        try:
            frame.to_parquet(tmp, index=False)
            with tmp.open("rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, self.path / part)
        except OSError as exc:
            raise HwsimError(f"cannot write {self.path / part}: {exc.strerror or exc}") from None

    def drop_parts_except(self, names: set[str]) -> None:
        for p in self.parts():
            if p.name not in names:
                p.unlink()


def _open_sink(path: str | os.PathLike[str], dtypes: Mapping[str, Any]) -> _CsvSink | _ParquetSink:
    p = Path(path)
    if _kind_of_output(p) == "csv":
        if p.is_dir():
            raise ConfigError(f"{p}: is a directory: expected a .csv file name")
        return _CsvSink(p, dtypes)
    return _ParquetSink(p)


def _summary_dtypes(paths: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"model": str, "config_id": str, "accelerator": str, "bound": str, "bottleneck_layer": str}
    for path in paths:
        out[path] = {"int": np.int64, "float": np.float64, "bool": bool, "str": str,
                     "optional_int": "Int64", "optional_float": "Float64"}[field_kind(path)]  # fmt: skip
    return out


_LAYER_DTYPES = {"model": str, "config_id": str, "layer": str, "op": str, "dataflow": str}


def read_sweep(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a sweep's output (a ``.csv`` file or a Parquet dataset directory) back into a DataFrame."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: no such sweep output")
    sink = _open_sink(p, {})
    if isinstance(sink, _CsvSink):
        cols = sink.columns() or []
        paths = [c for c in cols if c in sweepable_paths()]
        sink = _CsvSink(p, {**_summary_dtypes(paths), **{k: v for k, v in _LAYER_DTYPES.items() if k in cols}})
    if not sink.exists():
        raise ConfigError(f"{p}: holds no sweep rows")
    return sink.read()


# --------------------------------------------------------------------------------------------
# Running the chunks: here, in local processes, or on a Dask cluster (always yielded in order)


def _run_serial(tasks: Sequence[ChunkTask]) -> Iterator[ChunkResult]:
    for task in tasks:
        yield run_chunk(task)


def _run_processes(tasks: Sequence[ChunkTask], workers: int) -> Iterator[ChunkResult]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from _windowed(tasks, lambda t: pool.submit(run_chunk, t), 2 * workers)


def _run_dask(tasks: Sequence[ChunkTask], scheduler: Any) -> Iterator[ChunkResult]:
    try:
        from dask.distributed import Client
    except ImportError:
        raise ConfigError("--scheduler needs dask.distributed: pip install 'hwsim[sweep]'") from None
    own = not isinstance(scheduler, Client)
    if own:
        try:
            client = Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError(f"--scheduler {scheduler}: cannot connect: {exc}") from None
    else:
        client = scheduler
    try:
        threads = max(1, sum(client.nthreads().values()))
        yield from _windowed(tasks, lambda t: client.submit(run_chunk, t, pure=False), 2 * threads)
    finally:
        if own:
            client.close()


def _windowed(tasks: Sequence[ChunkTask], submit: Callable[[ChunkTask], Any], window: int) -> Iterator[ChunkResult]:
    """Keep up to ``window`` tasks in flight; yield results in task order."""
    pending: deque[Any] = deque()
    for task in tasks:
        pending.append(submit(task))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


# --------------------------------------------------------------------------------------------
# The sweep


def _load_models(models: Any, input_size: tuple[int, int] | None, batch: int) -> list[LayerGraph]:
    items = [models] if isinstance(models, (str, LayerGraph, os.PathLike)) else list(models)
    if not items:
        raise ConfigError("sweep: expected at least one model")
    graphs = []
    for item in items:
        if isinstance(item, LayerGraph):
            graphs.append(item)
        else:
            from hwsim.zoo import load_graph

            graphs.append(load_graph(str(item), input_size=input_size, batch=batch))
    names = [g.name for g in graphs]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise ConfigError(f"sweep: model {dup!r} given twice")
    return graphs


class _Progress:
    """A rich progress bar on stderr: configurations done, configurations per second, time left."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar = None
        if not enabled or total == 0:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.start = time.perf_counter()
        self.bar = Progress(
            TextColumn("sweep"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>9} configs/s"),
            TextColumn("elapsed"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.task = self.bar.add_task("sweep", total=total, rate="-")
        self.done = 0
        self.bar.start()

    def advance(self, count: int) -> None:
        if self.bar is None:
            return
        self.done += count
        rate = self.done / max(time.perf_counter() - self.start, 1e-9)
        self.bar.update(self.task, advance=count, rate=f"{rate:,.0f}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def sweep(
    models: str | LayerGraph | Sequence[str | LayerGraph],
    base: Accelerator | str,
    grid: Mapping[str, Sequence[Any]],
    *,
    output: str | os.PathLike[str] | None = None,
    per_layer: str | os.PathLike[str] | None = None,
    resume: bool = False,
    chunk_size: int | None = None,
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = False,
    input_size: tuple[int, int] | None = None,
    batch: int = 1,
) -> pd.DataFrame:
    """Sweep every model over the cartesian product ``grid`` of accelerator field values.

    Args:
        models: zoo names, graph files (anything :func:`hwsim.zoo.load_graph` takes) or LayerGraphs.
        base: the accelerator (or its name/file) whose fields the grid overrides.
        grid: dotted field path -> values (``{"array.rows": [8, 16], "dataflow": ["ws", "best"]}``).
        output: ``.csv`` file or ``.parquet`` dataset directory written chunk by chunk (optional).
        per_layer: where to write one row per (model, configuration, layer) (needs ``output``).
        resume: keep what ``output`` already holds and compute only the missing rows.
        chunk_size: configurations per chunk (default :data:`DEFAULT_CHUNK_CONFIGS`, fewer with
            ``per_layer``).
        workers: local processes (1: run here).
        scheduler: a Dask scheduler address or ``dask.distributed.Client`` to run the chunks on.
        progress: show a progress bar on stderr.

    Returns:
        One row per (model, configuration), models in the given order, configurations in grid
        order (last field fastest); columns ``model``, ``config_id``, the swept fields,
        :data:`SUMMARY_COLUMNS`.
    """
    if workers < 1:
        raise ConfigError(f"--workers {workers}: expected an integer >= 1")
    if chunk_size is not None and chunk_size < 1:
        raise ConfigError(f"--chunk-size {chunk_size}: expected an integer >= 1")
    if per_layer is not None and output is None:
        raise ConfigError("--per-layer needs an output file (-o) for the summary rows")
    if resume and output is None:
        raise ConfigError("--resume needs an output file (-o) to resume from")
    accel = load_accelerator(base) if isinstance(base, (str, os.PathLike)) else base
    the_grid = Grid.build(accel, grid)
    model_arrays = [ModelArrays.from_graph(g) for g in _load_models(models, input_size, batch)]
    ids = the_grid.config_ids(np.arange(the_grid.size, dtype=np.int64))
    expected = pd.concat([pd.DataFrame({"model": m.name, "config_id": ids}) for m in model_arrays], ignore_index=True)
    expected["_order"] = np.arange(len(expected))
    columns = [*KEY, *the_grid.paths, *SUMMARY_COLUMNS]

    sink = _open_sink(output, _summary_dtypes(the_grid.paths)) if output is not None else None
    layer_sink = _open_sink(per_layer, _LAYER_DTYPES) if per_layer is not None else None
    done = pd.DataFrame(columns=KEY)
    if sink is not None:
        done = _prepare(sink, layer_sink, resume, columns)

    tasks = _plan(model_arrays, the_grid, ids, done, chunk_size, per_layer is not None)
    if scheduler is not None:
        results = _run_dask(tasks, scheduler)
    elif workers > 1 and len(tasks) > 1:
        results = _run_processes(tasks, workers)
    else:
        results = _run_serial(tasks)

    delay = float(os.environ.get(DELAY_ENV, "0") or 0)
    bar = _Progress(sum(len(t.ordinals) for t in tasks), progress)
    frames: list[pd.DataFrame] = []
    try:
        for task, result in zip(tasks, results):
            if sink is None:
                frames.append(result.summary)
            else:
                part = _part_name(task, str(result.summary["config_id"].iloc[0]))
                if layer_sink is not None and result.layers is not None:
                    layer_sink.write(result.layers, part)
                sink.write(result.summary, part)
            bar.advance(len(task.ordinals))
            if delay > 0:
                time.sleep(delay)
    finally:
        bar.close()
    if sink is None:
        return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
    frame = sink.read()
    frame = frame.merge(expected, on=KEY, how="inner").sort_values("_order", kind="stable")
    return frame.drop(columns="_order").reset_index(drop=True)[columns]


def _prepare(sink: Any, layer_sink: Any, resume: bool, columns: Sequence[str]) -> pd.DataFrame:
    """Start the output afresh, or (resume) check it and return the (model, config_id) already done."""
    if not resume or not sink.exists():
        sink.reset()
        if layer_sink is not None:
            layer_sink.reset()
        return pd.DataFrame(columns=KEY)
    sink.repair()
    found = sink.columns()
    if found is not None and list(found) != list(columns):
        extra = [c for c in found if c not in columns] + [c for c in columns if c not in found]
        raise ConfigError(
            f"--resume: {sink.path} was written by a different sweep (columns differ: {', '.join(extra) or 'order'}); "
            "use the same --set fields or a new output"
        )
    done = sink.read(columns=KEY) if found is not None else pd.DataFrame(columns=KEY)
    if layer_sink is not None:
        if not layer_sink.exists() and len(done):
            raise ConfigError(f"--resume: {layer_sink.path} is missing but {sink.path} has rows; resume without --per-layer or start afresh")
        if isinstance(layer_sink, _CsvSink):
            if layer_sink.exists():
                layer_sink.repair()
                layer_sink.keep_only(done.drop_duplicates())
            else:
                layer_sink.reset()
        else:
            if layer_sink.path.is_dir():
                layer_sink.repair()
            else:
                layer_sink.reset()
            if isinstance(sink, _ParquetSink):
                layer_sink.drop_parts_except({p.name for p in sink.parts()})
            else:
                _drop_layer_parts_not_done(layer_sink, done)
    return done


def _drop_layer_parts_not_done(layer_sink: _ParquetSink, done: pd.DataFrame) -> None:
    keys = set(zip(done["model"], done["config_id"]))
    for part in layer_sink.parts():
        frame = pd.read_parquet(part, columns=KEY)
        if not all(k in keys for k in zip(frame["model"], frame["config_id"])):
            part.unlink()


def _plan(
    models: Sequence[ModelArrays], grid: Grid, ids: NDArray[np.object_], done: pd.DataFrame, chunk_size: int | None, per_layer: bool
) -> list[ChunkTask]:
    """Chunks of the configurations not yet done (``ids``: of every ordinal), model by model, in grid order."""
    tasks = []
    ordinals = np.arange(grid.size, dtype=np.int64)
    for index, model in enumerate(models):
        size = chunk_size or DEFAULT_CHUNK_CONFIGS
        if per_layer and chunk_size is None:
            size = max(1, min(size, PER_LAYER_CHUNK_ELEMENTS // len(model)))
        finished = done.loc[done["model"] == model.name, "config_id"]
        todo = ordinals[~pd.Index(ids).isin(finished)]
        for start in range(0, len(todo), size):
            chunk = todo[start : start + size]
            tasks.append(ChunkTask(model, index, grid, chunk, ids[chunk], per_layer))
    return tasks
