"""The model source ``.onnx``: load_graph and the CLI read ONNX files; measuring one is refused."""

from __future__ import annotations

import json

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from hwsim.sources import load_graph
from tests.cli_helpers import assert_clean_error, hwsim


def tiny_onnx(path, batch="n"):
    """Conv 3 -> 4 (3x3, pad 1) on a free-batch 3x8x8 input, then ReLU and a global average pool."""
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="/features/features.0/Conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="/features/features.1/Relu"),
        helper.make_node("GlobalAveragePool", ["r"], ["y"], name="/pool/GlobalAveragePool"),
    ]
    weight = numpy_helper.from_array(np.zeros((4, 3, 3, 3), dtype=np.float32), "w")
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=[weight])
    onnx.save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def test_load_graph_reads_an_onnx_file(tmp_path):
    path = tiny_onnx(tmp_path / "tiny.onnx")
    graph = load_graph(str(path), batch=3)
    assert (graph.name, graph.input_shape) == ("tiny", (3, 3, 8, 8))
    assert [(l.name, l.op, l.fused) for l in graph.layers] == [("features.0", "conv", ("relu",)), ("pool", "global_pool", ())]
    assert graph.macs == 3 * 8 * 8 * 4 * 27 and graph.params == 4 * 27


def test_profile_and_export_an_onnx_file(tmp_path):
    path = tiny_onnx(tmp_path / "tiny.onnx")
    proc = hwsim("profile", str(path), "--accel", "ws_8x8", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [row["layer"] for row in out["layers"]] == ["features.0", "pool"]
    assert out["totals"]["macs"] == 8 * 8 * 4 * 27 and "coverage" not in out["totals"]
    proc = hwsim("export", str(path), "-o", str(tmp_path / "tiny.json"), "--batch", "2", "--strict")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "tiny.json").read_text())["input_shape"] == [2, 3, 8, 8]


def test_onnx_errors_are_one_line(tmp_path):
    assert_clean_error(hwsim("profile", str(tmp_path / "none.onnx"), "--accel", "ws_8x8"), "none.onnx: model file not found")
    fixed = tiny_onnx(tmp_path / "fixed.onnx", batch=1)
    assert_clean_error(hwsim("profile", str(fixed), "--accel", "ws_8x8", "--batch", "4"),
                       "fixed.onnx: input 'x' has a fixed batch (1x3x8x8); it cannot be changed to 4")
    assert_clean_error(hwsim("measure", str(fixed)), "fixed.onnx: cannot measure a graph, topology or ONNX file")
