"""The accelerator schema: pydantic specs of one systolic-array accelerator and dotted paths into them.

:class:`Accelerator` and its sections (:class:`ArraySpec`, :class:`BufferSpec`, :class:`DramSpec`,
:class:`VectorSpec`, :class:`OptionsSpec`, :class:`EnergySpec`, :class:`AreaSpec`), the strict field types (each
carries the "expected ..." text of its error message), the default energy prices
:data:`HOROWITZ_45NM`, the dataflow and operand names, and the dotted field paths that
:meth:`Accelerator.get` and :meth:`Accelerator.with_overrides` take. Reading files, error
messages and lookup by name live in :mod:`hwsim.hardware.load` (the public entry point),
:mod:`hwsim.hardware.validation` and :mod:`hwsim.hardware.yaml_reader`. This module never imports torch.
"""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator
from pydantic_core import PydanticCustomError

from hwsim.cost.dataflows import dataflow_names as registered_dataflows
from hwsim.errors import ConfigError
from hwsim.hardware.fields import (
    ArraySide,
    DramBandwidth,
    ClockMhz,
    Kib,
    MAX_ENERGY_PJ,
    MAX_VECTOR_LANES,
    NonNegativeFloat,
    StrictBool,
    UNLIMITED,
    WordBytes,
)
from hwsim.hardware.global_buffer import GlobalBufferSpec
from hwsim.hardware.validation import Expect, submodel, validate_model

__all__ = [
    "accelerator_from_dict",
    "dataflow_names",
    "gemm_dataflows",
    "HOROWITZ_45NM",
    "OPERANDS",
    "Accelerator",
    "AreaSpec",
    "ArraySpec",
    "BufferSpec",
    "DramSpec",
    "EnergySpec",
    "GlobalBufferSpec",
    "OptionsSpec",
    "VectorSpec",
]

def gemm_dataflows() -> tuple[str, ...]:
    """The dataflows a GEMM can be mapped with: the cost core's registry (:mod:`hwsim.cost.dataflows`),
    in its canonical (tie-break) order. The schema asks it each time it validates, so a dataflow
    registered later is accepted too."""
    return registered_dataflows()


def dataflow_names() -> tuple[str, ...]:
    """Every value of the ``dataflow`` field: the registered GEMM dataflows and ``best`` (per-layer choice)."""
    return (*gemm_dataflows(), "best")


#: The three operand buffers, in the order of ``buffers``.
OPERANDS: tuple[str, ...] = ("ifmap", "filter", "ofmap")


def _dataflow_error(loc: str, value: Any, expected: str) -> PydanticCustomError:
    """A validation error whose one-line message names ``loc``, ``value`` and what was expected."""
    return PydanticCustomError("dataflow", "not a dataflow", {"hwsim_loc": loc, "hwsim_value": value, "hwsim_expected": expected})


def _choices_expected() -> str:
    return f"a non-empty list of distinct dataflows from {', '.join(gemm_dataflows())} (only with dataflow: best)"


class _Spec(BaseModel):
    """Base of every spec: immutable, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ArraySpec(_Spec):
    """The systolic array: ``rows`` x ``cols`` processing elements (one MAC per PE per cycle)."""

    rows: ArraySide
    cols: ArraySide


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

    ``bandwidth_bytes_per_cycle`` is bytes per accelerator clock cycle, or ``unlimited``: no layer
    stalls on DRAM (SCALE-Sim's CALC mode; held as ``math.inf`` and written back as ``unlimited``).
    ``ports``: ``shared`` (one interface shared by all operands) or ``per_operand`` (SCALE-Sim
    style: ifmap, filter and ofmap each have their own port of this bandwidth, working in parallel).
    """

    bandwidth_bytes_per_cycle: DramBandwidth
    ports: Annotated[Literal["shared", "per_operand"], Expect("shared or per_operand")] = "shared"

    @field_validator("bandwidth_bytes_per_cycle", mode="wrap")
    @classmethod
    def _unlimited(cls, value: Any, handler: Any) -> float:
        return math.inf if isinstance(value, str) and value == UNLIMITED else handler(value)

    @field_serializer("bandwidth_bytes_per_cycle")
    def _write_unlimited(self, value: float) -> float | str:
        return UNLIMITED if math.isinf(value) else value


class VectorSpec(_Spec):
    """Vector unit for non-GEMM ops (pool, add, concat, shuffle): ``lanes`` elements per cycle.

    ``lanes: null`` (the default) means as many lanes as the array has columns.
    """

    lanes: Annotated[
        Optional[int], Field(strict=True, gt=0, le=MAX_VECTOR_LANES), Expect("an integer > 0 and <= 2^24 or null")
    ] = None


class OptionsSpec(_Spec):
    """Modelling options (docs/MODEL.md §1 and §4).

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
        Field(strict=True, ge=0, le=MAX_ENERGY_PJ, allow_inf_nan=False),
        Expect("a finite number >= 0 and <= 1000000 (pJ) or null (null: same as mac)"),
    ] = None
    leakage_per_cycle: NonNegativeFloat = 0.0
    source: Annotated[str, Field(strict=True, min_length=1), Expect("a non-empty string citing the numbers")]

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


OptionalArea = Annotated[
    Optional[float],
    Field(strict=True, gt=0, allow_inf_nan=False),
    Expect("a finite number > 0 or null (null: hwsim's 45 nm figure, docs/MODEL.md §10)"),
]


class AreaSpec(_Spec):
    """Chip-area figures replacing hwsim's 45 nm defaults (docs/MODEL.md §10; null: the default).

    ``pe_um2``: one PE in um² (default: multiplier + adder + 3 registers of the word size);
    ``buffer_mm2_per_kib``: one KiB of operand buffer in mm²; ``global_buffer_mm2_per_kib``: one
    KiB of global buffer in mm² (default: the operand buffers' figure); ``source`` cites them.
    """

    pe_um2: OptionalArea = None
    buffer_mm2_per_kib: OptionalArea = None
    global_buffer_mm2_per_kib: OptionalArea = None
    source: Annotated[Optional[str], Field(strict=True, min_length=1), Expect("a non-empty string citing the figures, or null")] = None


class Accelerator(_Spec):
    """One accelerator: array, dataflow, clock, buffers, DRAM, global buffer, vector unit, options, energy prices,
    area figures.

    Units: ``clock_mhz`` in MHz, ``word_bytes`` in bytes, buffers in KiB, DRAM bandwidth in bytes
    per cycle, energy in pJ. Build one with :func:`load_accelerator` or
    :func:`accelerator_from_dict`; derive variants with :meth:`with_overrides`.
    """

    name: Annotated[str, Field(strict=True, min_length=1), Expect("a non-empty string")]
    description: Annotated[str, Field(strict=True), Expect("a string")] = ""
    array: ArraySpec
    dataflow: Annotated[str, Expect("one of " + ", ".join(dataflow_names()))]  # validated by _known_dataflow
    dataflow_choices: Annotated[Optional[tuple[str, ...]], Expect(_choices_expected())] = None  # validated by _distinct_choices
    clock_mhz: ClockMhz
    word_bytes: WordBytes = 1
    buffers: BufferSpec
    dram: DramSpec
    global_buffer: GlobalBufferSpec = GlobalBufferSpec()  # optional; kib 0: none (hardware/global_buffer.py)
    vector: VectorSpec = VectorSpec()
    options: OptionsSpec = OptionsSpec()
    energy_pj: EnergySpec = HOROWITZ_45NM
    area: AreaSpec = AreaSpec()

    @field_validator("dataflow", mode="before")
    @classmethod
    def _known_dataflow(cls, value: Any) -> Any:
        if not isinstance(value, str) or value not in dataflow_names():
            raise _dataflow_error("dataflow", value, "one of " + ", ".join(dataflow_names()))
        return value

    @field_validator("dataflow_choices", mode="before")
    @classmethod
    def _distinct_choices(cls, choices: Any) -> Optional[tuple[str, ...]]:
        if choices is None:
            return None
        if not isinstance(choices, (list, tuple)) or not choices:
            raise _dataflow_error("dataflow_choices", choices, _choices_expected())
        for i, choice in enumerate(choices):
            if not isinstance(choice, str) or choice not in gemm_dataflows():
                raise _dataflow_error(f"dataflow_choices[{i}]", choice, "one of " + ", ".join(gemm_dataflows()))
        if len(set(choices)) != len(choices):
            raise _dataflow_error("dataflow_choices", choices, "distinct dataflows (no repeats)")
        return tuple(d for d in gemm_dataflows() if d in choices)  # canonical order

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
        return gemm_dataflows() if self.dataflow_choices is None else self.dataflow_choices

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
            value = _plain(value)
            if path == "dram.bandwidth_bytes_per_cycle" and value == math.inf:
                value = UNLIMITED  # what get() returns for unlimited goes back in
            node[leaf] = value
        if "dataflow" in overrides and "dataflow_choices" not in overrides and data["dataflow"] != "best":
            data["dataflow_choices"] = None
        return validate_model(Accelerator, data, f"{self.name} with overrides")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (lists, no tuples; unset optional fields left out) for JSON/YAML output.

        ``accelerator_from_dict(a.to_dict()) == a``.
        """
        return self.model_dump(mode="json", exclude_none=True)


# --------------------------------------------------------------------------------------------
# Paths into the schema


def _leaf_paths(model: type[BaseModel], prefix: str) -> Iterator[str]:
    for name, info in model.model_fields.items():
        sub = submodel(info.annotation)
        if sub is None:
            yield prefix + name
        else:
            yield from _leaf_paths(sub, f"{prefix}{name}.")


@functools.cache
def _all_paths() -> tuple[str, ...]:
    """Leaf paths plus section names (``array``, ``buffers`` ...): everything :meth:`Accelerator.get` takes."""
    sections = tuple(n for n, i in Accelerator.model_fields.items() if submodel(i.annotation))
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
    return validate_model(Accelerator, data, source)
