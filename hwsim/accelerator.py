"""Accelerator specifications: a validated, immutable description of one systolic-array accelerator.

An accelerator is one YAML file (``accelerators/<name>.yaml``; the file stem is its CLI name)::

    name: ws_32x32
    array: {rows: 32, cols: 32}          # PEs
    dataflow: ws                         # ws | os | is | best
    clock_mhz: 500                       # MHz
    word_bytes: 1                        # bytes per ifmap/filter/ofmap word
    buffers: {ifmap_kib: 64, filter_kib: 64, ofmap_kib: 64}    # KiB per operand buffer
    dram: {bandwidth_bytes_per_cycle: 16, ports: shared}       # bytes per cycle
    vector: {lanes: 32}                  # elements per cycle for non-GEMM ops
    options: {pack_groups: false, concat_in_place: true, shuffle_in_addressing: true}
    energy_pj: {mac: 0.23, rf_access: 0.23, sram_byte: 1.25, dram_byte: 160, source: "..."}

Validation happens here, at the boundary (pydantic v2, strict types): unknown keys, duplicate
YAML keys, wrong types and non-positive sizes are rejected with a one-line
:class:`~hwsim.errors.ConfigError` that names the file, the dotted field, the value and what was
expected. Inside the simulator the values are trusted. This module never imports torch.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from hwsim.errors import ConfigError, UnknownNameError

__all__ = [
    "ACCELERATOR_SUFFIXES",
    "DATAFLOW_NAMES",
    "GEMM_DATAFLOWS",
    "HOROWITZ_45NM",
    "OPERANDS",
    "Accelerator",
    "ArraySpec",
    "BufferSpec",
    "DramSpec",
    "EnergySpec",
    "OptionsSpec",
    "VectorSpec",
    "accelerator_from_dict",
    "accelerator_names",
    "load_accelerator",
    "shipped_accelerator_dir",
]

#: The dataflows a GEMM can be mapped with, in hwsim's canonical order (that of ``hwsim.dataflow.DATAFLOWS``).
GEMM_DATAFLOWS: tuple[str, ...] = ("ws", "os", "is")
#: Every value of the ``dataflow`` field: the three GEMM dataflows and ``best`` (per-layer minimum).
DATAFLOW_NAMES: tuple[str, ...] = (*GEMM_DATAFLOWS, "best")
#: The three operand buffers, in the order of ``buffers``.
OPERANDS: tuple[str, ...] = ("ifmap", "filter", "ofmap")
#: File suffixes :func:`load_accelerator` reads (``.cfg`` = SCALE-Sim's format).
ACCELERATOR_SUFFIXES: tuple[str, ...] = (".yaml", ".yml", ".cfg")


# --------------------------------------------------------------------------------------------
# Field types. ``_Expect`` carries the "expected ..." text of error messages; pydantic ignores it.


@dataclass(frozen=True)
class _Expect:
    text: str


PositiveInt = Annotated[int, Field(strict=True, gt=0), _Expect("an integer > 0")]
PositiveFloat = Annotated[
    float, Field(strict=True, gt=0, allow_inf_nan=False), _Expect("a finite number > 0")
]
NonNegativeFloat = Annotated[
    float, Field(strict=True, ge=0, allow_inf_nan=False), _Expect("a finite number >= 0")
]
StrictBool = Annotated[bool, Field(strict=True), _Expect("true or false")]
Kib = Annotated[
    float,
    Field(strict=True, gt=0, allow_inf_nan=False),
    _Expect("a finite number of KiB > 0 that is a whole number of bytes (a multiple of 1/1024)"),
]
GemmDataflow = Literal["ws", "os", "is"]


class _Spec(BaseModel):
    """Base of every spec: immutable, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ArraySpec(_Spec):
    """The systolic array: ``rows`` x ``cols`` processing elements (one MAC per PE per cycle)."""

    rows: PositiveInt
    cols: PositiveInt


class BufferSpec(_Spec):
    """On-chip operand buffers in KiB (1 KiB = 1024 bytes), each double-buffered by the model."""

    ifmap_kib: Kib
    filter_kib: Kib
    ofmap_kib: Kib

    @field_validator("ifmap_kib", "filter_kib", "ofmap_kib")
    @classmethod
    def _whole_bytes(cls, kib: float) -> float:
        if not float(kib * 1024).is_integer():
            raise PydanticCustomError("whole_bytes", "not a whole number of bytes")
        return kib


class DramSpec(_Spec):
    """Off-chip memory interface.

    ``bandwidth_bytes_per_cycle`` is bytes per accelerator clock cycle. ``ports``: ``shared`` (one
    interface shared by all operands) or ``per_operand`` (SCALE-Sim style: ifmap, filter and ofmap
    each have their own port of this bandwidth, working in parallel).
    """

    bandwidth_bytes_per_cycle: PositiveFloat
    ports: Annotated[Literal["shared", "per_operand"], _Expect("shared or per_operand")] = "shared"


class VectorSpec(_Spec):
    """Vector unit for non-GEMM ops (pool, add, concat, shuffle): ``lanes`` elements per cycle.

    ``lanes: null`` (the default) means as many lanes as the array has columns.
    """

    lanes: Annotated[Optional[int], Field(strict=True, gt=0), _Expect("an integer > 0 or null")] = None


class OptionsSpec(_Spec):
    """Modelling options (MODELING.md §1 and §4).

    ``pack_groups``: pack several small groups of a grouped conv onto the array diagonal (off by
    default: groups run one after another). ``concat_in_place``: producers write straight into the
    concat output, so concat costs nothing. ``shuffle_in_addressing``: a channel shuffle is folded
    into the next layer's addressing and costs nothing.
    """

    pack_groups: StrictBool = False
    concat_in_place: StrictBool = True
    shuffle_in_addressing: StrictBool = True


class EnergySpec(_Spec):
    """Energy per event in pJ: per MAC, per PE register-file access, per SRAM byte (read or written),
    per DRAM byte, per vector-unit element op, and leakage per cycle. ``source`` cites the numbers.
    """

    mac: NonNegativeFloat
    rf_access: NonNegativeFloat
    sram_byte: NonNegativeFloat
    dram_byte: NonNegativeFloat
    vector_op: Annotated[
        Optional[float],
        Field(strict=True, ge=0, allow_inf_nan=False),
        _Expect("a finite number >= 0 or null (null: same as mac)"),
    ] = None
    leakage_per_cycle: NonNegativeFloat = 0.0
    source: Annotated[str, Field(strict=True, min_length=1), _Expect("a non-empty string citing the numbers")]

    @property
    def resolved_vector_op(self) -> float:
        """pJ per vector-unit element op: ``vector_op``, or ``mac`` when it is not set."""
        return self.mac if self.vector_op is None else self.vector_op


#: Default energy prices (pJ): Horowitz, ISSCC 2014, 45 nm; RF from Eyeriss's RF ~= 1x MAC ratio.
HOROWITZ_45NM = EnergySpec(
    mac=0.23,
    rf_access=0.23,
    sram_byte=1.25,
    dram_byte=160.0,
    source=(
        "Horowitz, ISSCC 2014, 45 nm: mac = 8-bit mult 0.2 + 8-bit add 0.03 pJ; "
        "sram_byte = 5 pJ per 32-bit read from an 8 KB SRAM / 4 (larger buffers cost more); "
        "dram_byte = 640 pJ per 32-bit DRAM read / 4; rf_access = 1x mac "
        "(Eyeriss, Chen et al. ISCA 2016: RF ~ MAC)"
    ),
)


class Accelerator(_Spec):
    """One accelerator: array, dataflow, clock, buffers, DRAM, vector unit, options, energy prices.

    Units: ``clock_mhz`` in MHz, ``word_bytes`` in bytes, buffers in KiB, DRAM bandwidth in bytes
    per cycle, energy in pJ. Build one with :func:`load_accelerator` or
    :func:`accelerator_from_dict`; derive variants with :meth:`with_overrides`.
    """

    name: Annotated[str, Field(strict=True, min_length=1), _Expect("a non-empty string")]
    description: Annotated[str, Field(strict=True), _Expect("a string")] = ""
    array: ArraySpec
    dataflow: Annotated[Literal["ws", "os", "is", "best"], _Expect("one of ws, os, is, best")]
    dataflow_choices: Annotated[
        Optional[tuple[GemmDataflow, ...]],
        _Expect("a non-empty list of distinct dataflows from ws, os, is (only with dataflow: best)"),
    ] = None
    clock_mhz: PositiveFloat
    word_bytes: PositiveInt = 1
    buffers: BufferSpec
    dram: DramSpec
    vector: VectorSpec = VectorSpec()
    options: OptionsSpec = OptionsSpec()
    energy_pj: EnergySpec = HOROWITZ_45NM

    @field_validator("dataflow_choices")
    @classmethod
    def _distinct_choices(cls, choices: Optional[tuple[str, ...]]) -> Optional[tuple[str, ...]]:
        if choices is None:
            return None
        if not choices:
            raise PydanticCustomError("empty_choices", "empty")
        if len(set(choices)) != len(choices):
            raise PydanticCustomError("repeated_choices", "repeated dataflow")
        return tuple(d for d in GEMM_DATAFLOWS if d in choices)  # canonical order

    @model_validator(mode="after")
    def _choices_only_with_best(self) -> Accelerator:
        if self.dataflow_choices is not None and self.dataflow != "best":
            raise PydanticCustomError(
                "choices_without_best",
                "dataflow_choices is only allowed with dataflow: best",
                {
                    "hwsim_loc": "dataflow_choices",
                    "hwsim_value": list(self.dataflow_choices),
                    "hwsim_expected": f"no dataflow_choices with dataflow: {self.dataflow} "
                    "(set dataflow: best, or drop dataflow_choices)",
                },
            )
        return self

    # ---------------------------------------------------------------- derived values

    @property
    def pes(self) -> int:
        """Number of processing elements (rows x cols) = peak MACs per cycle."""
        return self.array.rows * self.array.cols

    @property
    def vector_lanes(self) -> int:
        """Vector-unit elements per cycle: ``vector.lanes``, or the array's column count."""
        return self.array.cols if self.vector.lanes is None else self.vector.lanes

    @property
    def candidate_dataflows(self) -> tuple[str, ...]:
        """GEMM dataflows this accelerator may use: the single one, or ``best``'s choices (canonical order)."""
        if self.dataflow != "best":
            return (self.dataflow,)
        return GEMM_DATAFLOWS if self.dataflow_choices is None else self.dataflow_choices

    @property
    def cycle_time_ns(self) -> float:
        """Length of one clock cycle in ns (1000 / clock_mhz)."""
        return 1000.0 / self.clock_mhz

    def buffer_kib(self, operand: str) -> float:
        """Capacity of the ``ifmap``, ``filter`` or ``ofmap`` buffer in KiB."""
        if operand not in OPERANDS:
            raise ValueError(f"unknown operand {operand!r}; expected one of {', '.join(OPERANDS)}")
        return float(getattr(self.buffers, f"{operand}_kib"))

    def buffer_bytes(self, operand: str) -> int:
        """Capacity of the ``ifmap``, ``filter`` or ``ofmap`` buffer in bytes (KiB x 1024, exact)."""
        return int(self.buffer_kib(operand) * 1024)

    def buffer_words(self, operand: str) -> int:
        """Capacity of an operand buffer in words of ``word_bytes`` (floor)."""
        return self.buffer_bytes(operand) // self.word_bytes

    # ---------------------------------------------------------------- dotted paths

    @classmethod
    def field_paths(cls) -> tuple[str, ...]:
        """Every leaf field as a dotted path (``array.rows``, ``dram.bandwidth_bytes_per_cycle`` ...)."""
        return tuple(_leaf_paths(cls, ""))

    def get(self, path: str) -> Any:
        """The value at a dotted path (``array.rows`` -> 32); a section name gives its spec."""
        _check_path(path, self.name)
        value: Any = self
        for part in path.split("."):
            value = getattr(value, part)
        return value

    def with_overrides(self, overrides: Mapping[str, object]) -> Accelerator:
        """A re-validated copy with values replaced at dotted paths (``{"array.rows": 64}``).

        numpy scalars are accepted and turned into Python numbers. Setting ``dataflow`` to anything
        but ``best`` without also setting ``dataflow_choices`` drops the choices (so a sweep over
        ``dataflow`` works on a ``best`` accelerator). Unknown paths and bad values raise
        :class:`ConfigError` naming them.
        """
        if not overrides:
            return self
        data = self.model_dump()
        for path, value in overrides.items():
            if not isinstance(path, str):
                raise ConfigError(f"{self.name}: override key {path!r}: expected a dotted field path string")
            _check_path(path, self.name)
            node = data
            *parents, leaf = path.split(".")
            for part in parents:
                node = node[part]
            node[leaf] = _plain(value)
        if "dataflow" in overrides and "dataflow_choices" not in overrides and data["dataflow"] != "best":
            data["dataflow_choices"] = None
        return _validate(data, f"{self.name} with overrides")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (lists, no tuples; unset optional fields left out) for JSON/YAML output.

        ``accelerator_from_dict(a.to_dict()) == a``.
        """
        return self.model_dump(mode="json", exclude_none=True)


# --------------------------------------------------------------------------------------------
# Paths into the schema


def _submodel(annotation: Any) -> Optional[type[BaseModel]]:
    """The spec class of a field annotation, if the field is a nested section."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _leaf_paths(model: type[BaseModel], prefix: str) -> Iterator[str]:
    for name, info in model.model_fields.items():
        sub = _submodel(info.annotation)
        if sub is None:
            yield prefix + name
        else:
            yield from _leaf_paths(sub, f"{prefix}{name}.")


@functools.cache
def _all_paths() -> tuple[str, ...]:
    """Leaf paths plus section names (``array``, ``buffers`` ...): everything :meth:`Accelerator.get` takes."""
    sections = tuple(n for n, i in Accelerator.model_fields.items() if _submodel(i.annotation))
    return Accelerator.field_paths() + sections


def _check_path(path: str, owner: str) -> None:
    if not isinstance(path, str) or path not in _all_paths():
        close = difflib.get_close_matches(str(path), _all_paths(), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(
            f"{owner}: unknown accelerator field path {path!r}{hint} (see Accelerator.field_paths())"
        )


def _plain(value: object) -> object:
    """numpy scalars -> Python scalars (checked by module name, so numpy is never imported here)."""
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        return value.item()  # type: ignore[attr-defined]
    return value


# --------------------------------------------------------------------------------------------
# Validation errors -> one-line ConfigError


def _field_at(loc: tuple[Any, ...]) -> tuple[Optional[Any], Optional[type[BaseModel]]]:
    """(FieldInfo of the field a location points into, the spec class holding it)."""
    model: Optional[type[BaseModel]] = Accelerator
    info = None
    owner = None
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None or part not in model.model_fields:
            return None, model
        owner = model
        info = model.model_fields[part]
        model = _submodel(info.annotation)
    return info, owner


def _expected_for(info: Any) -> str:
    if info is None:
        return "a valid value"
    for meta in info.metadata:
        if isinstance(meta, _Expect):
            return meta.text
    sub = _submodel(info.annotation)
    if sub is not None:
        return f"a mapping with keys {', '.join(sub.model_fields)}"
    return "a valid value"


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _format_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, Mapping):
        text = "{" + ", ".join(f"{k}: {_format_value(v)}" for k, v in value.items()) + "}"
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(_format_value(v) for v in value) + "]"
    else:
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _error_line(source: str, error: Mapping[str, Any]) -> str:
    loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if "hwsim_loc" in ctx:
        return f"{source}: {ctx['hwsim_loc']} = {_format_value(ctx['hwsim_value'])}: expected {ctx['hwsim_expected']}"
    path = _format_loc(loc) or "<top level>"
    info, owner = _field_at(loc)
    if kind == "extra_forbidden":
        valid = tuple(owner.model_fields) if owner is not None and info is None else ()
        close = difflib.get_close_matches(str(loc[-1]), valid, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return (
            f"{source}: {path} = {_format_value(error['input'])}: unknown key{hint} "
            f"(valid keys here: {', '.join(valid)})"
        )
    if kind == "invalid_key":
        where = _format_loc(loc[:-1]) or "top level"
        return f"{source}: {where}: key {_format_value(loc[-1])} is not a string: expected field names"
    expected = _expected_for(info)
    if kind == "missing":
        return f"{source}: {path}: missing required field: expected {expected}"
    if kind == "literal_error" and isinstance(loc[-1], int):
        expected = "one of " + ", ".join(GEMM_DATAFLOWS)
    elif kind == "repeated_choices":
        expected = "distinct dataflows (no repeats)"
    return f"{source}: {path} = {_format_value(error['input'])}: expected {expected}"


def _validate(data: Mapping[str, Any], source: str) -> Accelerator:
    try:
        return Accelerator.model_validate(data)
    except ValidationError as exc:
        # Unknown keys first: a misspelt key usually also shows up as a missing field.
        errors = sorted(exc.errors(), key=lambda e: e["type"] not in ("extra_forbidden", "invalid_key"))
        line = _error_line(source, errors[0])
        if len(errors) > 1:
            line += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        raise ConfigError(line) from None


def accelerator_from_dict(
    data: Mapping[str, Any], source: str = "<dict>", default_name: Optional[str] = None
) -> Accelerator:
    """Validate a mapping (as read from YAML) into an :class:`Accelerator`.

    ``source`` names the input in error messages; ``default_name`` fills in a missing ``name``.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{source}: expected a mapping of accelerator fields at the top level, got {type(data).__name__}"
        )
    data = dict(data)
    if default_name is not None and "name" not in data:
        data = {"name": default_name, **data}
    return _validate(data, source)


# --------------------------------------------------------------------------------------------
# YAML reading: duplicate keys rejected, only true/false are booleans (YAML 1.2), 1e3 is a float


_MERGE_TAG = "tag:yaml.org,2002:merge"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (nested too) before building any object.

    It also reads booleans the YAML 1.2 way (``true``/``false`` only, so ``yes``/``on`` stay
    strings and fail validation) and reads ``1e3`` as a float (PyYAML needs ``1.0e3``).
    """

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _check_unique_keys(node, "", set())
        return self.construct_document(node)


_StrictLoader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"), list("-+0123456789")
)


class _DuplicateKey(Exception):
    def __init__(self, path: str, line: int, first_line: int) -> None:
        super().__init__(path)
        self.path, self.line, self.first_line = path, line, first_line


def _check_unique_keys(node: yaml.Node, path: str, seen_nodes: set[int]) -> None:
    if id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first_line: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                _check_unique_keys(value_node, path, seen_nodes)
                continue
            key = (key_node.tag, key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node))
            label = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "<complex key>"
            child = f"{path}.{label}" if path else label
            line = key_node.start_mark.line + 1
            if key in first_line:
                raise _DuplicateKey(child, line, first_line[key])
            first_line[key] = line
            _check_unique_keys(value_node, child, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_unique_keys(item, f"{path}[{index}]", seen_nodes)


def read_yaml(path: Path, source: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{source}: cannot read: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read: {exc.strerror or exc}") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - _StrictLoader is a SafeLoader
    except _DuplicateKey as dup:
        raise ConfigError(
            f"{source}: {dup.path}: duplicate key at line {dup.line} (first given at line {dup.first_line})"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
        problem = ", ".join(p for p in parts if p) or str(exc).splitlines()[0]
        raise ConfigError(f"{source}: invalid YAML{where}: {problem}") from None


def _load_yaml_file(path: Path) -> Accelerator:
    source = str(path)
    data = read_yaml(path, source)
    if data is None:
        raise ConfigError(f"{source}: file is empty: expected a mapping of accelerator fields")
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: top level is a {_yaml_kind(data)}: expected a mapping of accelerator fields"
        )
    return accelerator_from_dict(data, source, default_name=path.stem)


def _yaml_kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


# --------------------------------------------------------------------------------------------
# Shipped accelerators and lookup by name


def shipped_accelerator_dir() -> Path:
    """Folder of the shipped accelerator files.

    In a wheel they live in ``hwsim/accelerators/``; in a development (editable) install, in the
    repository's top-level ``accelerators/`` next to the package.
    """
    package = Path(__file__).resolve().parent
    inside = package / "accelerators"
    return inside if inside.is_dir() else package.parent / "accelerators"


def _shipped_files() -> dict[str, Path]:
    folder = shipped_accelerator_dir()
    if not folder.is_dir():
        return {}
    files: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix in (".yaml", ".yml") and path.is_file():
            files.setdefault(path.stem, path)
    return files


def accelerator_names() -> tuple[str, ...]:
    """Sorted names (file stems) of the shipped accelerators."""
    return tuple(sorted(_shipped_files()))


def _looks_like_path(name: str) -> bool:
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return any(s in name for s in separators) or name.lower().endswith(ACCELERATOR_SUFFIXES)


def load_accelerator(name_or_path: str | os.PathLike[str]) -> Accelerator:
    """Load an accelerator by shipped name (``ws_32x32``) or from a file.

    A ``.yaml``/``.yml`` path is read and validated (a missing ``name`` defaults to the file stem);
    a ``.cfg`` path is read as a SCALE-Sim config by :func:`hwsim.interop.scalesim.load_scalesim_config`.
    Raises :class:`ConfigError` for bad files and :class:`UnknownNameError` for unknown names.
    """
    if isinstance(name_or_path, os.PathLike) or _looks_like_path(str(name_or_path)):
        path = Path(name_or_path)
        suffix = path.suffix.lower()
        if suffix in (".yaml", ".yml"):
            return _load_yaml_file(path)
        if suffix == ".cfg":
            return _load_scalesim(path)
        raise ConfigError(
            f"{path}: unsupported accelerator file type {suffix or '(none)'!r}: expected "
            f"{', '.join(ACCELERATOR_SUFFIXES)}"
        )
    name = str(name_or_path)
    files = _shipped_files()
    if name not in files:
        raise UnknownNameError("accelerator", name, files)
    return _load_yaml_file(files[name])


def _load_scalesim(path: Path) -> Accelerator:
    try:
        from hwsim.interop.scalesim import load_scalesim_config
    except ModuleNotFoundError as exc:
        if exc.name not in ("hwsim.interop.scalesim", "hwsim.interop"):
            raise
        raise ConfigError(f"{path}: SCALE-Sim .cfg files are not supported by this installation") from None
    return load_scalesim_config(path)

