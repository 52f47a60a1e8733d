"""Where traced reference graphs are kept, for families whose unit templates are cut from a torch trace.

:func:`cached_graph` returns the graph a family traced for a key: the one shipped with hwsim
(:func:`shipped_file`, ``shipped_templates/<family>/``, traced when the package is built by
:mod:`hwsim.explore.search.families.shipped`: the variants a search runs by default), else the one
in ``<cache_dir>/<family>_templates/<hash>.json``, in either case only when it passes the
family's check; else it is traced (and written to the cache, atomically; a cache that cannot be
written is skipped). The cache's file name hashes the key, hwsim's and torch's versions and the
source files the trace depends on (:func:`fingerprint`), so a change to any of them traces again;
the shipped files, like the zoo's graphs, are kept current by a test. Reading either needs no torch.

The folder: ``$HWSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/hwsim``, else ``~/.cache/hwsim``
(:func:`default_cache_dir`); ``""`` turns the disk cache off.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import hwsim
from hwsim.errors import HwsimError
from hwsim.graph.layer_graph import LayerGraph

__all__ = ["SHIPPED_DIR", "cache_file", "cached_graph", "default_cache_dir", "fingerprint", "shipped_file"]

T = TypeVar("T")

#: Reference graphs shipped inside the package (one folder per family).
SHIPPED_DIR = Path(__file__).resolve().parent / "shipped_templates"


def _spelled(field: str, value: Any) -> str:
    """``field-value``; a mapping spells each of its fields, a list its values joined by ``-`` (``none`` when empty)."""
    if isinstance(value, Mapping):
        return "_".join(_spelled(f, v) for f, v in value.items())
    if isinstance(value, (list, tuple)):
        return f"{field}-{'-'.join(map(str, value)) or 'none'}"
    return f"{field}-{value}"


def shipped_file(family: str, key: Mapping[str, Any]) -> Path:
    """Where the shipped reference graph of ``key`` (JSON-able fields) of ``family`` is; it may not exist.

    The file name spells the key: ``width-1.0_conv1_kernel-7_..._batch-1.json``; the fields of a
    nested mapping are spelled in its place, a list as its values (``stages-4_width-1.0_..._choices-3``).
    """
    return SHIPPED_DIR / family / (_spelled("", key) + ".json")


def default_cache_dir() -> Path:
    """``$HWSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/hwsim``, else ``~/.cache/hwsim``."""
    if os.environ.get("HWSIM_CACHE_DIR"):
        return Path(os.environ["HWSIM_CACHE_DIR"])
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "hwsim"


@functools.lru_cache(maxsize=8)
def fingerprint(sources: tuple[str, ...]) -> str:
    """Hash of hwsim's and torch's versions and of ``sources`` (paths inside the hwsim package;
    a folder stands for every .py file in it): cached traces are stale when it changes."""
    from importlib import metadata

    try:
        torch_version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = "none"
    digest = hashlib.sha256(f"hwsim {hwsim.__version__} torch {torch_version}".encode())
    package = Path(hwsim.__file__).resolve().parent
    for relative in sources:
        path = package / relative
        for file in sorted(path.glob("*.py")) if path.is_dir() else [path]:
            digest.update(file.relative_to(package).as_posix().encode())
            digest.update(file.read_bytes() if file.is_file() else b"missing")
    return digest.hexdigest()


def cache_file(folder: Path, family: str, key: Mapping[str, Any], sources: tuple[str, ...]) -> Path:
    """Where the trace of ``key`` (JSON-able fields) of ``family`` is cached under ``folder``."""
    text = json.dumps({"key": dict(key), "fingerprint": fingerprint(sources)}, sort_keys=True)
    return folder / f"{family}_templates" / f"{hashlib.sha256(text.encode()).hexdigest()[:24]}.json"


def cached_graph(cache_dir: str, family: str, key: Mapping[str, Any], sources: tuple[str, ...],
                 trace: Callable[[], LayerGraph], check: Callable[[LayerGraph], T]) -> T:
    """``check(graph)`` of the shipped or cached trace of ``key``, else of a fresh ``trace()``, cached.

    ``check`` turns the graph into the family's templates and raises ``ValueError`` (or an
    :class:`~hwsim.errors.HwsimError`) when it does not fit: a shipped file that does not is
    passed over, a damaged or stale cache file is traced again and overwritten. ``cache_dir``
    ``""``: no disk cache (shipped files are still read).
    """
    shipped = shipped_file(family, key)
    if shipped.is_file():
        try:
            return check(LayerGraph.load(shipped))
        except (ValueError, HwsimError):
            pass  # does not fit this hwsim: trace as if it were not shipped
    path = cache_file(Path(cache_dir), family, key, sources) if cache_dir else None
    if path is not None and path.is_file():
        try:
            return check(LayerGraph.load(path))
        except (ValueError, HwsimError):
            pass  # a stale or damaged cache file: trace again and overwrite it
    graph = trace()
    checked = check(graph)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            scratch = path.with_suffix(f".{os.getpid()}.tmp")
            graph.save(scratch)
            os.replace(scratch, path)
        except OSError:
            pass  # no writable cache: keep the templates in memory only
    return checked
