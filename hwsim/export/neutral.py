"""The exporter's front-end-neutral op list: what a front end hands the graph-building passes.

A front end (the PyTorch one in :mod:`hwsim.export.pytorch`, the ONNX one in
:mod:`hwsim.export.onnx_front`) traces or reads a model
into a :class:`NeutralGraph`: its ops in execution order, each a :class:`NeutralOp` of one
canonical kind (:data:`KINDS`) that reads and writes named tensors (:class:`Tensor`, with their
shapes) and uses parameters (:class:`Param`, counted in elements). :mod:`hwsim.export.builder`
turns that list into hwsim layers without knowing which front end made it.

Torch-free: the standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

Shape = tuple[int, ...]

#: Canonical op kinds, with the :class:`Attrs` fields each one reads.
KINDS: Mapping[str, str] = {
    "input": "the model's input tensor",
    "constant": "a tensor made from nothing (a buffer, zeros, a constant)",
    "conv": "2-D (or 1-D: spatial_dims = 1) convolution; kernel, stride, padding, dilation, groups, bias",
    "conv_transpose": "transposed convolution; kernel, stride, padding, dilation, groups, bias",
    "linear": "fully connected layer on the last dim; bias",
    "matmul": "A @ B over the last two dims, batched over the leading ones (B a constant: a linear layer)",
    "einsum": "two-operand einsum; equation (a matmul when it is one)",
    "attention": "scaled dot-product attention of (q, k, v[, mask]): QK^T, softmax, AV",
    "multihead_attention": "in-projections, per-head attention and out-projection; heads, mode = batch_first or ''",
    "batchnorm": "batch normalisation (folded into a sole conv/linear producer)",
    "activation": "elementwise non-linearity; mode = relu, relu6, sigmoid, ...",
    "pool": "max/avg pooling; mode = max or avg, kernel, stride, padding, dilation",
    "adaptive_pool": "adaptive pooling to the output's size; mode = max or avg",
    "mean": "mean over dims (a global average pool over all spatial dims); dims",
    "lrn": "local response normalisation; size = its channel window",
    "softmax": "softmax over one dim (never fused); mode = softmax or log_softmax",
    "norm": "layer / group / instance normalisation; mode = layer, group or instance",
    "resize": "interpolate / upsample to the output's size; mode = nearest, linear, ...",
    "pad": "explicit padding to the output's size; mode = constant, reflect, ...",
    "shuffle": "channel shuffle; groups",
    "add": "elementwise add; mode = '' or sub",
    "mul": "elementwise multiply; mode = '' or div",
    "concat": "concatenation; dim",
    "view": "shape change that moves no data (view, reshape, flatten, ...)",
    "transpose": "data-moving dim swap; swap = (dim0, dim1) or perm = a permutation; mode = pixel_shuffle ...",
    "identity": "no-op at inference (dropout, contiguous, casts)",
    "expand": "broadcast view (stores its source's elements)",
    "split": "channel split or indexing (pass-through); from_tuple = reads one item of a tuple",
    "unsupported": "anything else: listed by label in the graph (with its MACs when known), never dropped",
}


@dataclass(frozen=True)
class Tensor:
    """A value an op writes and later ops read."""

    name: str  #: unique in the graph (the source graph's node name)
    shape: Shape | None  #: None: not one tensor (a tuple of tensors, e.g. a chunk's result)
    #: nodes of the source graph that read it, shape queries and the graph's output included;
    #: a batch-norm or activation is fused into its producer only when it is the sole reader
    readers: int


@dataclass(frozen=True)
class Param:
    """A parameter tensor of the model; a parameter shared by two modules has one key."""

    key: str  #: unique name of the parameter (its qualified name in the model)
    elements: int  #: parameter elements


@dataclass(frozen=True)
class Attrs:
    """Attributes of an op; each kind reads only the fields :data:`KINDS` names for it."""

    kernel: tuple[int, int] = (1, 1)  #: window (height, width) in pixels
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)  #: per side, in pixels
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    spatial_dims: int = 2  #: conv: 2 (N, C, H, W) or 1 (N, C, L)
    bias: bool = False
    mode: str = ""
    size: int = 0  #: lrn: channel window
    dims: tuple[int, ...] | None = None  #: mean: the reduced dims (None: all)
    dim: int = 0  #: concat: the joined dim
    perm: tuple[int, ...] | None = None  #: transpose: a permutation of all dims
    swap: tuple[int, int] | None = None  #: transpose: two swapped dims
    from_tuple: bool = False  #: split: reads one item of a tuple (e.g. a chunk's half)
    equation: str = ""  #: einsum: the equation
    heads: int = 1  #: multihead_attention: heads


@dataclass(frozen=True)
class NeutralOp:
    """One operation of the traced model in canonical form."""

    kind: str  #: one of :data:`KINDS`
    #: a module's qualified name, or the source node's name (the layer name of an op no module encloses)
    name: str
    label: str  #: the op's own name (``Conv2d``, ``relu``, ``sum``), as listed when unsupported
    inputs: tuple[Tensor | None, ...]  #: tensor operands in order (None: a constant operand)
    outputs: tuple[Tensor, ...]  #: the tensors this op writes
    attrs: Attrs = Attrs()
    params: tuple[Param, ...] = ()  #: parameters the op uses
    #: functional op: qualified name of the innermost module it runs in ("" for a module's op or at top level)
    scope: str = ""
    word: str = ""  #: functional op: the op word of its layer name, ``<scope>.<word>``
    #: an unsupported op: the MACs the front end knows it does (None: unknown), for the coverage
    macs: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"op {self.name!r}: unknown kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if not self.outputs:
            raise ValueError(f"op {self.name!r}: no outputs; every op writes at least one tensor")


@dataclass(frozen=True)
class NeutralGraph:
    """A traced model: its ops in execution order and every parameter it owns."""

    tracer: str  #: how the front end traced it (``torch.fx``, ``torch.export``), kept as graph metadata
    ops: tuple[NeutralOp, ...]
    #: every parameter of the model, used or not (the ones no op uses are reported as unused)
    params: tuple[Param, ...] = ()
