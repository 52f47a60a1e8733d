"""The hostile corpus for ONNX files: malformed, self-contradicting or oversized models over the
subcommands that read them, each one clean error line (tests/hostile_helpers.py); unknown ops
are listed, never dropped nor sized from a guess; hypothesis mutates the bytes and the fields of
a small valid model: a graph that passes the output guard, or one HwsimError line, quickly."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from hwsim.cli.common import simulate_on
from hwsim.export.onnx_front import export_onnx

from tests.hostile_helpers import Case, check_case, quick, run_cli

X = (1, 3, 8, 8)


def value(name: str, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, None if shape is None else list(shape))


def tensor(name: str, dims, data_type=TensorProto.FLOAT) -> onnx.TensorProto:
    """An initializer of ``dims`` without data (any dims, negative or beyond int64 products included)."""
    proto = onnx.TensorProto(name=name, data_type=data_type)
    proto.dims.extend(dims)
    return proto


def ints(name: str, values) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(values, dtype=np.int64), name)


def model(nodes, inputs=None, inits=(), opset=17, outputs=None) -> bytes:
    """A serialized model: ``nodes`` on the input ``x`` of shape X (unless ``inputs``), ending in ``y``."""
    graph = helper.make_graph(nodes, "m", [value("x", X)] if inputs is None else inputs,
                              outputs or [value("y", None)], initializer=list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]).SerializeToString()


def one(op: str, *inputs: str, inits=(), x=X, **attrs) -> bytes:
    """A model of one node ``op`` reading ``x`` (and ``inputs``) and writing ``y``."""
    return model([helper.make_node(op, ["x", *inputs], ["y"], name=f"n_{op.lower()}", **attrs)], [value("x", x)], inits)


def conv(weight=(4, 3, 3, 3), x=X, **attrs) -> bytes:
    attrs.setdefault("pads", [1, 1, 1, 1])
    w = tensor("w", weight) if min(weight) <= 0 else numpy_helper.from_array(np.zeros(weight, np.float32), "w")
    return one("Conv", "w", inits=[w], x=x, **attrs)


def onnx_case(id_: str, content: bytes, *fragments: str, command: str = "profile", extra: tuple[str, ...] = ()) -> Case:
    argv = {"profile": ("profile", "{d}/m.onnx", "--accel", "ws_8x8"),
            "export": ("export", "{d}/m.onnx", "-o", "{d}/g.json"),
            "compare": ("compare", "alexnet,{d}/m.onnx", "--accel", "ws_8x8"),
            "sweep": ("sweep", "{d}/m.onnx", "--accel", "ws_8x8", "--set", "array.rows=4,8", "-o", "{d}/s.csv")}[command]
    return Case(f"onnx-{id_}", (*argv, *extra), ("m.onnx", *fragments), {"m.onnx": content})


VALID = conv()
CONV = "node 'n_conv' (Conv)"
RELU_CHAIN = [helper.make_node("Relu", ["x"], ["a"], name="r1"), helper.make_node("Relu", ["a"], ["y"], name="r2")]

ONNX_CASES = [
    # not ONNX at all
    onnx_case("truncated", VALID[: len(VALID) // 2], "not a readable ONNX model", "expected a serialized ModelProto"),
    onnx_case("not-protobuf", b"hello, this is not a model", "not a readable ONNX model"),
    onnx_case("random-bytes", bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8)), "not a readable"),
    onnx_case("empty-file", b"", "the ONNX graph has no nodes: expected at least one"),
    onnx_case("no-inputs", model([helper.make_node("Constant", [], ["y"], value=numpy_helper.from_array(np.zeros(3, np.float32)))],
                                 inputs=[]), "the ONNX graph has no inputs: expected at least one"),
    # graph structure
    onnx_case("cycle", model([helper.make_node("Add", ["x", "b"], ["a"], name="add"), helper.make_node("Relu", ["a"], ["b"], name="relu"),
                              helper.make_node("Relu", ["b"], ["y"], name="out")]),
              "node 'add' (Add) reads 'b' before node 'relu' (Relu) writes it", "topological order (no cycles)"),
    onnx_case("self-loop", model([helper.make_node("Add", ["x", "y"], ["y"], name="add")]), "node 'add' (Add) reads 'y' before"),
    onnx_case("out-of-order", model(RELU_CHAIN[::-1]), "node 'r2' (Relu) reads 'a' before node 'r1' (Relu) writes it"),
    onnx_case("missing-initializer", one("Conv", "w"), f"{CONV} reads 'w', which no node, graph input or initializer provides"),
    onnx_case("written-twice", model([helper.make_node("Relu", ["x"], ["y"], name="r"), helper.make_node("Sigmoid", ["x"], ["y"], name="s")]),
              "node 's' (Sigmoid) writes 'y', already given by node 'r' (Relu): expected every tensor written once"),
    onnx_case("overwrites-input", model([helper.make_node("Relu", ["x"], ["x"], name="r"), helper.make_node("Relu", ["x"], ["y"])]),
              "node 'r' (Relu) writes 'x', already given as a graph input or initializer"),
    onnx_case("no-output", model([helper.make_node("Relu", ["x"], [""], name="r")]), "node 'r' (Relu) writes no tensor"),
    onnx_case("input-twice", model([helper.make_node("Relu", ["x"], ["y"])], inputs=[value("x", X), value("x", X)]),
              "graph input 'x' is declared twice"),
    onnx_case("input-untyped", model([helper.make_node("Relu", ["x"], ["y"])], inputs=[onnx.ValueInfoProto(name="x")]),
              "graph input 'x' has no tensor type: expected a tensor input"),
    # input dims
    onnx_case("input-dim-zero", model([helper.make_node("Relu", ["x"], ["y"])], inputs=[value("x", (1, 3, 0, 8))]),
              "graph input 'x' dim 2 = 0: expected a size >= 1 or a named free dim"),
    onnx_case("input-dim-negative", model([helper.make_node("Relu", ["x"], ["y"])], inputs=[value("x", (1, -3, 8, 8))]),
              "graph input 'x' dim 1 = -3"),
    onnx_case("input-dim-huge", conv(x=(1, 3, 10**12, 8)), "h = 1,000,000,000,000: expected at most 2^31 - 1"),
    onnx_case("input-dim-int64-max", conv(x=(1, 3, 2**63 - 1, 8)), CONV, "Integer overflow"),
    onnx_case("input-tensor-limit", model([helper.make_node("Relu", ["x"], ["y"])], inputs=[value("x", (2**20, 2**20, 4))]),
              "expected at most 2^40"),
    onnx_case("free-dims", model([helper.make_node("Relu", ["x"], ["y"])], inputs=[value("x", ("n", 3, "h", "w"))]),
              "input 'x' has free dims (1x3xhxw)", "expected --input-size HxW"),
    onnx_case("fixed-batch", VALID, "input 'x' has a fixed batch (1x3x8x8); it cannot be changed to 4", extra=("--batch", "4")),
    onnx_case("fixed-size", VALID, "fixed input size (1x3x8x8); it cannot be changed to 16", extra=("--input-size", "16")),
    # initializers
    onnx_case("weight-dims-negative", conv(weight=(-4, 3, 3, 3)), "initializer 'w' has dims [-4, 3, 3, 3]: expected sizes >= 0"),
    onnx_case("weight-huge", one("Conv", "w", inits=[tensor("w", [10**11, 3, 3, 3])]), "layer 'n_conv': k = 100,000,000,000: expected at most 2^31 - 1"),
    onnx_case("weight-beyond-int64", one("Add", "w", inits=[tensor("w", [2**63 - 1, 2**63 - 1])]), "node 'n_add' (Add)",
              "Incompatible dimensions"),
    # attributes
    onnx_case("stride-zero", conv(strides=[0, 1]), CONV, "strides must only contain positive values"),
    onnx_case("stride-negative", conv(strides=[-2, -2]), CONV, "strides must only contain positive values"),
    onnx_case("stride-huge", conv(strides=[2**40, 1]), "stride_h = 1,099,511,627,776: expected at most 2^31 - 1"),
    onnx_case("pads-negative", conv(pads=[-1, 0, 0, 0]), CONV, "pads must not contain negative values"),
    onnx_case("pads-huge", conv(pads=[10**12] * 4), "p = 2,000,000,000,006: expected at most 2^31 - 1"),
    onnx_case("dilation-zero", conv(dilations=[0, 0]), CONV, "dilations must only contain positive values"),
    onnx_case("kernel-not-weight", conv(kernel_shape=[5, 5]), CONV, "kernel_shape [5, 5]: expected the weight 'w''s [3, 3]"),
    onnx_case("kernel-over-input", conv(weight=(4, 3, 11, 11), pads=[0, 0, 0, 0]), "writes 'y' of shape (1, 4, -2, -2): "
              "expected every dim >= 1"),
    onnx_case("channels", conv(weight=(4, 5, 3, 3)), CONV, "reads 5 channels: expected the 3 of input 'x'"),
    onnx_case("group-not-dividing", conv(group=2), CONV, "(C/group at dim 1, group 2) reads 6 channels: expected the 3"),
    onnx_case("group-zero", conv(group=0), CONV, "group = 0: expected an integer >= 1"),
    onnx_case("group-huge", conv(group=10**15), CONV, "group 1000000000000000"),
    onnx_case("group-string", conv(group="two"), CONV, "attribute group is STRING: expected INT"),
    onnx_case("strides-float", conv(strides=[1.5, 1.5]), CONV, "attribute strides is FLOATS: expected INTS"),
    onnx_case("conv-transpose-channels", one("ConvTranspose", "w", inits=[numpy_helper.from_array(np.zeros((5, 4, 3, 3), np.float32), "w")]),
              "node 'n_convtranspose' (ConvTranspose)", "reads 5 channels: expected the 3"),
    onnx_case("pool-kernel-zero", one("MaxPool", kernel_shape=[0, 0]), "node 'n_maxpool' (MaxPool)", "kernel_shape must only contain positive"),
    onnx_case("pool-kernel-missing", one("MaxPool"), "node 'n_maxpool' (MaxPool): attribute kernel_shape missing"),
    onnx_case("pool-kernel-over-input", one("AveragePool", kernel_shape=[100, 100]), "of shape (1, 3, -91, -91)"),
    onnx_case("lrn-size-zero", one("LRN", size=0), "node 'n_lrn' (LRN): size = 0: expected a channel window >= 1"),
    onnx_case("lrn-size-huge", one("LRN", size=10**15), "r = 1,000,000,000,000,000: expected at most 2^31 - 1"),
    onnx_case("concat-axis", one("Concat", "x", axis=2**40), "node 'n_concat' (Concat): axis = 1099511627776: expected an axis "
              "from -4 to 3"),
    onnx_case("transpose-perm", one("Transpose", perm=[0, 0, 9, -1]), "node 'n_transpose' (Transpose)", "repeated value"),
    onnx_case("reduce-axis", model([helper.make_node("ReduceMean", ["x"], ["y"], name="mean", axes=[7])], opset=13),
              "node 'mean' (ReduceMean)", "axis must be in [-rank, rank-1]"),
    # shapes that contradict each other
    onnx_case("reshape-count", one("Reshape", "s", inits=[ints("s", [5, 7])]), "node 'n_reshape' (Reshape): reads 192 elements "
              "[1, 3, 8, 8] and writes 35 [5, 7]: expected as many elements out as in"),
    onnx_case("reshape-overflow", one("Reshape", "s", inits=[ints("s", [2**62, 2**62])]), "Dimension product overflow"),
    onnx_case("expand-incompatible", one("Expand", "s", inits=[ints("s", [10**6, 3, 10**6, 8])]), "node 'n_expand' (Expand)",
              "Incompatible dimensions"),
    onnx_case("matmul-mismatch", one("MatMul", "m", inits=[numpy_helper.from_array(np.zeros((5, 5), np.float32), "m")]),
              "node 'n_matmul' (MatMul)", "Incompatible dimensions for matrix multiplication"),
    onnx_case("gemm-huge", one("Gemm", "m", x=(1, 2**31), transB=1, inits=[tensor("m", [4, 2**31])]), "c = 2,147,483,648"),
    onnx_case("constant-of-shape-huge", model([helper.make_node("ConstantOfShape", ["s"], ["c"]), helper.make_node("Add", ["x", "c"], ["y"],
                                                                                                              name="add")],
                                              inits=[ints("s", [10**9, 10**9])]), "node 'add' (Add)", "Incompatible dimensions"),
    # nothing hwsim can simulate: what was left out is listed
    onnx_case("only-unknown-op", one("Zorg"), "the model has no layers hwsim can simulate (expected at least one); left out: Zorg x1"),
    onnx_case("only-control-flow", model([helper.make_node(
        "If", ["c"], ["y"], then_branch=helper.make_graph([helper.make_node("Relu", ["x"], ["t"])], "t", [], [value("t", X)]),
        else_branch=helper.make_graph([helper.make_node("Sigmoid", ["x"], ["e"])], "e", [], [value("e", X)]))],
        inputs=[value("x", X), value("c", [], TensorProto.BOOL)]), "left out: If x1"),
    onnx_case("custom-domain-undeclared", model([helper.make_node("FooBar", ["x"], ["y"], domain="com.acme")]),
              "ONNX shape inference failed", "No opset import for domain com.acme", "expected a model it accepts"),
    # the other subcommands that read models
    onnx_case("export-channels", conv(weight=(4, 5, 3, 3)), "reads 5 channels", command="export"),
    onnx_case("export-truncated", VALID[:-7], "not a readable ONNX model", command="export"),
    onnx_case("compare-cycle", model(RELU_CHAIN[::-1]), "reads 'a' before", command="compare"),
    onnx_case("sweep-stride", conv(strides=[0, 0]), "strides must only contain positive values", command="sweep"),
    onnx_case("sweep-free-dims", model([helper.make_node("Relu", ["x"], ["y"])], inputs=[value("x", (1, 3, "h", "w"))]),
              "has free dims", command="sweep"),
]


@pytest.mark.parametrize("case", ONNX_CASES, ids=lambda case: case.id)
def test_hostile_onnx_is_one_clean_line(tmp_path, case):
    check_case(tmp_path, case)


def test_unknown_ops_are_listed_and_what_follows_them_is_never_sized_from_a_guess(tmp_path):
    """An op ONNX knows nothing of, in the middle: listed by its domain and type; the ReLU after
    it (whose input has no shape) is listed too, not an activation of one element; the conv
    before it is simulated."""
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Frobnicate", ["c"], ["f"], name="frob", domain="com.acme"),
             helper.make_node("Relu", ["f"], ["y"], name="relu")]
    graph = helper.make_graph(nodes, "m", [value("x", X)], [value("y", None)],
                              initializer=[numpy_helper.from_array(np.zeros((4, 3, 3, 3), np.float32), "w")])
    path = tmp_path / "m.onnx"
    onnx.save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.acme", 1)]), path)
    code, out, err, _ = run_cli(["profile", str(path), "--accel", "ws_8x8", "--format", "json"])
    assert code == 0, err
    data = json.loads(out)
    assert [row["layer"] for row in data["layers"]] == ["conv"]
    assert data["totals"]["coverage"]["left_out"] == {"com.acme.Frobnicate": {"count": 1, "macs": None},
                                                      "Relu": {"count": 1, "macs": None}}
    assert data["totals"]["macs"] == 8 * 8 * 4 * 27  # the conv's: P x Q x K x (C x R x S)


# --------------------------------------------------------------------------------------------
# Fuzzing: bytes and fields of a small valid model


def small_model() -> onnx.ModelProto:
    """Conv (pads, strides, group 1) -> BatchNorm -> Relu -> MaxPool -> Reshape -> Gemm: the attributes
    and initializers a mutation can break."""
    f = lambda name, *shape: numpy_helper.from_array(np.ones(shape, np.float32), name)  # noqa: E731
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1], strides=[1, 1], group=1),
             helper.make_node("BatchNormalization", ["c", "s", "t", "m", "v"], ["n"], name="bn"),
             helper.make_node("Relu", ["n"], ["r"], name="relu"),
             helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Reshape", ["p", "shape"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "fc", "fb"], ["y"], name="fc", transB=1)]
    inits = [f("w", 4, 3, 3, 3), f("b", 4), f("s", 4), f("t", 4), f("m", 4), f("v", 4), ints("shape", [1, 64]),
             f("fc", 10, 64), f("fb", 10)]
    graph = helper.make_graph(nodes, "small", [value("x", X)], [value("y", None)], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


SMALL = small_model()
SMALL_BYTES = SMALL.SerializeToString()


def read_and_simulate(path) -> None:
    """The ONNX reader, then (for a graph with layers) the simulator and its output guard."""
    graph = export_onnx(path)
    if graph.layers:
        simulate_on(graph, "ws_8x8")


def test_the_small_model_is_valid(tmp_path):
    path = tmp_path / "small.onnx"
    path.write_bytes(SMALL_BYTES)
    graph = export_onnx(path)
    assert [(layer.name, layer.op, layer.macs) for layer in graph.layers] == [
        ("conv", "conv", 8 * 8 * 4 * 27), ("pool", "pool", 0), ("flat", "reshape", 0), ("fc", "linear", 64 * 10)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.integers(0, len(SMALL_BYTES) - 1), st.sampled_from(["flip", "cut", "insert", "zero"]),
                                st.integers(0, 255)), min_size=1, max_size=4))
def test_fuzz_onnx_bytes(tmp_path, edits):
    data = bytearray(SMALL_BYTES)
    for offset, kind, byte in edits:
        offset = min(offset, max(len(data) - 1, 0))
        if kind == "flip" and data:
            data[offset] ^= byte or 1
        elif kind == "cut":
            del data[offset:]
        elif kind == "insert":
            data[offset:offset] = bytes([byte]) * (1 + byte % 7)
        elif data:
            data[offset] = 0
    path = tmp_path / "m.onnx"
    path.write_bytes(bytes(data))
    quick(read_and_simulate, path)


field_values = st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, -1, 1, 2, 3, 7, 2**31, 2**40, 2**62]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(["attr", "init-dim", "input-dim", "input-name", "op-type", "drop-node", "drop-init"]),
       index=st.integers(0, 64), number=field_values, text=st.sampled_from(["x", "c", "y", "", "Zorg", "Relu", "w", "Conv"]))
def test_fuzz_onnx_fields(tmp_path, where, index, number, text):
    proto = onnx.ModelProto()
    proto.CopyFrom(SMALL)
    graph = proto.graph
    node = graph.node[index % len(graph.node)]
    if where == "attr" and node.attribute:
        attr = node.attribute[index % len(node.attribute)]
        if attr.ints:
            attr.ints[index % len(attr.ints)] = number
        else:
            attr.i = number
    elif where == "init-dim":
        init = graph.initializer[index % len(graph.initializer)]
        if init.dims:
            init.dims[index % len(init.dims)] = number
    elif where == "input-dim":
        graph.input[0].type.tensor_type.shape.dim[index % 4].dim_value = number
    elif where == "input-name":
        node.input[index % len(node.input)] = text
    elif where == "op-type":
        node.op_type = text or "Identity"
    elif where == "drop-node":
        del graph.node[index % len(graph.node)]
    else:
        del graph.initializer[index % len(graph.initializer)]
    path = tmp_path / "m.onnx"
    path.write_bytes(proto.SerializeToString())
    quick(read_and_simulate, path)
