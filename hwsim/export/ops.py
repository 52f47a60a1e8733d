"""The PyTorch front end's operator tables and fx node helpers.

- ``_FUNCTION_KINDS`` maps a function, tensor method or ATen packet name to a canonical kind of
  :data:`hwsim.export.neutral.KINDS`; ``_ACTIVATION_MODULES`` does the same for torch.nn
  activation modules and ``_MODE_MODULES`` for softmax, norm, resize, pad and pixel-shuffle modules.
- :func:`_flat_nodes` / :func:`_tensor_operands`: the fx nodes a node reads; :func:`_tensor`: an
  fx node as a neutral :class:`~hwsim.export.neutral.Tensor`.
- :func:`_scope_of` / :func:`_layer_word`: the two parts of a functional layer's name
  (``<innermost enclosing module>.<op word>``, e.g. ``stages.2.blocks.3.add``).

Imports torch: loaded only through the PyTorch front end (:mod:`hwsim.export.pytorch`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.fx
from torch import nn

from hwsim.export.neutral import Tensor

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
)
#: torch.nn modules of the kinds that carry a mode: (class, kind, mode)
_MODE_MODULES: tuple[tuple[type[nn.Module], str, str], ...] = (
    (nn.Softmax, "softmax", "softmax"),
    (nn.LogSoftmax, "softmax", "log_softmax"),
    (nn.LayerNorm, "norm", "layer"),
    (nn.GroupNorm, "norm", "group"),
    (nn.modules.instancenorm._InstanceNorm, "norm", "instance"),
    *(((nn.RMSNorm, "norm", "rms"),) if hasattr(nn, "RMSNorm") else ()),
    (nn.Upsample, "resize", ""),  # UpsamplingNearest2d / UpsamplingBilinear2d subclass it; mode from the module
    (nn.modules.padding._ConstantPadNd, "pad", "constant"),
    (nn.modules.padding._ReflectionPadNd, "pad", "reflect"),
    (nn.modules.padding._ReplicationPadNd, "pad", "replicate"),
    (nn.PixelShuffle, "transpose", "pixel_shuffle"),
    (nn.PixelUnshuffle, "transpose", "pixel_unshuffle"),
)

_KIND_NAMES = {
    "conv": "conv2d conv1d convolution",
    "conv_transpose": "conv_transpose2d conv_transpose1d",
    "linear": "linear",
    "matmul": "matmul mm bmm",
    "einsum": "einsum",
    "attention": "scaled_dot_product_attention _scaled_dot_product_flash_attention_for_cpu "
    "_scaled_dot_product_efficient_attention _scaled_dot_product_flash_attention",
    "softmax": "softmax _softmax log_softmax _log_softmax",
    "norm": "layer_norm group_norm instance_norm rms_norm native_layer_norm native_group_norm",
    "resize": "interpolate upsample upsample_nearest1d upsample_nearest2d upsample_linear1d upsample_bilinear2d "
    "upsample_bicubic2d _upsample_nearest_exact2d _upsample_bilinear2d_aa",
    "pad": "pad constant_pad_nd reflection_pad1d reflection_pad2d replication_pad1d replication_pad2d",
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
    # data-moving layout changes: part of a channel shuffle, else a transpose layer (a copy)
    "transpose": "transpose permute swapaxes swapdims t T mT H mH pixel_shuffle pixel_unshuffle",
    # identities at inference
    "identity": "dropout feature_dropout alpha_dropout feature_alpha_dropout dropout1d dropout2d "
    "dropout3d contiguous clone detach alias to float double half int long type_as _to_copy lift_fresh_copy identity",
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
#: op word of a functional layer's name where the op's own name differs between the tracers
#: (Python operators under torch.fx, ATen names under torch.export) or carries a private prefix
_WORDS = {
    "iadd": "add", "isub": "sub", "rsub": "sub", "imul": "mul", "truediv": "div", "itruediv": "div",
    "concat": "cat", "concatenate": "cat", "_unsafe_view": "view",
    **{name: "attention" for name in ("scaled_dot_product_attention", "_scaled_dot_product_flash_attention_for_cpu",
                                      "_scaled_dot_product_efficient_attention", "_scaled_dot_product_flash_attention")},
}


# ---------------------------------------------------------------------------------------------
# The fx nodes a node reads
# ---------------------------------------------------------------------------------------------
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


def _tensor(node: torch.fx.Node, shapes: Mapping[torch.fx.Node, Any]) -> Tensor:
    """``node`` as a neutral tensor: its name, its shape (None unless one tensor) and its readers
    (every user in the fx graph, shape queries and the graph's output included)."""
    shape = shapes.get(node)
    dims = tuple(int(d) for d in shape) if isinstance(shape, torch.Size) else None
    return Tensor(node.name, dims, len(node.users))


# ---------------------------------------------------------------------------------------------
# Names of functional layers
# ---------------------------------------------------------------------------------------------
def _scope_of(node: torch.fx.Node) -> str:
    """Qualified name of the innermost module a functional node was traced in ("" at top level).

    Both tracers record ``node.meta["nn_module_stack"]``, outermost first, with values
    ``(qualname, class)``; torch.export adds the root module as ``""`` and marks a second call
    of a module in the key (``b@1``), never in the qualname.
    """
    stack = node.meta.get("nn_module_stack") or {}
    scope = ""
    for key, value in stack.items():
        qualname = value[0] if isinstance(value, tuple) else key
        if qualname:
            scope = str(qualname)
    return scope


def _layer_word(kind: str, base: str) -> str:
    """The op word of a functional layer's name: ``shuffle`` for any channel shuffle, else the
    op's own name (in-place ``_`` dropped), Python operators spelled as their ATen op."""
    if kind == "shuffle":
        return "shuffle"
    return _WORDS.get(base, base.lstrip("_") or base)
