"""Model source: a zoo model name (the loader of :data:`~hwsim.sources.registry.NAME`), and the shipped zoo graphs.

``hwsim/sources/zoo_graphs/<canonical name>.json`` holds the export of every canonical zoo model at batch 1
and its default input (``python -m hwsim.sources.zoo --regenerate``, or ``make graphs``, writes them;
a test checks that they equal a fresh export). Loading a shipped graph needs no torch; any other
batch or input size is exported afresh, importing torch then.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from hwsim.errors import HwsimError
from hwsim.graph.layer_graph import LayerGraph
from hwsim.models import model_names, resolve_model
from hwsim.sources.arguments import check_batch, check_input_size
from hwsim.sources.registry import NAME, InputSize, register

__all__ = [
    "GRAPHS_DIR",
    "comparable",
    "export_zoo_graph",
    "graph_path",
    "load_zoo_graph",
    "main",
    "regenerate",
]

#: Where the shipped graphs live (inside the package, so they ship in the wheel).
GRAPHS_DIR = Path(__file__).resolve().parent / "zoo_graphs"


def graph_path(name: str) -> Path:
    """Path of the shipped graph of a model (canonical or alternate name; it may not exist)."""
    return GRAPHS_DIR / f"{resolve_model(name).name}.json"


def load_zoo_graph(name: str, input_size: InputSize = None, batch: int = 1) -> LayerGraph:
    """The graph of a zoo model from the shipped batch-1 JSON (no torch), at any batch.

    ``input_size`` is (height, width) in pixels (an int: square). Another batch rescales the
    shipped graph (:meth:`LayerGraph.with_batch`, exact: N is the only dimension it changes);
    another input size, or a missing shipped file, exports the model afresh (imports torch).
    """
    spec = resolve_model(name)
    size = check_input_size(spec.name, input_size)
    check_batch(spec.name, batch)
    path = GRAPHS_DIR / f"{spec.name}.json"
    if (size is None or size == spec.input_shape[1:]) and path.is_file():
        return LayerGraph.load(path).with_batch(batch)
    return export_zoo_graph(spec.name, size, batch)


def export_zoo_graph(name: str, input_size: InputSize = None, batch: int = 1) -> LayerGraph:
    """Build and export a zoo model afresh (imports torch); arguments as :func:`load_zoo_graph`."""
    from hwsim.export import export
    from hwsim.models import build_model

    spec = resolve_model(name)
    size = check_input_size(spec.name, input_size) or spec.input_shape[1:]
    check_batch(spec.name, batch)
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


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hwsim.sources.zoo --regenerate [NAME ...]`` / ``--check``: write or verify shipped graphs."""
    parser = argparse.ArgumentParser(prog="python -m hwsim.sources.zoo", description="Write or check the zoo graphs shipped in hwsim/sources/zoo_graphs/.")
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


# Run as `python -m hwsim.sources.zoo`, this file is a second copy of the module that importing
# hwsim.sources has registered already: only the imported module registers.
if __name__ == "__main__":
    raise SystemExit(main())
else:
    register(NAME, load_zoo_graph, usage="a zoo model name")
