"""ONNX ops, one small graph each (built with onnx.helper), against closed forms written here:
MACs, elements, parameters, and nothing silently dropped."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from hwsim.errors import UnsupportedOpError
from hwsim.export.onnx_front import export_onnx

FLOAT = TensorProto.FLOAT


def weight(name: str, *shape: int) -> onnx.TensorProto:
    return numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name)


def const(name: str, values, dtype=np.int64) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(values, dtype=dtype), name)


def save(tmp_path, nodes, inputs, outputs, initializers=(), opset=17, name="m"):
    """An ONNX file of ``nodes``; ``inputs``/``outputs`` are (name, shape) with None for a free dim."""
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(n, FLOAT, list(s)) for n, s in inputs],
        [helper.make_tensor_value_info(n, FLOAT, None if s is None else list(s)) for n, s in outputs],
        initializer=list(initializers),
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    path = tmp_path / f"{name}.onnx"
    onnx.save_model(model, path)
    return path


def test_conv_with_same_upper_padding_and_stride_2(tmp_path):
    # 3 -> 8 channels, 3x3, stride 2, SAME_UPPER on 1x3x9x9: 5x5 outputs (total pad 2, split 1/1)
    path = save(tmp_path, [helper.make_node("Conv", ["x", "w", "b"], ["y"], name="/stem/conv/Conv",
                                            strides=[2, 2], auto_pad="SAME_UPPER")],
                [("x", (1, 3, 9, 9))], [("y", None)], [weight("w", 8, 3, 3, 3), weight("b", 8)])
    (conv,) = export_onnx(path).layers
    assert (conv.name, conv.op, conv.p, conv.q, conv.pad_h, conv.stride_h, conv.bias) == ("stem.conv", "conv", 5, 5, 1, 2, True)
    assert conv.macs == 5 * 5 * 8 * 3 * 9 and conv.params == 8 * 27 + 8


def test_asymmetric_pads_keep_the_exact_output_size(tmp_path):
    # pads (top 0, left 0, bottom 1, right 1), 3x3 stride 2 on 8x8: floor((8 + 1 - 3) / 2) + 1 = 4
    path = save(tmp_path, [helper.make_node("Conv", ["x", "w"], ["y"], strides=[2, 2], pads=[0, 0, 1, 1])],
                [("x", (1, 2, 8, 8))], [("y", None)], [weight("w", 4, 2, 3, 3)])
    (conv,) = export_onnx(path).layers
    assert (conv.p, conv.q) == (4, 4) and conv.macs == 4 * 4 * 4 * 2 * 9


def test_gemm_and_matmul_with_weights_are_linear_layers_with_their_bias(tmp_path):
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="/fc1/Gemm", transB=1),  # 16 -> 32
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Unsqueeze", ["r", "axes"], ["u"]),  # (2, 32) -> (2, 1, 32)
        helper.make_node("MatMul", ["u", "w2"], ["m"], name="/fc2/MatMul"),  # 32 -> 10, no batch dims in B
        helper.make_node("Add", ["b2", "m"], ["y"], name="/fc2/Add"),
    ]
    path = save(tmp_path, nodes, [("x", (2, 16))], [("y", None)],
                [weight("w1", 32, 16), weight("b1", 32), const("axes", [1]), weight("w2", 32, 10), weight("b2", 10)])
    graph = export_onnx(path)
    assert [(l.name, l.op, l.fused, l.bias) for l in graph.layers if l.op != "reshape"] == [
        ("fc1", "linear", ("relu",), True), ("fc2", "linear", (), True)]
    assert [l.macs for l in graph.gemm_layers] == [2 * 16 * 32, 2 * 32 * 10]
    assert graph.params == 32 * 16 + 32 + 32 * 10 + 10


def test_matmul_of_two_activations_and_einsum(tmp_path):
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["x", "t"], ["s"]),  # (2, 3, 5, 4) @ (2, 3, 4, 5)
        helper.make_node("Softmax", ["s"], ["p"], axis=-1),
        helper.make_node("Einsum", ["p", "x"], ["y"], equation="bhij,bhjd->bhid"),  # (.., 5, 5) x (.., 5, 4)
    ]
    graph = export_onnx(save(tmp_path, nodes, [("x", (2, 3, 5, 4))], [("y", None)]))
    assert [l.op for l in graph.layers] == ["transpose", "matmul", "softmax", "matmul"]
    _, qk, softmax, av = graph.layers
    assert (qk.groups, qk.macs, av.groups, av.macs) == (6, 6 * 5 * 4 * 5, 6, 6 * 5 * 5 * 4)
    assert softmax.input_elements == 6 * 25 and graph.params == 0


def test_vision_ops(tmp_path):
    nodes = [
        helper.make_node("ConvTranspose", ["x", "w"], ["a"], strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]),
        helper.make_node("GroupNormalization", ["a", "gs", "gb"], ["b"], num_groups=2),
        helper.make_node("HardSwish", ["b"], ["c"]),
        helper.make_node("Resize", ["c", "", "scales"], ["d"], mode="nearest"),
        helper.make_node("Pad", ["d", "pads"], ["e"], mode="reflect"),
        helper.make_node("DepthToSpace", ["e"], ["f"], blocksize=2),
        helper.make_node("GlobalAveragePool", ["f"], ["g"]),
    ]
    inits = [weight("w", 8, 4, 3, 3), weight("gs", 4), weight("gb", 4), const("scales", [1, 1, 2, 2], np.float32),
             const("pads", [0, 0, 1, 1, 0, 0, 1, 1])]
    graph = export_onnx(save(tmp_path, nodes, [("x", (1, 8, 5, 5))], [("g", None)], inits, opset=18))
    assert [(l.op, l.mode) for l in graph.layers] == [("conv_transpose", ""), ("norm", "group"), ("resize", "nearest"),
                                                      ("pad", "reflect"), ("transpose", "pixel_shuffle"), ("global_pool", "avg")]
    up, norm, resize, pad, shuffle, pool = graph.layers
    # ConvTranspose 8 -> 4, 3x3, stride 2 on 5x5: (5-1)*2 - 2 + 3 + 1 = 10; MACs = 25 pixels x 8 x 4*9
    assert (up.p, up.q, up.macs) == (10, 10, 25 * 8 * 36)
    assert norm.fused == ("hardswish",) and norm.params == 8
    # 4x10x10 -> 4x20x20 -> 4x22x22 -> 1x44x44
    assert (resize.output_elements, pad.output_elements, shuffle.output_elements) == (1600, 4 * 22 * 22, 44 * 44)
    assert pool.input_elements == 44 * 44


def test_an_lstm_and_an_unknown_op_are_listed_never_dropped(tmp_path):
    hidden, features, steps, batch = 16, 8, 5, 2
    nodes = [
        helper.make_node("LSTM", ["x", "W", "R", "B"], ["y", "", ""], hidden_size=hidden),
        helper.make_node("Squeeze", ["y", "axes"], ["s"]),  # (5, 1, 2, 16) -> (5, 2, 16)
        helper.make_node("Frobnicate", ["s"], ["f"], domain="com.example"),
        helper.make_node("TopK", ["f", "k"], ["v", "i"], axis=-1),
        helper.make_node("Relu", ["v"], ["out"]),
    ]
    inits = [weight("W", 1, 4 * hidden, features), weight("R", 1, 4 * hidden, hidden), weight("B", 1, 8 * hidden),
             const("axes", [1]), const("k", [3])]
    model = helper.make_model(helper.make_graph(
        nodes, "m", [helper.make_tensor_value_info("x", FLOAT, [steps, batch, features])],
        [helper.make_tensor_value_info("out", FLOAT, None)], initializer=inits),
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    # the custom op's output shape cannot be inferred: the file states it, as exporters do
    model.graph.value_info.append(helper.make_tensor_value_info("f", FLOAT, [steps, batch, hidden]))
    path = tmp_path / "lstm.onnx"
    onnx.save_model(model, path)
    graph = export_onnx(path)
    assert dict(graph.unsupported) == {"LSTM": 1, "com.example.Frobnicate": 1, "TopK": 1}
    # every weight element of W and R once per step and batch row
    macs = json.loads(dict(graph.metadata)["macs_in_unsupported_ops"])
    assert macs == {"LSTM": steps * batch * (4 * hidden * features + 4 * hidden * hidden),
                    "TopK": None, "com.example.Frobnicate": None}
    assert dict(graph.metadata)["params_in_unsupported_ops"] == str(4 * hidden * (features + hidden) + 8 * hidden)
    assert graph["relu"].inputs == ("squeeze",)  # bridged back through the unsupported ops
    # sized from the shape the file states for the custom op's output: top 3 of (5, 2, 16)
    assert graph["relu"].input_elements == steps * batch * 3
    with pytest.raises(UnsupportedOpError, match="left out: LSTM x1"):
        export_onnx(path, strict=True)


def test_clip_relu6_lrn_pools_and_batchnorm_statistics(tmp_path):
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="/conv/Conv", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "s", "b", "mean", "var"], ["n"], name="/bn/BatchNormalization"),
        helper.make_node("Clip", ["n", "lo", "hi"], ["r"]),
        helper.make_node("LRN", ["r"], ["l"], size=5),
        helper.make_node("MaxPool", ["l"], ["p"], kernel_shape=[3, 3], strides=[2, 2]),
        helper.make_node("ReduceMean", ["p"], ["g"], axes=[2, 3], keepdims=0),
    ]
    inits = [weight("w", 6, 3, 3, 3), weight("s", 6), weight("b", 6), weight("mean", 6), weight("var", 6),
             const("lo", 0.0, np.float32), const("hi", 6.0, np.float32)]
    graph = export_onnx(save(tmp_path, nodes, [("x", (1, 3, 7, 7))], [("g", None)], inits))
    conv, lrn, pool, mean = graph.layers
    # batch-norm folds into the conv: its scale and shift are parameters, mean and variance statistics
    assert (conv.fused, conv.params) == (("batchnorm", "relu6"), 6 * 27 + 12)
    assert "unused_params" not in dict(graph.metadata)
    assert (lrn.op, lrn.r, pool.op, pool.p, mean.op) == ("lrn", 5, "pool", 3, "global_pool")
