"""The ONNX front end: :func:`export_onnx` reads an ``.onnx`` file into a neutral op list and hands
it to the graph-building passes the PyTorch front end uses (:mod:`hwsim.export.builder`).

- **Reading**: ``onnx.load`` without external data: weights kept in a separate data file need
  not be present (structure and shapes need no weight values; weight shapes come from the
  initializers' dims). No ONNX runtime is used.
- **Input**: the graph inputs that are not initializers are the model's inputs (the first one's
  shape is the graph's ``input_shape``). A free (symbolic) dim is filled: the first with the
  batch, the last two of a 4-D input with the input size (H, W). A dim the file fixes cannot be
  changed: asking for another batch or size is an error, and so is a free dim nothing fills.
- **Shapes**: ONNX shape inference runs on every file, with the shape arithmetic exporters
  write (``Shape`` -> ``Gather`` -> ``Concat`` -> ``Reshape`` ...) folded into constants
  (:mod:`hwsim.export.onnx_shapes`).
- **Data flow**: a tensor is data when it depends on a model input through ops other than
  ``Shape``/``Size``; nodes that read no data (shape arithmetic, ``Constant``, an ``Identity``
  of a weight) make no op, their outputs are constants. A constant operand of more than one
  element (a bias, a position embedding) is read as a constant tensor; a scalar one as a scalar.
- **Parameters**: float initializers (and ``Constant`` tensors) of more than one element; a
  BatchNormalization's mean and variance are statistics, not parameters (as in PyTorch). A
  weight shared through ``Identity`` nodes counts once; initializers no node reads are reported
  as unused.
- **Names**: a node named ``/blocks/blocks.0/attn/MatMul`` (the module path the PyTorch exporter
  writes, one module attribute per component) makes the layer ``blocks.0.attn.matmul``, and the
  only layer of its module path takes the path's name (``/features/features.0/Conv`` ->
  ``features.0``, as in the PyTorch front end); a node without a path keeps its own name; the
  passes make names unique.

Per-operator rules and the recognised decomposed patterns: :mod:`hwsim.export.onnx_rules`.
Errors are one-line :class:`~hwsim.errors.GraphFileError` / :class:`~hwsim.errors.ConfigError`
naming the file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import onnx
from onnx import numpy_helper

import hwsim
from hwsim.errors import GraphFileError, UnsupportedOpError
from hwsim.export.builder import build_layers
from hwsim.export.neutral import Attrs, NeutralGraph, NeutralOp, Param, Tensor
from hwsim.export.onnx_checks import check_inferred, check_structure, node_error
from hwsim.export.onnx_rules import Unit, find_patterns, unit_op
from hwsim.export.onnx_shapes import fill_inputs, infer_shapes
from hwsim.graph.coverage import coverage_of
from hwsim.graph.layer_graph import Layer, LayerGraph

__all__ = ["export_onnx", "read_onnx"]

#: Element types of parameters (float of any width).
_FLOAT_TYPES = frozenset({onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE,
                          onnx.TensorProto.BFLOAT16})
#: Ops whose output says nothing about the data they read.
_SHAPE_OPS = frozenset({"Shape", "Size"})


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def read_onnx(path: str | Path) -> onnx.ModelProto:
    """The model in ``path``, without its external weight data; errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise GraphFileError(f"{path}: model file not found")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf raises DecodeError and others on a file that is not ONNX
        raise GraphFileError(f"{path}: not a readable ONNX model ({_one_line(exc)}): expected a serialized ModelProto") from None
    if not model.graph.node:
        raise GraphFileError(f"{path}: the ONNX graph has no nodes: expected at least one")
    return model


class _Graph:
    """The model's nodes with what the rules ask about them (:class:`~hwsim.export.onnx_rules.Context`)."""

    def __init__(self, model: onnx.ModelProto, source: str) -> None:
        graph = model.graph
        self.model, self.source = model, source
        self.nodes = list(graph.node)
        self.initializers = {init.name: init for init in graph.initializer}
        self.shapes: dict[str, tuple[int, ...]] = {}
        for value in (*graph.input, *graph.value_info, *graph.output):
            dims = value.type.tensor_type.shape.dim
            if value.type.HasField("tensor_type") and value.type.tensor_type.HasField("shape") and all(
                d.HasField("dim_value") and d.dim_value > 0 for d in dims
            ):
                self.shapes[value.name] = tuple(int(d.dim_value) for d in dims)
        for init in graph.initializer:
            self.shapes[init.name] = tuple(int(d) for d in init.dims)
        self.producers = {out: node for node in self.nodes for out in node.output if out}
        self.readers: dict[str, list[Any]] = {}
        for node in self.nodes:
            for name in node.input:
                if name:
                    self.readers.setdefault(name, []).append(node)
        self.inputs = [i.name for i in graph.input if i.name not in self.initializers]
        self.data: set[str] = set(self.inputs)
        self.data_nodes = []
        self.roots: dict[str, frozenset[str]] = {}  #: learnable tensors a constant is made of
        for name, init in self.initializers.items():
            self.roots[name] = frozenset({name}) if self._learnable(init.data_type, init.dims) else frozenset()
        for node in self.nodes:
            if node.op_type not in _SHAPE_OPS and any(i in self.data for i in node.input if i):
                self.data.update(o for o in node.output if o)
                self.data_nodes.append(node)
            elif node.op_type == "Constant":
                tensor = next((a.t for a in node.attribute if a.name == "value"), None)
                learnable = tensor is not None and self._learnable(tensor.data_type, tensor.dims)
                for out in node.output:
                    self.roots[out] = frozenset({out}) if learnable else frozenset()
                    if tensor is not None:
                        self.shapes.setdefault(out, tuple(int(d) for d in tensor.dims))
            else:
                made = frozenset().union(*(self.roots.get(i, frozenset()) for i in node.input if i))
                for out in node.output:
                    self.roots[out] = made
        self.outputs = [o.name for o in graph.output]
        self.counts: Counter[str] = Counter()
        self.pending: list[str] = []  #: constants to emit before the next op
        self.emitted: set[str] = set()
        self.scopes: set[str] = set()  #: module paths of the units (for naming)

    @staticmethod
    def _learnable(data_type: int, dims: Sequence[int]) -> bool:
        count = 1
        for d in dims:
            count *= int(d)
        return data_type in _FLOAT_TYPES and count > 1

    # ---------------------------------------------------------------- Context
    def shape(self, name: str) -> tuple[int, ...] | None:
        return self.shapes.get(name)

    def value(self, name: str) -> Any:
        """The value of a small constant (initializer or Constant node), else None."""
        try:
            if name in self.initializers:
                init = self.initializers[name]
                if init.data_location == onnx.TensorProto.EXTERNAL:
                    return None
                return numpy_helper.to_array(init)
            node = self.producers.get(name)
            if node is not None and node.op_type == "Constant":
                attr = node.attribute[0]
                if attr.name == "value":
                    return numpy_helper.to_array(attr.t)
                import numpy as np

                return np.asarray(onnx.helper.get_attribute_value(attr))
        except Exception:  # a value that cannot be decoded is not known
            return None
        return None

    def is_data(self, name: str) -> bool:
        return name in self.data

    def tensor(self, name: str) -> Tensor:
        return Tensor(name, self.shapes.get(name), self.counts[name])

    def operand(self, name: str) -> Tensor | None:
        if not name:
            return None
        if name in self.data:
            return self.tensor(name)
        shape = self.shapes.get(name)
        if shape is None or self._numel(shape) <= 1:
            return None  # a scalar
        if name not in self.emitted:
            self.emitted.add(name)
            self.pending.append(name)
        return self.tensor(name)

    def params(self, names: Sequence[str]) -> tuple[Param, ...]:
        keys = sorted({root for name in names if name for root in self.roots.get(name, ())})
        return tuple(Param(key, self._numel(self.shapes.get(key, ()))) for key in keys)

    @staticmethod
    def _numel(shape: Sequence[int]) -> int:
        count = 1
        for d in shape:
            count *= int(d)
        return count

    # ---------------------------------------------------------------- pattern view
    def producer(self, name: str) -> Any:
        return self.producers.get(name)

    def consumers(self, name: str) -> list[Any]:
        return self.readers.get(name, [])

    def scalar(self, name: str) -> float | None:
        value = self.value(name) if name else None
        return float(value.reshape(-1)[0]) if value is not None and value.size == 1 else None

    def constant(self, name: str) -> bool:
        return name not in self.data

    # ---------------------------------------------------------------- the neutral graph
    def units(self) -> list[Unit]:
        """The data nodes in order, recognised patterns collapsed to one unit each."""
        patterns = find_patterns(self, self.data_nodes)
        units = []
        for node in self.data_nodes:
            if id(node) in patterns:
                unit = patterns[id(node)]
                if unit is not None:
                    units.append(unit)
                continue
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            units.append(Unit(node.op_type, node.name, node.domain, tuple(node.input), tuple(node.output), attrs))
        return units

    def all_params(self) -> tuple[Param, ...]:
        """Every parameter of the file: learnable tensors, less BatchNormalization statistics."""
        statistics = {root for node in self.nodes if node.op_type == "BatchNormalization"
                      for name in node.input[3:5] for root in self.roots.get(name, ())}
        used = {root for node in self.nodes if node.op_type != "BatchNormalization"
                for name in node.input for root in self.roots.get(name, ())}
        keys = sorted({root for roots in self.roots.values() for root in roots} - (statistics - used))
        return tuple(Param(key, self._numel(self.shapes.get(key, ()))) for key in keys)

    def neutral_graph(self) -> NeutralGraph:
        units = self.units()
        for unit in units:
            self.counts.update(name for name in unit.inputs if name)
        self.counts.update(self.outputs)
        ops = [NeutralOp("input", "input", "input", (), (self.tensor(name),)) for name in self.inputs]
        for unit in units:
            scope = _scope(unit.name)
            self.scopes.add(scope)
            own = unit.name if unit.name and "/" not in unit.name else ""
            op = self._sized(unit_op(self, unit, scope, own or f"{unit.op_type.lower()}"), unit)
            for name in self.pending:
                ops.append(NeutralOp("constant", name, "initializer", (), (self.tensor(name),), params=self.params([name])))
            self.pending.clear()
            ops.append(op)
        return NeutralGraph("onnx", tuple(ops), self.all_params())


    def _sized(self, op: NeutralOp, unit: Unit) -> NeutralOp:
        """``op`` when every tensor it is sized from has a shape; else, when its inputs have shapes,
        the reason ONNX gives for its node as an error; else (an input or a shape known only at
        run time) ``op`` listed as unsupported, never sized from a guess."""
        inputs = [t for t in op.inputs if t is not None]
        outputs = [t for i, t in enumerate(op.outputs) if t.readers or not i]
        if op.kind == "unsupported" or all(t.shape is not None for t in inputs + outputs):
            return op
        node = self.producers.get(unit.outputs[0]) if unit.outputs else None
        sized_inputs = all(t.shape is not None for t in inputs)
        reason = node_error(self.model, node, self.source) if node is not None and sized_inputs else None
        if reason is not None:
            raise GraphFileError(reason)
        return replace(op, kind="unsupported", attrs=Attrs(), macs=None)


def _scope(node_name: str) -> str:
    """The module path of a node named ``/stages/stages.0/blocks/blocks.0/conv/Conv``:
    ``stages.0.blocks.0.conv`` (a component that extends the one before it with ``.suffix``, a
    container's child, replaces it; others are appended)."""
    if "/" not in node_name:
        return ""
    parts: list[str] = []
    for part in node_name.strip("/").split("/")[:-1]:
        if not part:
            continue
        if parts and part.startswith(parts[-1] + "."):
            parts[-1] = part
        else:
            parts.append(part)
    return ".".join(parts)


def _module_names(layers: Sequence[Layer], scopes: set[str]) -> tuple[Layer, ...]:
    """Layers named ``<scope>.<op word>`` that are the only layer of their scope take the scope's
    name (``features.0.conv`` -> ``features.0``, as a module's layer is named in PyTorch)."""
    by_scope: Counter[str] = Counter()
    for layer in layers:
        head = layer.name.rsplit(".", 1)[0]
        if head in scopes:
            by_scope[head] += 1
    taken = {layer.name for layer in layers}
    renamed: dict[str, str] = {}
    for layer in layers:
        head = layer.name.rsplit(".", 1)[0]
        if head in scopes and by_scope[head] == 1 and head not in taken and head != "input":
            renamed[layer.name] = head
    return tuple(
        replace(layer, name=renamed.get(layer.name, layer.name), inputs=tuple(renamed.get(i, i) for i in layer.inputs))
        for layer in layers
    )


def export_onnx(
    path: str | Path,
    input_size: tuple[int, ...] | None = None,
    batch: int = 1,
    name: str | None = None,
    *,
    strict: bool = False,
) -> LayerGraph:
    """The :class:`LayerGraph` of the ONNX model in ``path`` (module docstring).

    ``input_size`` (H, W) and ``batch`` fill free input dims only. ``strict=True`` raises
    :class:`UnsupportedOpError` when any op is left out. The graph is named after the file stem.
    """
    source = str(path)
    model = read_onnx(path)
    check_structure(model, source)
    input_shape = fill_inputs(model, source, input_size, batch)
    model = infer_shapes(model, source)
    check_inferred(model, source)
    reader = _Graph(model, source)
    try:
        built = build_layers(reader.neutral_graph())
    except ValueError as exc:  # a layer whose shapes contradict each other
        raise GraphFileError(f"{source}: {exc}") from None
    layers = _module_names(built.layers, reader.scopes - {""})
    opsets = ",".join(f"{o.domain or 'ai.onnx'}:{o.version}" for o in model.opset_import)
    metadata = [("hwsim", hwsim.__version__), ("onnx", onnx.__version__), ("tracer", "onnx"), ("opsets", opsets)]
    if model.producer_name:
        metadata.append(("producer", f"{model.producer_name} {model.producer_version}".strip()))
    metadata.extend(built.notes)
    try:
        graph = LayerGraph(name=name or Path(path).stem, input_shape=input_shape, layers=layers,
                           unsupported=built.unsupported, metadata=tuple(metadata))
    except ValueError as exc:  # a layer whose shapes contradict each other
        raise GraphFileError(f"{source}: {exc}") from None
    if strict and built.unsupported:
        raise UnsupportedOpError(f"{source}: {coverage_of(graph).summary()}")
    return graph
