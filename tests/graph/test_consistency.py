"""Consistency checks of graph files (hwsim/graph/consistency.py): each rule refuses what breaks it
and keeps what the exporter writes (every shipped zoo graph is read through them)."""

from __future__ import annotations

import json
import re

import pytest

from hwsim.errors import GraphFileError
from hwsim.graph.consistency import ACTIVATION_MODES
from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.sources.zoo import GRAPHS_DIR


def conv(name="c", inputs=("input",), c=3, k=4, hw=8, **extra):
    return Layer(name=name, op="conv", inputs=inputs, c=c, h=hw, w=hw, k=k, p=hw, q=hw, r=3, s=3, pad_h=1, pad_w=1, **extra)


def load(layers, input_shape=(1, 3, 8, 8), top=None):
    """Round trip through JSON (``top`` replaces top-level keys): the checks run on reading, as for a file."""
    graph = LayerGraph("g", tuple(input_shape), tuple(layers))
    return LayerGraph.from_json(json.dumps({**graph.to_dict(), **(top or {})}), source="g.json")


def refused(layers, message, input_shape=(1, 3, 8, 8), top=None):
    with pytest.raises(GraphFileError, match=re.escape(message)) as info:
        load(layers, input_shape, top)
    assert str(info.value).startswith("g.json: invalid hwsim graph JSON: ") and "\n" not in str(info.value)


def test_a_consistent_graph_loads():
    pool = Layer(name="pool", op="pool", inputs=("c2",), c=8, h=8, w=8, k=8, p=4, q=4, r=2, s=2, stride_h=2, stride_w=2, mode="max")
    layers = [conv(), conv("c2", ("c",), c=4, k=8, fused=("batchnorm", "relu")), pool]
    assert [layer.name for layer in load(layers)] == ["c", "c2", "pool"]


def test_channels_along_an_edge():
    # c2 reads 8 channels of a producer that writes 4: refused
    refused([conv(), conv("c2", ("c",), c=8, k=8)],
            "layer 'c2' (conv): reads N*C*H*W = 1x8x8x8 = 512 elements: expected at most the 256 that c writes")
    # reading fewer channels than the producer writes is a channel split (ShuffleNet v2): kept
    load([conv(k=8), conv("c2", ("c",), c=4, k=8)])
    # the graph input counts as a producer: 3 channels
    refused([conv(c=6)], "layer 'c' (conv): reads N*C*H*W = 1x6x8x8 = 384 elements: expected at most the 192 that input writes")


def test_concat_adds_up_its_operands():
    a, b = conv("a", k=4), conv("b", k=6)
    cat = Layer(name="cat", op="concat", inputs=("a", "b"), c=10, h=8, w=8, k=10, p=8, q=8, operand_elements=(256, 384))
    assert load([a, b, cat])["cat"].c == 10
    wrong = Layer(name="cat", op="concat", inputs=("a", "b"), c=12, h=8, w=8, k=12, p=8, q=8, operand_elements=(256, 384))
    refused([a, b, wrong], "layer 'cat' (concat): operand_elements add up to 640: expected its input N*C*H*W = 768")
    more = Layer(name="cat", op="concat", inputs=("a", "b"), c=12, h=8, w=8, k=12, p=8, q=8)
    refused([a, b, more], "C = 12: expected at most the 10 channels its inputs (a, b) write")
    small = conv("s", hw=4, c=3)
    mixed = Layer(name="cat", op="concat", inputs=("a", "s"), c=8, h=8, w=8, k=8, p=8, q=8)
    refused([a, small, mixed], "input 's' is 1x4x4x4: expected N x H x W = 1x8x8 like every input of a concat")


def test_a_concat_along_the_tokens_may_add_a_parameter():
    # a ViT's class token: the 8x8 = 64 patch tokens of 'a' (4 channels) and one parameter token
    # (no layer) make 65 tokens of 4 channels
    a = conv("a", k=4)
    tokens = Layer(name="cat", op="concat", inputs=("a",), c=4, h=65, w=1, k=4, p=65, q=1)
    assert load([a, tokens])["cat"].h == 65
    other_channels = Layer(name="cat", op="concat", inputs=("a",), c=5, h=65, w=1, k=5, p=65, q=1)
    refused([a, other_channels], "input 'a' is 1x4x8x8: expected N x H x W = 1x65x1 like every input of a concat "
                                 "(or N x C = 1x5 for a concat along H x W)")


def test_add_and_mul_operands():
    a = conv("a", k=4)
    add = Layer(name="add", op="add", inputs=("a", "a"), c=4, h=8, w=8, k=4, p=8, q=8, operand_elements=(256, 256))
    load([a, add])
    big = Layer(name="add", op="add", inputs=("a",), c=4, h=8, w=8, k=4, p=8, q=8, operand_elements=(512,))
    refused([a, big], "operand 0 has 512 elements: expected at most its output's 256")
    bigger = Layer(name="mul", op="mul", inputs=("a",), c=8, h=8, w=8, k=8, p=8, q=8, operand_elements=(512,))
    refused([a, bigger], "operand from 'a' has 512 elements: expected at most the 256 it writes")


@pytest.mark.parametrize(
    "layer, message",
    [
        (Layer(name="x", op="activation", inputs=("input",), c=3, h=8, w=8, k=3, p=8, q=8, mode="zap"),
         "mode = 'zap': expected one of"),
        (Layer(name="x", op="pool", inputs=("input",), c=3, h=8, w=8, k=3, p=8, q=8, mode="median"),
         "mode = 'median': expected one of '', 'avg', 'max'"),
        (Layer(name="x", op="reshape", inputs=("input",), c=3, h=8, w=8, k=3, p=8, q=8, mode="max"),
         "mode = 'max': expected ''"),
        (conv("x", fused=("batchnorm", "dropout")), "fused = ['batchnorm', 'dropout']: unknown kind 'dropout'"),
        (Layer(name="x", op="activation", inputs=("input",), c=3, h=8, w=8, k=4, p=8, q=8, mode="relu"),
         "output K x P x Q = 4x8x8: expected the input's C x H x W = 3x8x8"),
        (Layer(name="x", op="pool", inputs=("input",), c=3, h=8, w=8, k=6, p=4, q=4, r=2, s=2, stride_h=2, stride_w=2),
         "K = 6: expected C = 3 (pooling keeps the channels)"),
        (Layer(name="x", op="global_pool", inputs=("input",), c=3, h=8, w=8, k=3, p=2, q=2), "expected 1x1"),
        (Layer(name="x", op="reshape", inputs=("input",), c=3, h=8, w=8, k=100, p=1, q=1),
         "1x3x8x8 elements in, 100 out: expected the same count"),
        (Layer(name="x", op="linear", inputs=("input",), n=1, c=192, k=10, p=3), "p = 3: expected 1"),
        (Layer(name="x", op="linear", inputs=("input",), n=1, c=192, k=10, pad_h=1), "pad_h = 1: expected 0"),
    ],
)
def test_op_details_and_shapes(layer, message):
    refused([layer], message)


def test_every_activation_the_exporter_writes_is_known():
    from hwsim.export.ops import _ACTIVATION_FUNCTIONS, _ACTIVATION_MODULES

    written = set(_ACTIVATION_FUNCTIONS.values()) | {mode for _, mode in _ACTIVATION_MODULES}
    assert written <= ACTIVATION_MODES


def test_edges_are_not_checked_through_unsupported_ops_or_in_scalesim_topologies():
    # an upsample hwsim leaves out sits between the two convs: c2 reads 4x what c writes
    up = [conv(k=4), conv("c2", ("c",), c=4, k=4, hw=16)]
    with pytest.raises(GraphFileError, match="reads N"):
        load(up)
    load(up, top={"unsupported": [["upsample_nearest2d", 1]]})
    chained = [conv(k=4), conv("c2", ("c",), c=16, k=4)]  # SCALE-Sim rows are independent layers
    load(chained, top={"metadata": {"source": "SCALE-Sim conv topology t.csv"}})


def test_top_level_of_a_graph_file():
    base = [conv()]
    refused(base, "unknown top-level key 'extra'", top={"extra": 1})
    refused(base, "name = '': expected a non-empty string", top={"name": ""})
    refused(base, "input_shape = [1, 0]: expected a list of 1 to 5 integers", top={"input_shape": [1, 0]})
    refused(base, "layers: expected a non-empty list of layers", top={"layers": []})
    refused(base, "unsupported = [['x', 0]]: expected a list of [op name, count >= 1] pairs", top={"unsupported": [["x", 0]]})
    refused(base, "metadata = {'a': 1}: expected an object of strings", top={"metadata": {"a": 1}})
    refused(base, "graph format version '2'; expected 1", top={"version": "2"})


@pytest.mark.parametrize("path", sorted(GRAPHS_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_every_shipped_graph_passes(path):
    assert len(LayerGraph.load(path)) > 0
