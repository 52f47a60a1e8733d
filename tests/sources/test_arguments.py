"""Checks of the arguments every loader takes: batch, input size, a saved graph's fixed shape."""

from __future__ import annotations

import pytest

from hwsim.errors import ConfigError
from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.sources.arguments import check_batch, check_input_size, fixed_shape


def test_check_batch():
    assert check_batch("m", 3) == 3
    for bad in (0, -2, True, 2.0, "2"):
        with pytest.raises(ConfigError, match=f"m: batch must be a positive integer, got {bad!r}"):
            check_batch("m", bad)


def test_check_input_size():
    assert check_input_size("m", None) is None
    assert check_input_size("m", 224) == (224, 224)  # an int is a square
    assert check_input_size("m", [160, 224]) == (160, 224)
    assert check_input_size("m", (1, 8, 8), lengths=(2, 3)) == (1, 8, 8)
    with pytest.raises(ConfigError, match=r"m: input size must be \(height, width\) in positive pixels, got \(1, 8, 8\)"):
        check_input_size("m", (1, 8, 8))
    for bad in ((0, 8), (8, -1), (True, 8), (8.0, 8), 0, "224", [224]):
        with pytest.raises(ConfigError, match="input size must be"):
            check_input_size("m", bad)


def test_fixed_shape():
    conv = Layer(name="c", op="conv", inputs=("input",), n=2, c=3, h=8, w=6, k=4, p=8, q=6)
    graph = LayerGraph(name="g", input_shape=(2, 3, 8, 6), layers=(conv,))
    assert fixed_shape(graph, "g.json", None, 1) is graph
    assert fixed_shape(graph, "g.json", (8, 6), 2) is graph
    assert fixed_shape(graph, "g.json", (3, 8, 6), 2) is graph  # compared on the trailing dims
    with pytest.raises(ConfigError, match="g.json: the graph's input is 2x3x8x6; a saved graph cannot be resized to 6x8"):
        fixed_shape(graph, "g.json", (6, 8), 1)
    with pytest.raises(ConfigError, match="g.json: the graph's batch is 2; a saved graph cannot be re-batched to 4"):
        fixed_shape(graph, "g.json", None, 4)
