"""The grid of a sweep: which accelerator fields can be swept, ``--set`` parsing, configuration ids.

- :func:`sweepable_paths`, :func:`field_kind`: the dotted fields a sweep can vary and their value types;
- :func:`parse_set`, :func:`parse_sets`: ``--set FIELD=V1,V2`` / ``FIELD=range(...)`` -> typed values;
- :data:`MAX_SWEEP_ROWS`, :func:`check_sweep_size`: the largest sweep (configurations x models) run at once;
- configuration ids: a sum (mod 2**64) of per-field hashes, so one field's value swaps in cheaply;
- :class:`Axis`, :class:`Grid`: the validated cartesian product over a base accelerator, and
  :meth:`Grid.hardware`, the :class:`hwsim.cost.arrays.HardwareArrays` of any configurations built
  straight from the per-axis value tables.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from hwsim.hardware.load import Accelerator
from hwsim.cost.area import AreaFigures
from hwsim.cost.arrays import HardwareArrays
from hwsim.cost.dataflows import dataflow_names
from hwsim.cost.energy import EnergyPrices
from hwsim.cost.global_buffer import energy_pj_per_byte
from hwsim.errors import ConfigError

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo

IntArray = NDArray[np.int64]

#: Fields that describe rather than define an accelerator: never swept, not part of the config id.
_DESCRIPTIVE = ("name", "description", "energy_pj.source", "area.source")
#: ``dataflow_choices`` is not swept: sweep ``dataflow`` (``best`` uses the base's choices).
_NOT_SWEPT = (*_DESCRIPTIVE, "dataflow_choices")
#: Fields of optional sections that add nothing to a configuration id at these values (the
#: section's "absent"), so accelerators without the section keep the ids they had before it existed.
_ABSENT = {"global_buffer.kib": 0.0, "global_buffer.bandwidth_bytes_per_cycle": None, "global_buffer.energy_pj_per_byte": None,
           "area.pe_um2": None, "area.buffer_mm2_per_kib": None, "area.global_buffer_mm2_per_kib": None}
#: The most rows (configurations x models) one sweep may have. A sweep keeps its summary rows
#: in memory at the end (about 0.3 KB per row, so about 3 GB at the limit) and runs at roughly
#: 10^4 to 10^5 configurations per second on one core; split larger design spaces into several
#: sweeps (e.g. one per value of the slowest field), each with its own output.
MAX_SWEEP_ROWS = 10_000_000


def check_sweep_size(counts: Sequence[int], models: int = 1) -> int:
    """Rows of a sweep with ``counts`` values per field and ``models`` models (their product);
    ConfigError naming the count and :data:`MAX_SWEEP_ROWS` when over it. Allocates nothing."""
    configs = math.prod(int(c) for c in counts)
    rows = configs * models
    if rows > MAX_SWEEP_ROWS:
        shape = " x ".join(f"{int(c):,}" for c in counts) or "1"
        raise ConfigError(
            f"the sweep has {rows:,} rows ({configs:,} configurations: {shape} values, x {models} model(s)), over the limit "
            f"of {MAX_SWEEP_ROWS:,} rows per sweep (expected at most that many); sweep fewer values, or split it into several sweeps with separate outputs"
        )
    return rows


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
        raise ConfigError(f"sweep field {path!r} cannot be swept ({why}): expected one of {', '.join(paths)}")
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


#: Longest value ``--set`` reads, characters (the widest float, 2^20 with its digits, is far shorter).
_MAX_TOKEN = 64


def _trim(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _parse_token(path: str, kind: str, token: str) -> Any:
    """One ``--set`` value typed by its field (errors name the field and the value)."""
    text = token.strip()
    if len(text) > _MAX_TOKEN:
        raise ConfigError(f"--set {path}: value {_trim(text)}: expected {_EXPECT[kind]} of at most {_MAX_TOKEN} characters")
    try:
        if kind.startswith("optional_") and text.lower() in ("null", "none"):
            return None
        if kind in ("int", "optional_int"):
            return int(text)
        if kind in ("float", "optional_float"):
            return text if text == "unlimited" else float(text)  # unlimited: dram.bandwidth_bytes_per_cycle's word
        if kind == "bool":
            return {"true": True, "false": False}[text.lower()]
    except (ValueError, KeyError):
        raise ConfigError(f"--set {path}: value {_trim(text)}: expected {_EXPECT[kind]}") from None
    return text


def _range_values(path: str, rhs: str, bounds_text: str) -> range:
    """``range(...)``'s values, their count checked before any is built."""
    expected = "expected range(START,STOP[,STEP]) with integers, step != 0"
    parts = bounds_text.split(",")
    if not 1 <= len(parts) <= 3 or any(len(b.strip()) > _MAX_TOKEN for b in parts):
        raise ConfigError(f"--set {path}: {_trim(rhs)}: {expected}")
    try:
        span = range(*(int(b) for b in parts))
    except ValueError:
        raise ConfigError(f"--set {path}: {_trim(rhs)}: {expected}") from None
    count = max(0, (span.stop - span.start + span.step - (1 if span.step > 0 else -1)) // span.step)
    if count == 0:
        raise ConfigError(f"--set {path}: {_trim(rhs)} is empty: expected at least one value")
    if count > MAX_SWEEP_ROWS:  # len() of a range past sys.maxsize would raise OverflowError
        raise ConfigError(f"--set {path}: {_trim(rhs)} has {count:,} values: expected at most {MAX_SWEEP_ROWS:,} "
                          "(the rows one sweep may have)")
    return span


def parse_set(text: str) -> tuple[str, tuple[Any, ...]]:
    """``"array.rows=8,16,32"`` or ``"buffers.ifmap_kib=range(16,256,16)"`` -> (path, typed values).

    ``range(start, stop[, step])`` has Python's semantics (integers, stop excluded). Values are
    typed by the field (``int``, ``float``, ``true``/``false``, strings, ``null`` for optional
    fields); their validity (bounds included) is checked when the :class:`Grid` is built. Values
    longer than 64 characters and ranges of more values than a sweep may have are refused here.
    """
    path, sep, rhs = text.partition("=")
    path, rhs = path.strip(), rhs.strip()
    if not sep or not path:
        raise ConfigError(f"--set {_trim(text)}: expected FIELD=V1,V2,... or FIELD=range(START,STOP[,STEP])")
    _check_sweepable(path)
    kind = field_kind(path)
    match = _RANGE.match(rhs.replace(" ", ""))
    if match:
        values: tuple[Any, ...] = tuple(_range_values(path, rhs, match.group(1)))
        if kind in ("float", "optional_float"):
            values = tuple(float(v) for v in values)
        return path, values
    tokens = rhs.split(",")
    if any(not t.strip() for t in tokens):
        raise ConfigError(f"--set {path}: {_trim(rhs)}: expected a comma-separated list of values (an empty value was given)")
    if len(tokens) > MAX_SWEEP_ROWS:
        raise ConfigError(f"--set {path}: {len(tokens):,} values: expected at most {MAX_SWEEP_ROWS:,} (the rows one sweep may have)")
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
    if path in _ABSENT and value == _ABSENT[path]:
        return 0
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

    @property
    def has_global_buffer(self) -> bool:
        """Whether some configuration has a global buffer (``global_buffer.kib`` > 0)."""
        path = "global_buffer.kib"
        values = [a.values for a in self.axes if a.path == path]
        return any(v > 0 for v in values[0]) if values else self.base.global_buffer.kib > 0

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

        Mirrors :func:`hwsim.simulate.hardware_arrays` (tests check they agree field by field).
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
        gbuf_bytes = leaf("global_buffer.kib", np.float64) * kib
        gbuf_price = leaf("global_buffer.energy_pj_per_byte", np.float64, none=np.nan)
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
            allowed_dataflows={d: col(allowed(d)) for d in dataflow_names()},
            clock_mhz=col(leaf("clock_mhz", np.float64)),
            prices=EnergyPrices(
                mac=col(mac),
                rf_access=col(leaf("energy_pj.rf_access", np.float64)),
                sram_byte=col(leaf("energy_pj.sram_byte", np.float64)),
                dram_byte=col(leaf("energy_pj.dram_byte", np.float64)),
                vector_op=col(np.where(np.isnan(vector_op), mac, vector_op)),
                leakage_per_cycle=col(leaf("energy_pj.leakage_per_cycle", np.float64)),
                gbuf_byte=col(np.where(np.isnan(gbuf_price), energy_pj_per_byte(gbuf_bytes), gbuf_price)),
            ),
            area_figures=AreaFigures.resolve(
                word_bytes=col(leaf("word_bytes", np.int64)),
                pe=col(leaf("area.pe_um2", np.float64, none=np.nan)),
                buffer=col(leaf("area.buffer_mm2_per_kib", np.float64, none=np.nan)),
                global_buffer=col(leaf("area.global_buffer_mm2_per_kib", np.float64, none=np.nan)),
            ),
            gbuf_bytes=col(gbuf_bytes),
            gbuf_bandwidth_bytes_per_cycle=col(leaf("global_buffer.bandwidth_bytes_per_cycle", np.float64, none=np.nan)),
        )


def _typed(kind: str, values: NDArray[np.object_]) -> Any:
    if kind == "int":
        return values.astype(np.int64)
    if kind == "float":
        return values.astype(np.float64)
    if kind == "bool":
        return values.astype(bool)
    return values  # str, and the optional kinds: None where unset (Int64 / Float64 in a DataFrame)
