"""Export a PyTorch ``nn.Module`` to a torch-free :class:`~hwsim.graph.LayerGraph`.

This is the one place (with :mod:`hwsim.models` and :mod:`hwsim.measure`) that imports torch.

How it works
------------
1. **Trace.** ``torch.fx.symbolic_trace`` (torch.nn's own modules are leaves), then one run of
   the traced graph on a zero input of ``input_shape`` through a subclass of
   ``torch.fx.passes.shape_prop.ShapeProp`` that also keeps the value of shape arithmetic
   (``x.size()[2:]``). Where fx cannot trace the model (Python control flow on shapes, ...),
   ``torch.export.export`` is the fallback: the ATen nodes of one call of a torch.nn module are
   grouped back into that call through ``nn_module_stack``, so both tracers meet the same rules.
2. **Recognise.** Every module call or functional node becomes an :class:`_Op` of a canonical
   kind (conv, linear, batchnorm, activation, pool, ...) by small per-operator rules.
3. **Build.** :class:`_Builder` walks the ops in order and writes hwsim layers with Timeloop
   letters taken from the propagated shapes (so ``ceil_mode`` and padding are exact).

Conventions (what becomes what)
-------------------------------
- conv2d (any groups, kernel, stride, padding, dilation) -> ``conv``; ``padding="same"`` is
  accepted where it is symmetric (odd effective kernel), otherwise the conv is unsupported.
  Linear -> ``linear`` with ``n`` = product of the leading dims, ``c`` = in, ``k`` = out features.
- Batch-norm whose input is the sole, not yet activated output of a conv/linear is folded into it:
  ``"batchnorm"`` joins ``fused`` and its weight+bias join the layer's ``params``. Any other
  batch-norm is a ``batchnorm`` layer.
- An activation (module or functional, in place or not) whose input is the sole output of a conv,
  linear, add, mul, pool, global_pool, batchnorm, lrn or activation layer is fused into it (its
  name joins ``fused``); otherwise it is an ``activation`` layer with ``mode`` = its name.
- Max/avg pooling -> ``pool`` (``mode`` max/avg, ``r``/``s`` window; a window covering the
  whole input with a 1x1 output is a ``global_pool``). Adaptive pooling to 1x1 and
  ``mean`` over all spatial dims -> ``global_pool``; adaptive pooling to the input size is an
  identity; other adaptive sizes become a ``pool`` with window ceil(in/out), stride floor(in/out).
- Dropout, Identity, ``contiguous``/``clone``/dtype casts and ``expand`` make no layer: their
  consumers name the real producer. View-like ops that change the shape without moving data
  (flatten, view, reshape, squeeze, unsqueeze, unflatten) -> ``reshape`` (free in the simulator).
- A channel shuffle written as view (N,C,H,W)->(N,g,C/g,H,W), transpose(1,2) (or the equal
  permute), optional contiguous, view back to (N,C,H,W) -> ONE ``shuffle`` layer with
  ``groups`` = g; ``nn.ChannelShuffle`` / ``channel_shuffle`` likewise.
- Channel split by ``chunk``/``split``/indexing makes no layer (pass-through): the consumers
  name the producer of the whole tensor, and their own ``c``/``operand_elements`` give the part
  they read.
- Residual add (``+``, ``torch.add``, ``sub``) -> ``add``; elementwise ``*``/``/`` -> ``mul``;
  channel concat -> ``concat`` (``c`` = sum of the input channels); all three record
  ``operand_elements`` per tensor operand (a broadcast operand counts its own elements).
- LocalResponseNorm -> ``lrn`` with ``r`` = its channel window ``size``.
- Anything else is listed in ``LayerGraph.unsupported`` as ``(op name, count)`` and never dropped
  silently: its consumers connect to its tensor producers. Parameters that no layer accounts for
  (an unsupported module with weights) are listed as ``("unaccounted parameters", N)`` where N is
  the number of parameter elements. ``strict=True`` raises :class:`UnsupportedOpError` instead.
- Layer names are the modules' qualified names; functional ops use the fx node name. A name seen
  twice (a module called twice) gets a ``_1``, ``_2`` ... suffix.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
import torch.fx
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp

import hwsim
from hwsim.errors import ConfigError, GraphFileError, UnsupportedOpError
from hwsim.graph import Layer, LayerGraph

__all__ = ["export", "load_factory", "UNACCOUNTED_PARAMS"]

#: Label of the ``unsupported`` entry that counts parameter elements no layer accounts for.
UNACCOUNTED_PARAMS = "unaccounted parameters"

Shape = tuple[int, ...]

# ---------------------------------------------------------------------------------------------
# Operator tables
# ---------------------------------------------------------------------------------------------
_ACTIVATION_FUNCTIONS = {
    "relu": "relu",
    "relu6": "relu6",
    "hardtanh": "hardtanh",  # becomes relu6 for (0, 6)
    "sigmoid": "sigmoid",
    "hardsigmoid": "hardsigmoid",
    "hardswish": "hardswish",
    "silu": "silu",
    "gelu": "gelu",
    "tanh": "tanh",
    "leaky_relu": "leaky_relu",
    "elu": "elu",
    "mish": "mish",
    "softplus": "softplus",
    "prelu": "prelu",
    "softmax": "softmax",
    "_softmax": "softmax",
    "log_softmax": "log_softmax",
    "_log_softmax": "log_softmax",
}
_ACTIVATION_MODULES: tuple[tuple[type[nn.Module], str], ...] = (
    (nn.ReLU, "relu"),
    (nn.ReLU6, "relu6"),  # a Hardtanh subclass: keep before Hardtanh
    (nn.Hardtanh, "hardtanh"),
    (nn.Sigmoid, "sigmoid"),
    (nn.Hardsigmoid, "hardsigmoid"),
    (nn.Hardswish, "hardswish"),
    (nn.SiLU, "silu"),
    (nn.GELU, "gelu"),
    (nn.Tanh, "tanh"),
    (nn.LeakyReLU, "leaky_relu"),
    (nn.ELU, "elu"),
    (nn.Mish, "mish"),
    (nn.Softplus, "softplus"),
    (nn.PReLU, "prelu"),
    (nn.Softmax, "softmax"),
    (nn.LogSoftmax, "log_softmax"),
)

_KIND_NAMES = {
    "conv": "conv2d convolution",
    "linear": "linear",
    "batchnorm": "batch_norm _native_batch_norm_legit_no_training",
    "pool": "max_pool2d _max_pool2d max_pool2d_with_indices avg_pool2d",
    "adaptive_pool": "adaptive_avg_pool2d _adaptive_avg_pool2d adaptive_max_pool2d",
    "mean": "mean",
    "lrn": "local_response_norm",
    "shuffle": "channel_shuffle native_channel_shuffle",
    "add": "add iadd sub isub rsub",
    "mul": "mul imul div truediv itruediv",
    "concat": "cat concat concatenate",
    # shape changes that never move data
    "view": "view reshape _unsafe_view flatten unflatten squeeze unsqueeze view_as reshape_as",
    # data-moving layout changes: part of a channel shuffle, else unsupported
    "transpose": "transpose permute swapaxes swapdims",
    # identities at inference
    "identity": "dropout feature_dropout alpha_dropout feature_alpha_dropout dropout1d dropout2d "
    "dropout3d contiguous clone detach alias to float type_as _to_copy lift_fresh_copy identity",
    "expand": "expand expand_as broadcast_to",
    # channel split and indexing: pass-through to the producer of the whole tensor
    "split": "getitem chunk split split_with_sizes tensor_split unbind slice narrow select",
    # tensors made from nothing
    "constant": "zeros ones full empty arange tensor scalar_tensor zeros_like ones_like full_like empty_like",
}
#: canonical op name (function, tensor method or ATen packet name) -> kind
_FUNCTION_KINDS: dict[str, str] = {
    **{name: "activation" for name in _ACTIVATION_FUNCTIONS},
    **{name: kind for kind, names in _KIND_NAMES.items() for name in names.split()},
}
_SUBTRACT = frozenset({"sub", "isub", "rsub"})
_DIVIDE = frozenset({"div", "truediv", "itruediv"})

#: Layer ops an activation may be fused into.
_ACTIVATION_HOSTS = frozenset(
    {"conv", "linear", "add", "mul", "pool", "global_pool", "batchnorm", "lrn", "activation"}
)


# ---------------------------------------------------------------------------------------------
# The recognised operation
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Op:
    """One module call or functional node in canonical form.

    ``kind`` is one of: input, conv, linear, batchnorm, activation, pool, adaptive_pool, mean,
    lrn, shuffle, add, mul, concat, view, transpose, identity, expand, split, constant,
    unsupported.
    """

    kind: str
    name: str  #: proposed layer name (module qualname or fx node name)
    label: str  #: the op's own name, as listed in ``unsupported``
    outputs: tuple[torch.fx.Node, ...]  #: nodes whose value this op produces
    operands: tuple[torch.fx.Node | None, ...]  #: tensor operands in order (None: a constant)
    attrs: Mapping[str, Any] = field(default_factory=dict)
    params: tuple[nn.Parameter, ...] = ()  #: parameters the op uses


@dataclass(frozen=True)
class _Val:
    """What a traced tensor is in the hwsim graph."""

    producers: tuple[str, ...]  #: hwsim layers (or "input") the tensor comes from
    elements: int  #: elements actually stored (a broadcast view keeps its source's count)
    owner: str | None = None  #: layer whose untouched, sole output this is (fusion target)
    chain: tuple[tuple[str, str, torch.fx.Node], ...] = ()  #: pending shuffle steps (kind, label, node)
    chain_source: _Val | None = None  #: the value before the pending steps
    source_shape: tuple[int, ...] = ()  #: shape of the tensor before the pending steps
    groups: int = 0  #: shuffle groups of a pending chain


@dataclass(frozen=True)
class _Traced:
    """A traced graph as recognised ops, with each node's output shape."""

    tracer: str  #: "torch.fx" or "torch.export"
    ops: tuple[_Op, ...]
    shapes: Mapping[torch.fx.Node, Any]  #: torch.Size, tuple of those for tuple outputs, or None


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------
def export(
    module: nn.Module,
    input_shape: Sequence[int],
    name: str | None = None,
    *,
    strict: bool = False,
    model_kwargs: Mapping[str, Any] | None = None,
    tracer: str = "auto",
) -> LayerGraph:
    """Trace ``module`` on a zero input of ``input_shape`` (N, C, H, W) into a LayerGraph.

    ``tracer`` is ``"auto"`` (torch.fx, then torch.export where fx cannot trace), ``"fx"`` or
    ``"export"``. ``strict=True`` raises :class:`UnsupportedOpError` listing the ops that could
    not be converted instead of returning them in ``unsupported``. ``model_kwargs`` are recorded
    in the metadata (JSON). The module is traced in eval mode; its train/eval flags are restored.
    """
    input_shape = tuple(int(d) for d in input_shape)
    graph_name = name or type(module).__name__
    if len(input_shape) < 1 or any(d < 1 for d in input_shape):
        raise ConfigError(f"{graph_name}: input shape {input_shape} must be positive sizes (N, C, H, W)")
    if tracer not in ("auto", "fx", "export"):
        raise ConfigError(f"{graph_name}: tracer {tracer!r}; expected 'auto', 'fx' or 'export'")
    flags = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        traced = _trace(module, input_shape, graph_name, tracer)
    finally:
        for m, training in flags:
            m.training = training
    layers, unsupported = _Builder(traced).build(module)
    metadata = [("hwsim", hwsim.__version__), ("torch", torch.__version__), ("tracer", traced.tracer)]
    if model_kwargs is not None:
        metadata.append(("model_kwargs", json.dumps(dict(model_kwargs), sort_keys=True, default=str)))
    graph = LayerGraph(
        name=graph_name,
        input_shape=input_shape,
        layers=layers,
        unsupported=unsupported,
        metadata=tuple(metadata),
    )
    if strict and unsupported:
        left = ", ".join(f"{op} x{count}" for op, count in unsupported)
        raise UnsupportedOpError(f"{graph_name}: cannot convert {left}")
    return graph


def load_factory(spec: str) -> nn.Module:
    """Build a user model from ``path/to/file.py:factory``.

    ``factory`` is a function or class called with no arguments that returns an ``nn.Module``
    (an ``nn.Module`` instance bound to that name is taken as is). The file is imported by path.
    Every problem raises :class:`GraphFileError` with a one-line message.
    """
    path_text, sep, attr = spec.rpartition(":")
    if not sep or not path_text or not attr:
        raise GraphFileError(f"{spec}: expected a model factory as path/to/file.py:factory")
    path = Path(path_text)
    if not path.is_file():
        raise GraphFileError(f"{path}: model file not found")
    module_name = f"hwsim_user_model_{abs(hash(str(path.resolve())))}"
    import_spec = importlib.util.spec_from_file_location(module_name, path)
    if import_spec is None or import_spec.loader is None:
        raise GraphFileError(f"{path}: cannot import (expected a Python .py file)")
    user_module = importlib.util.module_from_spec(import_spec)
    sys.modules[module_name] = user_module
    try:
        import_spec.loader.exec_module(user_module)
    except Exception as exc:  # a user file can raise anything; report it on one line
        sys.modules.pop(module_name, None)
        raise GraphFileError(f"{path}: import failed: {_one_line(exc)}") from None
    if not hasattr(user_module, attr):
        defined = sorted(n for n, v in vars(user_module).items() if callable(v) and not n.startswith("_"))
        raise GraphFileError(f"{path}: no attribute {attr!r} (callables defined: {', '.join(defined) or 'none'})")
    factory = getattr(user_module, attr)
    if isinstance(factory, nn.Module):
        return factory
    if not callable(factory):
        raise GraphFileError(f"{spec}: {attr!r} is a {type(factory).__name__}, expected a function or class")
    try:
        model = factory()
    except Exception as exc:  # the user's factory can raise anything
        raise GraphFileError(f"{spec}: factory raised {_one_line(exc)}") from None
    if not isinstance(model, nn.Module):
        raise GraphFileError(f"{spec}: factory returned {type(model).__name__}, expected a torch.nn.Module")
    return model


# ---------------------------------------------------------------------------------------------
# Tracing
# ---------------------------------------------------------------------------------------------
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


def _flat_nodes(node: torch.fx.Node) -> list[torch.fx.Node]:
    """The nodes among a node's args and kwargs, in order, nested lists flattened."""
    found: list[torch.fx.Node] = []

    def visit(item: Any) -> None:
        if isinstance(item, torch.fx.Node):
            found.append(item)
        elif isinstance(item, (list, tuple)):
            for sub in item:
                visit(sub)
        elif isinstance(item, dict):
            for sub in item.values():
                visit(sub)
        elif isinstance(item, slice):
            for sub in (item.start, item.stop, item.step):
                visit(sub)

    visit(node.args)
    visit(node.kwargs)
    return found


def _tensor_operands(node: torch.fx.Node, shapes: Mapping[torch.fx.Node, Any]) -> tuple[torch.fx.Node, ...]:
    return tuple(a for a in _flat_nodes(node) if isinstance(shapes.get(a), torch.Size))


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


# ---------------------------------------------------------------------------------------------
# Recognition rules
# ---------------------------------------------------------------------------------------------
def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, (list, tuple, torch.Size)):
        items = [int(v) for v in value]
        return (items[0], items[0]) if len(items) == 1 else (items[0], items[1])
    return int(value), int(value)


def _same_padding(padding: Any, kernel: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int] | None:
    """Padding per side; None where a 'same' padding would be asymmetric."""
    if padding == "valid":
        return 0, 0
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        if any(t % 2 for t in totals):
            return None
        return totals[0] // 2, totals[1] // 2
    return _pair(padding)


def _module_op(
    module: nn.Module,
    qualname: str,
    outputs: tuple[torch.fx.Node, ...],
    operands: tuple[torch.fx.Node, ...],
) -> _Op:
    """Recognise one call of a torch.nn leaf module."""
    label = type(module).__name__
    params = tuple(module.parameters())

    def op(kind: str, **attrs: Any) -> _Op:
        return _Op(kind, qualname, label, outputs, operands, attrs, params)

    if isinstance(module, nn.Conv2d) and not isinstance(module, nn.LazyConv2d):
        kernel, dilation = _pair(module.kernel_size), _pair(module.dilation)
        padding = _same_padding(module.padding, kernel, dilation)
        if padding is None:
            return op("unsupported")
        return op(
            "conv", kernel=kernel, stride=_pair(module.stride), padding=padding, dilation=dilation,
            groups=module.groups, bias=module.bias is not None,
        )
    if isinstance(module, nn.Linear) and not isinstance(module, nn.LazyLinear):
        return op("linear", bias=module.bias is not None)
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.SyncBatchNorm)):
        return op("batchnorm")
    for cls, act in _ACTIVATION_MODULES:
        if isinstance(module, cls):
            if act == "hardtanh" and (module.min_val, module.max_val) == (0.0, 6.0):
                act = "relu6"
            return op("activation", mode=act)
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        kernel = _pair(module.kernel_size)
        return op(
            "pool",
            mode="max" if isinstance(module, nn.MaxPool2d) else "avg",
            kernel=kernel,
            stride=_pair(module.stride if module.stride else kernel),
            padding=_pair(module.padding),
            dilation=_pair(getattr(module, "dilation", 1)),
        )
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        return op("adaptive_pool", mode="max" if isinstance(module, nn.AdaptiveMaxPool2d) else "avg")
    if isinstance(module, (nn.Flatten, nn.Unflatten)):
        return op("view")
    if isinstance(module, (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout,
                           nn.FeatureAlphaDropout, nn.Identity)):
        return op("identity")
    if isinstance(module, nn.LocalResponseNorm):
        return op("lrn", size=int(module.size))
    if isinstance(module, nn.ChannelShuffle):
        return op("shuffle", groups=int(module.groups))
    return op("unsupported")


def _arg(node: torch.fx.Node, index: int, key: str, default: Any, consts: Mapping[torch.fx.Node, Any]) -> Any:
    """Argument ``index`` (or keyword ``key``) of a node, with fx shape arithmetic resolved."""
    if len(node.args) > index:
        value = node.args[index]
    else:
        value = node.kwargs.get(key, default)
    return _resolve(value, consts)


def _resolve(value: Any, consts: Mapping[torch.fx.Node, Any]) -> Any:
    if isinstance(value, torch.fx.Node):
        return consts.get(value, value)
    if isinstance(value, (list, tuple)):
        return type(value)(_resolve(v, consts) for v in value)
    return value


def _function_op(
    op_name: str,
    node: torch.fx.Node,
    shapes: Mapping[torch.fx.Node, Any],
    consts: Mapping[torch.fx.Node, Any],
    params: tuple[nn.Parameter, ...],
) -> _Op:
    """Recognise one functional node (torch function, tensor method or ATen op)."""
    base = op_name
    if base.endswith("_") and not base.startswith("_") and base[:-1] in _FUNCTION_KINDS:
        base = base[:-1]  # in-place variant: relu_, add_, hardtanh_ ...
    kind = _FUNCTION_KINDS.get(base, "unsupported")
    operands: tuple[torch.fx.Node | None, ...] = _tensor_operands(node, shapes)
    if kind in ("split", "view", "transpose", "identity", "expand", "activation", "mean", "pool",
                "adaptive_pool", "lrn", "shuffle", "conv", "linear", "batchnorm"):
        operands = operands[:1]  # the data operand; weights and the like are parameters/constants
    attrs: dict[str, Any] = {}
    arg = lambda i, k, d=None: _arg(node, i, k, d, consts)  # noqa: E731
    if kind == "activation":
        mode = _ACTIVATION_FUNCTIONS[base]
        if mode == "hardtanh" and (float(arg(1, "min_val", -1.0)), float(arg(2, "max_val", 1.0))) == (0.0, 6.0):
            mode = "relu6"
        attrs["mode"] = mode
    elif kind == "conv":
        weight = shapes.get(node.args[1]) if len(node.args) > 1 and isinstance(node.args[1], torch.fx.Node) else None
        transposed = base == "convolution" and bool(arg(6, "transposed", False))
        if not isinstance(weight, torch.Size) or len(weight) != 4 or transposed:
            kind = "unsupported"
        else:
            kernel = (int(weight[2]), int(weight[3]))
            dilation = _pair(arg(5, "dilation", 1))
            padding = _same_padding(arg(4, "padding", 0), kernel, dilation)
            if padding is None:
                kind = "unsupported"
            else:
                groups = int(arg(8, "groups", 1)) if base == "convolution" else int(arg(6, "groups", 1))
                attrs.update(kernel=kernel, stride=_pair(arg(3, "stride", 1)), padding=padding,
                             dilation=dilation, groups=groups, bias=arg(2, "bias") is not None)
    elif kind == "linear":
        attrs["bias"] = arg(2, "bias") is not None
    elif kind == "pool":
        kernel = _pair(arg(1, "kernel_size"))
        stride = arg(2, "stride")
        attrs.update(
            mode="avg" if base == "avg_pool2d" else "max",
            kernel=kernel,
            stride=_pair(stride) if stride not in (None, [], ()) else kernel,
            padding=_pair(arg(3, "padding", 0)),
            dilation=_pair(arg(4, "dilation", 1)) if base != "avg_pool2d" else (1, 1),
        )
    elif kind == "adaptive_pool":
        attrs["mode"] = "max" if "max" in base else "avg"
    elif kind == "mean":
        dims = arg(1, "dim")
        attrs["dims"] = None if dims is None else tuple(dims) if isinstance(dims, (list, tuple)) else (dims,)
    elif kind == "lrn":
        attrs["size"] = int(arg(1, "size"))
    elif kind == "shuffle":
        attrs["groups"] = int(arg(1, "groups"))
    elif kind == "concat":
        tensors = node.args[0] if node.args else node.kwargs.get("tensors", ())
        operands = tuple(t if isinstance(shapes.get(t), torch.Size) else None for t in tensors)
        attrs["dim"] = int(arg(1, "dim", 0))
    elif kind in ("add", "mul"):
        attrs["mode"] = "sub" if base in _SUBTRACT else "div" if base in _DIVIDE else ""
    elif kind == "transpose":
        if base == "permute":
            dims = node.args[1:] if len(node.args) > 2 else arg(1, "dims")
            attrs["perm"] = tuple(int(d) for d in _resolve(dims, consts))
        else:
            attrs["swap"] = (int(arg(1, "dim0")), int(arg(2, "dim1")))
    elif kind == "split":
        source = node.args[0] if node.args else None
        operands = (source,) if isinstance(source, torch.fx.Node) else ()
        attrs["from_tuple"] = base == "getitem" and not isinstance(shapes.get(source), torch.Size)
    return _Op(kind, node.name, op_name, (node,), operands, attrs, params)


# ---------------------------------------------------------------------------------------------
# Building the layers
# ---------------------------------------------------------------------------------------------
def _numel(shape: Sequence[int]) -> int:
    return math.prod(int(d) for d in shape)


def _nchw(shape: Sequence[int]) -> Shape:
    """Fold any tensor shape into (N, C, H, W): (N, F) -> (N, F, 1, 1), 5-D folds the middle."""
    dims = [int(d) for d in shape]
    if len(dims) == 0:
        return 1, 1, 1, 1
    if len(dims) == 1:
        return 1, dims[0], 1, 1
    if len(dims) == 2:
        return dims[0], dims[1], 1, 1
    if len(dims) == 3:
        return dims[0], dims[1], dims[2], 1
    return dims[0], dims[1], math.prod(dims[2:-1]), dims[-1]


class _Builder:
    """Turns recognised ops into hwsim layers (mutable only while building)."""

    def __init__(self, traced: _Traced) -> None:
        self.traced = traced
        self.shapes = traced.shapes
        self.layers: list[dict[str, Any]] = []
        self.by_name: dict[str, dict[str, Any]] = {}
        self.values: dict[torch.fx.Node, _Val] = {}
        self.unsupported: Counter[str] = Counter()
        self.used_params: dict[int, int] = {}
        self.flushed: dict[torch.fx.Node, _Val] = {}

    # ------------------------------------------------------------------ driver
    def build(self, module: nn.Module) -> tuple[tuple[Layer, ...], tuple[tuple[str, int], ...]]:
        for op in self.traced.ops:
            getattr(self, f"_on_{op.kind}")(op)
        total = {id(p): p.numel() for p in module.parameters()}
        left = sum(n for key, n in total.items() if key not in self.used_params)
        if left:
            self.unsupported[UNACCOUNTED_PARAMS] += left
        layers = tuple(Layer(**fields) for fields in self.layers)
        return layers, tuple(sorted(self.unsupported.items()))

    # ------------------------------------------------------------------ helpers
    def _shape(self, node: torch.fx.Node | None) -> torch.Size:
        shape = self.shapes.get(node) if node is not None else None
        return shape if isinstance(shape, torch.Size) else torch.Size(())

    def _value(self, node: torch.fx.Node | None) -> _Val:
        """The value of an operand, any pending shuffle chain materialised."""
        if node is None:
            return _Val((), 0)
        value = self.values.get(node, _Val((), _numel(self._shape(node))))
        return self._flush(node, value) if value.chain else value

    def _set(self, op: _Op, value: _Val) -> None:
        for node in op.outputs:
            self.values[node] = value

    def _unique(self, name: str) -> str:
        candidate, i = name, 0
        while candidate in self.by_name or candidate == "input":
            i += 1
            candidate = f"{name}_{i}"
        return candidate

    def _claim(self, params: Iterable[nn.Parameter]) -> int:
        """Count parameters not yet in any layer (a module called twice counts once)."""
        count = 0
        for p in params:
            if id(p) not in self.used_params:
                self.used_params[id(p)] = p.numel()
                count += p.numel()
        return count

    def _add_layer(self, op: _Op, op_kind: str, inputs: Iterable[_Val], **fields: Any) -> _Val:
        name = self._unique(op.name)
        producers: list[str] = []
        for value in inputs:
            producers.extend(value.producers)
        layer = dict(name=name, op=op_kind, inputs=tuple(producers), params=self._claim(op.params), **fields)
        self.layers.append(layer)
        self.by_name[name] = layer
        out = self._shape(op.outputs[0])
        value = _Val((name,), _numel(out), owner=name)
        self._set(op, value)
        return value

    def _sole_owner(self, op: _Op) -> dict[str, Any] | None:
        """The layer whose untouched output is this op's input, if the op is its only reader."""
        node = op.operands[0] if op.operands else None
        if node is None or len(node.users) != 1:
            return None
        value = self.values.get(node)
        if value is None or value.owner is None or value.chain:
            return None
        return self.by_name[value.owner]

    def _fuse(self, op: _Op, layer: dict[str, Any], what: str) -> None:
        layer["fused"] = tuple(layer.get("fused", ())) + (what,)
        layer["params"] += self._claim(op.params)
        self._set(op, self.values[op.operands[0]])

    def _passthrough(self, op: _Op, keep_owner: bool, elements: int | None = None) -> None:
        source = self._value(op.operands[0]) if op.operands else _Val((), 0)
        node = op.operands[0] if op.operands else None
        owner = source.owner if keep_owner and node is not None and len(node.users) == 1 else None
        out = self._shape(op.outputs[0])
        self._set(op, _Val(source.producers, _numel(out) if elements is None else elements, owner=owner))

    def _elementwise_fields(self, shape: Sequence[int]) -> dict[str, int]:
        n, c, h, w = _nchw(shape)
        return dict(n=n, c=c, h=h, w=w, k=c, p=h, q=w)

    # ------------------------------------------------------------------ op kinds
    def _on_input(self, op: _Op) -> None:
        self._set(op, _Val(("input",), _numel(self._shape(op.outputs[0]))))

    def _on_constant(self, op: _Op) -> None:
        self._set(op, _Val((), _numel(self._shape(op.outputs[0]))))

    def _on_unsupported(self, op: _Op) -> None:
        self.unsupported[op.label] += 1
        producers: list[str] = []
        for node in op.operands:
            for name in self._value(node).producers:
                if name not in producers:
                    producers.append(name)
        for node in op.outputs:
            self.values[node] = _Val(tuple(producers), _numel(self._shape(node)))

    def _on_conv(self, op: _Op) -> None:
        source = op.operands[0]
        shape_in, shape_out = self._shape(source), self._shape(op.outputs[0])
        if len(shape_in) == 3:  # unbatched conv2d input
            shape_in, shape_out = torch.Size((1, *shape_in)), torch.Size((1, *shape_out))
        n, c, h, w = (int(d) for d in shape_in)
        _, k, p, q = (int(d) for d in shape_out)
        a = op.attrs
        self._add_layer(
            op, "conv", [self._value(source)],
            n=n, c=c, h=h, w=w, k=k, p=p, q=q, r=a["kernel"][0], s=a["kernel"][1],
            stride_h=a["stride"][0], stride_w=a["stride"][1], pad_h=a["padding"][0], pad_w=a["padding"][1],
            dilation_h=a["dilation"][0], dilation_w=a["dilation"][1], groups=a["groups"], bias=a["bias"],
        )

    def _on_linear(self, op: _Op) -> None:
        source = op.operands[0]
        shape_in, shape_out = self._shape(source), self._shape(op.outputs[0])
        self._add_layer(
            op, "linear", [self._value(source)],
            n=_numel(shape_in[:-1]), c=int(shape_in[-1]), k=int(shape_out[-1]), bias=op.attrs["bias"],
        )

    def _on_batchnorm(self, op: _Op) -> None:
        host = self._sole_owner(op)
        if host is not None and host["op"] in ("conv", "linear") and not host.get("fused"):
            self._fuse(op, host, "batchnorm")
            return
        source = op.operands[0]
        self._add_layer(op, "batchnorm", [self._value(source)], **self._elementwise_fields(self._shape(source)))

    def _on_activation(self, op: _Op) -> None:
        mode = op.attrs["mode"]
        host = self._sole_owner(op)
        if host is not None and host["op"] in _ACTIVATION_HOSTS:
            self._fuse(op, host, mode)
            return
        source = op.operands[0]
        self._add_layer(op, "activation", [self._value(source)], mode=mode,
                        **self._elementwise_fields(self._shape(source)))

    def _pool_layer(self, op: _Op, mode: str, kernel: tuple[int, int], stride: tuple[int, int],
                    padding: tuple[int, int], dilation: tuple[int, int]) -> None:
        source = op.operands[0]
        n, c, h, w = _nchw(self._shape(source))
        _, k, p, q = _nchw(self._shape(op.outputs[0]))
        if (p, q) == (1, 1) and kernel[0] >= h and kernel[1] >= w and padding == (0, 0):
            self._global_pool_layer(op, mode)
            return
        self._add_layer(
            op, "pool", [self._value(source)], mode=mode, n=n, c=c, h=h, w=w, k=k, p=p, q=q,
            r=kernel[0], s=kernel[1], stride_h=stride[0], stride_w=stride[1], pad_h=padding[0],
            pad_w=padding[1], dilation_h=dilation[0], dilation_w=dilation[1],
        )

    def _global_pool_layer(self, op: _Op, mode: str) -> None:
        source = op.operands[0]
        n, c, h, w = _nchw(self._shape(source))
        self._add_layer(op, "global_pool", [self._value(source)], mode=mode,
                        n=n, c=c, h=h, w=w, k=c, p=1, q=1, r=h, s=w)

    def _on_pool(self, op: _Op) -> None:
        a = op.attrs
        self._pool_layer(op, a["mode"], a["kernel"], a["stride"], a["padding"], a["dilation"])

    def _on_adaptive_pool(self, op: _Op) -> None:
        shape_in, shape_out = self._shape(op.operands[0]), self._shape(op.outputs[0])
        _, _, h, w = _nchw(shape_in)
        _, _, p, q = _nchw(shape_out)
        if (p, q) == (1, 1):
            self._global_pool_layer(op, op.attrs["mode"])
        elif (p, q) == (h, w):
            self._passthrough(op, keep_owner=True)
        else:  # exact when out divides in; otherwise the largest window, documented above
            kernel = (math.ceil(h / p), math.ceil(w / q))
            self._pool_layer(op, op.attrs["mode"], kernel, (h // p, w // q), (0, 0), (1, 1))

    def _on_mean(self, op: _Op) -> None:
        shape_in = self._shape(op.operands[0])
        rank = len(shape_in)
        dims = op.attrs["dims"]
        spatial = set(range(2, rank))
        if rank >= 3 and dims is not None and {int(d) % rank for d in dims} == spatial:
            self._global_pool_layer(op, "avg")
        else:
            self._on_unsupported(op)

    def _on_lrn(self, op: _Op) -> None:
        source = op.operands[0]
        self._add_layer(op, "lrn", [self._value(source)], r=op.attrs["size"],
                        **self._elementwise_fields(self._shape(source)))

    def _on_shuffle(self, op: _Op) -> None:
        source = op.operands[0]
        self._add_layer(op, "shuffle", [self._value(source)], groups=op.attrs["groups"],
                        **self._elementwise_fields(self._shape(source)))

    def _binary(self, op: _Op, kind: str) -> None:
        values = [self._value(node) for node in op.operands]
        self._add_layer(
            op, kind, values, mode=op.attrs.get("mode", ""),
            operand_elements=tuple(v.elements for v in values),
            **self._elementwise_fields(self._shape(op.outputs[0])),
        )

    def _on_add(self, op: _Op) -> None:
        self._binary(op, "add")

    def _on_mul(self, op: _Op) -> None:
        self._binary(op, "mul")

    def _on_concat(self, op: _Op) -> None:
        shape_out = self._shape(op.outputs[0])
        if len(shape_out) < 2 or op.attrs["dim"] % len(shape_out) != 1:
            self._on_unsupported(replace(op, operands=tuple(o for o in op.operands if o is not None)))
            return
        values = [self._value(node) for node in op.operands]
        self._add_layer(op, "concat", values, operand_elements=tuple(v.elements for v in values),
                        **self._elementwise_fields(shape_out))

    def _on_identity(self, op: _Op) -> None:
        node = op.operands[0] if op.operands else None
        value = self.values.get(node) if node is not None else None
        if value is not None and value.chain and self._shape(node) == self._shape(op.outputs[0]):
            self._set(op, value)  # contiguous() inside a pending shuffle chain
            return
        self._passthrough(op, keep_owner=True)

    def _on_expand(self, op: _Op) -> None:
        source = self._value(op.operands[0]) if op.operands else _Val((), 0)
        self._passthrough(op, keep_owner=False, elements=source.elements)

    def _on_split(self, op: _Op) -> None:
        # getitem on a tuple (chunk halves, batch-norm's output tuple) passes ownership on only
        # when the tuple was a layer's output; a split of a tensor never does
        keep = bool(op.attrs.get("from_tuple"))
        self._passthrough(op, keep_owner=keep)

    def _on_view(self, op: _Op) -> None:
        node = op.operands[0]
        value = self.values.get(node, _Val((), 0))
        shape_in, shape_out = self._shape(node), self._shape(op.outputs[0])
        if len(value.chain) == 2 and tuple(shape_out) == value.source_shape:
            self._shuffle_from_chain(op, value)
            return
        if shape_in == shape_out:
            if value.chain:
                self._set(op, value)
            else:
                self._passthrough(op, keep_owner=True)
            return
        if len(shape_in) == 4 and len(shape_out) == 5 and shape_out[0] == shape_in[0] \
                and shape_out[1] * shape_out[2] == shape_in[1] and tuple(shape_out[3:]) == tuple(shape_in[2:]) \
                and not value.chain:
            source = self._value(node)
            self._set(op, _Val(source.producers, source.elements, chain=(("view", op.label, op.outputs[0]),),
                               chain_source=source, source_shape=tuple(shape_in), groups=int(shape_out[1])))
            return
        source = self._value(node)
        self._add_layer(op, "reshape", [source], **self._reshape_fields(shape_in, shape_out))

    def _reshape_fields(self, shape_in: Sequence[int], shape_out: Sequence[int]) -> dict[str, int]:
        n, c, h, w = _nchw(shape_in)
        n_out, k, p, q = _nchw(shape_out)
        if n_out != n:  # batch folded away: keep N and put the rest in K
            k, p, q = _numel(shape_out) // n, 1, 1
        return dict(n=n, c=c, h=h, w=w, k=k, p=p, q=q)

    def _on_transpose(self, op: _Op) -> None:
        node = op.operands[0]
        value = self.values.get(node, _Val((), 0))
        if len(value.chain) == 1:  # after the 5-D view of a shuffle: does it swap dims 1 and 2?
            swap, perm = op.attrs.get("swap"), op.attrs.get("perm")
            swaps_1_2 = (swap is not None and sorted(d % 5 for d in swap) == [1, 2]) or (
                perm is not None and tuple(d % 5 for d in perm) == (0, 2, 1, 3, 4)
            )
        else:
            swaps_1_2 = False
        if swaps_1_2:
            self._set(op, replace(value, chain=value.chain + (("transpose", op.label, op.outputs[0]),)))
            return
        self._on_unsupported(op)

    def _shuffle_from_chain(self, op: _Op, value: _Val) -> None:
        """view -> transpose -> view back: one shuffle layer named after the closing view."""
        assert value.chain_source is not None
        self._add_layer(op, "shuffle", [value.chain_source], groups=value.groups,
                        **self._elementwise_fields(value.source_shape))

    def _flush(self, node: torch.fx.Node, value: _Val) -> _Val:
        """Materialise a pending shuffle chain read by something else than the chain's end."""
        if node in self.flushed:
            return self.flushed[node]
        assert value.chain_source is not None
        result = value.chain_source
        shape_in: Sequence[int] = value.source_shape
        for step, label, step_node in value.chain:
            shape_out = self._shape(step_node)
            if step_node in self.flushed:
                result, shape_in = self.flushed[step_node], shape_out
                continue
            if step == "view":
                name = self._unique(step_node.name)
                layer = dict(name=name, op="reshape", inputs=result.producers,
                             **self._reshape_fields(shape_in, shape_out))
                self.layers.append(layer)
                self.by_name[name] = layer
                result = _Val((name,), _numel(shape_out))
            else:
                self.unsupported[label] += 1
                result = _Val(result.producers, _numel(shape_out))
            self.flushed[step_node] = result
            shape_in = shape_out
        self.flushed[node] = result
        return result
