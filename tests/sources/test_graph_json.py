"""The graph .json source: a saved graph loads as saved; its fixed shapes refuse resizing."""

from __future__ import annotations

import pytest

from hwsim.errors import ConfigError, GraphFileError
from hwsim.graph.layer_graph import LayerGraph
from hwsim.sources import load_graph
from hwsim.sources.graph_json import load_graph_json
from hwsim.sources.zoo import graph_path


def test_a_saved_graph_loads_as_saved(tmp_path):
    saved = tmp_path / "g.json"
    saved.write_text(graph_path("alexnet").read_text())
    shipped = LayerGraph.load(graph_path("alexnet"))
    assert load_graph(str(saved)) == shipped
    # AlexNet's own input, 227x227 (shipped at batch 1): asking for it is no resize
    assert load_graph_json(str(saved), input_size=(227, 227)) == shipped
    with pytest.raises(ConfigError, match="input is 1x3x227x227; a saved graph cannot be resized to 200x200"):
        load_graph(str(saved), input_size=(200, 200))
    with pytest.raises(ConfigError, match="the graph's batch is 1; a saved graph cannot be re-batched to 2"):
        load_graph(str(saved), batch=2)
    with pytest.raises(GraphFileError, match="cannot read graph file"):
        load_graph(str(tmp_path / "missing.json"))


def test_a_graph_saved_at_a_batch_loads_at_that_batch(tmp_path):
    saved = tmp_path / "b4.json"
    batched = LayerGraph.load(graph_path("alexnet")).with_batch(4)
    batched.save(saved)
    # batch 1 is the default (keep the graph's own); the graph's batch is accepted; another is not
    assert load_graph(str(saved)) == load_graph(str(saved), batch=4) == batched
    with pytest.raises(ConfigError, match="batch is 4; a saved graph cannot be re-batched to 3"):
        load_graph(str(saved), batch=3)
