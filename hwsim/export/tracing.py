"""Step 1 of the export: trace a module into recognised ops with every node's output shape.

``torch.fx.symbolic_trace`` with shape propagation (:class:`_ShapeRecorder` also keeps the value
of shape arithmetic), or, where fx cannot trace the model, ``torch.export.export`` with the ATen
nodes of each torch.nn leaf-module call grouped back into that call. Both give a
:class:`~hwsim.export.ops._Traced` whose ops come from the same rules (:mod:`hwsim.export.rules`).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.fx
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp

from hwsim.errors import ConfigError, UnsupportedOpError
from hwsim.export.ops import Shape, _Op, _Traced, _flat_nodes, _tensor_operands
from hwsim.export.rules import _function_op, _module_op


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _trace(module: nn.Module, input_shape: Shape, name: str, tracer: str) -> _Traced:
    example = torch.zeros(input_shape)
    fx_error: Exception | None = None
    if tracer in ("auto", "fx"):
        try:
            gm = torch.fx.symbolic_trace(module)
        except Exception as exc:  # fx raises TraceError, TypeError, ... on untraceable code
            if tracer == "fx":
                raise UnsupportedOpError(f"{name}: torch.fx cannot trace the model: {_one_line(exc)}") from None
            fx_error = exc
        else:
            return _fx_traced(gm, example, name)
    try:
        program = torch.export.export(module, (example,))
    except Exception as exc:  # torch.export raises many kinds of errors
        why = f"torch.fx ({_one_line(fx_error)}) nor torch.export" if fx_error else "torch.export"
        raise UnsupportedOpError(f"{name}: cannot trace the model with {why}: {_one_line(exc)}") from None
    return _export_traced(program, module)


def _describe(value: Any) -> Any:
    """torch.Size for a tensor, a tuple of descriptions for a tuple holding tensors, else None."""
    if isinstance(value, torch.Tensor):
        return torch.Size(value.shape)
    if isinstance(value, (tuple, list)):
        items = tuple(_describe(v) for v in value)
        return items if any(item is not None for item in items) else None
    return None


class _ShapeRecorder(ShapeProp):
    """ShapeProp that also records shapes and the values of non-tensor (shape arithmetic) nodes."""

    def __init__(self, gm: torch.fx.GraphModule) -> None:
        super().__init__(gm)
        self.shapes: dict[torch.fx.Node, Any] = {}
        self.consts: dict[torch.fx.Node, Any] = {}

    def run_node(self, n: torch.fx.Node) -> Any:
        result = super().run_node(n)
        self.shapes[n] = _describe(result)
        if self.shapes[n] is None:
            self.consts[n] = result
        return result


def _fx_traced(gm: torch.fx.GraphModule, example: torch.Tensor, name: str) -> _Traced:
    recorder = _ShapeRecorder(gm)
    try:
        with torch.no_grad():
            recorder.propagate(example)
    except Exception as exc:  # wrong input size for the model and the like
        shape = "x".join(str(d) for d in example.shape)
        raise ConfigError(f"{name}: model does not run on input {shape}: {_one_line(exc)}") from None
    shapes, consts = recorder.shapes, recorder.consts
    ops: list[_Op] = []
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            ops.append(_Op("input", "input", "input", (node,), ()))
        elif node.op == "get_attr":
            if shapes.get(node) is not None:
                ops.append(_Op("constant", node.name, "get_attr", (node,), ()))
        elif node.op == "call_module":
            sub = gm.get_submodule(node.target)
            operands = _tensor_operands(node, shapes)
            ops.append(_module_op(sub, str(node.target), (node,), operands))
        elif node.op in ("call_function", "call_method"):
            if shapes.get(node) is None:
                continue  # shape arithmetic: x.size(), c // g, ...
            op_name = node.target if node.op == "call_method" else getattr(node.target, "__name__", str(node.target))
            params = tuple(
                p for p in (_fx_parameter(gm, a) for a in _flat_nodes(node)) if p is not None
            )
            ops.append(_function_op(str(op_name), node, shapes, consts, params))
    return _Traced("torch.fx", tuple(ops), shapes)


def _fx_parameter(gm: torch.fx.GraphModule, node: torch.fx.Node) -> nn.Parameter | None:
    if node.op != "get_attr":
        return None
    obj: Any = gm
    for part in str(node.target).split("."):
        obj = getattr(obj, part)
    return obj if isinstance(obj, nn.Parameter) else None


def _is_leaf_module(module: nn.Module) -> bool:
    """torch.fx's default leaf rule: torch.nn's own modules, containers excepted."""
    owner = type(module).__module__
    containers = (nn.Sequential, nn.ModuleList, nn.ModuleDict)
    return owner.startswith(("torch.nn", "torch.ao.nn")) and not isinstance(module, containers)


def _export_traced(program: Any, module: nn.Module) -> _Traced:
    graph = program.graph
    signature = program.graph_signature
    param_of = {
        node_name: module.get_parameter(fqn) for node_name, fqn in signature.inputs_to_parameters.items()
    }
    user_inputs = set(signature.user_inputs)
    shapes: dict[torch.fx.Node, Any] = {n: _describe(n.meta.get("val")) for n in graph.nodes}
    # group the nodes of each call of a leaf module (outermost leaf in the module stack)
    groups: dict[str, list[torch.fx.Node]] = {}
    group_of: dict[torch.fx.Node, str] = {}
    leaf_of: dict[str, tuple[str, nn.Module]] = {}
    for node in graph.nodes:
        if node.op != "call_function":
            continue
        for key, (fqn, _cls) in (node.meta.get("nn_module_stack") or {}).items():
            if not fqn:
                continue
            sub = module.get_submodule(fqn)
            if _is_leaf_module(sub):
                groups.setdefault(key, []).append(node)
                group_of[node] = key
                leaf_of[key] = (fqn, sub)
                break
    last_of_group = {nodes[-1]: key for key, nodes in groups.items()}
    ops: list[_Op] = []
    for node in graph.nodes:
        if node.op == "placeholder":
            if node.name in user_inputs:
                ops.append(_Op("input", "input", "input", (node,), ()))
            elif node.name not in param_of and shapes.get(node) is not None:
                ops.append(_Op("constant", node.name, "buffer", (node,), ()))
        elif node.op == "call_function":
            if node in group_of:
                key = last_of_group.get(node)
                if key is None:
                    continue
                members = set(groups[key])
                fqn, sub = leaf_of[key]
                operands: list[torch.fx.Node] = []
                for member in groups[key]:
                    for arg in _flat_nodes(member):
                        if (
                            arg not in members
                            and arg not in operands
                            and (arg.op != "placeholder" or arg.name in user_inputs)  # not weights
                            and isinstance(shapes.get(arg), torch.Size)
                        ):
                            operands.append(arg)
                outputs = tuple(m for m in groups[key] if any(u not in members for u in m.users)) or (node,)
                ops.append(_module_op(sub, fqn, outputs, tuple(operands)))
            elif shapes.get(node) is not None:
                packet = getattr(node.target, "overloadpacket", None)
                op_name = packet.__name__ if packet is not None else getattr(node.target, "__name__", str(node.target))
                params = tuple(param_of[a.name] for a in _flat_nodes(node) if a.name in param_of)
                ops.append(_function_op(op_name, node, shapes, {}, params))
    return _Traced("torch.export", tuple(ops), shapes)
