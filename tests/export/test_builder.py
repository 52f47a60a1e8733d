"""The graph-building passes on hand-written neutral op lists (no torch, no tracing).

Every list below is what a front end would hand over for a small network; the expected layers
are derived in each test from the shapes and parameter counts written there.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from hwsim.export.neutral import Attrs, NeutralGraph, NeutralOp, Param, Tensor
from hwsim.export.builder import UNACCOUNTED_PARAMS, UNSUPPORTED_MACS, UNSUPPORTED_PARAMS, BuiltLayers, build_layers


def op(kind: str, name: str, inputs, outputs, label: str | None = None, **kw) -> NeutralOp:
    return NeutralOp(kind, name, label or kind, tuple(inputs), tuple(outputs), **kw)


def build(x: Tensor, *ops: NeutralOp, params: tuple[Param, ...] = ()) -> BuiltLayers:
    """The passes over ``ops`` after an input op writing ``x``."""
    return build_layers(NeutralGraph("hand", (op("input", "input", [], [x]), *ops), params))


def summary(built: BuiltLayers) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(layer.name, layer.op, layer.inputs) for layer in built.layers]


def conv_op(name: str, x: Tensor, y: Tensor, params: tuple[Param, ...] = (), **attrs) -> NeutralOp:
    return op("conv", name, [x], [y], "Conv2d", attrs=Attrs(**attrs), params=params)


# ----------------------------------------------------------------------------------- folding
def test_conv_bn_relu_folds_to_one_conv_with_the_bn_params():
    c, k, size = 3, 8, 8
    weight, bias = Param("conv.weight", k * c * 3 * 3), Param("conv.bias", k)
    gamma, beta = Param("bn.weight", k), Param("bn.bias", k)
    x = Tensor("x", (1, c, size, size), 1)
    y, z, a = (Tensor(n, (1, k, size, size), 1) for n in ("conv", "bn", "relu"))
    built = build(
        x,
        conv_op("conv", x, y, (weight, bias), kernel=(3, 3), padding=(1, 1), bias=True),
        op("batchnorm", "bn", [y], [z], "BatchNorm2d", params=(gamma, beta)),
        op("activation", "relu", [z], [a], "ReLU", attrs=Attrs(mode="relu")),
        params=(weight, bias, gamma, beta),
    )
    (conv,) = built.layers
    assert conv.fused == ("batchnorm", "relu")
    assert conv.params == k * c * 9 + k + 2 * k  # weights K*C*R*S, bias K, BN scale and shift 2K
    # 3x3, padding 1, stride 1: P = (8 + 2*1 - 3) // 1 + 1 = 8
    assert (conv.c, conv.h, conv.k, conv.p, conv.q, conv.r, conv.pad_h, conv.bias) == (c, size, k, size, size, 3, 1, True)
    assert conv.macs == size * size * c * 9 * k
    assert built.unsupported == () and built.notes == ()
    assert dict(built.layer_names) == {"conv": "conv"}


def test_no_folding_into_a_conv_whose_output_has_another_reader():
    x = Tensor("x", (1, 4, 5, 5), 1)
    y = Tensor("conv", (1, 4, 5, 5), 2)  # read by the batch-norm and by the residual add
    z, a, s = (Tensor(n, (1, 4, 5, 5), 1) for n in ("bn", "relu", "add"))
    built = build(
        x,
        conv_op("conv", x, y),
        op("batchnorm", "bn", [y], [z], params=(Param("bn.weight", 4), Param("bn.bias", 4))),
        op("activation", "relu", [z], [a], attrs=Attrs(mode="relu")),  # fuses into the batch-norm layer
        op("add", "add", [a, y], [s], scope="block", word="add"),
    )
    assert summary(built) == [
        ("conv", "conv", ("input",)),
        ("bn", "batchnorm", ("conv",)),
        ("block.add", "add", ("bn", "conv")),
    ]
    bn = built.layers[1]
    assert (bn.fused, bn.params, bn.c, bn.k, bn.h, bn.p) == (("relu",), 2 * 4, 4, 4, 5, 5)
    assert built.layers[2].operand_elements == (4 * 5 * 5, 4 * 5 * 5)


def test_a_batchnorm_after_an_activation_is_a_layer():
    x = Tensor("x", (1, 2, 3, 3), 1)
    y, a, z = (Tensor(n, (1, 2, 3, 3), 1) for n in ("conv", "relu", "bn"))
    built = build(
        x,
        conv_op("conv", x, y),
        op("activation", "relu", [y], [a], attrs=Attrs(mode="relu")),
        op("batchnorm", "bn", [a], [z]),
    )
    assert summary(built) == [("conv", "conv", ("input",)), ("bn", "batchnorm", ("conv",))]
    assert built.layers[0].fused == ("relu",)


def test_an_activation_fuses_into_a_pool_but_not_into_a_concat():
    x = Tensor("x", (1, 2, 4, 4), 2)
    pooled, act = Tensor("pool", (1, 2, 2, 2), 1), Tensor("relu", (1, 2, 2, 2), 1)
    joined, act2 = Tensor("cat", (1, 4, 4, 4), 1), Tensor("sigmoid", (1, 4, 4, 4), 1)
    built = build(
        x,
        op("pool", "pool", [x], [pooled], attrs=Attrs(mode="max", kernel=(2, 2), stride=(2, 2))),
        op("activation", "relu", [pooled], [act], attrs=Attrs(mode="relu")),
        op("concat", "cat", [x, x], [joined], attrs=Attrs(dim=1)),
        op("activation", "sigmoid", [joined], [act2], attrs=Attrs(mode="sigmoid")),
    )
    assert summary(built) == [
        ("pool", "pool", ("input",)),
        ("cat", "concat", ("input", "input")),
        ("sigmoid", "activation", ("cat",)),
    ]
    pool, cat, sigmoid = built.layers
    assert (pool.fused, pool.r, pool.stride_h, pool.p, pool.mode) == (("relu",), 2, 2, 2, "max")
    assert (cat.c, cat.k, cat.operand_elements) == (4, 4, (2 * 16, 2 * 16))  # C = sum of the inputs' channels
    assert (sigmoid.mode, sigmoid.c, sigmoid.h) == ("sigmoid", 4, 4)


# ----------------------------------------------------------------------------------- shuffle
def shuffle_ops(transpose: Attrs, closing: tuple[int, ...]) -> tuple[Tensor, list[NeutralOp]]:
    """conv c1 (6 channels) -> view into 3 groups of 2 -> transpose -> contiguous -> view ``closing``."""
    x = Tensor("x", (1, 6, 4, 4), 1)
    c1 = Tensor("c1", (1, 6, 4, 4), 1)
    grouped = Tensor("view", (1, 3, 2, 4, 4), 1)
    swapped = Tensor("transpose", (1, 2, 3, 4, 4), 1)
    packed = Tensor("contiguous", (1, 2, 3, 4, 4), 1)
    back = Tensor("view_1", closing, 1)
    ops = [
        conv_op("c1", x, c1),
        op("view", "view", [c1], [grouped], scope="unit", word="view"),
        op("transpose", "transpose", [grouped], [swapped], attrs=transpose, scope="unit", word="transpose"),
        op("identity", "contiguous", [swapped], [packed], scope="unit", word="contiguous"),
        op("view", "view_1", [packed], [back], scope="unit", word="view"),
    ]
    return x, ops


@pytest.mark.parametrize(
    "transpose", [Attrs(swap=(1, 2)), Attrs(swap=(2, 1)), Attrs(swap=(-4, -3)), Attrs(perm=(0, 2, 1, 3, 4))]
)
def test_a_channel_shuffle_collapses_to_one_layer(transpose):
    x, ops = shuffle_ops(transpose, (1, 6, 4, 4))
    c2 = Tensor("c2", (1, 6, 4, 4), 1)
    built = build(x, *ops, conv_op("c2", ops[-1].outputs[0], c2))
    assert summary(built) == [
        ("c1", "conv", ("input",)),
        ("unit.shuffle", "shuffle", ("c1",)),  # named after what it is, in the scope of its closing view
        ("c2", "conv", ("unit.shuffle",)),
    ]
    shuffle = built.layers[1]
    assert (shuffle.groups, shuffle.c, shuffle.k, shuffle.h, shuffle.p) == (3, 6, 6, 4, 4)
    assert built.unsupported == ()
    assert dict(built.layer_names)["view_1"] == "unit.shuffle"


def test_a_shuffle_read_before_it_closes_is_a_reshape_and_a_transpose_layer():
    # the chain ends in a view to another shape: the pending view and transpose are materialised
    x, ops = shuffle_ops(Attrs(swap=(1, 2)), (1, 6, 16))
    built = build(x, *ops)
    assert summary(built) == [
        ("c1", "conv", ("input",)),
        ("unit.view", "reshape", ("c1",)),
        ("unit.transpose", "transpose", ("unit.view",)),
        ("unit.view_1", "reshape", ("unit.transpose",)),
    ]
    opening, swap, closing = built.layers[1:]
    # (1, 6, 4, 4) -> (1, 3, 2, 4, 4): folded to N C H W, the 5-D output is (1, 3, 2*4, 4)
    assert (opening.c, opening.h, opening.k, opening.p, opening.q) == (6, 4, 3, 8, 4)
    # the transpose (1, 3, 2, 4, 4) -> (1, 2, 3, 4, 4) copies all 96 elements
    assert (swap.mode, swap.input_elements, swap.output_elements) == ("transpose", 96, 96)
    # (1, 2, 3, 4, 4) -> (1, 6, 16): a 3-D output is (N, C, L) -> (1, 6, 16, 1)
    assert (closing.c, closing.h, closing.k, closing.p, closing.q) == (2, 12, 6, 16, 1)
    assert built.unsupported == ()


def test_a_transpose_of_other_dims_does_not_continue_a_shuffle():
    x, ops = shuffle_ops(Attrs(swap=(0, 1)), (1, 6, 4, 4))
    built = build(x, *ops)
    assert [layer.op for layer in built.layers] == ["conv", "reshape", "transpose", "reshape"]
    assert built.unsupported == ()


# ----------------------------------------------------------------------------------- pass-through
def test_a_channel_split_passes_through_to_the_producer():
    x = Tensor("x", (1, 3, 5, 5), 1)
    stem = Tensor("stem", (1, 8, 5, 5), 1)
    halves = Tensor("chunk", None, 2)  # a tuple of two tensors, read by two getitems
    a, b = Tensor("getitem", (1, 4, 5, 5), 1), Tensor("getitem_1", (1, 4, 5, 5), 1)
    branch, joined = Tensor("branch", (1, 4, 5, 5), 1), Tensor("cat", (1, 8, 5, 5), 1)
    built = build(
        x,
        conv_op("stem", x, stem),
        op("split", "chunk", [stem], [halves]),
        op("split", "getitem", [halves], [a], attrs=Attrs(from_tuple=True)),
        op("split", "getitem_1", [halves], [b], attrs=Attrs(from_tuple=True)),
        conv_op("branch", b, branch, kernel=(3, 3), padding=(1, 1), groups=4),
        op("concat", "cat", [a, branch], [joined], attrs=Attrs(dim=1)),
    )
    assert summary(built) == [
        ("stem", "conv", ("input",)),
        ("branch", "conv", ("stem",)),
        ("cat", "concat", ("stem", "branch")),
    ]
    assert built.layers[1].c == 8 // 2  # the branch reads its half
    assert built.layers[2].operand_elements == (4 * 5 * 5, 4 * 5 * 5)


def test_squeeze_excitation():
    n, c, r, h = 2, 8, 4, 6
    x = Tensor("x", (n, c, h, h), 1)
    feat = Tensor("conv", (n, c, h, h), 2)  # read by the mean and the multiply
    mean, f1, a1 = Tensor("mean", (n, c), 1), Tensor("fc1", (n, c // r), 1), Tensor("relu", (n, c // r), 1)
    f2, a2 = Tensor("fc2", (n, c), 1), Tensor("sigmoid", (n, c), 1)
    scale, wide, out = Tensor("view", (n, c, 1, 1), 1), Tensor("expand", (n, c, h, h), 1), Tensor("mul", (n, c, h, h), 1)
    fc = {name: (Param(f"{name}.weight", i * o), Param(f"{name}.bias", o)) for name, i, o in (("fc1", c, c // r), ("fc2", c // r, c))}
    built = build(
        x,
        conv_op("conv", x, feat),
        op("mean", "mean", [feat], [mean], attrs=Attrs(dims=(-1, -2)), scope="se", word="mean"),
        op("linear", "se.fc1", [mean], [f1], "Linear", attrs=Attrs(bias=True), params=fc["fc1"]),
        op("activation", "relu", [f1], [a1], attrs=Attrs(mode="relu"), scope="se", word="relu"),
        op("linear", "se.fc2", [a1], [f2], "Linear", attrs=Attrs(bias=True), params=fc["fc2"]),
        op("activation", "sigmoid", [f2], [a2], attrs=Attrs(mode="sigmoid"), scope="se", word="sigmoid"),
        op("view", "view", [a2], [scale], scope="se", word="view"),
        op("expand", "expand", [scale], [wide], scope="se", word="expand"),
        op("mul", "mul", [feat, wide], [out], scope="se", word="mul"),
    )
    assert summary(built) == [
        ("conv", "conv", ("input",)),
        ("se.mean", "global_pool", ("conv",)),
        ("se.fc1", "linear", ("se.mean",)),
        ("se.fc2", "linear", ("se.fc1",)),
        ("se.view", "reshape", ("se.fc2",)),
        ("se.mul", "mul", ("conv", "se.view")),
    ]
    pool, fc1, fc2, _, mul = built.layers[1:]
    assert (pool.r, pool.s, pool.p, pool.mode) == (h, h, 1, "avg")
    assert (fc1.n, fc1.c, fc1.k, fc1.fused, fc1.params) == (n, c, c // r, ("relu",), c * (c // r) + c // r)
    assert (fc2.fused, fc2.params) == (("sigmoid",), (c // r) * c + c)
    # the broadcast operand counts the N*C elements it stores, not the N*C*H*W it shows
    assert mul.operand_elements == (n * c * h * h, n * c)


def test_pools_global_by_window_or_adaptive_size():
    x = Tensor("x", (1, 8, 5, 5), 1)
    whole, padded = Tensor("whole", (1, 8, 1, 1), 1), Tensor("padded", (1, 8, 2, 2), 1)
    same, half, one = Tensor("same", (1, 8, 5, 5), 1), Tensor("half", (1, 8, 2, 2), 1), Tensor("one", (1, 8, 1, 1), 1)
    built = build(
        x,
        op("pool", "whole", [x], [whole], attrs=Attrs(mode="avg", kernel=(5, 5), stride=(5, 5))),
        op("pool", "padded", [x], [padded], attrs=Attrs(mode="max", kernel=(5, 5), stride=(5, 5), padding=(1, 1))),
        op("adaptive_pool", "same", [x], [same], attrs=Attrs(mode="avg")),  # to the input's size: no layer
        op("adaptive_pool", "half", [same], [half], attrs=Attrs(mode="max")),
        op("adaptive_pool", "one", [same], [one], attrs=Attrs(mode="avg")),
    )
    assert summary(built) == [
        ("whole", "global_pool", ("input",)),
        ("padded", "pool", ("input",)),
        ("half", "pool", ("input",)),
        ("one", "global_pool", ("input",)),
    ]
    half_layer = built.layers[2]
    # 5 -> 2: window ceil(5/2) = 3, stride floor(5/2) = 2
    assert (half_layer.r, half_layer.s, half_layer.stride_h, half_layer.p, half_layer.mode) == (3, 3, 2, 2, "max")
    assert (built.layers[0].r, built.layers[3].r) == (5, 5)


# ----------------------------------------------------------------------------------- listing, names, params
def test_unsupported_ops_are_listed_bridged_and_their_params_counted_apart():
    x = Tensor("x", (1, 2, 4, 4), 1)
    c1, sorted_, c2 = (Tensor(n, (1, 2, 4, 4), 1) for n in ("c1", "sort", "c2"))
    mean = Tensor("mean", (1, 2, 4), 1)
    w1, ws, aux = Param("c1.weight", 4), Param("sort.table", 5), Param("aux.weight", 7)
    built = build(
        x,
        conv_op("c1", x, c1, (w1,)),
        op("unsupported", "sort", [c1], [sorted_], label="sort", params=(ws,)),
        conv_op("c2", sorted_, c2, (w1,)),  # the same weight again: counted once
        op("mean", "mean", [c2], [mean], attrs=Attrs(dims=(1,))),  # over channels: not a global pool
        params=(w1, ws, aux),
    )
    assert summary(built) == [("c1", "conv", ("input",)), ("c2", "conv", ("c1",))]
    assert [layer.params for layer in built.layers] == [4, 0]
    assert built.unsupported == (("mean", 1), ("sort", 1))
    # the front end gave no MACs for either op: unknown (null), never zero
    assert dict(built.notes) == {UNSUPPORTED_PARAMS: "5", UNACCOUNTED_PARAMS: "7",
                                 UNSUPPORTED_MACS: '{"mean": null, "sort": null}'}


def test_unsupported_macs_are_summed_per_label_and_unknown_once_any_is():
    x = Tensor("x", (1, 2, 4, 4), 1)
    t = [Tensor(f"t{i}", (1, 2, 4, 4), 1) for i in range(4)]
    built = build(
        x,
        op("unsupported", "lstm", [x], [t[0]], label="LSTM", macs=100),
        op("unsupported", "lstm_1", [t[0]], [t[1]], label="LSTM", macs=23),
        op("unsupported", "f", [t[1]], [t[2]], label="fft", macs=7),
        op("unsupported", "f_1", [t[2]], [t[3]], label="fft"),  # one fft of unknown MACs: the label's total is unknown
    )
    assert built.unsupported == (("LSTM", 2), ("fft", 2))
    assert dict(built.notes) == {UNSUPPORTED_MACS: '{"LSTM": 123, "fft": null}'}


def test_layer_names_scoped_unique_and_input_reserved():
    x = Tensor("x", (1, 2, 3, 3), 1)
    t = [Tensor(f"t{i}", (1, 2, 3, 3), 1) for i in range(5)]
    built = build(
        x,
        op("add", "add", [x, x], [t[0]], scope="blk", word="add"),
        op("add", "add_1", [t[0], x], [t[1]], scope="blk", word="add"),  # a second add in the same module
        op("add", "input", [t[1], x], [t[2]]),  # at top level: the op's own name, but "input" is taken
        conv_op("blk.conv", t[2], t[3], (Param("blk.conv.weight", 4),)),
        conv_op("blk.conv", t[3], t[4], (Param("blk.conv.weight", 4),)),  # a module called twice
    )
    assert [layer.name for layer in built.layers] == ["blk.add", "blk.add_1", "input_1", "blk.conv", "blk.conv_1"]
    assert [layer.params for layer in built.layers] == [0, 0, 0, 4, 0]
    assert dict(built.layer_names) == {"t0": "blk.add", "t1": "blk.add_1", "t2": "input_1", "t3": "blk.conv", "t4": "blk.conv_1"}


def test_a_concat_on_another_dim_is_a_copy_of_its_operands():
    x = Tensor("x", (1, 2, 3, 3), 2)
    out = Tensor("cat", (2, 2, 3, 3), 1)
    built = build(x, op("concat", "cat", [x, None, x], [out], attrs=Attrs(dim=0)))
    (cat,) = built.layers
    # two 1x2x3x3 tensors (a constant operand stores nothing) -> 2x2x3x3
    assert (cat.op, cat.inputs, cat.operand_elements, cat.output_elements) == ("concat", ("input", "input"), (18, 0, 18), 36)
    assert built.unsupported == ()


def test_the_passes_import_no_torch():
    code = "import sys, hwsim.export.builder; assert 'torch' not in sys.modules, 'torch imported'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


# ----------------------------------------------------------------------------------- attention and vision ops
def test_a_product_by_weights_is_a_linear_layer_with_its_bias_and_activation():
    # x (1, 5, 8) @ W (8, 16) + b (16), then GELU: one linear layer, as ONNX writes nn.Linear on 3-D input
    x = Tensor("x", (1, 5, 8), 1)
    w, b = Tensor("w", (8, 16), 1), Tensor("b", (16,), 1)
    y, z, g = (Tensor(n, (1, 5, 16), 1) for n in ("mm", "add", "gelu"))
    built = build(
        x,
        op("constant", "w", [], [w], params=(Param("fc.weight", 128),)),
        op("matmul", "mm", [x, w], [y], scope="fc", word="matmul"),
        op("constant", "b", [], [b], params=(Param("fc.bias", 16),)),
        op("add", "add", [b, y], [z], scope="fc", word="add"),  # the bias first, as torch.onnx writes it
        op("activation", "gelu", [z], [g], attrs=Attrs(mode="gelu")),
    )
    (fc,) = built.layers
    assert (fc.name, fc.op, fc.bias, fc.fused, fc.params) == ("fc.matmul", "linear", True, ("gelu",), 128 + 16)
    assert (fc.gemm_m, fc.gemm_k, fc.gemm_n) == (5, 8, 16)


def test_a_scale_by_a_scalar_fuses_into_a_matmul_and_softmax_never_fuses():
    q, k = Tensor("q", (1, 2, 4, 8), 1), Tensor("k", (1, 2, 8, 4), 1)
    s, scaled, p = (Tensor(n, (1, 2, 4, 4), 1) for n in ("s", "scaled", "p"))
    built = build(
        q,
        op("constant", "k", [], [k]),
        op("matmul", "qk", [q, k], [s], scope="attn", word="matmul"),
        op("mul", "mul", [s, None], [scaled], scope="attn", word="mul"),  # * d ** -0.5, a Python float
        op("softmax", "softmax", [scaled], [p], attrs=Attrs(mode="softmax"), scope="attn", word="softmax"),
    )
    assert [(layer.op, layer.fused) for layer in built.layers] == [("matmul", ("scale",)), ("softmax", ())]
    # 2 heads of (4 x 8) @ (8 x 4); the softmax reads all 2*4*4 scores
    assert built.layers[0].macs == 2 * 4 * 8 * 4 and built.layers[1].input_elements == 32


def test_a_scalar_divided_by_a_gemm_output_is_no_scale():
    x, y, z = Tensor("x", (1, 4), 1), Tensor("y", (1, 4), 1), Tensor("z", (1, 4), 1)
    built = build(
        x,
        op("linear", "fc", [x], [y], attrs=Attrs(bias=False), params=(Param("fc.weight", 16),)),
        op("mul", "div", [None, y], [z], attrs=Attrs(mode="div")),  # 1 / y
    )
    assert [(layer.op, layer.fused) for layer in built.layers] == [("linear", ()), ("mul", ())]


def test_a_parameter_read_through_a_pass_through_counts_in_the_layer_that_reads_it():
    # torch.cat([cls_token.expand(1, -1, -1), x], dim=1): the 8-element class token is the concat's
    x = Tensor("x", (1, 4, 8), 1)
    token, shown, out = Tensor("cls", (1, 1, 8), 1), Tensor("expand", (1, 1, 8), 1), Tensor("cat", (1, 5, 8), 1)
    built = build(
        x,
        op("constant", "cls", [], [token], params=(Param("cls_token", 8),)),
        op("expand", "expand", [token], [shown]),
        op("concat", "cat", [shown, x], [out], attrs=Attrs(dim=1)),
        params=(Param("cls_token", 8),),
    )
    (cat,) = built.layers
    assert (cat.params, cat.operand_elements, cat.inputs) == (8, (8, 32), ("input",))
    assert built.notes == ()  # nothing unused


def test_attention_ops_become_named_parts():
    q = Tensor("q", (1, 2, 4, 8), 3)
    out = Tensor("attn", (1, 2, 4, 8), 1)
    built = build(q, op("attention", "sdpa", [q, q, q], [out], scope="blocks.0.attn", word="attention"))
    assert summary(built) == [
        ("blocks.0.attn.attention.qk", "matmul", ("input", "input")),
        ("blocks.0.attn.attention.softmax", "softmax", ("blocks.0.attn.attention.qk",)),
        ("blocks.0.attn.attention.av", "matmul", ("blocks.0.attn.attention.softmax", "input")),
    ]
    assert dict(built.layer_names) == {"attn": "blocks.0.attn.attention.av"}
