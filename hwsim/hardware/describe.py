"""What an accelerator file says, what hwsim filled in, and what the schema asks for.

:func:`field_rows` walks a validated spec (any pydantic model: an :class:`~hwsim.hardware.spec.Accelerator`,
or a host model) leaf by leaf and tells for each dotted field whether its value came from the
file, from the schema's default, or from an assumption of the importer (a SCALE-Sim ``.cfg`` has
no clock, word size or energy prices: :data:`hwsim.hardware.scalesim_config.ASSUMPTIONS`), and what a
``null`` resolves to (``vector.lanes: null`` is the array's column count). :func:`schema_rows`
lists every field of the accelerator schema with its default, or as required, and what it
expects; :func:`field_reference` is that list as the Markdown table of the README.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from hwsim.cost.area import SRAM_MM2_PER_KIB, pe_um2
from hwsim.hardware.spec import Accelerator
from hwsim.hardware.validation import Expect, submodel

__all__ = ["FieldRow", "SchemaRow", "accelerator_rows", "field_reference", "field_rows", "schema_rows"]

#: Origins of a field's value.
FROM_FILE, FROM_DEFAULT, ASSUMED = "file", "default", "assumed"

#: What a ``null`` (or a default) of an accelerator field resolves to, and why.
RESOLVED: Mapping[str, tuple[Callable[[Accelerator], Any], str]] = {
    "vector.lanes": (lambda a: a.vector_lanes, "as many lanes as the array has columns"),
    "energy_pj.vector_op": (lambda a: a.energy_pj.resolved_vector_op, "the price of one mac"),
    "dataflow_choices": (
        lambda a: a.candidate_dataflows if a.dataflow == "best" else None,
        "dataflow best picks from all three dataflows per layer",
    ),
    "area.pe_um2": (
        lambda a: a.area.pe_um2 or round(float(pe_um2(a.word_bytes)), 3),
        "45 nm: multiplier + adder + 3 registers of the word size (docs/MODEL.md §10)",
    ),
    "area.buffer_mm2_per_kib": (
        lambda a: a.area.buffer_mm2_per_kib or round(SRAM_MM2_PER_KIB, 6),
        "45 nm SRAM (docs/MODEL.md §10)",
    ),
    "area.global_buffer_mm2_per_kib": (
        lambda a: a.area.global_buffer_mm2_per_kib or a.area.buffer_mm2_per_kib or round(SRAM_MM2_PER_KIB, 6),
        "the operand buffers' figure",
    ),
}


@dataclass(frozen=True)
class FieldRow:
    """One leaf field of a spec: dotted ``path``, ``value`` as validated, ``resolved`` value (what
    a null stands for, else the value), ``origin`` (file, default or assumed) and a ``note``."""

    path: str
    value: Any
    resolved: Any
    origin: str
    note: str = ""


def _leaves(model: BaseModel, prefix: str, given: bool) -> Iterator[tuple[str, Any, bool]]:
    """(dotted path, value, given in the source) of every leaf field, in schema order."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        here = given and name in model.model_fields_set
        if isinstance(value, BaseModel):
            yield from _leaves(value, f"{prefix}{name}.", here)
        else:
            yield f"{prefix}{name}", value, here


def field_rows(spec: BaseModel, assumed: Mapping[str, str] | None = None) -> tuple[FieldRow, ...]:
    """Every leaf field of ``spec`` with where its value came from.

    ``assumed`` maps dotted paths, or section prefixes ending in ``.``, to the reason an importer
    chose the value (it overrides ``file``/``default``). For an :class:`Accelerator`, nulls and
    defaults listed in :data:`RESOLVED` carry what they resolve to.
    """
    assumed = dict(assumed or {})
    rows = []
    for path, value, given in _leaves(spec, "", True):
        reason = assumed.get(path) or next((why for key, why in assumed.items() if key.endswith(".") and path.startswith(key)), None)
        resolved, note = value, ""
        if isinstance(spec, Accelerator) and path in RESOLVED:
            resolve, note = RESOLVED[path]
            resolved = resolve(spec)
        origin = ASSUMED if reason else FROM_FILE if given else FROM_DEFAULT
        rows.append(FieldRow(path, value, resolved, origin, reason or note))
    return tuple(rows)


def accelerator_rows(accel: Accelerator, assumed: Mapping[str, str] | None = None) -> tuple[FieldRow, ...]:
    """:func:`field_rows` of an accelerator (its name and description left out: they head the listing)."""
    return tuple(row for row in field_rows(accel, assumed) if row.path not in ("name", "description"))


# --------------------------------------------------------------------------------------------
# The schema: required fields, defaults, expectations


@dataclass(frozen=True)
class SchemaRow:
    """One leaf field of the accelerator schema: dotted ``path``, ``required`` (no default),
    ``default`` (the value used when it is left out) and ``expected`` (what a value must be)."""

    path: str
    required: bool
    default: Any
    expected: str


def _expected(info: Any) -> str:
    return next((m.text for m in info.metadata if isinstance(m, Expect)), "")


def _schema_leaves(model: type[BaseModel], prefix: str, default_section: BaseModel | None) -> Iterator[SchemaRow]:
    for name, info in model.model_fields.items():
        sub = submodel(info.annotation)
        has_default = info.default is not PydanticUndefined
        if sub is not None:
            yield from _schema_leaves(sub, f"{prefix}{name}.", info.default if has_default else None)
            continue
        required = not has_default and default_section is None
        default = getattr(default_section, name) if default_section is not None else (info.default if has_default else None)
        yield SchemaRow(f"{prefix}{name}", required, default, _expected(info))


def schema_rows() -> tuple[SchemaRow, ...]:
    """Every leaf field of :class:`Accelerator`: required or its default, and what it expects.

    A field of a section that has a default as a whole (``energy_pj``: the Horowitz prices) is
    not required, and its default is that section's value; but a file that gives the section
    must give each of its fields that has no default of its own (``energy_pj.source`` included).
    """
    return tuple(_schema_leaves(Accelerator, "", None))


def _yaml_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and len(value) > 30:
        return f'"{value[:24]}..."'
    return f'"{value}"' if value == "" else str(value)


def field_reference() -> str:
    """The README's table of accelerator fields (Markdown): field, required or default, expected value."""
    own_default = {name: info.default is not PydanticUndefined for name, info in Accelerator.model_fields.items()}
    lines = ["| field | required? (default) | expected |", "|---|---|---|"]
    for row in schema_rows():
        section = row.path.split(".")[0]
        if row.required:
            need = "required"
        elif "." in row.path and own_default.get(section) and _required_in_section(row.path):
            need = f"required once `{section}` is given (default: {_yaml_value(row.default)})"
        else:
            need = f"default: {_yaml_value(row.default)}"
        lines.append(f"| `{row.path}` | {need} | {row.expected} |")
    return "\n".join(lines)


def _required_in_section(path: str) -> bool:
    section, field = path.split(".", 1)
    sub = submodel(Accelerator.model_fields[section].annotation)
    return sub is not None and sub.model_fields[field].default is PydanticUndefined
