"""The reference networks outside the zoo: a ViT's MACs in closed form (attention matmuls included),
and MAC totals equal to fvcore's count (which includes matmul) on a ViT, ResNet-18 and an
EfficientNet-like network with squeeze-excitation."""

from __future__ import annotations

import warnings

import pytest
import torch

from hwsim.export import export
from hwsim.models import model_names
from hwsim.models.reference import VisionTransformer, efficientnet_se, resnet18, vit_tiny
from hwsim.models.reference_specs import REFERENCE_MODELS, build_reference


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def vit_macs(image: int, patch: int, dim: int, depth: int, heads: int, mlp: int, classes: int) -> dict[str, int]:
    """MACs of :class:`VisionTransformer` by part, written out from its definition."""
    t = (image // patch) ** 2 + 1  # patches + the class token
    d = dim // heads
    return {
        "patch": (image // patch) ** 2 * dim * 3 * patch * patch,  # one output pixel per patch
        "qkv": depth * t * dim * 3 * dim,
        "qk": depth * heads * t * d * t,  # QK^T per head
        "av": depth * heads * t * t * d,  # AV per head
        "proj": depth * t * dim * dim,
        "mlp": depth * 2 * t * dim * mlp * dim,
        "head": dim * classes,  # the class token only
    }


def test_vit_macs_equal_the_closed_form_with_qk_and_av():
    graph = export(vit_tiny(), (1, 3, 224, 224), name="vit_tiny")
    parts = vit_macs(224, 16, 192, 4, 3, 4, 1000)
    assert graph.macs == sum(parts.values())
    matmuls = [layer for layer in graph.layers if layer.op == "matmul"]
    assert sum(layer.macs for layer in matmuls) == parts["qk"] + parts["av"]
    # the figure: attention matmuls are 13.6 % of the MACs at 197 tokens
    assert (parts["qk"] + parts["av"]) / graph.macs == pytest.approx(0.136, abs=5e-4)
    assert all(layer.groups == 3 for layer in matmuls)  # one GEMM per head
    ops = {layer.op for layer in graph.layers}
    assert {"softmax", "norm", "matmul"} <= ops and graph.unsupported == ()
    # softmax is never fused away: one softmax layer per block, over heads x 197 x 197 scores
    softmaxes = [layer for layer in graph.layers if layer.op == "softmax"]
    assert [layer.input_elements for layer in softmaxes] == [3 * 197 * 197] * 4


def test_vit_macs_grow_with_the_sequence():
    small = export(VisionTransformer(dim=64, depth=1, heads=2, image=64), (1, 3, 64, 64)).macs
    large = export(VisionTransformer(dim=64, depth=1, heads=2, image=128), (1, 3, 128, 128)).macs
    parts_small, parts_large = vit_macs(64, 16, 64, 1, 2, 4, 1000), vit_macs(128, 16, 64, 1, 2, 4, 1000)
    assert (small, large) == (sum(parts_small.values()), sum(parts_large.values()))


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("build", [vit_tiny, resnet18, efficientnet_se], ids=["vit", "resnet18", "efficientnet_se"])
def test_macs_equal_fvcore_including_matmul(build):
    from fvcore.nn import FlopCountAnalysis

    model = build().eval()
    shape = (1, 3, 224, 224)
    graph = export(model, shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analysis = FlopCountAnalysis(model, torch.zeros(shape))
        analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
        by_operator = analysis.by_operator()
    # fvcore counts 1 per multiply-add for conv, linear and matmul (norms and pools are its estimates, not MACs)
    gemm = sum(by_operator.get(op, 0) for op in ("conv", "linear", "matmul", "bmm", "einsum", "addmm"))
    assert graph.macs == gemm
    assert graph.unsupported == () and graph.params == sum(p.numel() for p in model.parameters())
    if build is resnet18:
        assert graph.macs == 1_814_073_344  # ResNet-18 at 224x224: the well-known 1.82 GMACs
    if build is efficientnet_se:  # the squeeze-excitation gates are multiplies of a broadcast 1x1 map
        gates = [layer for layer in graph.layers if layer.op == "mul"]
        assert gates and all(layer.operand_elements[1] * layer.h * layer.w == layer.operand_elements[0] for layer in gates)


def test_reference_networks_are_not_zoo_models():
    assert not set(REFERENCE_MODELS) & set(model_names())
    assert all(name.startswith("ref_") for name in REFERENCE_MODELS)
    model = build_reference(REFERENCE_MODELS["ref_resnet_mini"])
    assert sum(p.numel() for p in model.parameters()) > 0
