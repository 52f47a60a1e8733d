"""The PyTorch front end's tracing: a module -> a :class:`~hwsim.export.neutral.NeutralGraph`.

``torch.fx.symbolic_trace`` with shape propagation (:class:`_ShapeRecorder`, an fx interpreter
that keeps every node's shape and the value of shape arithmetic), or, where fx cannot trace the
model, ``torch.export.export`` with the ATen nodes of each torch.nn leaf-module call grouped back
into that call. Both give a neutral op list made by the same rules (:mod:`hwsim.export.rules`):
tensors are named after the fx nodes, parameters after their qualified names in the module.

The example input is a zero tensor created on the module's own device (its first parameter's or
buffer's, else the CPU), so a module built on the ``meta`` device traces without allocating
memory. Failures are one-line :class:`~hwsim.errors.HwsimError` errors naming the model (its
``file.py:factory`` when it came from :func:`hwsim.export.load_factory`) and the root cause; a
failed allocation suggests a smaller input. The ``torch.export`` attempt runs with torch's
logging, warnings and stderr silenced (torch prints a graph dump on stderr when it fails).
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import torch
import torch.fx
from torch import nn

from hwsim.errors import ConfigError, UnsupportedOpError
from hwsim.export.neutral import NeutralGraph, NeutralOp, Param, Shape
from hwsim.export.ops import _flat_nodes, _tensor, _tensor_operands
from hwsim.export.rules import _function_op, _module_op

#: Phrases of the messages torch's allocators raise when memory runs out.
_ALLOCATION_PHRASES = ("can't allocate memory", "cannot allocate memory", "out of memory", "defaultcpuallocator")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost exception of the ``__cause__`` / ``__context__`` chain (wrappers skipped)."""
    seen = {id(exc)}
    while True:
        inner = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        if inner is None or id(inner) in seen:
            return exc
        seen.add(id(inner))
        exc = inner


def _is_allocation_failure(exc: BaseException) -> bool:
    """True when ``exc`` (or an exception it was raised from) is a failed memory allocation."""
    for item in (exc, _root_cause(exc)):
        if isinstance(item, MemoryError) or type(item).__name__ == "OutOfMemoryError":
            return True
        if isinstance(item, RuntimeError) and any(p in str(item).lower() for p in _ALLOCATION_PHRASES):
            return True
    return False


def _shape_text(shape: Shape) -> str:
    return "x".join(str(int(d)) for d in shape)


def _memory_error(name: str, shape: Shape, exc: BaseException) -> ConfigError:
    return ConfigError(f"{name}: tracing on input {_shape_text(shape)} ran out of memory "
                       f"({_one_line(_root_cause(exc))}); try a smaller --input-size or --batch")


def _module_device(module: nn.Module) -> torch.device:
    """The device of the module's first parameter or buffer (the CPU when it has none)."""
    for tensor in (*module.parameters(), *module.buffers()):
        return tensor.device
    return torch.device("cpu")


def _example(module: nn.Module, input_shape: Shape, name: str) -> torch.Tensor:
    """A zero input of ``input_shape`` on the module's device (no memory on ``meta``)."""
    try:
        return torch.zeros(input_shape, device=_module_device(module))
    except (RuntimeError, MemoryError) as exc:
        raise _memory_error(name, input_shape, exc) from None


@contextlib.contextmanager
def _quiet_torch() -> Iterator[None]:
    """Silence torch's logging, Python warnings and direct prints on stderr for the duration.

    ``torch.export`` logs warnings, and prints a partial graph to ``sys.stderr`` itself when it
    fails; hwsim reports the failure in one line instead.
    """
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous)


def _trace(module: nn.Module, input_shape: Shape, name: str, tracer: str) -> NeutralGraph:
    example = _example(module, input_shape, name)
    fx_error: Exception | None = None
    if tracer in ("auto", "fx"):
        try:
            gm = torch.fx.symbolic_trace(module)
        except Exception as exc:  # fx raises TraceError, TypeError, ... on untraceable code
            if tracer == "fx":
                raise UnsupportedOpError(f"{name}: torch.fx cannot trace the model: {_one_line(exc)}") from None
            fx_error = exc
        else:
            return _fx_traced(gm, example, name, module)
    try:
        with _quiet_torch():
            program = torch.export.export(module, (example,))
    except Exception as exc:  # torch.export raises many kinds of errors
        if _is_allocation_failure(exc):
            raise _memory_error(name, input_shape, exc) from None
        why = f"torch.fx ({_one_line(fx_error)}) nor torch.export" if fx_error else "torch.export"
        raise UnsupportedOpError(f"{name}: cannot trace the model with {why}: {_one_line(_root_cause(exc))}") from None
    return _export_traced(program, module)


def _describe(value: Any) -> Any:
    """torch.Size for a tensor, a tuple of descriptions for a tuple holding tensors, else None."""
    if isinstance(value, torch.Tensor):
        return torch.Size(value.shape)
    if isinstance(value, (tuple, list)):
        items = tuple(_describe(v) for v in value)
        return items if any(item is not None for item in items) else None
    return None


class _ShapeRecorder(torch.fx.Interpreter):
    """Runs the traced graph once, keeping every node's shape and the values of non-tensor
    (shape arithmetic) nodes; ``failed_at`` is the node that raised, if one did, and ``failure``
    the root cause in one line, taken before the interpreter appends its own text to the error.

    A plain interpreter rather than ``torch.fx.passes.shape_prop.ShapeProp``, which prints a
    traceback on stderr and hides the cause behind its own message when a node fails.
    """

    def __init__(self, gm: torch.fx.GraphModule) -> None:
        super().__init__(gm)
        self.shapes: dict[torch.fx.Node, Any] = {}
        self.consts: dict[torch.fx.Node, Any] = {}
        self.failed_at: torch.fx.Node | None = None
        self.failure = ""
        self.extra_traceback = False  # keep the message of a failing node as it was raised

    def run_node(self, n: torch.fx.Node) -> Any:
        try:
            result = super().run_node(n)
        except Exception as exc:
            if self.failed_at is None:
                self.failed_at, self.failure = n, _one_line(_root_cause(exc))
            raise
        self.shapes[n] = _describe(result)
        if self.shapes[n] is None:
            self.consts[n] = result
        return result


def _param_table(root: nn.Module) -> dict[int, Param]:
    """Every parameter of ``root`` as a neutral :class:`Param`, by ``id`` (a shared one once, by its first name)."""
    return {id(p): Param(key, p.numel()) for key, p in root.named_parameters()}


def _params(table: dict[int, Param], params: Iterable[nn.Parameter]) -> tuple[Param, ...]:
    return tuple(table.get(id(p)) or Param(f"<unnamed {id(p)}>", p.numel()) for p in params)


def _fx_traced(gm: torch.fx.GraphModule, example: torch.Tensor, name: str, root: nn.Module) -> NeutralGraph:
    """The neutral op list of ``gm`` (traced from ``root``, which owns the parameters)."""
    recorder = _ShapeRecorder(gm)
    try:
        with torch.no_grad():
            recorder.run(example)
    except Exception as exc:  # wrong input size for the model and the like
        cause = recorder.failure or _one_line(_root_cause(exc))
        shape = _shape_text(tuple(example.shape))
        if _is_allocation_failure(exc):
            raise ConfigError(f"{name}: tracing on input {shape} ran out of memory ({cause}); "
                              "try a smaller --input-size or --batch") from None
        node = recorder.failed_at
        where = f" (at {node.target if node.op == 'call_module' else node.name})" if node is not None else ""
        raise ConfigError(f"{name}: model does not run on input {shape}{where}: {cause}") from None
    shapes, consts = recorder.shapes, recorder.consts
    table = _param_table(root)
    ops: list[NeutralOp] = []
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            ops.append(NeutralOp("input", "input", "input", (), (_tensor(node, shapes),)))
        elif node.op == "get_attr":
            if shapes.get(node) is not None:  # a parameter (a class token, ...) is claimed by the layer reading it
                param = _fx_parameter(gm, node)
                ops.append(NeutralOp("constant", node.name, "get_attr", (), (_tensor(node, shapes),),
                                     params=_params(table, [param] if param is not None else [])))
        elif node.op == "call_module":
            sub = gm.get_submodule(node.target)
            operands = tuple(_tensor(o, shapes) for o in _tensor_operands(node, shapes))
            ops.append(_module_op(sub, str(node.target), (_tensor(node, shapes),), operands,
                                  _params(table, sub.parameters())))
        elif node.op in ("call_function", "call_method"):
            if shapes.get(node) is None:
                continue  # shape arithmetic: x.size(), c // g, ...
            op_name = node.target if node.op == "call_method" else getattr(node.target, "__name__", str(node.target))
            used = (p for p in (_fx_parameter(gm, a) for a in _flat_nodes(node)) if p is not None)
            ops.append(_function_op(str(op_name), node, shapes, consts, _params(table, used)))
    return NeutralGraph("torch.fx", tuple(ops), tuple(table.values()))


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


def _export_traced(program: Any, module: nn.Module) -> NeutralGraph:
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
    table = _param_table(module)
    ops: list[NeutralOp] = []
    for node in graph.nodes:
        if node.op == "placeholder":
            if node.name in user_inputs:
                ops.append(NeutralOp("input", "input", "input", (), (_tensor(node, shapes),)))
            elif node.name not in param_of and shapes.get(node) is not None:
                ops.append(NeutralOp("constant", node.name, "buffer", (), (_tensor(node, shapes),)))
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
                ops.append(_module_op(sub, fqn, tuple(_tensor(o, shapes) for o in outputs),
                                      tuple(_tensor(o, shapes) for o in operands), _params(table, sub.parameters())))
            elif shapes.get(node) is not None:
                packet = getattr(node.target, "overloadpacket", None)
                op_name = packet.__name__ if packet is not None else getattr(node.target, "__name__", str(node.target))
                used = (param_of[a.name] for a in _flat_nodes(node) if a.name in param_of)
                ops.append(_function_op(op_name, node, shapes, {}, _params(table, used)))
    return NeutralGraph("torch.export", tuple(ops), tuple(table.values()))
