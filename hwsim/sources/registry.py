"""The model sources' dispatch table: what a user types as MODEL -> the loader that reads it.

A loader is a function ``(source, input_size, batch) -> LayerGraph``: ``source`` is what the user
typed, ``input_size`` None, an int (a square) or a size in pixels ((height, width); a loader may
take (channels, height, width) too) that the loader checks (:mod:`hwsim.sources.arguments`), and
``batch`` a positive int (checked before the loader runs).

Each source module registers its loader when it is imported, and :mod:`hwsim.sources` imports
them all: a file suffix (``.json``, ``.csv``, ``.py``) or :data:`NAME`, the one loader of
sources that are not files (zoo model names). Registering imports nothing heavy: a loader
imports what it needs (torch) when it runs. Adding a source (say ``.onnx``) is one module with
a loader and a ``register(".onnx", load_onnx)`` line, imported by ``hwsim/sources/__init__.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hwsim.errors import GraphFileError
from hwsim.graph.layer_graph import LayerGraph
from hwsim.sources.arguments import check_batch

__all__ = ["NAME", "InputSize", "Loader", "Source", "load_graph", "register", "source_suffix", "sources", "unregister"]

#: What a loader is given as the input size (see the module docstring).
InputSize = int | Sequence[int] | None
#: ``(source, input_size, batch) -> LayerGraph``.
Loader = Callable[[str, InputSize, int], LayerGraph]

#: Key of the loader for sources that are names, not files (the zoo).
NAME = "name"

_SUFFIX = re.compile(r"\.[a-z0-9_]+")
#: ``path.ext:attribute`` (a factory in a Python file): dispatched on ``.ext``
_ATTRIBUTE = re.compile(r"(?P<path>.+):[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Source:
    """One entry of the table."""

    key: str  #: a lower-case file suffix (``.json``) or :data:`NAME`
    loader: Loader
    usage: str  #: how a user writes such a source, for messages (``.json``, ``file.py:factory``)


_SOURCES: dict[str, Source] = {}


def register(key: str, loader: Loader, usage: str | None = None) -> None:
    """Add a loader for a file suffix (``.onnx``) or :data:`NAME`; a key taken before is refused.

    ``usage`` is how the source is written in error messages (default: the suffix itself).
    Raises ValueError for a malformed or duplicate key.
    """
    if key != NAME and not _SUFFIX.fullmatch(key):
        raise ValueError(f"model source key {key!r}: expected a lower-case file suffix such as '.onnx', or {NAME!r}")
    if key in _SOURCES:
        taken = _SOURCES[key].loader
        raise ValueError(
            f"model source {key!r} is already registered to {taken.__module__}.{taken.__qualname__}"
        )
    _SOURCES[key] = Source(key, loader, usage or key)


def unregister(key: str) -> None:
    """Remove a registered loader (for plug-ins replacing one, and tests); KeyError if absent."""
    del _SOURCES[key]


def sources() -> tuple[Source, ...]:
    """The registered sources, in registration order."""
    return tuple(_SOURCES.values())


def source_suffix(source: str) -> str:
    """The lower-case suffix ``source`` dispatches on: its path's, and for ``path.ext:name``
    (a factory in a Python file) that of ``path.ext`` when that suffix is registered."""
    match = _ATTRIBUTE.fullmatch(source)
    if match is not None:
        suffix = Path(match["path"]).suffix.lower()
        if suffix in _SOURCES:
            return suffix
    return Path(source).suffix.lower()


def _expected() -> str:
    usages = [s.usage for s in _SOURCES.values() if s.key != NAME]
    return ", ".join(usages[:-1]) + " or " + usages[-1] if len(usages) > 1 else "".join(usages)


def load_graph(source: str, input_size: InputSize = None, batch: int = 1) -> LayerGraph:
    """A LayerGraph from what a user typed, by the loader registered for it.

    A registered suffix picks its loader (a missing file is that loader's error); another
    existing file is refused naming the registered suffixes; anything else is a name for the
    :data:`NAME` loader (the zoo: unknown names raise :class:`~hwsim.errors.UnknownNameError`).
    """
    batch = check_batch(source, batch)
    entry = _SOURCES.get(source_suffix(source))
    if entry is None:
        if Path(source).is_file():
            raise GraphFileError(f"{source}: unknown graph file type; expected {_expected()}")
        entry = _SOURCES.get(NAME)
        if entry is None:
            raise GraphFileError(f"{source}: no such graph file, and no loader of model names is registered")
    return entry.loader(source, input_size, batch)
