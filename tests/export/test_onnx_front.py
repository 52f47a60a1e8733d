"""ONNX files end to end: zoo models exported with torch.onnx and imported back give the same
per-layer MACs as the fx export; a file whose external weights are missing imports; free input
dims are filled; decomposed GELU and LayerNorm collapse; bad files are one-line errors."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from hwsim.errors import ConfigError, GraphFileError
from hwsim.export import export
from hwsim.export.onnx_front import export_onnx
from hwsim.models import build_model, resolve_model
from hwsim.models.reference import VisionTransformer


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def to_onnx(module: nn.Module, shape, path: Path, opset: int = 17, **kwargs) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), (torch.zeros(shape),), str(path), dynamo=False, opset_version=opset, **kwargs)
    return path


# the zoo's families: LRN and big linears, fire concats, inverted residuals, channel shuffles, splits, 1x3/3x1
ROUND_TRIP = ["alexnet", "squeezenet1_0", "mobilenet_v2", "shufflenet_v1_g3", "shufflenet_v2_1.0", "squeezenext_23"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ROUND_TRIP)
def test_zoo_round_trip_gives_the_same_per_layer_macs(tmp_path, name):
    spec = resolve_model(name)
    model = build_model(spec)
    shape = (1, *spec.input_shape)
    fx = export(model, shape, name=name)
    back = export_onnx(to_onnx(model, shape, tmp_path / f"{name}.onnx"))
    assert [(layer.name, layer.macs) for layer in back.gemm_layers] == [(layer.name, layer.macs) for layer in fx.gemm_layers]
    assert back.unsupported == ()
    if name != "alexnet":  # torch.onnx writes LocalResponseNorm as pad, 3-D pool and arithmetic
        # the same layers with the same elements (the exporter folds batch-norms before hwsim sees them)
        same = lambda g: [(l.op, l.macs, l.input_elements, l.output_elements, l.groups) for l in g.layers]  # noqa: E731
        assert same(back) == same(fx)


def test_a_file_whose_external_weights_are_missing_imports(tmp_path):
    model = VisionTransformer(dim=64, depth=1, heads=2, image=64, classes=10)
    inline = export_onnx(to_onnx(model, (1, 3, 64, 64), tmp_path / "vit.onnx"))
    proto = onnx.load(tmp_path / "vit.onnx")
    external = tmp_path / "split" / "vit.onnx"
    external.parent.mkdir()
    onnx.save_model(proto, external, save_as_external_data=True, all_tensors_to_one_file=True, location="weights.bin",
                    size_threshold=256)
    (external.parent / "weights.bin").unlink()  # structure needs no weight values
    graph = export_onnx(external)
    assert [(l.name, l.op, l.macs, l.params) for l in graph.layers] == [(l.name, l.op, l.macs, l.params) for l in inline.layers]
    # 10 classes x 64 + 17 tokens x 3 heads... every MAC of the ViT, attention matmuls included
    assert graph.macs == export(model, (1, 3, 64, 64)).macs and graph.unsupported == ()


def test_decomposed_gelu_and_layer_norm_of_opset_11_collapse(tmp_path):
    block = nn.Sequential(nn.LayerNorm(16), nn.Linear(16, 32), nn.GELU(), nn.Linear(32, 16))
    graph = export_onnx(to_onnx(block, (1, 5, 16), tmp_path / "mlp.onnx", opset=11))
    assert [(l.name, l.op, l.mode, l.fused) for l in graph.layers] == [
        ("0", "norm", "layer", ()), ("1", "linear", "", ("gelu",)), ("3", "linear", "", ())]
    assert graph.layers[0].params == 32  # the LayerNorm's scale and shift
    assert graph.macs == 5 * 16 * 32 * 2


def test_free_input_dims_take_the_batch_and_input_size(tmp_path):
    conv = nn.Conv2d(3, 4, 3, padding=1)
    path = to_onnx(conv, (1, 3, 8, 8), tmp_path / "conv.onnx", input_names=["x"],
                   dynamic_axes={"x": {0: "batch", 2: "height", 3: "width"}})
    graph = export_onnx(path, input_size=(16, 12), batch=2)
    (layer,) = graph.layers
    assert graph.input_shape == (2, 3, 16, 12) and (layer.n, layer.p, layer.q) == (2, 16, 12)
    assert layer.macs == 2 * 16 * 12 * 4 * 27
    with pytest.raises(ConfigError, match="has free dims .*expected --input-size"):
        export_onnx(path)
    fixed = to_onnx(conv, (1, 3, 8, 8), tmp_path / "fixed.onnx")
    with pytest.raises(ConfigError, match="fixed input size .*cannot be changed to 16"):
        export_onnx(fixed, input_size=(16, 16))
    assert export_onnx(fixed).input_shape == (1, 3, 8, 8)


def test_shape_arithmetic_is_folded_before_shape_inference(tmp_path):
    # x (2, 6, 4) -> Reshape to (Shape(x)[0], 3, -1) computed at run time -> (2, 3, 8) -> Softmax
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
        helper.make_node("Unsqueeze", ["batch", "axes"], ["batch1"]),
        helper.make_node("Concat", ["batch1", "rest"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["r"]),
        helper.make_node("Softmax", ["r"], ["y"], axis=-1),
    ]
    inits = [numpy_helper.from_array(np.asarray(0, dtype=np.int64), "zero"),
             numpy_helper.from_array(np.asarray([0], dtype=np.int64), "axes"),
             numpy_helper.from_array(np.asarray([3, -1], dtype=np.int64), "rest")]
    graph_proto = helper.make_graph(nodes, "m", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 6, 4])],
                                    [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=inits)
    path = tmp_path / "reshape.onnx"
    onnx.save_model(helper.make_model(graph_proto, opset_imports=[helper.make_opsetid("", 13)]), path)
    graph = export_onnx(path, batch=2)
    reshape, softmax = graph.layers
    assert (reshape.op, softmax.op, softmax.input_elements) == ("reshape", "softmax", 48)
    assert (softmax.n, softmax.c, softmax.h) == (2, 3, 8)


def test_bad_files_are_one_line_errors(tmp_path):
    with pytest.raises(GraphFileError, match="model file not found"):
        export_onnx(tmp_path / "missing.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x08\x07not a protobuf at all\xff\xff")
    with pytest.raises(GraphFileError, match="junk.onnx: not a readable ONNX model"):
        export_onnx(junk)
