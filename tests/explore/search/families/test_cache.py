"""cached_graph: a shipped graph first, then the disk cache, then a trace; each only when the family's check passes."""

from __future__ import annotations

import pytest

from hwsim.explore.search.families import cache
from hwsim.graph.layer_graph import Layer, LayerGraph

KEY = {"width": 1.0, "stages": 2}


def tiny(name: str) -> LayerGraph:
    return LayerGraph(name=name, input_shape=(1, 3, 8, 8), layers=(Layer(name="pool", op="pool", inputs=("input",)),))


@pytest.fixture
def shipped_dir(tmp_path, monkeypatch):
    folder = tmp_path / "shipped"
    monkeypatch.setattr(cache, "SHIPPED_DIR", folder)
    return folder


def fetch(cache_dir, traced: list[str], accept=lambda graph: True):
    def trace():
        traced.append("traced")
        return tiny("fresh")

    def check(graph):
        if not accept(graph):
            raise ValueError("does not fit")
        return graph.name

    return cache.cached_graph(str(cache_dir), "toy", KEY, (), trace=trace, check=check)


def test_shipped_file_name_spells_the_key(shipped_dir):
    assert cache.shipped_file("toy", KEY) == shipped_dir / "toy" / "width-1.0_stages-2.json"


def test_a_shipped_graph_is_used_before_cache_and_trace(shipped_dir, tmp_path):
    path = cache.shipped_file("toy", KEY)
    path.parent.mkdir(parents=True)
    tiny("shipped").save(path)
    traced: list[str] = []
    assert fetch(tmp_path / "cache", traced) == "shipped"
    assert traced == [] and not (tmp_path / "cache").exists()


def test_a_shipped_graph_that_does_not_fit_is_passed_over(shipped_dir, tmp_path):
    path = cache.shipped_file("toy", KEY)
    path.parent.mkdir(parents=True)
    tiny("shipped").save(path)
    traced: list[str] = []
    assert fetch(tmp_path / "cache", traced, accept=lambda g: g.name != "shipped") == "fresh"
    assert traced == ["traced"]
    assert fetch(tmp_path / "cache", traced, accept=lambda g: g.name != "shipped") == "fresh"  # now from the cache
    assert traced == ["traced"]
    path.write_text("{not json")  # a damaged shipped file is passed over too
    assert fetch(tmp_path / "other", traced) == "fresh" and traced == ["traced", "traced"]
