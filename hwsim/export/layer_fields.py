"""Layer fields (Timeloop letters N C H W K P Q R S) from the shapes and attributes of neutral ops.

Pure functions, used by :mod:`hwsim.export.builder`. Every tensor shape is folded into
(N, C, H, W) by :func:`nchw`: (N, F) -> (N, F, 1, 1), (N, C, L) -> (N, C, L, 1), and a 5-D or
larger shape folds its middle dims into H. Sizes are in elements and pixels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from hwsim.export.neutral import NeutralOp, Shape, Tensor


def shape_of(tensor: Tensor | None) -> Shape:
    """The tensor's shape; ``()`` for a constant operand or a tuple of tensors."""
    return () if tensor is None or tensor.shape is None else tensor.shape


def numel(shape: Sequence[int]) -> int:
    """Elements of a tensor of ``shape`` (1 for ``()``)."""
    return math.prod(int(d) for d in shape)


def nchw(shape: Sequence[int]) -> Shape:
    """Fold any tensor shape into (N, C, H, W); see the module docstring."""
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


def elementwise_fields(shape: Sequence[int]) -> dict[str, int]:
    """An elementwise layer on ``shape``: output = input (K = C, P = H, Q = W)."""
    n, c, h, w = nchw(shape)
    return dict(n=n, c=c, h=h, w=w, k=c, p=h, q=w)


def reshape_fields(shape_in: Sequence[int], shape_out: Sequence[int]) -> dict[str, int]:
    """A reshape from ``shape_in`` to ``shape_out``; where the batch dim is folded away, N stays
    that of the input and K holds the rest of the output (P = Q = 1)."""
    n, c, h, w = nchw(shape_in)
    n_out, k, p, q = nchw(shape_out)
    if n_out != n:
        k, p, q = numel(shape_out) // n, 1, 1
    return dict(n=n, c=c, h=h, w=w, k=k, p=p, q=q)


def conv_fields(op: NeutralOp) -> dict[str, Any]:
    """A conv layer from its input and output shapes (N, C, H, W) -> (N, K, P, Q) and attributes
    (an unbatched (C, H, W) input counts as N = 1)."""
    shape_in, shape_out = shape_of(op.inputs[0]), shape_of(op.outputs[0])
    if len(shape_in) == 3:
        shape_in, shape_out = (1, *shape_in), (1, *shape_out)
    n, c, h, w = (int(d) for d in shape_in)
    _, k, p, q = (int(d) for d in shape_out)
    a = op.attrs
    return dict(
        n=n, c=c, h=h, w=w, k=k, p=p, q=q, r=a.kernel[0], s=a.kernel[1],
        stride_h=a.stride[0], stride_w=a.stride[1], pad_h=a.padding[0], pad_w=a.padding[1],
        dilation_h=a.dilation[0], dilation_w=a.dilation[1], groups=a.groups, bias=a.bias,
    )


def linear_fields(op: NeutralOp) -> dict[str, Any]:
    """A linear layer: N = product of the leading dims, C = in features, K = out features."""
    shape_in, shape_out = shape_of(op.inputs[0]), shape_of(op.outputs[0])
    return dict(n=numel(shape_in[:-1]), c=int(shape_in[-1]), k=int(shape_out[-1]), bias=op.attrs.bias)


def pool_fields(
    shape_in: Sequence[int],
    shape_out: Sequence[int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
) -> dict[str, int]:
    """A pooling layer with an R x S = ``kernel`` window."""
    n, c, h, w = nchw(shape_in)
    _, k, p, q = nchw(shape_out)
    return dict(
        n=n, c=c, h=h, w=w, k=k, p=p, q=q, r=kernel[0], s=kernel[1], stride_h=stride[0],
        stride_w=stride[1], pad_h=padding[0], pad_w=padding[1], dilation_h=dilation[0], dilation_w=dilation[1],
    )


def global_pool_fields(shape_in: Sequence[int]) -> dict[str, int]:
    """A global pool: one H x W window per channel, a 1 x 1 output."""
    n, c, h, w = nchw(shape_in)
    return dict(n=n, c=c, h=h, w=w, k=c, p=1, q=1, r=h, s=w)
