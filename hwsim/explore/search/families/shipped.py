"""The search families' reference graphs that ship with hwsim, like the zoo's graphs.

A block-allocation search cuts its unit templates from one traced reference network per variant
(:mod:`hwsim.explore.search.families.squeezenext`). Tracing imports torch and takes seconds, so
the reference graphs of the variants ``hwsim search squeezenext`` runs by default
(:data:`SHIPPED_KEYS`: width 1.0, conv1 5 or 7, shortcut v1 or v5) are traced when the package
is built and ship in ``shipped_templates/<family>/`` (file names:
:func:`hwsim.explore.search.families.cache.shipped_file`), where
:func:`~hwsim.explore.search.families.cache.cached_graph` finds them before any cache or trace.
``python -m hwsim.explore.search.families.shipped --regenerate`` (or ``make graphs``) writes
them, ``--check`` compares them with a fresh trace, and so does a test.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from hwsim.errors import HwsimError
from hwsim.explore.search.families.cache import SHIPPED_DIR, shipped_file
from hwsim.explore.search.families.squeezenext import TemplateKey, trace_reference
from hwsim.graph.layer_graph import LayerGraph
from hwsim.models.squeezenext_spec import CONV1_KERNELS, SHORTCUT_STYLES
from hwsim.sources.zoo import comparable

__all__ = ["SHIPPED_KEYS", "is_current", "main", "regenerate", "shipped_path"]

FAMILY = "squeezenext"
#: The SqueezeNext variants whose reference graphs ship: every choice of the default search.
SHIPPED_KEYS: tuple[TemplateKey, ...] = tuple(
    TemplateKey(conv1_kernel=kernel, shortcut=shortcut) for kernel in CONV1_KERNELS for shortcut in SHORTCUT_STYLES
)


def shipped_path(key: TemplateKey) -> Path:
    """Where the reference graph of ``key`` ships."""
    return shipped_file(FAMILY, asdict(key))


def _graph_text(graph: LayerGraph) -> str:
    """The graph's JSON with one layer per line (small diffs), as the zoo writes its graphs."""
    data = graph.to_dict()
    layers = data.pop("layers")
    head = ",\n".join(f" {json.dumps(key)}: {json.dumps(value)}" for key, value in data.items())
    body = ",\n".join("  " + json.dumps(layer) for layer in layers)
    return f'{{\n{head},\n "layers": [\n{body}\n ]\n}}\n'


def regenerate() -> tuple[Path, ...]:
    """Trace the reference graph of every key of :data:`SHIPPED_KEYS` (imports torch) and write
    it; files of other keys are removed. Returns the paths written."""
    written = []
    for key in SHIPPED_KEYS:
        path = shipped_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_graph_text(trace_reference(key)))
        written.append(path)
    for stale in sorted(set((SHIPPED_DIR / FAMILY).glob("*.json")) - set(written)):
        stale.unlink()
    return tuple(written)


def is_current(key: TemplateKey) -> bool:
    """Whether the shipped reference graph of ``key`` equals a fresh trace, but for the hwsim and
    torch versions it records (imports torch)."""
    path = shipped_path(key)
    return path.is_file() and comparable(LayerGraph.load(path)) == comparable(trace_reference(key))


def main(argv: Sequence[str] | None = None) -> int:
    """``--regenerate``: trace and write the shipped reference graphs; ``--check``: exit 1 if one is stale."""
    parser = argparse.ArgumentParser(prog="python -m hwsim.explore.search.families.shipped",
                                     description="Write or check the search templates shipped in shipped_templates/.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--regenerate", action="store_true", help="trace the reference graphs and write them")
    group.add_argument("--check", action="store_true", help="exit 1 if a shipped graph differs from a fresh trace")
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = [key for key in SHIPPED_KEYS if not is_current(key)]
            for key in stale:
                print(f"stale or missing: {shipped_path(key)}")
            return 1 if stale else 0
        for path in regenerate():
            print(f"wrote {path}")
    except HwsimError as exc:
        print(f"hwsim: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
