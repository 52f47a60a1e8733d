"""Shapes of an ONNX model: free input dims filled, shape arithmetic folded, shape inference.

:func:`fill_inputs` gives free (symbolic) input dims the batch and input size asked for;
:func:`infer_shapes` runs ONNX shape inference, and where it leaves tensors without a shape
because a reshape's or expand's target is computed from shapes at run time (``Shape`` ->
``Gather``/``Slice`` -> ``Concat``, ``ConstantOfShape`` -> ``Where`` ...), evaluates those
nodes (with ONNX's reference implementation, one node at a time, on integer tensors and small
constants only: never on weights) and replaces them by ``Constant`` nodes, then infers again;
where inference stops at a shape-preserving op it cannot see through (an op defined as a
function, such as GroupNormalization), the op's input shape is carried to its output. The shapes
a file states (``value_info``) are recomputed, except for the outputs of ops ONNX has no schema
for (custom domains), which only the file can give.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from hwsim.errors import ConfigError, GraphFileError

__all__ = ["fill_inputs", "infer_shapes"]

#: Constants of at most this many elements are evaluated (shape tensors are a handful of ints).
_SMALL = 4096
#: Rounds of folding and inference (each round reaches one more reshape of a chain).
_ROUNDS = 16
#: Ops whose first output has their first input's shape (where ONNX's inference stops, e.g. at
#: an op defined as a function such as GroupNormalization, the shape is carried across).
_SAME_SHAPE = frozenset({
    "GroupNormalization", "LayerNormalization", "InstanceNormalization", "BatchNormalization", "LRN",
    "Softmax", "LogSoftmax", "Relu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "LeakyRelu", "Elu", "Selu",
    "Celu", "Gelu", "Softplus", "Softsign", "Mish", "PRelu", "Erf", "Sqrt", "Exp", "Log", "Neg", "Abs",
    "Reciprocal", "Clip", "Identity", "Dropout", "Cast", "CastLike",
})


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def fill_inputs(model: onnx.ModelProto, source: str, input_size: tuple[int, ...] | None, batch: int) -> tuple[int, ...]:
    """Fill the free dims of the model's inputs (module docstring); the first input's shape."""
    initializers = {init.name for init in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    if not inputs:
        raise GraphFileError(f"{source}: the ONNX graph has no inputs: expected at least one that is not an initializer")
    first_shape: tuple[int, ...] = ()
    for index, value in enumerate(inputs):
        dims = value.type.tensor_type.shape.dim
        rank = len(dims)
        wanted: dict[int, int] = {0: batch} if rank else {}
        if rank == 4 and input_size is not None and index == 0:
            wanted.update({2: input_size[0], 3: input_size[1]})
        shape = []
        for axis, dim in enumerate(dims):
            fixed = dim.dim_value if dim.HasField("dim_value") and dim.dim_value > 0 else None
            target = wanted.get(axis)
            if fixed is not None and target is not None and fixed != target and (axis or batch != 1):
                what = "batch" if axis == 0 else "input size"
                raise ConfigError(f"{source}: input {value.name!r} has a fixed {what} "
                                  f"({'x'.join(str(d.dim_value) for d in dims)}); it cannot be changed to {target} (expected "
                                  f"{'no --batch' if axis == 0 else 'no --input-size'} or the file's own)")
            if fixed is None:
                if target is None:
                    free = "x".join(d.dim_param or "?" if not d.dim_value else str(d.dim_value) for d in dims)
                    raise ConfigError(f"{source}: input {value.name!r} has free dims ({free}): expected --input-size HxW"
                                      " (and --batch) to fix them")
                dim.Clear()
                dim.dim_value = target
            shape.append(dim.dim_value)
        if index == 0:
            first_shape = tuple(shape)
    return first_shape


def _infer(model: onnx.ModelProto, source: str) -> onnx.ModelProto:
    try:
        return onnx.shape_inference.infer_shapes(model, check_type=False, strict_mode=False, data_prop=True)
    except Exception as exc:  # onnx raises InferenceError and others on inconsistent files
        raise GraphFileError(f"{source}: ONNX shape inference failed: {_one_line(exc)}; expected a model it accepts") from None


def _known_shapes(model: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    graph = model.graph
    shapes = {}
    for value in (*graph.input, *graph.value_info, *graph.output):
        kind = value.type.tensor_type
        if value.type.HasField("tensor_type") and kind.HasField("shape") and all(
            d.HasField("dim_value") for d in kind.shape.dim
        ):
            shapes[value.name] = tuple(int(d.dim_value) for d in kind.shape.dim)
    return shapes


def _shape_like(value: np.ndarray) -> bool:
    """A small tensor that is not a weight: integers, booleans, or a float scalar."""
    return value.size <= _SMALL and (value.dtype.kind not in "fc" or value.size <= 1)


def _evaluate(node: onnx.NodeProto, opsets: Any, feeds: dict[str, np.ndarray]) -> list[np.ndarray] | None:
    """The outputs of one node on known inputs (ONNX's reference implementation), or None."""
    from onnx.reference import ReferenceEvaluator

    names = [i for i in node.input if i]
    graph = helper.make_graph([node], "fold", [onnx.ValueInfoProto(name=n) for n in names],
                              [onnx.ValueInfoProto(name=o) for o in node.output if o])
    try:
        return list(ReferenceEvaluator(helper.make_model(graph, opset_imports=opsets)).run(None, {n: feeds[n] for n in names}))
    except Exception:  # an op the reference cannot run here: leave the node as it is
        return None


def _fold_round(model: onnx.ModelProto, shapes: dict[str, tuple[int, ...]]) -> bool:
    """Replace the shape-arithmetic nodes whose inputs are now known by constants; True if any was."""
    graph = model.graph
    values: dict[str, np.ndarray] = {}
    for init in graph.initializer:
        if init.data_location != onnx.TensorProto.EXTERNAL and int(np.prod(init.dims)) <= _SMALL:
            try:
                value = numpy_helper.to_array(init)
            except Exception:  # an initializer whose data cannot be decoded
                continue
            if _shape_like(value):
                values[init.name] = value
    data = {i.name for i in graph.input} - {init.name for init in graph.initializer}
    changed = False
    nodes = list(graph.node)
    for index, node in enumerate(nodes):
        inputs = [i for i in node.input if i]
        if node.op_type not in ("Shape", "Size") and any(i in data for i in inputs):
            data.update(o for o in node.output if o)
            continue
        outputs: list[np.ndarray] | None = None
        if node.op_type == "Constant":
            outputs = _evaluate(node, model.opset_import, {})
        elif node.op_type in ("Shape", "Size") and inputs and inputs[0] in shapes:
            outputs = _evaluate(node, model.opset_import, {inputs[0]: np.zeros(shapes[inputs[0]], dtype=np.int8)})
            if outputs is not None:
                outputs = [np.asarray(o, dtype=np.int64) for o in outputs]
        elif node.op_type not in ("Shape", "Size") and all(i in values for i in inputs):
            outputs = _evaluate(node, model.opset_import, values)
        if outputs is None or not all(_shape_like(np.asarray(o)) for o in outputs):
            continue
        for name, value in zip([o for o in node.output if o], outputs):
            values[name] = np.asarray(value)
        if node.op_type != "Constant" and len(node.output) == 1:
            nodes[index] = helper.make_node("Constant", [], [node.output[0]], name=node.name,
                                            value=numpy_helper.from_array(np.asarray(outputs[0]), node.output[0]))
            changed = True
    if changed:
        del graph.node[:]
        graph.node.extend(nodes)
    return changed


def _carry_round(model: onnx.ModelProto, shapes: dict[str, tuple[int, ...]]) -> bool:
    """Give the first output of a shape-preserving op its input's shape where inference left it
    without one; True if any was given."""
    types = {v.name: v.type.tensor_type.elem_type for v in (*model.graph.input, *model.graph.value_info)}
    changed = False
    for node in model.graph.node:
        if node.op_type in _SAME_SHAPE and node.input and node.input[0] in shapes and node.output[0] not in shapes:
            shape = shapes[node.input[0]]
            model.graph.value_info.append(helper.make_tensor_value_info(
                node.output[0], types.get(node.input[0]) or onnx.TensorProto.FLOAT, list(shape)))
            shapes[node.output[0]] = shape
            changed = True
    return changed


def _opaque_outputs(model: onnx.ModelProto) -> set[str]:
    """Outputs of nodes ONNX has no schema for (custom domains): only the file can state their shapes."""
    opaque = set()
    for node in model.graph.node:
        try:
            onnx.defs.get_schema(node.op_type, node.domain)
        except Exception:  # SchemaError: no such operator
            opaque.update(o for o in node.output if o)
    return opaque


def infer_shapes(model: onnx.ModelProto, source: str) -> onnx.ModelProto:
    """``model`` with every tensor shape ONNX can infer once shape arithmetic is folded and shapes
    are carried across shape-preserving ops inference stops at (module docstring)."""
    stated = [v for v in model.graph.value_info if v.name in _opaque_outputs(model)]
    del model.graph.value_info[:]  # recomputed from the (filled) inputs ...
    model.graph.value_info.extend(stated)  # ... but for the outputs of ops ONNX has no schema for
    model = _infer(model, source)
    for _ in range(_ROUNDS):
        folded = _fold_round(model, _known_shapes(model))
        carried = _carry_round(model, _known_shapes(model))
        if not (folded or carried):
            break
        model = _infer(model, source)  # the shapes known so far stay; inference fills in the rest
    return model
