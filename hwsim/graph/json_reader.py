"""Strict JSON reading for graph files: size limit, duplicate keys, NaN and deep nesting refused in one line.

:func:`parse_json` and :func:`read_json` raise :class:`~hwsim.errors.GraphFileError` (or the error
class given) with one line naming the source: invalid JSON with its line and column, a duplicate
key (JSON allows it; the later value would silently win), ``NaN``/``Infinity`` (not JSON), a number
with more digits than Python converts, nesting deeper than Python's recursion limit, or a file
larger than :data:`MAX_GRAPH_BYTES`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hwsim.errors import GraphFileError, HwsimError, read_text

__all__ = ["MAX_GRAPH_BYTES", "parse_json", "read_json"]

#: Largest graph JSON read, bytes (a graph of the most layers allowed, 2^16, is about 30 MB).
MAX_GRAPH_BYTES = 64 * 1024 * 1024


class _Refused(ValueError):
    """A JSON value strict reading refuses (duplicate key, NaN)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(f"duplicate key {key[:60]!r} in one object: expected each key once")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number: expected a finite number")


def parse_json(text: str, source: str, error: type[HwsimError] = GraphFileError) -> Any:
    """The value of JSON ``text``; any problem raises ``error``: ``<source>: invalid JSON...: <why>``."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise error(f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}: expected strict JSON") from None
    except _Refused as exc:
        raise error(f"{source}: invalid JSON: {exc}") from None
    except RecursionError:
        raise error(f"{source}: invalid JSON: nested too deeply: expected a graph file, a few levels deep") from None
    except ValueError as exc:  # an integer with more digits than int() converts
        raise error(f"{source}: invalid JSON: {str(exc).split(':')[0][:80]}: expected numbers of at most 4300 digits") from None


def read_json(path: str | Path, source: str | None = None, error: type[HwsimError] = GraphFileError,
              max_bytes: int = MAX_GRAPH_BYTES) -> Any:
    """Read and parse one JSON file (at most ``max_bytes``); errors as :func:`parse_json`."""
    label = source or str(path)
    return parse_json(read_text(path, error, "graph file", source=label, max_bytes=max_bytes), label, error)
