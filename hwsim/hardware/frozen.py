"""``FrozenAccelerator``: an accelerator's values, already validated by the schema, without the schema.

The schema (:mod:`hwsim.hardware.spec`, pydantic) is the one place that says which fields an
accelerator has, their defaults and what is valid. Loading it costs more than a whole profile
of a network, so the accelerators hwsim ships are validated once, when the package is built
(:mod:`hwsim.hardware.shipped`), and read back as a :class:`FrozenAccelerator`: the schema's own
output (every default filled in), held as read-only attributes with the same names, sections,
derived properties and methods as :class:`~hwsim.hardware.spec.Accelerator`. A test checks
that both agree on every field and property, so a field added to the schema needs no change
here and a property added there fails until it is added here too.

:meth:`FrozenAccelerator.with_overrides` changes values, so it validates again: it returns a
schema :class:`~hwsim.hardware.spec.Accelerator` (importing pydantic then). Units as in the
schema: MHz, bytes, KiB, bytes per cycle, pJ. This module imports neither pydantic nor YAML.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from hwsim.errors import ConfigError

if TYPE_CHECKING:
    from hwsim.hardware.spec import Accelerator

__all__ = ["FrozenAccelerator", "FrozenSection", "OPERANDS"]

#: The three operand buffers, in the order of ``buffers`` (as :data:`hwsim.hardware.spec.OPERANDS`).
OPERANDS: tuple[str, ...] = ("ifmap", "filter", "ofmap")
#: ``dram.bandwidth_bytes_per_cycle: unlimited`` (as :data:`hwsim.hardware.fields.UNLIMITED`, which imports pydantic).
_UNLIMITED = "unlimited"


def _frozen(value: Any) -> Any:
    """A JSON value as the schema holds it: lists become tuples (``dataflow_choices``)."""
    return tuple(_frozen(v) for v in value) if isinstance(value, list) else value


def _plain(value: Any) -> Any:
    """A value as :meth:`Accelerator.to_dict` writes it: tuples become lists, sections dicts, no None."""
    if isinstance(value, FrozenSection):
        return {k: _plain(v) for k, v in value.fields.items() if v is not None}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return _UNLIMITED if value == math.inf else value  # the only infinite field: unlimited DRAM bandwidth


class FrozenSection:
    """One section of a frozen accelerator (``array``, ``buffers``, ``energy_pj`` ...): its fields
    as read-only attributes (``section.rows``)."""

    __slots__ = ("fields",)

    def __init__(self, fields: Mapping[str, Any]) -> None:
        object.__setattr__(self, "fields", MappingProxyType({k: _frozen(v) for k, v in fields.items()}))

    def __getattr__(self, name: str) -> Any:
        try:
            return self.fields[name]
        except KeyError:
            raise AttributeError(f"accelerator section has no field {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a frozen accelerator section is read-only (field {name!r})")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and dict(self.fields) == dict(other.fields)  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(tuple(self.fields.items()))

    def __reduce__(self) -> tuple[type, tuple[dict[str, Any]]]:
        """Pickled as its class and fields (a mapping proxy cannot be pickled): a search's tasks
        carry the accelerator to worker processes and Dask."""
        return type(self), (dict(self.fields),)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.fields.items())})"


class FrozenEnergy(FrozenSection):
    """The ``energy_pj`` section, with the schema's derived price."""

    __slots__ = ()

    @property
    def resolved_vector_op(self) -> float:
        """pJ per vector-unit element op: ``vector_op``, or ``mac`` when it is not set."""
        return self.mac if self.vector_op is None else self.vector_op


class FrozenAccelerator(FrozenSection):
    """An accelerator as the schema validated it (``Accelerator.model_dump(mode="json")``), read-only.

    Top-level fields are attributes (``name``, ``dataflow``, ``clock_mhz`` ...), sections are
    :class:`FrozenSection` s (``accel.array.rows``).
    """

    __slots__ = ()

    def __init__(self, values: Mapping[str, Any]) -> None:
        def section(key: str, value: Any) -> Any:
            if not isinstance(value, Mapping):
                return value
            if key == "dram" and value.get("bandwidth_bytes_per_cycle") == _UNLIMITED:  # held as inf, as the schema does
                value = {**value, "bandwidth_bytes_per_cycle": math.inf}
            return FrozenEnergy(value) if key == "energy_pj" else FrozenSection(value)

        super().__init__({key: section(key, value) for key, value in values.items()})

    # ---------------------------------------------------------------- derived values (as the schema's)

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
        if self.dataflow_choices is not None:
            return self.dataflow_choices
        from hwsim.cost.dataflows import dataflow_names

        return dataflow_names()

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

    # ---------------------------------------------------------------- reading and changing

    def get(self, path: str) -> Any:
        """The value at a dotted path (``array.rows`` -> 32); a section name gives its section."""
        value: Any = self
        for part in path.split("."):
            if not isinstance(value, FrozenSection) or part not in value.fields:
                raise ConfigError(f"{self.name}: unknown accelerator field path {path!r} (see Accelerator.field_paths())")
            value = value.fields[part]
        return value

    def to_dict(self) -> dict[str, Any]:
        """Plain dict, as :meth:`Accelerator.to_dict` gives it (lists, unset optional fields left out)."""
        return _plain(self)

    def validated(self) -> Accelerator:
        """The same accelerator as a schema :class:`~hwsim.hardware.spec.Accelerator` (imports pydantic)."""
        from hwsim.hardware.spec import accelerator_from_dict

        return accelerator_from_dict(self.to_dict(), source=self.name)

    def with_overrides(self, overrides: Mapping[str, object]) -> Accelerator:
        """A validated copy with values replaced at dotted paths (:meth:`Accelerator.with_overrides`)."""
        return self.validated().with_overrides(overrides)
