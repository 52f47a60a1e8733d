"""Schema validation with one-line errors: a pydantic ``ValidationError`` turned into one line.

:func:`validate_model` validates a mapping into any pydantic model (the accelerator spec, the
host model) and raises a one-line :class:`~hwsim.errors.ConfigError` naming the source, the
dotted field, the value given and what was expected (the :class:`Expect` text a field carries in
its ``Annotated`` metadata), unknown keys first, with close matches suggested. It knows no
particular schema, so the schemas import it and not the other way round.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Optional, TypeVar

from pydantic import BaseModel, ValidationError

from dataclasses import dataclass
from typing import Literal, Union, get_args, get_origin

from hwsim.errors import ConfigError

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class Expect:
    """The "expected ..." text of a field's error message (``Annotated`` metadata; pydantic ignores it)."""

    text: str


def submodel(annotation: Any) -> Optional[type[BaseModel]]:
    """The spec class of a field annotation, if the field is a nested section (``Optional`` ones too)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is Union:
        models = [arg for arg in get_args(annotation) if isinstance(arg, type) and issubclass(arg, BaseModel)]
        return models[0] if len(models) == 1 else None
    return None


def _literal_values(annotation: Any) -> tuple[Any, ...]:
    """The values of the first ``Literal`` inside an annotation (``tuple[Literal["ws", "os"], ...]``)."""
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    for arg in get_args(annotation):
        found = _literal_values(arg)
        if found:
            return found
    return ()


# --------------------------------------------------------------------------------------------
# Validation errors -> one-line ConfigError


def _field_at(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Optional[Any], Optional[type[BaseModel]]]:
    """(FieldInfo of the field a location points into, the spec class holding it)."""
    model: Optional[type[BaseModel]] = root
    info = None
    owner = None
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None or part not in model.model_fields:
            return None, model
        owner = model
        info = model.model_fields[part]
        model = submodel(info.annotation)
    return info, owner


def _expected_for(info: Any) -> str:
    if info is None:
        return "a valid value"
    for meta in info.metadata:
        if isinstance(meta, Expect):
            return meta.text
    sub = submodel(info.annotation)
    if sub is not None:
        return f"a mapping with keys {', '.join(sub.model_fields)}"
    return "a valid value"


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


#: Longest value text an error message shows; longer values end in "...".
MAX_VALUE_CHARS = 80


def _format_value(value: Any) -> str:
    """A value as the YAML user wrote it, at most :data:`MAX_VALUE_CHARS` characters.

    Built piece by piece and stopped as soon as the budget is spent, so a value that is huge
    when expanded (a chain of aliases, a number with thousands of digits) costs no more than
    its first few pieces.
    """
    pieces: list[str] = []
    budget = [MAX_VALUE_CHARS + 1]

    def put(text: str) -> bool:
        pieces.append(text[: budget[0]])
        budget[0] -= len(text)
        return budget[0] > 0

    def walk(item: Any, depth: int) -> bool:
        if depth > 8:
            return put("...")
        if item is None:
            return put("null")
        if isinstance(item, bool):
            return put("true" if item else "false")
        if isinstance(item, int):
            return put(_int_text(item))
        if isinstance(item, (float, str)):
            return put(repr(item[: MAX_VALUE_CHARS + 1] if isinstance(item, str) else item))
        if isinstance(item, Mapping):
            pairs: Any = ((f"{_short(key)}: ", val) for key, val in item.items())
            opening, closing = "{", "}"
        elif isinstance(item, (list, tuple)):
            pairs = (("", val) for val in item)
            opening, closing = "[", "]"
        else:
            return put(_short(item))
        if not put(opening):
            return False
        for index, (label, val) in enumerate(pairs):
            if (index and not put(", ")) or (label and not put(label)) or not walk(val, depth + 1):
                return False
        return put(closing)

    walk(value, 0)
    text = "".join(pieces)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


def _int_text(value: int) -> str:
    """An integer's digits, or its size when it has too many to show (and to convert cheaply)."""
    if value.bit_length() > 256:
        return f"<an integer of about {int((value.bit_length() - 1) * 0.30103) + 1} digits>"
    return repr(value)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value) if not isinstance(value, int) else _int_text(value)
    return text[:MAX_VALUE_CHARS]


def _error_line(root: type[BaseModel], source: str, error: Mapping[str, Any]) -> str:
    loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if "hwsim_loc" in ctx:
        return f"{source}: {ctx['hwsim_loc']} = {_format_value(ctx['hwsim_value'])}: expected {ctx['hwsim_expected']}"
    path = _format_loc(loc) or "<top level>"
    info, owner = _field_at(root, loc)
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
        values = _literal_values(info.annotation) if info is not None else ()
        expected = "one of " + ", ".join(map(str, values)) if values else expected
    elif kind == "repeated_choices":
        expected = "distinct dataflows (no repeats)"
    return f"{source}: {path} = {_format_value(error['input'])}: expected {expected}"


def validate_model(model: type[ModelT], data: Mapping[str, Any], source: str) -> ModelT:
    """``model.model_validate(data)``, or a one-line :class:`ConfigError` naming ``source`` and the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # Unknown keys first (a misspelt key also shows up as a missing field), then wrong
        # values, then missing fields; the others are named briefly on the same line.
        def rank(error: Mapping[str, Any]) -> int:
            return 0 if error["type"] in ("extra_forbidden", "invalid_key") else 2 if error["type"] == "missing" else 1

        errors = sorted(exc.errors(), key=rank)
        line = _error_line(model, source, errors[0])
        if len(errors) > 1:
            others = [f"{_format_loc(e['loc']) or 'top level'} {'missing' if e['type'] == 'missing' else 'invalid'}"
                      for e in errors[1:4]]
            more = ", ..." if len(errors) > 4 else ""
            line += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''}: {'; '.join(others)}{more})"
        raise ConfigError(line) from None

