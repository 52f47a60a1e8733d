"""Layer / LayerGraph: derived counts in closed form, JSON round trip, validation, no torch."""

import json
import re
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwsim.errors import GraphFileError
from hwsim.graph.layer_graph import Layer, LayerGraph


def test_conv_counts():
    # 2 groups, C=4, K=6, 3x3 on 8x8 with pad 1 -> 8x8 outputs.
    layer = Layer(name="c", op="conv", n=2, c=4, h=8, w=8, k=6, p=8, q=8, r=3, s=3, pad_h=1, pad_w=1, groups=2)
    assert (layer.gemm_m, layer.gemm_k, layer.gemm_n) == (2 * 8 * 8, 2 * 3 * 3, 3)
    assert layer.macs == 2 * (2 * 8 * 8) * (2 * 9) * 3
    assert layer.weight_elements == 6 * 2 * 9
    assert layer.input_elements == 2 * 4 * 8 * 8
    assert layer.output_elements == 2 * 6 * 8 * 8


def test_linear_and_vector_counts():
    fc = Layer(name="fc", op="linear", n=4, c=512, k=10)
    assert (fc.gemm_m, fc.gemm_k, fc.gemm_n, fc.macs) == (4, 512, 10, 4 * 512 * 10)
    add = Layer(name="add", op="add", c=8, h=4, w=4, k=8, p=4, q=4, operand_elements=(128, 128))
    assert add.macs == 0 and add.gemm_m == 0 and add.input_elements == 256 and add.output_elements == 128


def test_matmul_counts_one_gemm_per_group_with_the_second_operand_as_weights():
    # 2 x 3 heads of (197 x 64) @ (64 x 197): g = 6 GEMMs of M = 197, K = 64, N = 197
    g, m, k, n = 6, 197, 64, 197
    qk = Layer(name="qk", op="matmul", c=g * k, h=m, k=g * n, p=m, groups=g)
    assert (qk.gemm_m, qk.gemm_k, qk.gemm_n, qk.macs) == (m, k, n, g * m * k * n)
    assert qk.input_elements == g * m * k  # A
    assert qk.weight_elements == g * k * n  # B, in the filter's place
    assert qk.output_elements == g * m * n and qk.params == 0


def test_conv_transpose_is_a_gemm_over_input_pixels():
    # ConvTranspose2d 4 -> 2 channels, 2x2 kernel, stride 2 on 3x3: 6x6 outputs.
    # GEMM: M = N*H*W = 9 input pixels, K = C = 4, N = K*R*S = 8 (one column per kernel tap);
    # MACs = 9 * 4 * 8 = 288 = fvcore's batch x prod(weight shape 4x2x2x2) x prod(input spatial 3x3).
    layer = Layer(name="up", op="conv_transpose", c=4, h=3, w=3, k=2, p=6, q=6, r=2, s=2, stride_h=2, stride_w=2)
    assert (layer.gemm_m, layer.gemm_k, layer.gemm_n, layer.macs) == (9, 4, 8, 288)
    assert (layer.weight_elements, layer.output_elements) == (4 * 2 * 2 * 2, 2 * 6 * 6)


def test_with_batch_scales_the_groups_of_a_batched_matmul():
    qk = Layer(name="qk", op="matmul", c=3 * 4, h=5, k=3 * 5, p=5, groups=3)  # batch 1 x 3 heads
    fc = Layer(name="fc", op="linear", n=5, c=4, k=8)  # 5 tokens of batch 1
    big = LayerGraph(name="t", input_shape=(1, 5, 4), layers=(qk, fc)).with_batch(4)
    assert (big["qk"].groups, big["qk"].gemm_m, big["qk"].macs) == (12, 5, 4 * qk.macs)
    assert (big["fc"].gemm_m, big["fc"].macs) == (20, 4 * fc.macs)


def test_invalid_layers():
    with pytest.raises(ValueError, match="unknown op"):
        Layer(name="x", op="fft")
    with pytest.raises(ValueError, match="groups"):
        Layer(name="x", op="conv", c=4, k=6, groups=4)


def sample_graph():
    conv = Layer(name="features.0", op="conv", inputs=("input",), c=3, h=8, w=8, k=4, p=8, q=8, r=3, s=3,
                 pad_h=1, pad_w=1, params=4 * 27 + 8, fused=("batchnorm", "relu"))
    pool = Layer(name="pool", op="global_pool", inputs=("features.0",), c=4, h=8, w=8, k=4, mode="avg")
    fc = Layer(name="fc", op="linear", inputs=("pool",), c=4, k=10, bias=True, params=50)
    return LayerGraph(name="tiny", input_shape=(1, 3, 8, 8), layers=(conv, pool, fc),
                      unsupported=(("aten.sort", 2),), metadata=(("torch", "2.13.0"), ("hwsim", "0.1.0")))


def test_json_round_trip(tmp_path):
    graph = sample_graph()
    assert LayerGraph.from_json(graph.to_json()) == graph
    path = tmp_path / "g.json"
    graph.save(path)
    assert LayerGraph.load(path) == graph
    assert graph.macs == (8 * 8) * 27 * 4 + 4 * 10  # conv M*K*N + fc C*K and graph.params == 4 * 27 + 8 + 50
    assert graph.consumers("features.0") == ("pool",)
    assert "aten.sort x2" in graph.summary()


@given(n=st.integers(1, 4), c=st.integers(1, 64), k=st.integers(1, 64), hw=st.integers(1, 32), r=st.integers(1, 5))
def test_round_trip_any_conv(n, c, k, hw, r):
    layer = Layer(name="c", op="conv", n=n, c=c, h=hw + r, w=hw + r, k=k, p=hw + 1, q=hw + 1, r=r, s=r)
    graph = LayerGraph(name="g", input_shape=(n, c, hw + r, hw + r), layers=(layer,))
    assert LayerGraph.from_dict(json.loads(graph.to_json())) == graph


def test_load_errors(tmp_path):
    with pytest.raises(GraphFileError, match="missing.json: cannot read"):
        LayerGraph.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    with pytest.raises(GraphFileError, match="bad.json: invalid hwsim graph JSON"):
        LayerGraph.load(bad)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(GraphFileError, match="broken.json"):
        LayerGraph.load(broken)
    with pytest.raises(ValueError, match="duplicate layer name"):
        LayerGraph(name="g", input_shape=(1,), layers=(Layer(name="a", op="add"), Layer(name="a", op="add")))


def test_import_hwsim_does_not_import_torch(tmp_path):
    path = tmp_path / "g.json"
    sample_graph().save(path)
    code = (
        "import sys, hwsim, hwsim.graph.layer_graph, hwsim.simulate, hwsim.report.profile, hwsim.hardware.load;"
        f"hwsim.graph.layer_graph.LayerGraph.load({str(path)!r});"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_gemm_layers_need_positive_sizes():
    with pytest.raises(ValueError, match="at least 1"):
        Layer(name="c", op="conv", c=3, k=4, p=0, q=4)
    with pytest.raises(ValueError, match="at least 1"):
        Layer(name="fc", op="linear", c=8, k=0)
    with pytest.raises(ValueError, match="stride"):
        Layer(name="c", op="conv", stride_h=0)
    Layer(name="flat", op="reshape", p=0)  # vector ops may be empty... but never negative
    with pytest.raises(ValueError, match=r"sizes \{'c': -1\}: expected sizes >= 0"):
        Layer(name="flat", op="reshape", c=-1)


def graph_json(layers, input_shape=(1, 3, 8, 8)):
    return {"format": "hwsim.LayerGraph", "version": 1, "name": "g", "input_shape": list(input_shape), "layers": layers}


CONV = {"name": "c", "op": "conv", "inputs": ["input"], "n": 1, "c": 3, "h": 8, "w": 8, "k": 4, "p": 8, "q": 8,
        "r": 3, "s": 3, "pad_h": 1, "pad_w": 1}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"h": "big"}, "field h = 'big': expected an integer"),
        ({"c": 3.5}, "field c = 3.5: expected an integer"),
        ({"bias": "yes"}, "field bias = 'yes': expected true or false"),
        ({"inputs": "input"}, "field inputs = 'input': expected a list of strings"),
        ({"p": 999}, "output P = 999 does not follow"),
        ({"inputs": ["nowhere"]}, "reads ['nowhere']"),
    ],
)
def test_json_layers_are_type_checked(change, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        LayerGraph.from_dict(graph_json([{**CONV, **change}]))


def test_json_conv_layers_need_every_size():
    partial = {key: CONV[key] for key in ("name", "op", "inputs")}
    with pytest.raises(ValueError, match=r"layer 'c': missing fields \['n', 'c', 'h', 'w', 'k', 'p', 'q', 'r', 's'\]"):
        LayerGraph.from_dict(graph_json([partial]))
    with pytest.raises(ValueError, match="not an hwsim layer graph"):
        LayerGraph.from_dict([1, 2, 3])
    # SCALE-Sim's ceil rule is accepted too: 8x8 input, 2x2 kernel, stride 3 -> floor 3, ceil 3; 9x9 -> 3 or 4.
    LayerGraph.from_dict(graph_json([{**CONV, "h": 9, "w": 9, "r": 2, "s": 2, "pad_h": 0, "pad_w": 0, "stride_h": 3, "stride_w": 3, "p": 4, "q": 3}],
                                    input_shape=(1, 3, 9, 9)))
