"""The PyTorch front end on the ops of current vision networks and attention: every new op by closed
form in the test (MACs, elements), through both tracers where they differ, and nothing left free.
"""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hwsim.export import export
from hwsim.graph.coverage import coverage_of


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class Wrap(nn.Module):
    """One functional op on the input, through a lambda kept as a method."""

    def __init__(self, fn, **mods: nn.Module) -> None:
        super().__init__()
        self.fn = fn
        for name, mod in mods.items():
            setattr(self, name, mod)

    def forward(self, x):
        return self.fn(self, x)


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("tracer", ["fx", "export"])
def test_conv1d_and_conv_transpose2d_are_gemms(tracer):
    # Conv1d 4 -> 6, kernel 3, pad 1 on (2, 4, 10): L_out = 10; MACs = N*K*L*C*R = 2*6*10*4*3
    conv = Wrap(lambda m, x: m.conv(x), conv=nn.Conv1d(4, 6, 3, padding=1))
    (layer,) = export(conv, (2, 4, 10), tracer=tracer).layers
    assert (layer.op, layer.h, layer.w, layer.p, layer.q, layer.r, layer.s, layer.pad_h) == ("conv", 10, 1, 10, 1, 3, 1, 1)
    assert layer.macs == 2 * 6 * 10 * 4 * 3 and layer.params == n_params(conv)
    # ConvTranspose2d 8 -> 4, 3x3, stride 2, pad 1, output_padding 1 on 1x8x5x5: 10x10 outputs;
    # MACs = N*H*W*C*K*R*S = 25 * 8 * 4 * 9 (fvcore: batch x weight elements x input pixels)
    up = Wrap(lambda m, x: m.up(x), up=nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1))
    (layer,) = export(up, (1, 8, 5, 5), tracer=tracer).layers
    assert (layer.op, layer.p, layer.q, layer.gemm_m, layer.gemm_k, layer.gemm_n) == ("conv_transpose", 10, 10, 25, 8, 36)
    assert layer.macs == 25 * 8 * 4 * 9 and layer.params == n_params(up)


def test_norms_softmax_resize_pad_and_pixel_shuffle_are_layers_never_free():
    model = Wrap(
        lambda m, x: m.shuffle(F.pad(F.interpolate(m.gn(x), scale_factor=2.0), (1, 1, 1, 1)))[:, :, :4].softmax(-1),
        gn=nn.GroupNorm(2, 4),
        shuffle=nn.PixelShuffle(2),
    )
    graph = export(model, (1, 4, 3, 3))
    ops = [(layer.op, layer.mode) for layer in graph.layers]
    assert ops == [("norm", "group"), ("resize", "nearest"), ("pad", "constant"), ("transpose", "pixel_shuffle"),
                   ("softmax", "softmax")]
    norm, resize, pad, shuffle, softmax = graph.layers
    # 1x4x3x3 = 36 -> 1x4x6x6 = 144 -> padded 1x4x8x8 = 256 -> pixel shuffle 1x1x16x16 -> rows 0..3: 64
    assert (norm.input_elements, norm.params) == (36, 8)
    assert (resize.input_elements, resize.output_elements) == (36, 144)
    assert (pad.input_elements, pad.output_elements) == (144, 256)
    assert (shuffle.input_elements, shuffle.output_elements) == (256, 256)
    assert softmax.input_elements == 64 and graph.unsupported == ()


def test_layer_norm_and_gelu_and_softmax_stay_apart_from_the_scale():
    """The issue's ViT bug: softmax vanished as 'fused' into the scale multiply."""
    model = Wrap(lambda m, x: torch.softmax((m.ln(x) @ m.ln(x).transpose(-2, -1)) * 0.125, dim=-1), ln=nn.LayerNorm(8))
    graph = export(model, (2, 5, 8))
    assert [(layer.op, layer.fused) for layer in graph.layers] == [
        ("norm", ()), ("norm", ()), ("transpose", ()), ("matmul", ("scale",)), ("softmax", ())]
    # (2, 5, 8) @ (2, 8, 5): 2 GEMMs of 5 x 8 x 5; softmax over 2*5*5 scores
    assert graph.layers[3].macs == 2 * 5 * 8 * 5 and graph.layers[4].input_elements == 50


@pytest.mark.parametrize("tracer", ["fx", "export"])
def test_matmul_bmm_and_einsum_between_activations(tracer):
    model = Wrap(lambda m, x: torch.bmm(x, x.transpose(1, 2)) + torch.einsum("bij,bkj->bik", x, x) + (x @ x.mT))
    graph = export(model, (3, 4, 6), tracer=tracer)
    gemms = [layer for layer in graph.layers if layer.is_gemm]
    # each: 3 batches of (4 x 6) @ (6 x 4) = 3 * 4 * 6 * 4 MACs, groups 3
    assert [(layer.op, layer.groups, layer.macs) for layer in gemms] == [("matmul", 3, 3 * 4 * 6 * 4)] * 3
    # x.transpose(1, 2) and x.mT are copies (transpose layers); the einsum's layout is addressing
    assert [layer.op for layer in graph.layers].count("transpose") == 2 and graph.unsupported == ()


@pytest.mark.parametrize("tracer", ["fx", "export"])
def test_scaled_dot_product_attention_is_qk_softmax_av(tracer):
    model = Wrap(lambda m, x: F.scaled_dot_product_attention(x, x, x))
    graph = export(model, (2, 3, 7, 16), tracer=tracer)
    assert [layer.name.rsplit(".", 1)[1] for layer in graph.layers] == ["qk", "softmax", "av"]
    qk, softmax, av = graph.layers
    # 2 batches x 3 heads of (7 x 16) @ (16 x 7), then (7 x 7) @ (7 x 16)
    assert (qk.groups, qk.macs, av.macs) == (6, 6 * 7 * 16 * 7, 6 * 7 * 7 * 16)
    assert softmax.input_elements == 6 * 7 * 7 and graph.unsupported == ()


@pytest.mark.parametrize("batch_first", [True, False])
def test_multihead_attention_is_projections_and_per_head_attention(batch_first):
    embed, heads, tokens, batch = 16, 4, 9, 2
    attn = nn.MultiheadAttention(embed, heads, batch_first=batch_first)
    model = Wrap(lambda m, x: m.attn(x, x, x)[0], attn=attn)
    shape = (batch, tokens, embed) if batch_first else (tokens, batch, embed)
    graph = export(model, shape)
    assert [layer.name for layer in graph.layers] == [f"attn.{part}" for part in ("in_proj", "qk", "softmax", "av", "out_proj")]
    rows, d = batch * tokens, embed // heads
    expected = rows * embed * 3 * embed + 2 * batch * heads * tokens * d * tokens + rows * embed * embed
    assert graph.macs == expected
    assert graph.params == n_params(attn) and graph.unsupported == ()


def test_an_lstm_is_listed_with_its_macs_and_every_parameter_counts():
    """The issue's LSTM model: parameters came out as 1,610 of 24,666."""

    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.proj = nn.Linear(32, 40)  # 1,320 params
            self.lstm = nn.LSTM(40, 64, batch_first=True)  # 4*64*(40+64) + 2*4*64 = 27,136
            self.head = nn.Linear(64, 5)  # 325

        def forward(self, x):
            return self.head(self.lstm(self.proj(x))[0])

    model = Tagger()
    graph = export(model, (2, 7, 32))
    assert dict(graph.unsupported) == {"LSTM": 1}
    cover = coverage_of(graph)
    # each weight element is used once per step and batch row: 2*7 x (4*64*40 + 4*64*64)
    lstm_macs = 2 * 7 * (4 * 64 * 40 + 4 * 64 * 64)
    assert json.loads(dict(graph.metadata)["macs_in_unsupported_ops"]) == {"LSTM": lstm_macs}
    simulated = 2 * 7 * 32 * 40 + 2 * 7 * 64 * 5
    assert cover.simulated_share == pytest.approx(simulated / (simulated + lstm_macs))
    assert cover.total_params == n_params(model) == 1320 + 27136 + 325
