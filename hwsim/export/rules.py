"""The PyTorch front end's small per-operator recognition rules.

:func:`_module_op` turns one call of a torch.nn leaf module, :func:`_function_op` one functional
node (torch function, tensor method or ATen op), into a :class:`~hwsim.export.neutral.NeutralOp`
of a canonical kind with its attributes (kernel, stride, padding, dilation, groups, mode, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.fx
from torch import nn

from hwsim.export.neutral import Attrs, NeutralOp, Param, Tensor
from hwsim.export.ops import (
    _ACTIVATION_FUNCTIONS,
    _ACTIVATION_MODULES,
    _DIVIDE,
    _FUNCTION_KINDS,
    _SUBTRACT,
    _layer_word,
    _scope_of,
    _tensor,
    _tensor_operands,
)


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
    outputs: tuple[Tensor, ...],
    operands: tuple[Tensor, ...],
    params: tuple[Param, ...],
) -> NeutralOp:
    """Recognise one call of a torch.nn leaf module (``params``: the module's parameters)."""
    label = type(module).__name__

    def op(kind: str, **attrs: Any) -> NeutralOp:
        return NeutralOp(kind, qualname, label, operands, outputs, Attrs(**attrs), params)

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
    params: tuple[Param, ...],
) -> NeutralOp:
    """Recognise one functional node (torch function, tensor method or ATen op).

    The op keeps the node's name, the innermost module it runs in and its op word: its layer, if
    it makes one, is named ``<scope>.<word>`` (the node's name at top level).
    """
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
    inputs = tuple(None if o is None else _tensor(o, shapes) for o in operands)
    return NeutralOp(kind, node.name, op_name, inputs, (_tensor(node, shapes),), Attrs(**attrs), params,
                     scope=_scope_of(node), word=_layer_word(kind, base))
