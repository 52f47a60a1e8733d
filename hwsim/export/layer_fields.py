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
    return resize_fields(shape_in, shape_out)


def _conv_shapes(op: NeutralOp) -> tuple[Shape, Shape]:
    """Input and output of a conv as (N, C, H, W): an unbatched input counts as N = 1, and a 1-D
    conv's (N, C, L) is (N, C, L, 1) (its kernel, stride, padding and dilation are (x, 1))."""
    shape_in, shape_out = shape_of(op.inputs[0]), shape_of(op.outputs[0])
    if len(shape_in) == op.attrs.spatial_dims + 1:
        shape_in, shape_out = (1, *shape_in), (1, *shape_out)
    if op.attrs.spatial_dims == 1:
        shape_in, shape_out = (*shape_in, 1), (*shape_out, 1)
    return tuple(int(d) for d in shape_in), tuple(int(d) for d in shape_out)


def conv_fields(op: NeutralOp) -> dict[str, Any]:
    """A conv (or conv_transpose) layer from its input and output shapes (N, C, H, W) -> (N, K, P, Q)
    and attributes (an unbatched input counts as N = 1; a 1-D conv has W = Q = S = 1)."""
    (n, c, h, w), (_, k, p, q) = _conv_shapes(op)
    a = op.attrs
    return dict(
        n=n, c=c, h=h, w=w, k=k, p=p, q=q, r=a.kernel[0], s=a.kernel[1],
        stride_h=a.stride[0], stride_w=a.stride[1], pad_h=a.padding[0], pad_w=a.padding[1],
        dilation_h=a.dilation[0], dilation_w=a.dilation[1], groups=a.groups, bias=a.bias,
    )


def matmul_fields(shape_a: Sequence[int], shape_b: Sequence[int]) -> dict[str, int]:
    """A ``matmul`` layer for A (..., M, K) @ B (..., K, N), batch dims broadcast (a 1-D A is
    (1, K), a 1-D B is (K, 1)).

    When B has no batch dims (one B for every row of A) the product is one GEMM over all rows:
    N = the rows of A's batch dims, C = K, H = P = M, K = N. Otherwise each of the g = product of
    the broadcast batch dims is its own GEMM (a group): N = 1, C = g*K, H = P = M, K = g*N, groups = g.
    """
    a = [int(d) for d in shape_a] if len(shape_a) != 1 else [1, int(shape_a[0])]
    b = [int(d) for d in shape_b] if len(shape_b) != 1 else [int(shape_b[0]), 1]
    m, k, n = a[-2], a[-1], b[-1]
    if numel(b[:-2]) == 1:
        return dict(n=numel(a[:-2]), c=k, h=m, w=1, k=n, p=m, q=1, groups=1)
    g = numel(_broadcast(a[:-2], b[:-2]))
    return dict(n=1, c=g * k, h=m, w=1, k=g * n, p=m, q=1, groups=g)


def _broadcast(x: Sequence[int], y: Sequence[int]) -> list[int]:
    """numpy's broadcast of two shapes (sizes are assumed compatible)."""
    width = max(len(x), len(y))
    x = [1] * (width - len(x)) + list(x)
    y = [1] * (width - len(y)) + list(y)
    return [max(p, q) for p, q in zip(x, y)]


def einsum_fields(equation: str, shape_a: Sequence[int], shape_b: Sequence[int]) -> dict[str, int] | None:
    """A two-operand einsum as a ``matmul`` layer, or None when it is not one.

    Letters in A, B and the output are batch dims (groups), letters in A and B only are
    contracted (K), letters in A and the output are M, in B and the output N; the operands'
    layout is addressing. MACs = the product of every letter's size (fvcore's count). None for a
    letter repeated in one operand, a letter summed over in one operand only, or no output.
    """
    equation = equation.replace(" ", "")
    if "->" not in equation:
        return None
    lhs, out = equation.split("->")
    operands = lhs.split(",")
    if len(operands) != 2:
        return None
    shapes = (tuple(int(d) for d in shape_a), tuple(int(d) for d in shape_b))
    letters: list[str] = []
    sizes: dict[str, int] = {}
    for spec, shape in zip(operands, shapes):
        if "..." in spec:  # ellipsis: the leading dims not named, as fresh upper-case letters
            extra = len(shape) - (len(spec) - 3)
            spec = spec.replace("...", "".join(chr(ord("Z") - i) for i in reversed(range(extra))))
        if len(spec) != len(shape) or len(set(spec)) != len(spec):
            return None
        letters.append(spec)
        for letter, size in zip(spec, shape):
            sizes[letter] = max(sizes.get(letter, 1), size)
    spec_a, spec_b = letters
    if "..." in out:
        lead = [x for x in spec_a if x.isupper()] or [x for x in spec_b if x.isupper()]
        out = out.replace("...", "".join(lead))
    a, b, o = set(spec_a), set(spec_b), set(out)
    if (a - b - o) or (b - a - o) or not o <= a | b:
        return None
    batch = [sizes[x] for x in a & b & o]
    k = numel([sizes[x] for x in (a & b) - o])
    m = numel([sizes[x] for x in (a & o) - b])
    n = numel([sizes[x] for x in (b & o) - a])
    g = numel(batch)
    return dict(n=1, c=g * k, h=m, w=1, k=g * n, p=m, q=1, groups=g)


def resize_fields(shape_in: Sequence[int], shape_out: Sequence[int]) -> dict[str, int]:
    """A layer that maps ``shape_in`` to ``shape_out`` element by element (resize, pad, a
    transpose): N, C, H, W of the input; the output keeps N and holds the rest in K, P, Q."""
    n, c, h, w = nchw(shape_in)
    n_out, k, p, q = nchw(shape_out)
    if n_out != n:
        k, p, q = numel(shape_out) // n, 1, 1
    return dict(n=n, c=c, h=h, w=w, k=k, p=p, q=q)


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
