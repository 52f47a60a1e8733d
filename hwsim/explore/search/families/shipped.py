"""The search families' reference graphs that ship with hwsim, like the zoo's graphs.

A block-allocation search cuts its unit templates from one traced reference network per variant
(:mod:`hwsim.explore.search.families.squeezenext`, :mod:`~hwsim.explore.search.families.staged`).
Tracing imports torch and takes seconds, so the reference graphs of the variants ``hwsim search
FAMILY`` runs by default are traced when the package is built: SqueezeNext's
(:data:`SHIPPED_KEYS`: width 1.0, conv1 5 or 7, shortcut v1 or v5) and those of the staged
families (:data:`STAGED_VARIANTS`: MobileNet v1/v2, ShuffleNet v1 with each default group count,
ShuffleNet v2, at their default settings). They ship in ``shipped_templates/<family>/`` (file
names: :func:`hwsim.explore.search.families.cache.shipped_file`), where
:func:`~hwsim.explore.search.families.cache.cached_graph` finds them before any cache or trace.
``python -m hwsim.explore.search.families.shipped --regenerate`` (or ``make graphs``) writes
them, ``--check`` compares them with a fresh trace, and so does a test.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from hwsim.errors import HwsimError
from hwsim.explore.search.families import mobilenet_v1, mobilenet_v2, shufflenet_v1, shufflenet_v2
from hwsim.explore.search.families.base import Family, Variant
from hwsim.explore.search.families.cache import SHIPPED_DIR, shipped_file
from hwsim.explore.search.families.squeezenext import TemplateKey, trace_reference
from hwsim.explore.search.families.staged import StagedNetworks
from hwsim.graph.layer_graph import LayerGraph
from hwsim.models.squeezenext_spec import CONV1_KERNELS, SHORTCUT_STYLES
from hwsim.sources.zoo import comparable

__all__ = ["SHIPPED_KEYS", "STAGED_VARIANTS", "is_current", "main", "references", "regenerate", "shipped_path", "staged_path"]

FAMILY = "squeezenext"
#: The SqueezeNext variants whose reference graphs ship: every choice of the default search.
SHIPPED_KEYS: tuple[TemplateKey, ...] = tuple(
    TemplateKey(conv1_kernel=kernel, shortcut=shortcut) for kernel in CONV1_KERNELS for shortcut in SHORTCUT_STYLES
)
#: The staged families whose reference graphs ship: (family, how its networks are traced).
STAGED: tuple[tuple[Family, StagedNetworks], ...] = (
    (mobilenet_v1.MOBILENET_V1, mobilenet_v1.NETWORKS),
    (mobilenet_v2.MOBILENET_V2, mobilenet_v2.NETWORKS),
    (shufflenet_v1.SHUFFLENET_V1, shufflenet_v1.NETWORKS),
    (shufflenet_v2.SHUFFLENET_V2, shufflenet_v2.NETWORKS),
)


def default_variants(family: Family) -> tuple[Variant, ...]:
    """The variants a search of ``family`` runs by default: default settings, every default choice."""
    settings = tuple(family.default_settings.items())
    return tuple(Variant(family.stages, settings, choice) for choice in itertools.product(*(c.default for c in family.choices)))


#: Per staged family's name, the variants whose reference graphs ship.
STAGED_VARIANTS: dict[str, tuple[Variant, ...]] = {family.name: default_variants(family) for family, _ in STAGED}


def shipped_path(key: TemplateKey) -> Path:
    """Where the SqueezeNext reference graph of ``key`` ships."""
    return shipped_file(FAMILY, asdict(key))


def staged_path(networks: StagedNetworks, variant: Variant) -> Path:
    """Where the reference graph of a staged family's ``variant`` ships."""
    return shipped_file(networks.family, networks.reference_key(variant))


def references() -> tuple[tuple[Path, Callable[[], LayerGraph]], ...]:
    """Every shipped reference graph: (its file, how it is traced)."""
    items: list[tuple[Path, Callable[[], LayerGraph]]] = [
        (shipped_path(key), lambda key=key: trace_reference(key)) for key in SHIPPED_KEYS
    ]
    for family, networks in STAGED:
        items += [(staged_path(networks, v), lambda n=networks, v=v: n.trace_reference(v)) for v in STAGED_VARIANTS[family.name]]
    return tuple(items)


def _graph_text(graph: LayerGraph) -> str:
    """The graph's JSON with one layer per line (small diffs), as the zoo writes its graphs."""
    data = graph.to_dict()
    layers = data.pop("layers")
    head = ",\n".join(f" {json.dumps(key)}: {json.dumps(value)}" for key, value in data.items())
    body = ",\n".join("  " + json.dumps(layer) for layer in layers)
    return f'{{\n{head},\n "layers": [\n{body}\n ]\n}}\n'


def regenerate() -> tuple[Path, ...]:
    """Trace every reference graph of :func:`references` (imports torch) and write it; other
    files in ``shipped_templates/`` are removed. Returns the paths written."""
    written = []
    for path, trace in references():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_graph_text(trace()))
        written.append(path)
    for stale in sorted(set(SHIPPED_DIR.glob("*/*.json")) - set(written)):
        stale.unlink()
    return tuple(written)


def is_current(path: Path, trace: Callable[[], LayerGraph]) -> bool:
    """Whether the shipped reference graph at ``path`` equals a fresh ``trace()``, but for the
    hwsim and torch versions it records (imports torch)."""
    return path.is_file() and comparable(LayerGraph.load(path)) == comparable(trace())


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
            stale = [path for path, trace in references() if not is_current(path, trace)]
            for path in stale:
                print(f"stale or missing: {path}")
            return 1 if stale else 0
        for path in regenerate():
            print(f"wrote {path}")
    except HwsimError as exc:
        print(f"hwsim: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
