"""Accelerator validation errors: a pydantic ``ValidationError`` turned into one line.

:func:`_validate` validates a mapping into an :class:`~hwsim.accelerator_spec.Accelerator` and
raises a one-line :class:`~hwsim.errors.ConfigError` naming the source, the dotted field, the
value given and what was expected (the ``_Expect`` text of the field), unknown keys first, with
close matches suggested.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Optional

from pydantic import BaseModel, ValidationError

from hwsim.accelerator_spec import GEMM_DATAFLOWS, Accelerator, _Expect, _submodel
from hwsim.errors import ConfigError


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
        # Unknown keys first (a misspelt key also shows up as a missing field), then wrong
        # values, then missing fields; the others are named briefly on the same line.
        def rank(error: Mapping[str, Any]) -> int:
            return 0 if error["type"] in ("extra_forbidden", "invalid_key") else 2 if error["type"] == "missing" else 1

        errors = sorted(exc.errors(), key=rank)
        line = _error_line(source, errors[0])
        if len(errors) > 1:
            others = [f"{_format_loc(e['loc']) or 'top level'} {'missing' if e['type'] == 'missing' else 'invalid'}"
                      for e in errors[1:4]]
            more = ", ..." if len(errors) > 4 else ""
            line += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''}: {'; '.join(others)}{more})"
        raise ConfigError(line) from None

