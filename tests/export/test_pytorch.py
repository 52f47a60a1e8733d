"""nn.Module -> LayerGraph: hand-built modules whose shapes, MACs and params are derived here.

Conventions checked: P = floor((H + 2*pad - dil*(R-1) - 1) / stride) + 1 (PyTorch),
MACs = N*K*P*Q*(C/g)*R*S for a conv and rows*in*out for a linear, params = sum(p.numel()).
The last test cross-checks every zoo model against fvcore (1 multiply-add = 1 MAC).
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hwsim.errors import ConfigError, UnsupportedOpError
from hwsim.export import UNACCOUNTED_PARAMS, export
from hwsim.graph.layer_graph import LayerGraph
from tests.cli_helpers import assert_clean_error, hwsim


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """One intra-op thread: on a small shared machine extra threads spin and slow tracing ~4x."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def out_size(size: int, kernel: int, stride: int = 1, pad: int = 0, dilation: int = 1, ceil: bool = False) -> int:
    """PyTorch's conv/pool output size (with its rule that a ceil-mode window starts inside)."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (math.ceil(span / stride) if ceil else span // stride) + 1
    if ceil and (out - 1) * stride >= size + pad:
        out -= 1
    return out


class Seq(nn.Module):
    """A chain of modules (not nn.Sequential, so names are plain attributes)."""

    def __init__(self, **mods: nn.Module) -> None:
        super().__init__()
        for name, mod in mods.items():
            setattr(self, name, mod)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for mod in self.children():
            x = mod(x)
        return x


# ----------------------------------------------------------------------------------- conv
CONV_CASES = {
    # name: (C, K, kernel, stride, padding, dilation, groups, bias, H, W)
    "plain_3x3": (3, 8, (3, 3), 1, 1, 1, 1, True, 9, 9),
    "stride2_no_pad": (4, 6, (3, 3), 2, 0, 1, 1, False, 11, 11),
    "grouped": (8, 12, (3, 3), 1, 1, 1, 4, False, 7, 7),
    "depthwise": (16, 16, (3, 3), 2, 1, 1, 16, False, 14, 14),
    "kernel_1x3": (6, 4, (1, 3), 1, (0, 1), 1, 1, False, 5, 7),
    "kernel_3x1": (6, 4, (3, 1), 1, (1, 0), 1, 2, True, 7, 5),
    "dilated": (3, 5, (3, 3), 1, 2, 2, 1, True, 10, 10),
    "rect_stride": (3, 4, (5, 3), (2, 1), (2, 1), 1, 1, False, 12, 9),
    "same_string": (3, 4, (3, 3), 1, "same", 1, 1, False, 8, 8),
    "valid_string": (3, 4, (3, 3), 1, "valid", 1, 1, False, 8, 8),
}


@pytest.mark.parametrize("case", sorted(CONV_CASES))
def test_conv_shapes_macs_params(case):
    c, k, (r, s), stride, padding, dilation, groups, bias, h, w = CONV_CASES[case]
    conv = nn.Conv2d(c, k, (r, s), stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias)
    n = 2
    graph = export(Seq(conv=conv), (n, c, h, w))
    (layer,) = graph.layers
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    if padding == "same":  # stride 1: total padding dilation*(kernel-1), split evenly
        ph, pw = dilation * (r - 1) // 2, dilation * (s - 1) // 2
    elif padding == "valid":
        ph, pw = 0, 0
    else:
        ph, pw = (padding, padding) if isinstance(padding, int) else padding
    p, q = out_size(h, r, sh, ph, dilation), out_size(w, s, sw, pw, dilation)
    assert (layer.op, layer.inputs, layer.n, layer.c, layer.h, layer.w) == ("conv", ("input",), n, c, h, w)
    assert (layer.k, layer.p, layer.q, layer.r, layer.s) == (k, p, q, r, s)
    assert (layer.stride_h, layer.stride_w, layer.pad_h, layer.pad_w) == (sh, sw, ph, pw)
    assert (layer.dilation_h, layer.dilation_w, layer.groups, layer.bias) == (dilation, dilation, groups, bias)
    assert layer.macs == n * k * p * q * (c // groups) * r * s
    assert layer.params == k * (c // groups) * r * s + (k if bias else 0) == n_params(conv)
    assert graph.unsupported == ()


@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_asymmetric_same_padding_is_listed_not_dropped():
    # a 2x2 kernel with padding="same" pads 0 on top and 1 at the bottom: not expressible
    conv = nn.Conv2d(3, 4, 2, padding="same", bias=False)
    graph = export(Seq(conv=conv, relu=nn.ReLU()), (1, 3, 6, 6))
    assert dict(graph.unsupported) == {"Conv2d": 1}
    assert dict(graph.metadata)["params_in_unsupported_ops"] == str(4 * 3 * 2 * 2)
    (layer,) = graph.layers  # the ReLU stands alone, reading the input through the conv
    assert (layer.op, layer.mode, layer.inputs) == ("activation", "relu", ("input",))


# ----------------------------------------------------------------------------------- linear
def test_linear_rows_are_the_product_of_leading_dims():
    fc = nn.Linear(16, 8)
    graph = export(Seq(fc=fc), (2, 5, 16))
    (layer,) = graph.layers
    assert (layer.op, layer.n, layer.c, layer.k, layer.bias) == ("linear", 2 * 5, 16, 8, True)
    assert (layer.gemm_m, layer.gemm_k, layer.gemm_n) == (10, 16, 8)
    assert layer.macs == 10 * 16 * 8
    assert layer.params == 16 * 8 + 8


# ----------------------------------------------------------------------------------- batch-norm
def test_batchnorm_folds_into_conv_and_keeps_its_params():
    model = Seq(conv=nn.Conv2d(3, 8, 3, bias=False), bn=nn.BatchNorm2d(8), relu=nn.ReLU(inplace=True))
    graph = export(model, (1, 3, 10, 10))
    (layer,) = graph.layers
    assert layer.name == "conv" and layer.fused == ("batchnorm", "relu")
    assert layer.params == 8 * 3 * 3 * 3 + 2 * 8
    assert graph.params == n_params(model)


def test_batchnorm_after_activation_or_without_conv_is_a_layer():
    model = Seq(bn0=nn.BatchNorm2d(3), conv=nn.Conv2d(3, 4, 1), relu=nn.ReLU(), bn=nn.BatchNorm2d(4))
    graph = export(model, (1, 3, 5, 5))
    assert [(l.name, l.op, l.fused, l.params) for l in graph] == [
        ("bn0", "batchnorm", (), 2 * 3),
        ("conv", "conv", ("relu",), 3 * 4 + 4),
        ("bn", "batchnorm", (), 2 * 4),
    ]
    assert graph["bn"].inputs == ("conv",)
    assert (graph["bn"].c, graph["bn"].h, graph["bn"].w) == (4, 5, 5)
    assert graph.params == n_params(model)


class SharedConvOutput(nn.Module):
    """conv output read twice: neither the BN nor the ReLU may be folded into the conv."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)

    def forward(self, x):
        y = self.conv(x)
        return self.bn(y) + F.relu(y)


def test_no_folding_when_the_producer_has_other_readers():
    graph = export(SharedConvOutput(), (1, 4, 6, 6))
    assert [(l.op, l.fused) for l in graph] == [
        ("conv", ()), ("batchnorm", ()), ("activation", ()), ("add", ()),
    ]
    assert graph["add"].inputs == ("bn", "relu")


# ----------------------------------------------------------------------------------- activations
class Functional(nn.Module):
    def __init__(self, act) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        self.act = act

    def forward(self, x):
        return self.act(self.conv(x))


ACTIVATIONS = {
    "relu_module_inplace": (nn.ReLU(inplace=True), "relu"),
    "relu6_module": (nn.ReLU6(), "relu6"),
    "hardswish_module": (nn.Hardswish(), "hardswish"),
    "sigmoid_module": (nn.Sigmoid(), "sigmoid"),
    "relu_functional": (F.relu, "relu"),
    "relu_method_inplace": (lambda x: x.relu_(), "relu"),
    "sigmoid_torch": (torch.sigmoid, "sigmoid"),
    "hardtanh_0_6": (lambda x: F.hardtanh(x, 0.0, 6.0), "relu6"),
    "silu_functional": (F.silu, "silu"),
}


@pytest.mark.parametrize("case", sorted(ACTIVATIONS))
def test_activation_is_fused_into_its_producer(case):
    act, name = ACTIVATIONS[case]
    graph = export(Functional(act), (1, 3, 4, 4))
    (layer,) = graph.layers
    assert (layer.op, layer.fused) == ("conv", (name,))
    assert graph.unsupported == ()


def test_activation_without_a_producer_layer_stands_alone():
    graph = export(Seq(act=nn.Hardswish(), conv=nn.Conv2d(3, 2, 1)), (1, 3, 4, 4))
    act, conv = graph.layers
    assert (act.name, act.op, act.mode, act.inputs) == ("act", "activation", "hardswish", ("input",))
    assert act.output_elements == 3 * 4 * 4
    assert conv.inputs == ("act",)


# ----------------------------------------------------------------------------------- pooling
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_max_pool_ceil_mode(ceil_mode):
    # 12x12, 3x3 stride 2: floor gives (12-3)//2+1 = 5, ceil gives ceil(9/2)+1 = 6
    graph = export(Seq(pool=nn.MaxPool2d(3, 2, ceil_mode=ceil_mode)), (1, 4, 12, 12))
    (layer,) = graph.layers
    expected = out_size(12, 3, 2, ceil=ceil_mode)
    assert expected == (6 if ceil_mode else 5)
    assert (layer.op, layer.mode, layer.r, layer.s, layer.stride_h) == ("pool", "max", 3, 3, 2)
    assert (layer.c, layer.h, layer.k, layer.p, layer.q) == (4, 12, 4, expected, expected)


def test_avg_pool_with_padding_and_functional_pool():
    class Pools(nn.Module):
        def forward(self, x):
            return F.max_pool2d(F.avg_pool2d(x, 3, 1, 1), kernel_size=2)

    avg, mx = export(Pools(), (1, 2, 7, 7)).layers
    assert (avg.op, avg.mode, avg.pad_h, avg.p, avg.q) == ("pool", "avg", 1, out_size(7, 3, 1, 1), 7)
    assert (mx.mode, mx.stride_h, mx.p, mx.inputs) == ("max", 2, out_size(7, 2, 2), (avg.name,))


class GlobalPools(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.adaptive = nn.AdaptiveAvgPool2d(1)
        self.whole = nn.AvgPool2d(5)
        self.same = nn.AdaptiveAvgPool2d((5, 5))  # an identity at this input size
        self.coarse = nn.AdaptiveMaxPool2d(1)

    def forward(self, x):
        a = self.adaptive(x)
        b = x.mean((2, 3), keepdim=True)
        c = self.whole(x)
        d = self.coarse(self.same(x))
        return torch.cat([a, b, c, d], 1)


def test_global_pooling_forms():
    graph = export(GlobalPools(), (1, 3, 5, 5))
    pools = [l for l in graph if l.op == "global_pool"]
    assert [(l.name, l.mode) for l in pools] == [("adaptive", "avg"), ("mean", "avg"), ("whole", "avg"), ("coarse", "max")]
    for layer in pools:
        assert (layer.c, layer.h, layer.w, layer.k, layer.p, layer.q, layer.r, layer.s) == (3, 5, 5, 3, 1, 1, 5, 5)
        assert layer.inputs == ("input",)  # the identity adaptive pool made no layer
    assert graph["cat"].c == 4 * 3


def test_adaptive_pool_to_a_divisor_is_a_plain_pool():
    (layer,) = export(Seq(pool=nn.AdaptiveAvgPool2d(2)), (1, 3, 8, 8)).layers
    assert (layer.op, layer.mode, layer.r, layer.stride_h, layer.p) == ("pool", "avg", 8 // 2, 8 // 2, 2)


# ----------------------------------------------------------------------------------- add, concat
class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.drop = nn.Dropout(0.2)
        self.out = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        y = F.relu(self.conv(x) + x)
        return self.out(self.drop(y))


def test_residual_add_and_dropped_dropout():
    graph = export(Residual(), (2, 4, 6, 6))
    assert [l.name for l in graph] == ["conv", "add", "out"]
    add = graph["add"]
    assert (add.op, add.inputs, add.fused) == ("add", ("conv", "input"), ("relu",))
    assert add.operand_elements == (2 * 4 * 6 * 6, 2 * 4 * 6 * 6)
    assert graph["out"].inputs == ("add",)  # through the dropout, which made no layer
    assert graph.unsupported == ()
    assert dict(graph.metadata)[UNACCOUNTED_PARAMS] == str(2 * 4)  # bn is never called


class Fire(nn.Module):
    def __init__(self, c: int, s: int, e1: int, e3: int) -> None:
        super().__init__()
        self.squeeze = nn.Conv2d(c, s, 1)
        self.expand1x1 = nn.Conv2d(s, e1, 1)
        self.expand3x3 = nn.Conv2d(s, e3, 3, padding=1)

    def forward(self, x):
        x = F.relu(self.squeeze(x))
        return torch.cat([F.relu(self.expand1x1(x)), F.relu(self.expand3x3(x))], 1)


def test_fire_concat_sums_channels():
    c, s, e1, e3, h = 8, 2, 4, 6, 5
    graph = export(Fire(c, s, e1, e3), (1, c, h, h))
    cat = graph["cat"]
    assert (cat.op, cat.inputs, cat.c, cat.k, cat.h, cat.p) == ("concat", ("expand1x1", "expand3x3"), e1 + e3, e1 + e3, h, h)
    assert cat.operand_elements == (e1 * h * h, e3 * h * h)
    assert graph["expand3x3"].inputs == ("squeeze",) and graph["squeeze"].fused == ("relu",)
    assert graph.macs == h * h * (c * s + s * e1 + s * 9 * e3)
    assert graph.params == n_params(Fire(c, s, e1, e3))


# ----------------------------------------------------------------------------------- shuffle
def shuffle_view(x, g):
    n, c, h, w = x.size()
    return x.view(n, g, c // g, h, w).transpose(1, 2).contiguous().view(n, -1, h, w)


def shuffle_permute(x, g):
    n, c, h, w = x.shape
    return x.reshape(n, g, c // g, h, w).permute(0, 2, 1, 3, 4).reshape(n, c, h, w)


def shuffle_flatten(x, g):
    n, c, h, w = x.size()
    return torch.flatten(torch.transpose(x.view(n, g, c // g, h, w), 1, 2), 1, 2)


class ShuffleUnit(nn.Module):
    def __init__(self, shuffle, groups: int = 3) -> None:
        super().__init__()
        self.shuffle, self.groups = shuffle, groups
        self.conv1 = nn.Conv2d(6, 6, 1, groups=groups)
        self.conv2 = nn.Conv2d(6, 6, 1, groups=groups)

    def forward(self, x):
        y = self.conv1(x)
        y = self.shuffle(y) if isinstance(self.shuffle, nn.Module) else self.shuffle(y, self.groups)
        return self.conv2(y)


@pytest.mark.parametrize("shuffle", [shuffle_view, shuffle_permute, shuffle_flatten, nn.ChannelShuffle(3)])
def test_channel_shuffle_is_one_layer(shuffle):
    graph = export(ShuffleUnit(shuffle), (1, 6, 4, 4))
    assert [l.op for l in graph] == ["conv", "shuffle", "conv"]
    mid = graph.layers[1]
    assert (mid.inputs, mid.groups, mid.c, mid.k, mid.h, mid.p) == (("conv1",), 3, 6, 6, 4, 4)
    assert graph["conv2"].inputs == (mid.name,)
    assert graph.unsupported == ()


class HalfView(nn.Module):
    """A view into groups that is not followed by a transpose back: a reshape, not a shuffle."""

    def forward(self, x):
        n, c, h, w = x.size()
        return x.view(n, 2, c // 2, h, w).sum(1)


def test_an_unfinished_shuffle_becomes_a_reshape():
    graph = export(HalfView(), (1, 4, 3, 3))
    assert [l.op for l in graph] == ["reshape"]
    assert dict(graph.unsupported) == {"sum": 1}


# ----------------------------------------------------------------------------------- split, SE
class SplitUnit(nn.Module):
    """ShuffleNet v2 stride-1 unit without the shuffle: chunk, one branch, concat."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 1)
        self.branch = nn.Conv2d(4, 4, 3, padding=1, groups=4)

    def forward(self, x):
        x = self.stem(x)
        a, b = x.chunk(2, dim=1)
        return torch.cat((a, self.branch(b)), dim=1)


def test_channel_split_passes_through_to_the_producer():
    graph = export(SplitUnit(), (1, 3, 5, 5))
    assert [l.name for l in graph] == ["stem", "branch", "cat"]
    assert graph["branch"].inputs == ("stem",) and graph["branch"].c == 8 // 2
    assert graph["cat"].inputs == ("stem", "branch")
    assert graph["cat"].operand_elements == (4 * 5 * 5, 4 * 5 * 5)


class SqueezeExcite(nn.Module):
    def __init__(self, c: int, r: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(c, c // r)
        self.fc2 = nn.Linear(c // r, c)

    def forward(self, x):
        n, c, _, _ = x.shape
        y = x.mean((2, 3))
        y = torch.sigmoid(self.fc2(F.relu(self.fc1(y)))).view(n, c, 1, 1)
        return x * y.expand_as(x)


def test_squeeze_excitation():
    n, c, r, h = 2, 8, 4, 6
    graph = export(SqueezeExcite(c, r), (n, c, h, h))
    assert [(l.op, l.fused) for l in graph] == [
        ("global_pool", ()), ("linear", ("relu",)), ("linear", ("sigmoid",)), ("reshape", ()), ("mul", ()),
    ]
    mul = graph.layers[-1]
    assert mul.inputs == ("input", "view")
    assert mul.operand_elements == (n * c * h * h, n * c)  # the broadcast operand counts its own
    assert graph.macs == n * (c * (c // r) + (c // r) * c)
    assert graph.params == n_params(SqueezeExcite(c, r))


class Twice(nn.Module):
    """One conv called twice, and an activation with weights (PReLU) fused into it."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.act = nn.PReLU(4)

    def forward(self, x):
        return self.conv(self.act(self.conv(x)))


def test_module_called_twice_counts_its_params_once():
    graph = export(Twice(), (1, 4, 5, 5))
    assert [(l.name, l.inputs, l.fused, l.params) for l in graph] == [
        ("conv", ("input",), ("prelu",), 4 * 4 * 9 + 4 + 4),
        ("conv_1", ("conv",), (), 0),
    ]
    assert graph.macs == 2 * 5 * 5 * 4 * 4 * 9
    assert graph.params == n_params(Twice())


def test_lrn():
    (layer,) = export(Seq(lrn=nn.LocalResponseNorm(5)), (1, 6, 3, 3)).layers
    assert (layer.op, layer.r, layer.c, layer.p, layer.params) == ("lrn", 5, 6, 3, 0)


# ----------------------------------------------------------------------------------- unsupported
class Odd(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv0 = nn.Conv2d(3, 4, 1)
        self.vol = nn.Conv3d(1, 1, 1)  # weights of an op hwsim cannot convert
        self.conv1 = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        x = self.conv0(x)
        x, _ = torch.sort(x, dim=1)
        x = torch.fft.fft2(x).real + torch.sort(x, dim=2)[0]
        x = self.vol(x.unsqueeze(1)).squeeze(1)
        return self.conv1(x)


def test_unsupported_ops_are_listed_and_bridged():
    graph = export(Odd(), (1, 3, 4, 4), tracer="fx")
    unsupported = dict(graph.unsupported)
    assert dict(graph.metadata)["params_in_unsupported_ops"] == str(1 + 1)  # Conv3d weight and bias
    assert UNACCOUNTED_PARAMS not in dict(graph.metadata)
    assert unsupported == {"sort": 2, "fft_fft2": 1, "getattr": 1, "Conv3d": 1}
    # a 1x1x1 Conv3d of one filter on a 1x1x4x4x4 input: 64 outputs x 1 MAC each; sort and fft: unknown
    assert json.loads(dict(graph.metadata)["macs_in_unsupported_ops"]) == {
        "Conv3d": 64, "fft_fft2": None, "getattr": None, "sort": None
    }
    assert graph["conv1"].inputs == ("squeeze",)
    # the add reads both (unsupported) operands, which lead back to conv0
    assert graph["add"].inputs == ("conv0", "conv0")
    assert graph.params == n_params(Odd()) - 2
    with pytest.raises(UnsupportedOpError, match=r"Odd: cannot convert .*sort x2"):
        export(Odd(), (1, 3, 4, 4), strict=True)


class ShapeBranch(nn.Module):
    """Python control flow on a shape: torch.fx cannot trace it, torch.export can."""

    def __init__(self) -> None:
        super().__init__()
        self.pool = nn.MaxPool2d(2)
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        if x.shape[-1] > 8:
            x = self.pool(x)
        return self.conv(x)


def test_torch_export_fallback():
    graph = export(ShapeBranch(), (1, 3, 10, 10))
    assert dict(graph.metadata)["tracer"] == "torch.export"
    pool, conv = graph.layers
    assert (pool.name, pool.p, conv.name, conv.inputs, conv.h, conv.p) == ("pool", 5, "conv", ("pool",), 5, 3)
    with pytest.raises(UnsupportedOpError, match="torch.fx cannot trace"):
        export(ShapeBranch(), (1, 3, 10, 10), tracer="fx")


class Mixed(nn.Module):
    """Every recognised construct at once, to compare the two tracers."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
        self.pool = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.split = SplitUnit()
        self.fire = Fire(8, 2, 4, 4)
        self.se = SqueezeExcite(8, 2)
        self.lrn = nn.LocalResponseNorm(3)
        self.drop = nn.Dropout()
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = self.pool(self.stem(x))
        x = shuffle_view(self.split(x[:, :3]), 2) + self.fire(x)
        x = self.lrn(self.se(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(self.drop(x))


def test_fx_and_torch_export_agree():
    fx = export(Mixed(), (1, 3, 17, 17), tracer="fx")
    ep = export(Mixed(), (1, 3, 17, 17), tracer="export")
    assert fx.unsupported == ep.unsupported == ()
    assert fx.layers == ep.layers  # every field, names and inputs included
    assert [l.op for l in fx].count("shuffle") == 1
    assert fx.params == n_params(Mixed())


# ----------------------------------------------------------------------------------- layer names
class TwoAdds(nn.Module):
    """Two residual adds, a concat and a channel shuffle, all made by one module."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        y = self.conv(x) + x
        y = y + x
        return shuffle_view(torch.cat([y, x], 1), 2)


class Res(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        return (self.conv(x) + x) / 2  # torch.fx: operator.truediv, torch.export: aten.div


class Named(nn.Module):
    """Functional ops inside nested modules, inside a module called twice, and at top level."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.Sequential(TwoAdds(), nn.Conv2d(8, 4, 1))
        self.res = Res()

    def forward(self, x):
        x = self.res(self.res(self.blocks(x)))
        return torch.flatten(x.mean((2, 3), keepdim=True), 1)


@pytest.mark.parametrize("tracer", ["fx", "export"])
def test_functional_layers_are_named_after_their_module(tracer):
    graph = export(Named(), (1, 4, 5, 5), tracer=tracer)
    assert [(l.name, l.op) for l in graph] == [
        ("blocks.0.conv", "conv"),
        ("blocks.0.add", "add"),
        ("blocks.0.add_1", "add"),  # a second add of the same module
        ("blocks.0.cat", "concat"),
        ("blocks.0.shuffle", "shuffle"),  # view -> transpose -> view: named after what it is
        ("blocks.1", "conv"),
        ("res.conv", "conv"),
        ("res.add", "add"),
        ("res.div", "mul"),  # the same word under both tracers
        ("res.conv_1", "conv"),  # the module's second call
        ("res.add_1", "add"),
        ("res.div_1", "mul"),
        ("mean", "global_pool"),  # top level: the traced node's name
        ("flatten", "reshape"),
    ]
    assert graph["blocks.0.add_1"].inputs == ("blocks.0.add", "input")
    assert graph["res.add_1"].inputs == ("res.conv_1", "res.div")
    assert graph["res.div_1"].mode == "div"
    assert graph.unsupported == ()


def test_an_unfinished_shuffle_in_a_module_is_named_after_it():
    graph = export(Seq(half=HalfView()), (1, 4, 3, 3))
    assert [(l.name, l.op) for l in graph] == [("half.view", "reshape")]


class UnflattenHalf(nn.Module):
    """Group views that open a shuffle and never close it: by a module, then by an in-place op."""

    def __init__(self) -> None:
        super().__init__()
        self.split = nn.Unflatten(1, (2, 2))

    def forward(self, x):
        y = self.split(x).sum(1)  # (1, 4, 3, 3) -> (1, 2, 2, 3, 3) -> (1, 2, 3, 3)
        return y.unsqueeze_(1).transpose(1, 2).sum(1)  # (1, 1, 2, 3, 3) -> (1, 2, 1, 3, 3) -> (1, 1, 3, 3)


def test_an_unfinished_shuffle_is_named_like_any_layer_of_its_op():
    graph = export(Seq(unit=UnflattenHalf()), (1, 4, 3, 3))
    # the module's layer is its qualified name; the functional one drops its in-place "_"
    assert [(l.name, l.op) for l in graph] == [
        ("unit.split", "reshape"), ("unit.unsqueeze", "reshape"), ("unit.transpose", "transpose")
    ]
    assert dict(graph.unsupported) == {"sum": 2}


# ----------------------------------------------------------------------------------- graph file
def test_json_round_trip_and_metadata(tmp_path):
    graph = export(Mixed(), (2, 3, 17, 17), name="mixed", model_kwargs={"width": 0.5})
    assert LayerGraph.from_json(graph.to_json()) == graph
    graph.save(tmp_path / "mixed.json")
    assert LayerGraph.load(tmp_path / "mixed.json") == graph
    meta = dict(graph.metadata)
    assert (meta["torch"], meta["tracer"], meta["model_kwargs"]) == (torch.__version__, "torch.fx", '{"width": 0.5}')
    assert graph.name == "mixed" and graph.input_shape == (2, 3, 17, 17)


def test_train_flags_restored_and_bad_input():
    model = Mixed().train()
    model.fc.eval()
    export(model, (1, 3, 17, 17))
    assert model.training and model.stem[1].training and not model.fc.training
    with pytest.raises(ConfigError, match=r"Mixed: model does not run on input 1x4x17x17"):
        export(model, (1, 4, 17, 17))


# ----------------------------------------------------------------------------------- what users see on errors
class DataDependent(nn.Module):
    """A branch on a tensor's value: neither torch.fx nor torch.export can trace it."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        if x.sum() > 0:
            return self.conv(x)
        return self.conv(x) * 2


def test_a_forward_that_fails_names_the_cause_and_prints_nothing(capfd):
    with pytest.raises(ConfigError, match=r"^Sequential: model does not run on input 1x3x8x8 \(at 0\): RuntimeError: "
                       r".*expected input\[1, 3, 8, 8\] to have 1 channels, but got 3 channels") as info:
        export(nn.Sequential(nn.Conv2d(1, 4, 3)), (1, 3, 8, 8))
    assert "\n" not in str(info.value) and "ShapeProp" not in str(info.value)
    assert capfd.readouterr().err == ""  # torch's ShapeProp printed a traceback here


def test_an_untraceable_model_fails_in_one_line_and_quietly(capfd):
    filters, disabled = list(warnings.filters), logging.root.manager.disable
    with pytest.raises(UnsupportedOpError, match=r"^DataDependent: cannot trace the model with torch.fx \(TraceError: "
                       r".*\) nor torch.export: \w+: ") as info:
        export(DataDependent(), (1, 3, 8, 8))
    assert "\n" not in str(info.value)
    assert capfd.readouterr().err == ""  # torch.export logs warnings and prints a graph dump on stderr
    assert warnings.filters == filters and logging.root.manager.disable == disabled  # restored


def test_a_module_on_the_meta_device_traces_without_memory():
    with torch.device("meta"):
        model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                              nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
        branch = ShapeBranch()
    n, size = 50_000, 1024  # a float input of n*3*size*size*4 bytes = 629 GB: only meta tensors can hold it
    graph = export(model, (n, 3, size, size))
    conv, pool, flat, fc = graph.layers
    assert (conv.op, conv.fused, pool.op, flat.op, fc.op) == ("conv", ("batchnorm", "relu"), "global_pool", "reshape", "linear")
    assert conv.macs == n * 16 * size * size * 3 * 3 * 3 and fc.macs == n * 16 * 10
    assert graph.params == n_params(model)
    graph = export(branch, (n, 3, size, size))  # torch.export on meta too
    assert dict(graph.metadata)["tracer"] == "torch.export"
    conv = graph.layers[-1]
    assert (conv.name, conv.p) == ("conv", out_size(size // 2, 3)) and conv.macs == n * 4 * conv.p * conv.q * 3 * 3 * 3


def test_failed_allocations_suggest_a_smaller_input(monkeypatch):
    def no_memory(*args, **kwargs):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: "
                           "you tried to allocate 120000000000 bytes.")

    with monkeypatch.context() as patch:
        patch.setattr(torch, "zeros", no_memory)  # the example input
        with pytest.raises(ConfigError, match=r"^Sequential: tracing on input 1x3x100000x100000 ran out of memory "
                           r"\(RuntimeError: .*can't allocate memory.*\); try a smaller --input-size or --batch$"):
            export(nn.Sequential(nn.Conv2d(3, 4, 3)), (1, 3, 100000, 100000))
    relu = nn.ReLU()

    def boom(x):
        raise MemoryError

    relu.forward = boom  # a layer's output that does not fit
    with pytest.raises(ConfigError, match=r"^Sequential: tracing on input 1x3x8x8 ran out of memory \(MemoryError\)"):
        export(nn.Sequential(nn.Conv2d(3, 4, 3), relu), (1, 3, 8, 8))


USER_NETS = """
from torch import nn

from {module} import DataDependent


def wrong_channels():
    return nn.Sequential(nn.Conv2d(1, 4, 3))


def branchy():
    return DataDependent()


def small():
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
"""


def test_cli_errors_for_user_models_name_the_file(tmp_path):
    path = tmp_path / "user_nets.py"
    path.write_text(USER_NETS.format(module=__name__))
    out = str(tmp_path / "g.json")
    root = str(REPO)  # so the user file can import this test module
    proc = hwsim("export", f"{path}:wrong_channels", "--input-size", "32x32", "-o", out, cwd=root)
    assert_clean_error(proc, f"{path}:wrong_channels: model does not run on input 1x3x32x32",
                       "expected input[1, 3, 32, 32] to have 1 channels, but got 3 channels")
    proc = hwsim("export", f"{path}:branchy", "--input-size", "32x32", "-o", out, cwd=root)
    assert_clean_error(proc, f"{path}:branchy: cannot trace the model with torch.fx", "nor torch.export")
    # a 12 TB input is refused before tracing (an allocation that fails while tracing: the test above)
    proc = hwsim("export", f"{path}:small", "--input-size", "1000000x1000000", "-o", out, cwd=root)
    assert_clean_error(proc, "--input-size '1000000x1000000': expected HxW with integers from 1 to 16384")
    assert not Path(out).exists()


# ----------------------------------------------------------------------------------- fvcore
from hwsim.models import build_model, model_names, resolve_model  # noqa: E402
from tests.paths import REPO


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", model_names())
def test_zoo_matches_fvcore(name):
    """Per conv/linear layer MACs equal fvcore's per-module count; params equal sum(numel)."""
    from fvcore.nn import FlopCountAnalysis

    spec = resolve_model(name)
    model = build_model(spec).eval()
    shape = (1, *spec.input_shape)
    graph = export(model, shape, name=name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analysis = FlopCountAnalysis(model, torch.zeros(shape))
        analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
        by_module = analysis.by_module()
        by_operator = analysis.by_operator()
    assert graph.unsupported == ()
    for layer in graph.gemm_layers:
        assert by_module[layer.name] == layer.macs, layer.name
    assert graph.macs == by_operator["conv"] + by_operator.get("linear", 0)
    assert graph.params == n_params(model)


def test_unused_parameters_are_counted_not_unsupported():
    """An auxiliary head the eval forward never calls is no unsupported op: strict export passes."""

    class WithAux(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 1)
            self.aux = nn.Linear(4, 10)

        def forward(self, x):
            return self.conv(x)

    graph = export(WithAux(), (1, 3, 8, 8), strict=True)
    assert graph.unsupported == ()
    assert dict(graph.metadata)[UNACCOUNTED_PARAMS] == str(4 * 10 + 10)
    assert graph.params + 50 == n_params(WithAux())
