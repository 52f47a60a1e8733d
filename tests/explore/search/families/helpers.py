"""What the tests of the staged search families share: the template cache folder of the session, the first
difference between two graphs (a readable failure), the totals of a zoo model simulated whole."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from hwsim.cost.totals import Totals
from hwsim.graph.layer_graph import LayerGraph
from hwsim.hardware.load import Accelerator
from hwsim.simulate import simulate
from hwsim.sources.zoo import load_zoo_graph

needs_torch = pytest.mark.skipif(not __import__("importlib").util.find_spec("torch"), reason="needs torch")


def template_cache(factory: pytest.TempPathFactory) -> Path:
    """One folder for the whole pytest session (per worker): every family's test reuses the traces."""
    folder = factory.getbasetemp() / "hwsim-template-cache"
    folder.mkdir(exist_ok=True)
    return folder


def first_difference(a: LayerGraph, b: LayerGraph) -> str:
    """The first difference between two graphs, for a readable failure."""
    for field in ("name", "input_shape", "unsupported", "metadata"):
        if getattr(a, field) != getattr(b, field):
            return f"{field}: {getattr(a, field)!r} != {getattr(b, field)!r}"
    if len(a.layers) != len(b.layers):
        return f"{len(a.layers)} layers != {len(b.layers)}"
    for x, y in zip(a.layers, b.layers):
        if x != y:
            return f"layer {x.name}: " + ", ".join(f"{k}={v!r}/{asdict(y)[k]!r}" for k, v in asdict(x).items()
                                                  if asdict(y)[k] != v)
    return "equal"


def zoo_totals(name: str, accel: Accelerator) -> Totals:
    """The zoo model ``name`` (its shipped graph) simulated whole on ``accel``."""
    return simulate(load_zoo_graph(name), accel).totals
