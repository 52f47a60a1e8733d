"""Tests of the model zoo (hwsim.models): registry, builders, architecture facts.

Expected parameter counts and sizes are computed here in closed form from the architecture
facts of docs/ZOO.md; the few golden numbers say where they come from. Most models
are built on the meta device (no memory, no weight init) and run through torch.fx shape
propagation, which executes the forward pass on shapes only; a handful run a real forward.
"""

from __future__ import annotations

import functools
import math
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
import torch
import torch.fx
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp

from hwsim.errors import ConfigError, HwsimError, UnknownNameError
from hwsim.models import (
    ModelSpec,
    SqueezeNextSpec,
    build_model,
    build_squeezenext,
    model_names,
    resolve_model,
    squeezenext_spec,
)
from hwsim.models.mobilenet import make_divisible
from hwsim.models.shufflenet import channel_shuffle, shufflenet_v1_channels

# The registry table of docs/ZOO.md, in order.
TABLE_NAMES = (
    "alexnet",
    "alexnet_grouped",
    "squeezenet1_0",
    "squeezenet1_1",
    "squeezenet1_0_simple_bypass",
    "squeezenet1_0_complex_bypass",
    "squeezenext_23",
    "squeezenext_23v2",
    "squeezenext_23v3",
    "squeezenext_23v4",
    "squeezenext_23v5",
    "squeezenext_1.5_23",
    "squeezenext_1.5_23v5",
    "squeezenext_2.0_23",
    "squeezenext_2.0_23v5",
    "squeezenext_1.0g_23",
    "mobilenet_v1",
    "mobilenet_v1_0.75",
    "mobilenet_v1_0.5",
    "mobilenet_v1_0.25",
    "mobilenet_v2",
    "mobilenet_v2_0.5",
    "mobilenet_v2_0.75",
    "mobilenet_v2_1.4",
    "shufflenet_v1_g1",
    "shufflenet_v1_g2",
    "shufflenet_v1_g3",
    "shufflenet_v1_g4",
    "shufflenet_v1_g8",
    "shufflenet_v1_g3_0.25",
    "shufflenet_v1_g3_0.5",
    "shufflenet_v1_g3_1.5",
    "shufflenet_v1_g3_2.0",
    "shufflenet_v2_0.5",
    "shufflenet_v2_1.0",
    "shufflenet_v2_1.5",
    "shufflenet_v2_2.0",
)


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    """One intra-op thread: the real forwards here are small and the test machine is shared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@functools.cache
def meta_model(name: str) -> nn.Module:
    """The model built on the meta device (shapes only; do not mutate)."""
    with torch.device("meta"):
        return build_model(name)


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def conv(cin: int, cout: int, kh: int, kw: int | None = None, groups: int = 1, bias: bool = False,
         bn: bool = False) -> int:
    """Parameters of a conv (+ bias) (+ batch-norm: 2 per channel)."""
    kw = kh if kw is None else kw
    return cout * (cin // groups) * kh * kw + (cout if bias else 0) + (2 * cout if bn else 0)


def fc(cin: int, cout: int, bias: bool = True) -> int:
    return cin * cout + (cout if bias else 0)


def pool_ceil(size: int, kernel: int = 3, stride: int = 2) -> int:
    return math.ceil((size - kernel) / stride) + 1


def conv_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    return (size + 2 * padding - kernel) // stride + 1


# ---------------------------------------------------------------------------------- registry


def test_model_names_are_the_table_of_models_md() -> None:
    assert model_names() == TABLE_NAMES


def test_registry_imports_without_torch() -> None:
    code = textwrap.dedent(
        """
        import sys
        import hwsim.models
        from hwsim.models import resolve_model, model_names, squeezenext_spec
        names = model_names()
        spec = resolve_model("squeezenext_1.0_23v5").with_overrides(blocks=(3, 5, 12, 1))
        squeezenext_spec(spec)
        assert "torch" not in sys.modules, "registry imported torch"
        print(len(names))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(len(TABLE_NAMES))


def test_every_name_resolves_to_itself_with_its_default_input() -> None:
    for name in model_names():
        spec = resolve_model(name)
        assert spec.name == name
        expected = (3, 227, 227) if name.startswith(("alexnet", "squeezen")) else (3, 224, 224)
        assert spec.input_shape == expected
        hash(spec)  # frozen and hashable


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("squeezenext_1.0_23", "squeezenext_23"),
        ("squeezenext_1.0_23v2", "squeezenext_23v2"),
        ("squeezenext_1.0_23v5", "squeezenext_23v5"),
        ("squeezenext_1.0g_23", "squeezenext_1.0g_23"),
        ("squeezenext_2.0_23v1", "squeezenext_2.0_23"),
        ("shufflenet_v1_g3_1.0", "shufflenet_v1_g3"),
        ("shufflenet_v1_g8_1.0", "shufflenet_v1_g8"),
        ("shufflenet_v1_g3_0.50", "shufflenet_v1_g3_0.5"),
        ("  MobileNet_V2 ", "mobilenet_v2"),
    ],
)
def test_alternate_spellings_resolve_to_the_canonical_spec(spelling: str, canonical: str) -> None:
    assert resolve_model(spelling) == resolve_model(canonical)


def test_long_spellings_outside_the_table_resolve() -> None:
    spec = resolve_model("squeezenext_1.5_23v3")
    assert spec.name == "squeezenext_1.5_23v3"
    assert squeezenext_spec(spec) == SqueezeNextSpec.for_version(3, width=1.5)
    for groups in (1, 2, 3, 4, 8):
        for scale in ("0.25", "0.5", "1.0", "1.5", "2.0"):
            spec = resolve_model(f"shufflenet_v1_g{groups}_{scale}")
            assert spec.kwargs_dict() == {"groups": groups, "scale": float(scale)}


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("squeezenet1_2", "squeezenet1_1"),
        ("mobilenetv2", "mobilenet_v2"),
        ("squeezenext23", "squeezenext_23"),
        ("shufflenet_v1_g5", "shufflenet_v1_g4"),
    ],
)
def test_unknown_names_raise_with_suggestions(name: str, suggestion: str) -> None:
    with pytest.raises(UnknownNameError) as info:
        resolve_model(name)
    assert suggestion in info.value.suggestions
    assert name in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    "name", ["resnet50", "squeezenext_3.0_23", "squeezenext_1.0_23v6", "shufflenet_v1_g3_0.75", ""]
)
def test_names_outside_the_families_raise(name: str) -> None:
    with pytest.raises(UnknownNameError):
        resolve_model(name)


def test_unknown_and_invalid_overrides_raise_config_errors() -> None:
    with pytest.raises(ConfigError, match="depth_multiplier"):
        build_model("mobilenet_v1", depth_multiplier=0.5)
    with pytest.raises(ConfigError, match="width"):
        build_model("mobilenet_v1", width=-1.0)
    with pytest.raises(ConfigError, match="num_classes"):
        build_model("shufflenet_v2_1.0", num_classes=0)
    with pytest.raises(ConfigError, match="scale"):
        build_model("shufflenet_v2_1.0", scale=0.75)
    with pytest.raises(ConfigError, match="blocks"):
        build_model("squeezenext_23", blocks=(6, 0, 8, 1))
    with pytest.raises(ConfigError, match="input_size"):
        resolve_model("alexnet").with_overrides(input_size=0)
    with pytest.raises(ConfigError, match="too small"):
        build_model("alexnet", input_size=40)
    with pytest.raises(ConfigError, match="too small"):
        build_model("squeezenet1_0", input_size=28)  # see test_smallest_accepted_inputs_run
    with pytest.raises(ConfigError, match="input size"):
        build_model("squeezenext_23", input_size=10)  # conv1 7x7/2 must leave 3 px for the pool
    with pytest.raises(ConfigError):
        ModelSpec("x", "resnet", (), (3, 224, 224))


def test_smallest_accepted_inputs_run() -> None:
    # Each 3x3/2 ceil-mode pool needs >= 3 input pixels; p(a) = ceil((a - 3) / 2) + 1 >= 3 needs
    # a >= 6, p(p(a)) >= 3 needs a >= 12. SqueezeNet v1.0 conv1 (7x7/2): (n - 7) // 2 + 1 >= 12
    # <=> n >= 29. SqueezeNext v1 (one pool): (n - 7) // 2 + 1 >= 3 <=> n >= 11.
    with torch.no_grad():
        for name, size in (("squeezenet1_0", 29), ("squeezenext_23", 11)):
            model = build_model(name, input_size=size).eval()
            assert model(torch.zeros(1, 3, size, size)).shape == (1, 1000)


# ------------------------------------------------------------------- every model, forward + fx


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_every_model_traces_and_propagates_shapes_at_its_default_input(name: str) -> None:
    spec = resolve_model(name)
    graph_module = torch.fx.symbolic_trace(meta_model(name))
    ShapeProp(graph_module).propagate(torch.empty(1, *spec.input_shape, device="meta"))
    nodes = list(graph_module.graph.nodes)
    output = next(node for node in nodes if node.op == "output")
    assert tuple(output.args[0].meta["tensor_meta"].shape) == (1, 1000)
    convs = [
        node for node in nodes
        if node.op == "call_module" and isinstance(graph_module.get_submodule(node.target), nn.Conv2d)
    ]
    assert convs and all("tensor_meta" in node.meta for node in convs)


@pytest.mark.parametrize(
    "name",
    ["alexnet_grouped", "squeezenet1_1", "squeezenext_23v5", "mobilenet_v2_0.5",
     "shufflenet_v1_g3_0.5", "shufflenet_v2_0.5"],
)
def test_real_forward_pass_at_default_input(name: str) -> None:
    torch.manual_seed(0)
    model = build_model(name).eval()
    with torch.no_grad():
        out = model(torch.randn(1, *resolve_model(name).input_shape))
    assert out.shape == (1, 1000)
    assert torch.isfinite(out).all()


def test_num_classes_override() -> None:
    for name in ("alexnet", "squeezenet1_0", "squeezenext_23", "mobilenet_v1", "shufflenet_v1_g8"):
        with torch.device("meta"):
            model = build_model(name, num_classes=10)
        x = torch.empty(1, *resolve_model(name).input_shape, device="meta")
        assert model(x).shape == (1, 10)


# ------------------------------------------------------------------------- AlexNet


def test_alexnet_grouped_parameters() -> None:
    # conv5 output: 227 -> conv1 11x11/4 -> 55 -> pool 27 -> pool 13 -> pool 6 (ceil mode).
    size = pool_ceil(pool_ceil(pool_ceil(conv_size(227, 11, 4))))
    assert size == 6
    expected = (
        conv(3, 96, 11, bias=True)
        + conv(96, 256, 5, groups=2, bias=True)
        + conv(256, 384, 3, bias=True)
        + conv(384, 384, 3, groups=2, bias=True)
        + conv(384, 256, 3, groups=2, bias=True)
        + fc(256 * size * size, 4096) + fc(4096, 4096) + fc(4096, 1000)
    )
    assert n_params(meta_model("alexnet_grouped")) == expected
    # Golden: the BVLC Caffe AlexNet (bvlc_alexnet) has 60,965,224 parameters.
    assert expected == 60_965_224
    lrn = [m for m in meta_model("alexnet_grouped").modules() if isinstance(m, nn.LocalResponseNorm)]
    assert len(lrn) == 2


def pool_floor(size: int, kernel: int = 3, stride: int = 2) -> int:
    return (size - kernel) // stride + 1


@pytest.mark.parametrize("input_size", [227, 224])
def test_alexnet_single_tower_is_torchvisions_layout(input_size: int) -> None:
    # torchvision's alexnet: conv1 11x11/4 pad 2, floor-mode 3x3/2 pools. At 227: 56 -> 27 -> 13 -> 6;
    # at 224: 55 -> 27 -> 13 -> 6. (Ceil-mode pools would give 28 -> 14 -> 7 at 227: 74.7 M params.)
    conv1 = conv_size(input_size, 11, 4, padding=2)
    size = pool_floor(pool_floor(pool_floor(conv1)))
    assert size == 6 and conv1 == {227: 56, 224: 55}[input_size]
    expected = (
        conv(3, 64, 11, bias=True) + conv(64, 192, 5, bias=True) + conv(192, 384, 3, bias=True)
        + conv(384, 256, 3, bias=True) + conv(256, 256, 3, bias=True)
        + fc(256 * size * size, 4096) + fc(4096, 4096) + fc(4096, 1000)
    )
    # Golden: torchvision's alexnet lists 61,100,840 parameters.
    assert expected == 61_100_840
    with torch.device("meta"):
        model = build_model("alexnet", input_size=input_size)
    assert n_params(model) == expected
    pools = [m for m in model.modules() if isinstance(m, nn.MaxPool2d)]
    assert len(pools) == 3 and not any(p.ceil_mode for p in pools)


def test_alexnet_single_tower_macs_at_227() -> None:
    # Per conv: output pixels x filters x (input channels x kernel area); sizes 56, 27, 13, 13, 13.
    from hwsim.sources.zoo import export_zoo_graph

    expected = (
        56 * 56 * 64 * (3 * 11 * 11) + 27 * 27 * 192 * (64 * 5 * 5) + 13 * 13 * 384 * (192 * 3 * 3)
        + 13 * 13 * 256 * (384 * 3 * 3) + 13 * 13 * 256 * (256 * 3 * 3)
        + 256 * 6 * 6 * 4096 + 4096 * 4096 + 4096 * 1000
    )
    assert expected == 716_767_232
    graph = export_zoo_graph("alexnet")
    assert graph.macs == expected and graph.params == 61_100_840


# ------------------------------------------------------------------------- SqueezeNet

FIRES = [(16, 64, 64), (16, 64, 64), (32, 128, 128), (32, 128, 128), (48, 192, 192),
         (48, 192, 192), (64, 256, 256), (64, 256, 256)]


def squeezenet_params(conv1_channels: int, conv1_kernel: int, complex_bypass: bool) -> int:
    total = conv(3, conv1_channels, conv1_kernel, bias=True)
    cin = conv1_channels
    for index, (s, e1, e3) in enumerate(FIRES, start=2):
        total += conv(cin, s, 1, bias=True) + conv(s, e1, 1, bias=True) + conv(s, e3, 3, bias=True)
        if complex_bypass and index % 2 == 0:  # 1x1 conv shortcuts around fire2, 4, 6, 8
            total += conv(cin, e1 + e3, 1, bias=True)
        cin = e1 + e3
    return total + conv(cin, 1000, 1, bias=True)


def test_squeezenet_parameters() -> None:
    assert n_params(meta_model("squeezenet1_0")) == squeezenet_params(96, 7, False)
    assert n_params(meta_model("squeezenet1_0_simple_bypass")) == squeezenet_params(96, 7, False)
    assert n_params(meta_model("squeezenet1_0_complex_bypass")) == squeezenet_params(96, 7, True)
    assert n_params(meta_model("squeezenet1_1")) == squeezenet_params(64, 3, False)
    # Golden: torchvision lists squeezenet1_0 at 1,248,424 and squeezenet1_1 at 1,235,496.
    assert squeezenet_params(96, 7, False) == 1_248_424
    assert squeezenet_params(64, 3, False) == 1_235_496


def test_squeezenet_bypasses_add_inputs() -> None:
    graph = torch.fx.symbolic_trace(meta_model("squeezenet1_0_complex_bypass")).graph
    adds = [n for n in graph.nodes if n.op == "call_function" and n.target.__name__ in ("add", "iadd")]
    assert len(adds) == 8
    graph = torch.fx.symbolic_trace(meta_model("squeezenet1_0_simple_bypass")).graph
    adds = [n for n in graph.nodes if n.op == "call_function" and n.target.__name__ in ("add", "iadd")]
    assert len(adds) == 4


# ------------------------------------------------------------------------- SqueezeNext


def squeezenext_params(spec: SqueezeNextSpec) -> int:
    """Closed form from the block rules of docs/ZOO.md (conv + BN everywhere, FC without bias)."""
    g = 2 if spec.grouped else 1
    total = conv(3, 64, spec.conv1_kernel, bn=True)
    cin = 64
    for stage, blocks in enumerate(spec.blocks):
        c = int(32 * 2**stage * spec.width)
        if spec.shortcut == "v5":
            total += conv(cin, c, 1, bn=True)
            cin = c
        for block in range(blocks):
            total += (
                conv(cin, c // 2, 1, groups=g, bn=True)
                + conv(c // 2, c // 4, 1, bn=True)
                + conv(c // 4, c // 2, 3, 1, groups=g, bn=True)
                + conv(c // 2, c // 2, 1, 3, groups=g, bn=True)
                + conv(c // 2, c, 1, bn=True)
            )
            if block == 0 and spec.shortcut == "v1":
                total += conv(cin, c, 1, bn=True)
            cin = c
    return total + conv(cin, 128, 1, bn=True) + fc(128, spec.num_classes, bias=False)


@pytest.mark.parametrize(
    "name",
    ["squeezenext_23", "squeezenext_23v2", "squeezenext_23v3", "squeezenext_23v4", "squeezenext_23v5",
     "squeezenext_1.5_23", "squeezenext_1.5_23v5", "squeezenext_2.0_23", "squeezenext_2.0_23v5",
     "squeezenext_1.0g_23"],
)
def test_squeezenext_parameters(name: str) -> None:
    assert n_params(meta_model(name)) == squeezenext_params(squeezenext_spec(name))


def test_squeezenext_goldens_from_the_paper() -> None:
    # Paper abstract: SqueezeNext matches AlexNet's top-5 accuracy "with 112x fewer parameters"
    # (1.0-G-SqNxt-23 against the 60,965,224-parameter AlexNet); 1.0-SqNxt-23 has 0.72M.
    ratio = n_params(meta_model("alexnet_grouped")) / n_params(meta_model("squeezenext_1.0g_23"))
    assert round(ratio) == 112
    assert round(n_params(meta_model("squeezenext_23")) / 1e6, 2) == 0.72


def test_squeezenext_versions_match_models_md() -> None:
    table = {1: ((6, 6, 8, 1), 7, "v1"), 2: ((6, 6, 8, 1), 5, "v1"), 3: ((4, 8, 8, 1), 5, "v1"),
             4: ((2, 10, 8, 1), 5, "v1"), 5: ((2, 4, 14, 1), 5, "v5")}
    for version, (blocks, kernel, shortcut) in table.items():
        spec = SqueezeNextSpec.for_version(version)
        assert (spec.blocks, spec.conv1_kernel, spec.shortcut) == (blocks, kernel, shortcut)
        assert spec.depth == 23  # conv1 + 21 blocks + the final 1x1
        suffix = "" if version == 1 else f"v{version}"
        assert squeezenext_spec(f"squeezenext_23{suffix}") == spec
    assert SqueezeNextSpec.for_version(1, width=2.0).stage_channels == (64, 128, 256, 512)
    assert SqueezeNextSpec.for_version(1, width=1.5).stage_channels == (48, 96, 192, 384)


def stage_output_sizes(model: nn.Module, input_size: int) -> list[int]:
    sizes: list[int] = []
    hooks = [stage.register_forward_hook(lambda m, i, o: sizes.append(o.shape[-1]))
             for stage in model.stages]
    try:
        model(torch.empty(1, 3, input_size, input_size, device="meta"))
    finally:
        for hook in hooks:
            hook.remove()
    return sizes


def test_squeezenext_stage_spatial_sizes() -> None:
    for name, kernel in (("squeezenext_23", 7), ("squeezenext_23v5", 5)):
        size = pool_ceil(conv_size(227, kernel, 2))  # conv1 no padding, 3x3/2 ceil pool
        expected = [size]
        for _ in range(3):  # a stride-2 1x1 at the entry of stages 2-4
            expected.append(conv_size(expected[-1], 1, 2))
        assert stage_output_sizes(meta_model(name), 227) == expected
        assert list(squeezenext_spec(name).stage_spatial_sizes(227)) == expected
    assert stage_output_sizes(meta_model("squeezenext_23"), 227) == [55, 28, 14, 7]  # docs/ZOO.md
    assert stage_output_sizes(meta_model("squeezenext_23v5"), 227) == [56, 28, 14, 7]


def test_squeezenext_block_wiring_v1() -> None:
    model = meta_model("squeezenext_23")
    first = model.get_submodule("stages.0.blocks.0")
    assert (first.conv1x1_a.conv.in_channels, first.conv1x1_a.conv.out_channels) == (64, 16)
    assert (first.conv1x1_b.conv.out_channels, first.conv1x1_c.conv.out_channels) == (8, 32)
    assert (first.shortcut.conv.in_channels, first.shortcut.conv.out_channels) == (64, 32)
    for stage, channels in enumerate((32, 64, 128, 256)):
        blocks = model.get_submodule(f"stages.{stage}.blocks")
        stride = 1 if stage == 0 else 2
        assert blocks[0].conv1x1_a.conv.stride == (stride, stride)
        assert blocks[0].shortcut.conv.stride == (stride, stride)
        assert blocks[0].conv1x1_c.conv.out_channels == channels
        assert all(block.shortcut is None for block in list(blocks)[1:])
        assert model.get_submodule(f"stages.{stage}").entry is None
    head = model.head.conv
    assert (head.in_channels, head.out_channels) == (256, 128)
    assert model.fc.bias is None
    assert all(m.bias is None for m in model.modules() if isinstance(m, nn.Conv2d))


def test_squeezenext_separable_order_alternates() -> None:
    graph_module = torch.fx.symbolic_trace(meta_model("squeezenext_23"))
    order = [node.target for node in graph_module.graph.nodes if node.op == "call_module"]
    for stage, blocks in enumerate((6, 6, 8, 1)):
        for block in range(blocks):
            prefix = f"stages.{stage}.blocks.{block}."
            v = order.index(prefix + "conv3x1.conv")
            h = order.index(prefix + "conv1x3.conv")
            assert (v < h) == (block % 2 == 0), prefix
            first = graph_module.get_submodule(prefix + ("conv3x1" if v < h else "conv1x3")).conv
            second = graph_module.get_submodule(prefix + ("conv1x3" if v < h else "conv3x1")).conv
            c = (32, 64, 128, 256)[stage]
            assert (first.in_channels, first.out_channels) == (c // 4, c // 2)
            assert (second.in_channels, second.out_channels) == (c // 2, c // 2)
            assert first.padding == ((1, 0) if v < h else (0, 1))


def test_squeezenext_v5_shared_entry() -> None:
    model = meta_model("squeezenext_23v5")
    assert model.stem.conv1.conv.kernel_size == (5, 5)
    for stage, channels in enumerate((32, 64, 128, 256)):
        entry = model.get_submodule(f"stages.{stage}.entry").conv
        stride = 1 if stage == 0 else 2
        assert (entry.out_channels, entry.stride) == (channels, (stride, stride))
        blocks = model.get_submodule(f"stages.{stage}.blocks")
        assert all(block.shortcut is None for block in blocks)
        assert blocks[0].conv1x1_a.conv.in_channels == channels
        assert blocks[0].conv1x1_a.conv.stride == (1, 1)


def test_squeezenext_grouped_convs() -> None:
    model = meta_model("squeezenext_1.0g_23")
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            grouped = name.endswith(("conv1x1_a.conv", "conv3x1.conv", "conv1x3.conv"))
            assert module.groups == (2 if grouped else 1), name


@pytest.mark.parametrize("blocks", [(3, 5, 12, 1), (1, 1, 1, 1), (1, 2), (2, 2, 2, 2, 2)])
def test_squeezenext_any_allocation_builds_and_runs(blocks: tuple[int, ...]) -> None:
    for base in ("squeezenext_23", "squeezenext_23v5", "squeezenext_1.0g_23"):
        with torch.device("meta"):
            model = build_model(base, blocks=blocks)
        assert tuple(len(stage.blocks) for stage in model.stages) == blocks
        spec = squeezenext_spec(base, blocks=blocks)
        assert n_params(model) == squeezenext_params(spec)
        if base == "squeezenext_23v5":  # the v1 and grouped wiring run below and in the zoo
            assert model(torch.empty(1, 3, 227, 227, device="meta")).shape == (1, 1000)
    torch.manual_seed(0)
    spec = SqueezeNextSpec(blocks=blocks, grouped=True, num_classes=7)
    model = build_squeezenext(spec, input_size=64).eval()
    with torch.no_grad():
        assert model(torch.randn(2, 3, 64, 64)).shape == (2, 7)


def test_squeezenext_model_spec_carries_the_whole_description() -> None:
    spec = resolve_model("squeezenext_2.0_23v5")
    assert spec.family == "squeezenext"
    assert SqueezeNextSpec(**spec.kwargs_dict()) == SqueezeNextSpec.for_version(5, width=2.0)
    searched = spec.with_overrides(blocks=[3, 5, 12, 1])
    assert searched.kwargs_dict()["blocks"] == (3, 5, 12, 1)  # normalised to a tuple
    hash(searched)
    assert squeezenext_spec(searched) == SqueezeNextSpec(
        width=2.0, blocks=(3, 5, 12, 1), conv1_kernel=5, shortcut="v5"
    )
    with pytest.raises(ConfigError, match="not a SqueezeNext"):
        squeezenext_spec("mobilenet_v1")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"blocks": (6, 0, 8, 1)}, "blocks"),
        ({"blocks": ()}, "blocks"),
        ({"blocks": (6, 6.0, 8, 1)}, "blocks"),
        ({"width": 1.3}, "width"),
        ({"width": 0.0}, "width"),
        ({"width": 0.375, "grouped": True}, "multiple of 8"),  # stage 1: 12 channels
        ({"conv1_kernel": 3}, "conv1_kernel"),
        ({"shortcut": "v3"}, "shortcut"),
        ({"grouped": 1}, "grouped"),
        ({"num_classes": 0}, "num_classes"),
    ],
)
def test_squeezenext_spec_rejects_bad_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        SqueezeNextSpec(**kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, HwsimError) and "\n" not in str(info.value)


def test_squeezenext_for_version_rejects_unknown_versions() -> None:
    for version in (0, 6):
        with pytest.raises(ConfigError, match="version"):
            SqueezeNextSpec.for_version(version)


# ------------------------------------------------------------------------- MobileNet


def mobilenet_v1_params(width: float, blocks: tuple[int, ...] = (1, 2, 2, 6, 2)) -> int:
    # Table 1's stages of 64, 128, 256, 512, 1024 channels; the default blocks give its 13 pairs (stride,
    # channels) (1,64) (2,128) (1,128) (2,256) (1,256) (2,512) 5x(1,512) (2,1024) (1,1024). Strides change
    # no parameter count.
    pairs = [(1, c) for c, n in zip((64, 128, 256, 512, 1024), blocks) for _ in range(n)]
    depth = lambda c: max(int(c * width), 8)  # noqa: E731  (TF-slim's rule, min depth 8)
    total = conv(3, depth(32), 3, bn=True)
    cin = depth(32)
    for _, cout in pairs:
        total += conv(cin, cin, 3, groups=cin, bn=True) + conv(cin, depth(cout), 1, bn=True)
        cin = depth(cout)
    return total + fc(cin, 1000)


@pytest.mark.parametrize(("name", "width"), [("mobilenet_v1", 1.0), ("mobilenet_v1_0.75", 0.75),
                                             ("mobilenet_v1_0.5", 0.5), ("mobilenet_v1_0.25", 0.25)])
def test_mobilenet_v1_parameters(name: str, width: float) -> None:
    assert n_params(meta_model(name)) == mobilenet_v1_params(width)


@pytest.mark.parametrize("blocks", [(1, 1, 1, 1, 1), (3, 1, 4, 1, 4), (1, 2, 2, 6, 2)])
def test_mobilenet_blocks_per_stage(blocks: tuple[int, ...]) -> None:
    with torch.device("meta"):
        v1 = build_model("mobilenet_v1_0.5", blocks=blocks)
        v2 = build_model("mobilenet_v2", blocks=(*blocks, 2, 1))
    assert n_params(v1) == mobilenet_v1_params(0.5, blocks) and len(v1.blocks) == sum(blocks)
    # the first pair of every stage but the first has stride 2, the others stride 1
    firsts = {sum(blocks[:i]) for i in range(1, 5)}
    assert [pair.depthwise.conv.stride[0] for pair in v1.blocks] == [
        2 if i in firsts else 1 for i in range(sum(blocks))]
    # MobileNet v2: one residual add per block but each stage's first (Table 2's stride-1 repeats)
    assert len(v2.blocks) == sum(blocks) + 3
    assert sum(block.use_residual for block in v2.blocks) == sum(blocks) + 3 - 7
    with pytest.raises(ConfigError, match="mobilenet_v2: blocks must be 7 integers >= 1"):
        build_model("mobilenet_v2", blocks=blocks)


def test_mobilenet_v1_is_about_4_2_million_parameters() -> None:
    # Paper Table 8: 1.0 MobileNet-224 has 4.2 million parameters.
    assert round(mobilenet_v1_params(1.0) / 1e6, 1) == 4.2


def test_make_divisible() -> None:
    assert make_divisible(32) == 32
    assert make_divisible(12) == 16  # 12 + 4 = 16 -> 16
    assert make_divisible(20) == 24  # ties round up: (20 + 4) // 8 * 8
    assert make_divisible(11.2) == 16  # 8 would lose more than 10 % of 11.2
    assert make_divisible(3) == 8  # never below the divisor


def test_mobilenet_v2_channels_and_parameters() -> None:
    assert meta_model("mobilenet_v2_0.5").head.conv.out_channels == 1280  # stays for width < 1
    assert meta_model("mobilenet_v2_1.4").head.conv.out_channels == 1792  # 1280 * 1.4
    assert meta_model("mobilenet_v2_0.5").stem.conv.out_channels == 16
    # Golden: torchvision lists mobilenet_v2 (width 1.0, the same layout) at 3,504,872.
    assert n_params(meta_model("mobilenet_v2")) == 3_504_872
    # Residual adds: per run of n blocks, the n - 1 stride-1 repeats (Table 2): 1+2+3+2+2 = 10.
    graph = torch.fx.symbolic_trace(meta_model("mobilenet_v2")).graph
    adds = [n for n in graph.nodes if n.op == "call_function" and n.target.__name__ == "add"]
    assert len(adds) == sum(n - 1 for n in (1, 2, 3, 4, 3, 3, 1))


# ------------------------------------------------------------------------- ShuffleNet


def test_channel_shuffle_interleaves_groups() -> None:
    x = torch.arange(6.0).view(1, 6, 1, 1)
    for groups in (1, 2, 3, 6):
        per_group = 6 // groups
        expected = [(j % groups) * per_group + j // groups for j in range(6)]
        assert channel_shuffle(x, groups).flatten().tolist() == expected
    assert channel_shuffle(x, 2).flatten().tolist() == [0, 3, 1, 4, 2, 5]  # by hand


def test_shufflenet_v1_channels() -> None:
    table = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}  # Table 1, stage 2 at scale 1.0
    for groups, stage2 in table.items():
        assert shufflenet_v1_channels(groups, 1.0) == (24, stage2, 2 * stage2, 4 * stage2)
    for scale in (0.25, 0.5, 1.5, 2.0):  # g=3: every count scaled exactly, the stem included
        assert shufflenet_v1_channels(3, scale) == tuple(int(c * scale) for c in (24, 240, 480, 960))
    assert shufflenet_v1_channels(8, 0.5) == (16, 192, 384, 768)  # stem raised from 12
    for groups in table:
        for scale in (0.25, 0.5, 1.0, 1.5, 2.0):
            stem, *stages = shufflenet_v1_channels(groups, scale)
            assert all(c % (4 * groups) == 0 for c in stages)
            assert (stages[0] - stem) % groups == 0 and stem >= round(24 * scale)


def shufflenet_v1_params(groups: int, scale: float, blocks: tuple[int, ...] = (4, 8, 4)) -> int:
    stem, *stages = shufflenet_v1_channels(groups, scale)
    total = conv(3, stem, 3, bn=True)
    cin = stem
    for stage, (units, cout) in enumerate(zip(blocks, stages)):
        mid = cout // 4
        for unit in range(units):
            branch = cout - cin if unit == 0 else cout
            first_groups = 1 if stage == 0 and unit == 0 else groups
            total += (conv(cin, mid, 1, groups=first_groups, bn=True)
                      + conv(mid, mid, 3, groups=mid, bn=True)
                      + conv(mid, branch, 1, groups=groups, bn=True))
            cin = cout
    return total + fc(cin, 1000)


def test_shufflenet_v1_parameters() -> None:
    for groups in (1, 2, 3, 4, 8):
        assert n_params(meta_model(f"shufflenet_v1_g{groups}")) == shufflenet_v1_params(groups, 1.0)
    for scale in (0.25, 0.5, 1.5, 2.0):
        assert n_params(meta_model(f"shufflenet_v1_g3_{scale}")) == shufflenet_v1_params(3, scale)


def test_shufflenet_v1_every_group_and_scale_builds() -> None:
    for groups in (1, 2, 3, 4, 8):
        for scale in (0.25, 0.5, 1.5, 2.0):
            with torch.device("meta"):
                model = build_model(f"shufflenet_v1_g{groups}_{scale}")
            assert n_params(model) == shufflenet_v1_params(groups, scale)
            assert model(torch.empty(1, 3, 224, 224, device="meta")).shape == (1, 1000)


@pytest.mark.parametrize("blocks", [(1, 1, 1), (1, 2, 13), (7, 2, 7)])
def test_shufflenet_units_per_stage(blocks: tuple[int, ...]) -> None:
    with torch.device("meta"):
        v1 = build_model("shufflenet_v1_g8", blocks=blocks)
        v2 = build_model("shufflenet_v2_1.0", blocks=blocks)
    assert n_params(v1) == shufflenet_v1_params(8, 1.0, blocks)
    for model in (v1, v2):
        assert tuple(len(stage) for stage in (model.stage2, model.stage3, model.stage4)) == blocks
        assert model(torch.empty(1, 3, 224, 224, device="meta")).shape == (1, 1000)
    assert [unit.stride for stage in (v2.stage2, v2.stage3, v2.stage4) for unit in stage] == [
        2 if j == 0 else 1 for n in blocks for j in range(n)]
    with pytest.raises(ConfigError, match="shufflenet_v2: blocks must be 3 integers >= 1"):
        build_model("shufflenet_v2_1.0", blocks=(4, 8, 0))


def test_shufflenet_v1_stem_override() -> None:
    # The authors' release keeps a 24-channel stem at 1.5x.
    with torch.device("meta"):
        model = build_model("shufflenet_v1_g3_1.5", stem_channels=24)
    assert model.stem.conv.out_channels == 24
    with pytest.raises(ConfigError, match="stem_channels"):
        build_model("shufflenet_v1_g3", stem_channels=25)  # 240 - 25 is not divisible by 3


def test_shufflenet_v2_parameters() -> None:
    # Golden: torchvision lists shufflenet_v2_x0_5 / x1_0 / x1_5 / x2_0 (the same layout) at
    # 1,366,792 / 2,278,604 / 3,503,624 / 7,393,996 parameters.
    goldens = {"0.5": 1_366_792, "1.0": 2_278_604, "1.5": 3_503_624, "2.0": 7_393_996}
    for scale, golden in goldens.items():
        assert n_params(meta_model(f"shufflenet_v2_{scale}")) == golden


def test_shufflenet_models_have_no_conv_bias_and_a_classifier_bias() -> None:
    for name in ("shufflenet_v1_g3", "shufflenet_v2_1.0", "mobilenet_v1", "mobilenet_v2"):
        model = meta_model(name)
        assert all(m.bias is None for m in model.modules() if isinstance(m, nn.Conv2d))
        assert model.fc.bias is not None
