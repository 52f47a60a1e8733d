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
    _MODE_MODULES,
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

    if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d)) and not isinstance(
        module, nn.modules.lazy.LazyModuleMixin
    ):
        return _conv_module_op(module, op)
    if isinstance(module, nn.MultiheadAttention):
        return op("multihead_attention", heads=int(module.num_heads), mode="batch_first" if module.batch_first else "")
    if isinstance(module, (nn.RNNBase, nn.Conv3d, nn.Embedding, nn.EmbeddingBag)):
        return NeutralOp("unsupported", qualname, label, operands, outputs, params=params,
                         macs=_left_out_macs(module, operands, outputs))
    if isinstance(module, nn.Linear) and not isinstance(module, nn.LazyLinear):
        return op("linear", bias=module.bias is not None)
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.SyncBatchNorm)):
        return op("batchnorm")
    for cls, kind, mode in _MODE_MODULES:
        if isinstance(module, cls):
            return op(kind, mode=mode or str(getattr(module, "mode", "")))
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


def _conv_module_op(module: nn.Module, op: Any) -> NeutralOp:
    """A Conv1d/Conv2d or ConvTranspose1d/2d call; a 1-D one has kernel, stride, padding and
    dilation (x, 1) and ``spatial_dims`` 1. An asymmetric 'same' padding is unsupported."""
    one_d = isinstance(module, (nn.Conv1d, nn.ConvTranspose1d))

    def axes(value: Any) -> tuple[int, int]:
        return (int(_pair(value)[0]), 1) if one_d else _pair(value)

    kernel, dilation = axes(module.kernel_size), axes(module.dilation)
    padding = _same_padding(_conv_padding(module.padding, one_d), kernel, dilation)
    if padding is None:
        return op("unsupported")
    kind = "conv_transpose" if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d)) else "conv"
    return op(kind, kernel=kernel, stride=axes(module.stride), padding=padding, dilation=dilation,
              groups=module.groups, bias=module.bias is not None, spatial_dims=1 if one_d else 2)


def _conv_padding(padding: Any, one_d: bool) -> Any:
    """A conv's padding per axis ('same'/'valid' kept); a 1-D conv pads nothing along the width."""
    if isinstance(padding, str):
        return padding
    return (_pair(padding)[0], 0) if one_d else _pair(padding)


def _left_out_macs(module: nn.Module, operands: tuple[Tensor, ...], outputs: tuple[Tensor, ...]) -> int | None:
    """The MACs of a module hwsim does not simulate, where they are known: a recurrent layer uses
    each weight element once per step and batch row (steps x batch x weight elements); a 3-D conv
    does (C/g) x kernel volume per output element; an embedding looks rows up (0 MACs)."""
    if isinstance(module, (nn.Embedding, nn.EmbeddingBag)):
        return 0
    shape_in = operands[0].shape if operands else None
    shape_out = outputs[0].shape if outputs else None
    if isinstance(module, nn.RNNBase) and shape_in is not None:
        steps_and_batch = shape_in[0] * shape_in[1] if len(shape_in) == 3 else shape_in[0]
        weights = sum(p.numel() for name, p in module.named_parameters() if name.startswith("weight"))
        return int(steps_and_batch * weights)
    if isinstance(module, nn.Conv3d) and shape_out is not None:
        return int(torch.Size(shape_out).numel() * module.weight[0].numel())
    return None


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
    if base == "getattr" and len(node.args) > 1 and node.args[1] in ("T", "mT", "H", "mH"):
        base = str(node.args[1])  # x.T, x.mT: a transpose written as an attribute
    kind = _FUNCTION_KINDS.get(base, "unsupported")
    operands: tuple[torch.fx.Node | None, ...] = _tensor_operands(node, shapes)
    if kind in ("split", "view", "transpose", "identity", "expand", "activation", "mean", "pool", "adaptive_pool",
                "lrn", "shuffle", "conv", "conv_transpose", "linear", "batchnorm", "softmax", "norm", "resize", "pad"):
        operands = operands[:1]  # the data operand; weights and the like are parameters/constants
    attrs: dict[str, Any] = {}
    arg = lambda i, k, d=None: _arg(node, i, k, d, consts)  # noqa: E731
    if kind == "activation":
        mode = _ACTIVATION_FUNCTIONS[base]
        if mode == "hardtanh" and (float(arg(1, "min_val", -1.0)), float(arg(2, "max_val", 1.0))) == (0.0, 6.0):
            mode = "relu6"
        attrs["mode"] = mode
    elif kind in ("conv", "conv_transpose"):
        kind, conv_attrs = _conv_function(base, node, shapes, arg)
        attrs.update(conv_attrs)
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
        if len(node.args) >= 2:  # keep the operands' positions: None for a Python scalar (x / 2 is not 2 / x)
            operands = tuple(a if isinstance(shapes.get(a), torch.Size) else None for a in node.args[:2])
    elif kind == "einsum":
        attrs["equation"] = str(arg(0, "equation", ""))
    elif kind == "softmax":
        attrs["mode"] = "log_softmax" if "log" in base else "softmax"
    elif kind == "norm":
        attrs["mode"] = base.replace("native_", "").replace("_norm", "")
    elif kind == "resize":
        attrs["mode"] = str(arg(3, "mode", "nearest")) if base in ("interpolate", "upsample") else base.split("_")[-1][:-2]
    elif kind == "pad":
        attrs["mode"] = str(arg(2, "mode", "constant")) if base == "pad" else base.split("_")[0]
    elif kind == "transpose":
        if base in ("pixel_shuffle", "pixel_unshuffle"):
            attrs["mode"] = base
        elif base in ("t", "mT", "mH"):
            attrs["swap"] = (0, 1) if base == "t" else (-2, -1)
        elif base == "permute":
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


def _conv_function(base: str, node: torch.fx.Node, shapes: Mapping[torch.fx.Node, Any], arg: Any) -> tuple[str, dict[str, Any]]:
    """(kind, attributes) of a functional conv: ``conv1d``/``conv2d`` (input, weight, bias, stride,
    padding, dilation, groups), ``conv_transpose1d/2d`` (input, weight, bias, stride, padding,
    output_padding, groups, dilation) or ATen ``convolution`` (input, weight, bias, stride, padding,
    dilation, transposed, output_padding, groups); "unsupported" when the kernel is not 1-D or 2-D
    or a 'same' padding is asymmetric."""
    weight = shapes.get(node.args[1]) if len(node.args) > 1 and isinstance(node.args[1], torch.fx.Node) else None
    if not isinstance(weight, torch.Size) or len(weight) not in (3, 4):
        return "unsupported", {}
    one_d = len(weight) == 3
    transposed = base.startswith("conv_transpose") or (base == "convolution" and bool(arg(6, "transposed", False)))

    def axes(value: Any) -> tuple[int, int]:
        return (_pair(value)[0], 1) if one_d else _pair(value)

    kernel = (int(weight[2]), 1) if one_d else (int(weight[2]), int(weight[3]))
    if base == "convolution":
        dilation, groups = axes(arg(5, "dilation", 1)), int(arg(8, "groups", 1))
    elif transposed:
        dilation, groups = axes(arg(7, "dilation", 1)), int(arg(6, "groups", 1))
    else:
        dilation, groups = axes(arg(5, "dilation", 1)), int(arg(6, "groups", 1))
    padding = _same_padding(_conv_padding(arg(4, "padding", 0), one_d), kernel, dilation)
    if padding is None:
        return "unsupported", {}
    return ("conv_transpose" if transposed else "conv"), dict(
        kernel=kernel, stride=axes(arg(3, "stride", 1)), padding=padding,
        dilation=dilation, groups=groups, bias=arg(2, "bias") is not None, spatial_dims=1 if one_d else 2,
    )
