"""Zoo graphs shipped with hwsim, and :func:`load_graph`, the one way the CLI gets a graph.

``hwsim/sources/zoo_graphs/<canonical name>.json`` holds the export of every canonical zoo model at batch 1
and its default input (``python -m hwsim.sources.zoo --regenerate``, or ``make graphs``, writes them;
a test checks that they equal a fresh export). Loading a shipped graph needs no torch; any other
batch or input size is exported afresh, importing torch then.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from hwsim.errors import ConfigError, GraphFileError, HwsimError
from hwsim.graph.layer_graph import LayerGraph
from hwsim.models import model_names, resolve_model

__all__ = [
    "GRAPHS_DIR",
    "comparable",
    "export_zoo_graph",
    "graph_path",
    "load_graph",
    "load_zoo_graph",
    "main",
    "regenerate",
]

#: Where the shipped graphs live (inside the package, so they ship in the wheel).
GRAPHS_DIR = Path(__file__).resolve().parent / "zoo_graphs"

_FACTORY = re.compile(r".+\.py:[A-Za-z_][A-Za-z0-9_]*")


def graph_path(name: str) -> Path:
    """Path of the shipped graph of a model (canonical or alternate name; it may not exist)."""
    return GRAPHS_DIR / f"{resolve_model(name).name}.json"


def _check_batch(source: str, batch: int) -> int:
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ConfigError(f"{source}: batch must be a positive integer, got {batch!r}")
    return batch


def _check_size(source: str, input_size: int | Sequence[int] | None, lengths: tuple[int, ...] = (2,)) -> tuple[int, ...] | None:
    """``input_size`` as a tuple of positive ints (an int means a square H = W)."""
    if input_size is None:
        return None
    size = (input_size, input_size) if isinstance(input_size, int) and not isinstance(input_size, bool) else input_size
    try:
        dims = tuple(size)  # type: ignore[arg-type]
    except TypeError:
        dims = ()
    if len(dims) not in lengths or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in dims):
        what = " or ".join({2: "(height, width)", 3: "(channels, height, width)"}[n] for n in lengths)
        raise ConfigError(f"{source}: input size must be {what} in positive pixels, got {input_size!r}")
    return dims


def load_zoo_graph(name: str, input_size: int | Sequence[int] | None = None, batch: int = 1) -> LayerGraph:
    """The graph of a zoo model from the shipped batch-1 JSON (no torch), at any batch.

    ``input_size`` is (height, width) in pixels (an int: square). Another batch rescales the
    shipped graph (:meth:`LayerGraph.with_batch`, exact: N is the only dimension it changes);
    another input size, or a missing shipped file, exports the model afresh (imports torch).
    """
    spec = resolve_model(name)
    size = _check_size(spec.name, input_size)
    _check_batch(spec.name, batch)
    path = GRAPHS_DIR / f"{spec.name}.json"
    if (size is None or size == spec.input_shape[1:]) and path.is_file():
        return LayerGraph.load(path).with_batch(batch)
    return export_zoo_graph(spec.name, size, batch)


def export_zoo_graph(name: str, input_size: int | Sequence[int] | None = None, batch: int = 1) -> LayerGraph:
    """Build and export a zoo model afresh (imports torch); arguments as :func:`load_zoo_graph`."""
    from hwsim.export import export
    from hwsim.models import build_model

    spec = resolve_model(name)
    size = _check_size(spec.name, input_size) or spec.input_shape[1:]
    _check_batch(spec.name, batch)
    height, width = size
    # the builders take a square input size (AlexNet sizes fc6 from it); a non-square input is
    # traced on the default build and fails there if the network cannot take it
    model = build_model(spec, input_size=height) if height == width else build_model(spec)
    return export(
        model, (batch, spec.input_shape[0], height, width), name=spec.name, model_kwargs=spec.kwargs_dict()
    )


def _graph_text(graph: LayerGraph) -> str:
    """The graph's JSON with one layer per line (small files, readable diffs)."""
    data = graph.to_dict()
    layers = data.pop("layers")
    head = ",\n".join(f" {json.dumps(key)}: {json.dumps(value)}" for key, value in data.items())
    body = ",\n".join("  " + json.dumps(layer) for layer in layers)
    return f'{{\n{head},\n "layers": [\n{body}\n ]\n}}\n'


def regenerate(names: Iterable[str] | None = None) -> tuple[Path, ...]:
    """Export zoo models (all canonical ones by default) into :data:`GRAPHS_DIR`.

    With ``names=None`` shipped files of models no longer in the registry are removed.
    Returns the paths written.
    """
    everything = names is None
    wanted = tuple(model_names()) if names is None else tuple(dict.fromkeys(resolve_model(n).name for n in names))
    GRAPHS_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for name in wanted:
        path = GRAPHS_DIR / f"{name}.json"
        path.write_text(_graph_text(export_zoo_graph(name)))
        written.append(path)
    if everything:
        for stale in sorted(set(GRAPHS_DIR.glob("*.json")) - set(written)):
            stale.unlink()
    return tuple(written)


def _fixed_shape(graph: LayerGraph, source: str, input_size: tuple[int, ...] | None, batch: int) -> LayerGraph:
    """A saved graph has fixed shapes: refuse an input size or batch it was not made for."""
    shape = graph.input_shape
    if input_size is not None and tuple(shape[-len(input_size):]) != input_size:
        raise ConfigError(
            f"{source}: the graph's input is {'x'.join(map(str, shape))}; a saved graph cannot be "
            f"resized to {'x'.join(map(str, input_size))} (export the model instead)"
        )
    if batch != 1 and shape and shape[0] != batch:
        raise ConfigError(f"{source}: the graph's batch is {shape[0]}; a saved graph cannot be re-batched to {batch}")
    return graph


def load_graph(source: str, input_size: int | Sequence[int] | None = None, batch: int = 1) -> LayerGraph:
    """A LayerGraph from what a user typed.

    ``source`` is a zoo model name, a ``.json`` graph file, a ``path/to/file.py:factory`` model
    (needs ``input_size``: (H, W) with 3 input channels, or (C, H, W); exported with torch) or a
    SCALE-Sim topology ``.csv``. Unknown names raise :class:`~hwsim.errors.UnknownNameError`.
    """
    batch = _check_batch(source, batch)
    suffix = Path(source.rpartition(":")[0] if _FACTORY.fullmatch(source) else source).suffix.lower()
    if suffix == ".py":
        size = _check_size(source, input_size, lengths=(2, 3))
        if size is None:
            raise ConfigError(f"{source}: a model factory needs an input size (height, width)")
        from hwsim.export import export, load_factory

        model = load_factory(source)
        shape = (batch, *size) if len(size) == 3 else (batch, 3, *size)
        name = source.rpartition(":")[2] if ":" in source else Path(source).stem
        return export(model, shape, name=name)
    if suffix == ".json":
        return _fixed_shape(LayerGraph.load(source), source, _check_size(source, input_size), batch)
    if suffix == ".csv":
        from hwsim.sources.scalesim_topology import load_topology

        return _fixed_shape(load_topology(source), source, _check_size(source, input_size), batch)
    if Path(source).is_file():
        raise GraphFileError(f"{source}: unknown graph file type; expected .json, .csv or file.py:factory")
    return load_zoo_graph(source, input_size, batch)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hwsim.sources.zoo --regenerate [NAME ...]`` / ``--check``: write or verify shipped graphs."""
    parser = argparse.ArgumentParser(prog="python -m hwsim.sources.zoo", description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--regenerate", nargs="*", metavar="NAME", help="export these models (default: all)")
    group.add_argument("--check", action="store_true", help="exit 1 if a shipped graph differs from a fresh export")
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = [name for name in model_names() if not _is_current(name)]
            for name in stale:
                print(f"stale or missing: {GRAPHS_DIR / (name + '.json')}")
            return 1 if stale else 0
        for path in regenerate(args.regenerate or None):
            print(f"wrote {path}")
    except HwsimError as exc:
        print(f"hwsim: {exc}", file=sys.stderr)
        return 2
    return 0


def comparable(graph: LayerGraph) -> LayerGraph:
    """The graph without the tool-version metadata (``hwsim``, ``torch``), for comparing exports."""
    return replace(graph, metadata=tuple((k, v) for k, v in graph.metadata if k not in ("hwsim", "torch")))


def _is_current(name: str) -> bool:
    path = GRAPHS_DIR / f"{name}.json"
    return path.is_file() and comparable(LayerGraph.load(path)) == comparable(export_zoo_graph(name))


if __name__ == "__main__":
    raise SystemExit(main())
