"""Checks of an ONNX model before and after shape inference: a file that contradicts itself is a
one-line :class:`~hwsim.errors.GraphFileError` naming the file, the node or tensor, the value and
what was expected -- never a layer sized from a guess.

- :func:`check_structure` (before inference): names and op types are UTF-8 text; graph inputs are named once and are tensors whose
  fixed dims are >= 1; initializer dims are >= 0; every tensor is written once; every node reads
  only graph inputs, initializers and tensors an *earlier* node wrote (so a cycle, a node out of
  order or a missing initializer is refused, not read as a scalar); attributes have the type
  the operator's schema declares (``group`` an INT, ``strides`` INTS ...).
- :func:`check_inferred` (after inference): no inferred tensor shape has a dim <= 0 (a window
  larger than its padded input, a reshape to zero elements).
- :func:`node_error` (when a node hwsim would size has a tensor ONNX left without a shape): the
  reason ONNX's strict shape inference gives for that node alone, or None where there is none
  (a shape known only at run time: the op is then listed as unsupported, never sized).
"""

from __future__ import annotations

from typing import Any

import onnx
from onnx import defs, helper

from hwsim.errors import GraphFileError

__all__ = ["check_inferred", "check_structure", "describe", "node_error"]


def describe(node: Any) -> str:
    """``node 'name' (OpType)`` (the first output it writes when the node has no name)."""
    name = node.name or next((out for out in node.output if out), "")
    return f"node {name!r} ({node.op_type})"


def _check_inputs(graph: onnx.GraphProto, source: str, initializers: set[str]) -> None:
    seen: set[str] = set()
    for value in graph.input:
        if value.name in seen:
            raise GraphFileError(f"{source}: graph input {value.name!r} is declared twice: expected unique input names")
        seen.add(value.name)
        if value.name in initializers:
            continue
        if not value.type.HasField("tensor_type"):
            raise GraphFileError(f"{source}: graph input {value.name!r} has no tensor type: expected a tensor input")
        for axis, dim in enumerate(value.type.tensor_type.shape.dim):
            if dim.HasField("dim_value") and dim.dim_value <= 0:
                raise GraphFileError(f"{source}: graph input {value.name!r} dim {axis} = {dim.dim_value}: "
                                     "expected a size >= 1 or a named free dim")


def _check_order(graph: onnx.GraphProto, source: str, known: set[str]) -> None:
    """Every tensor written once; every node reads tensors already there (topological order)."""
    writers = {out: node for node in graph.node for out in node.output if out}
    written: dict[str, Any] = {}
    for node in graph.node:
        for name in node.input:
            if not name or name in known or name in written:
                continue
            if name in writers:
                raise GraphFileError(f"{source}: {describe(node)} reads {name!r} before {describe(writers[name])} writes it: "
                                     "expected nodes in topological order (no cycles)")
            raise GraphFileError(f"{source}: {describe(node)} reads {name!r}, which no node, graph input or initializer "
                                 "provides: expected every input to exist")
        if not any(node.output):
            raise GraphFileError(f"{source}: {describe(node)} writes no tensor: expected at least one output")
        for name in node.output:
            if not name:
                continue
            if name in known or name in written:
                first = f"by {describe(written[name])}" if name in written else "as a graph input or initializer"
                raise GraphFileError(f"{source}: {describe(node)} writes {name!r}, already given {first}: "
                                     "expected every tensor written once")
            written[name] = node


def _check_attributes(node: Any, source: str) -> None:
    try:
        schema = defs.get_schema(node.op_type, node.domain)
    except Exception:  # an op with no schema (a custom domain): listed as unsupported later
        return
    given_names = {attr.name for attr in node.attribute}
    for name, declared in schema.attributes.items():
        if declared.required and name not in given_names:
            raise GraphFileError(f"{source}: {describe(node)}: attribute {name} missing: expected it (the operator requires it)")
    for attr in node.attribute:
        declared = schema.attributes.get(attr.name)
        if declared is None or int(declared.type) == int(attr.type):
            continue
        wanted = onnx.AttributeProto.AttributeType.Name(int(declared.type))
        given = onnx.AttributeProto.AttributeType.Name(attr.type) if attr.type in onnx.AttributeProto.AttributeType.values() \
            else str(attr.type)
        raise GraphFileError(f"{source}: {describe(node)}: attribute {attr.name} is {given}: expected {wanted}")


def _check_text(graph: onnx.GraphProto, source: str) -> None:
    """Names, op types and domains are text (protobuf hands over bytes where they are not UTF-8)."""
    values = [("graph input", v.name) for v in (*graph.input, *graph.output, *graph.value_info)]
    values += [("initializer", init.name) for init in graph.initializer]
    for index, node in enumerate(graph.node):
        texts = [node.name, node.op_type, node.domain, *node.input, *node.output, *(a.name for a in node.attribute)]
        values += [(f"node {index}", text) for text in texts]
    for where, text in values:
        if not isinstance(text, str):
            raise GraphFileError(f"{source}: {where}: name {bytes(text)[:40]!r} is not UTF-8 text: expected a text name")


def check_structure(model: onnx.ModelProto, source: str) -> None:
    """The checks made before shape inference (module docstring)."""
    graph = model.graph
    _check_text(graph, source)
    initializers = {init.name for init in graph.initializer}
    for init in graph.initializer:
        if any(d < 0 for d in init.dims):
            raise GraphFileError(f"{source}: initializer {init.name!r} has dims {list(init.dims)}: expected sizes >= 0")
    _check_inputs(graph, source, initializers)
    _check_order(graph, source, initializers | {value.name for value in graph.input})
    for node in graph.node:
        _check_attributes(node, source)


def check_inferred(model: onnx.ModelProto, source: str) -> None:
    """No inferred shape has a dim <= 0 (module docstring)."""
    writers = {out: node for node in model.graph.node for out in node.output if out}
    for value in (*model.graph.value_info, *model.graph.output):
        dims = value.type.tensor_type.shape.dim
        if all(d.HasField("dim_value") for d in dims) and any(d.dim_value <= 0 for d in dims):
            shape = tuple(int(d.dim_value) for d in dims)
            node = writers.get(value.name)
            where = describe(node) if node is not None else "the model"
            raise GraphFileError(f"{source}: {where} writes {value.name!r} of shape {shape}: expected every dim >= 1")


def _one_line(exc: BaseException) -> str:
    """The last ``[...Error] reason`` of ONNX's message, on one line."""
    text = " ".join(str(exc).split())
    for marker in ("[ShapeInferenceError]", "[TypeInferenceError]"):
        if marker in text:
            text = text.rsplit(marker, 1)[1]
    return text.strip() or type(exc).__name__


def node_error(model: onnx.ModelProto, node: Any, source: str) -> str | None:
    """Why ONNX cannot infer the shapes of ``node`` from its known inputs (module docstring); the
    node's initializers and ``Constant`` producers go with it, so constant shapes are seen."""
    graph = model.graph
    known = {v.name: v for v in (*graph.input, *graph.value_info, *graph.output)}
    initializers = [init for init in graph.initializer if init.name in node.input]
    constants = [n for n in graph.node if n.op_type == "Constant" and any(o in node.input for o in n.output)]
    given = {init.name for init in initializers} | {o for n in constants for o in n.output}
    inputs = [known.get(name) or onnx.ValueInfoProto(name=name) for name in node.input if name and name not in given]
    single = helper.make_graph([*constants, node], "node", inputs, [onnx.ValueInfoProto(name=o) for o in node.output if o],
                               initializer=initializers)
    try:
        onnx.shape_inference.infer_shapes(helper.make_model(single, opset_imports=model.opset_import,
                                                            ir_version=model.ir_version or 8),
                                          check_type=False, strict_mode=True, data_prop=True)
    except Exception as exc:  # onnx raises InferenceError and others
        return f"{source}: {describe(node)}: {_one_line(exc)}: expected a node ONNX shape inference accepts"
    return None
