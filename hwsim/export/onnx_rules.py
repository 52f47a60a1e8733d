"""The ONNX front end's per-operator rules: one ONNX node (or a recognised pattern of nodes) ->
one :class:`~hwsim.export.neutral.NeutralOp`.

:func:`unit_op` maps an op type to a canonical kind of :data:`hwsim.export.neutral.KINDS` with
its attributes, data operands and parameters, through :class:`Context` (shapes, constant values,
parameters) that :mod:`hwsim.export.onnx_front` provides. :func:`find_patterns` recognises the
decomposed forms exporters write for GELU (``x * 0.5 * (1 + erf(x / sqrt 2))``), SiLU
(``x * sigmoid(x)``), hardswish (``x * hardsigmoid(x)``) and layer normalisation (mean,
subtract, square, mean, add eps, sqrt, divide, then scale and shift), each of which becomes one
op. An op type no rule knows is an ``unsupported`` op labelled with it (domain-qualified when not
standard), never dropped. Conventions are those of :mod:`hwsim.export` (``Attrs`` per kind).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from hwsim.export.neutral import Attrs, NeutralOp, Param, Tensor

__all__ = ["Context", "Unit", "find_patterns", "unit_op"]

#: ONNX activations (op type -> hwsim mode); Clip is relu6 for (0, 6), else hardtanh.
ACTIVATIONS = {
    "Relu": "relu", "Sigmoid": "sigmoid", "HardSigmoid": "hardsigmoid", "HardSwish": "hardswish",
    "Silu": "silu", "Tanh": "tanh", "LeakyRelu": "leaky_relu", "Elu": "elu", "Selu": "selu", "Celu": "celu", "Gelu": "gelu",
    "Softplus": "softplus", "Softsign": "softsign", "Mish": "mish", "PRelu": "prelu", "ThresholdedRelu": "relu",
    "Erf": "erf", "Sqrt": "sqrt", "Exp": "exp", "Log": "log", "Neg": "neg", "Abs": "abs", "Reciprocal": "reciprocal",
    "Pow": "pow", "Sin": "sin", "Cos": "cos", "Floor": "floor", "Ceil": "ceil", "Round": "round", "Sign": "sign",
}
#: Op types that move no data or are identities at inference.
VIEWS = frozenset({"Reshape", "Flatten", "Squeeze", "Unsqueeze"})
IDENTITIES = frozenset({"Identity", "Dropout", "Cast", "CastLike"})
SPLITS = frozenset({"Slice", "Split", "Gather"})
#: The layer word of an op type (the default is the op type in lower case).
WORDS = {"Concat": "cat", "LayerNormalization": "layer_norm", "GroupNormalization": "group_norm",
         "InstanceNormalization": "instance_norm", "BatchNormalization": "batch_norm", "GlobalAveragePool": "avgpool",
         "GlobalMaxPool": "maxpool", "AveragePool": "avgpool", "MaxPool": "maxpool", "ConvTranspose": "conv_transpose",
         "DepthToSpace": "pixel_shuffle", "SpaceToDepth": "pixel_unshuffle"}


class Context(Protocol):
    """What a rule may ask about the graph (implemented by :mod:`hwsim.export.onnx_front`)."""

    def shape(self, name: str) -> tuple[int, ...] | None: ...
    def value(self, name: str) -> Any: ...  # a numpy array, or None when not a known constant
    def is_data(self, name: str) -> bool: ...
    def tensor(self, name: str) -> Tensor: ...
    def operand(self, name: str) -> Tensor | None: ...  # a data or constant tensor; None for a scalar
    def params(self, names: Sequence[str]) -> tuple[Param, ...]: ...


@dataclass(frozen=True)
class Unit:
    """One node, or a pattern of nodes that becomes one op."""

    op_type: str  #: the ONNX op type, or the pattern's name (``Gelu``, ``LayerNormalization``, ...)
    name: str  #: the ONNX name of the (last) node
    domain: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attrs: dict[str, Any] = field(default_factory=dict)


def _ints(value: Any, default: Sequence[int]) -> tuple[int, ...]:
    return tuple(int(v) for v in value) if value is not None else tuple(default)


def _spatial(values: tuple[int, ...], fill: int) -> tuple[int, int]:
    """A 1-D or 2-D attribute as (height, width) (a 1-D one has ``fill`` along the width)."""
    return (values[0], fill) if len(values) == 1 else (values[0], values[1])


def _window(ctx: Context, unit: Unit, kernel: tuple[int, ...]) -> dict[str, Any] | None:
    """Kernel, stride, dilation and per-side padding of a conv or pool (a 3-D pool's window as
    (d*h, w)); None for more than 3-D.

    ``pads`` are [begin..., end...]; an asymmetric total is stored as the larger half, and the
    output size, taken from the graph's shapes, stays exact (docs/MODEL.md §1). ``auto_pad``
    SAME_* pads the total the output size asks for, VALID nothing."""
    rank = len(kernel)
    if rank not in (1, 2, 3):
        return None
    strides = _ints(unit.attrs.get("strides"), [1] * rank)
    dilations = _ints(unit.attrs.get("dilations"), [1] * rank)
    auto = unit.attrs.get("auto_pad", "NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        shape_in, shape_out = ctx.shape(unit.inputs[0]), ctx.shape(unit.outputs[0])
        if shape_in is None or shape_out is None:
            return None
        totals = [max((o - 1) * s + d * (k - 1) + 1 - i, 0)
                  for i, o, s, d, k in zip(shape_in[2:], shape_out[2:], strides, dilations, kernel)]
        pads = tuple(-(-t // 2) for t in totals)
    else:
        raw = _ints(unit.attrs.get("pads"), [0] * 2 * rank)
        pads = tuple(max(raw[i], raw[i + rank]) for i in range(rank))
    if rank == 3:  # a 3-D window folds its first two dims into one (its size is what costs)
        kernel, strides, pads, dilations = (kernel[0] * kernel[1], kernel[2]), strides[1:], pads[1:], (1, 1)
    return dict(kernel=_spatial(kernel, 1), stride=_spatial(strides, 1), padding=_spatial(pads, 0),
                dilation=_spatial(dilations, 1), spatial_dims=rank)


def _where(unit: Unit) -> str:
    """``node 'name' (OpType)``, for error messages (the output it writes when it has no name)."""
    return f"node {unit.name or (unit.outputs[0] if unit.outputs else '')!r} ({unit.op_type})"


def _check_conv(ctx: Context, unit: Unit, weight: tuple[int, ...], kernel: tuple[int, ...]) -> None:
    """The weight agrees with the kernel, the group and the input's channels (ONNX's shape
    inference does not check them); a ValueError names the node and both values."""
    group = int(unit.attrs.get("group", 1))
    if group < 1:
        raise ValueError(f"{_where(unit)}: group = {group}: expected an integer >= 1")
    if tuple(kernel) != tuple(weight[2:]):
        raise ValueError(f"{_where(unit)}: kernel_shape {list(kernel)}: expected the weight {unit.inputs[1]!r}'s "
                         f"{list(weight[2:])} (weight shape {list(weight)})")
    shape_in = ctx.shape(unit.inputs[0])
    if shape_in is None or len(shape_in) not in (len(weight), len(weight) - 1):
        return
    channels = shape_in[1] if len(shape_in) == len(weight) else shape_in[0]
    reads = weight[1] * group if unit.op_type == "Conv" else weight[0]
    if reads != channels:
        layout = "C/group" if unit.op_type == "Conv" else "C"
        raise ValueError(f"{_where(unit)}: weight {unit.inputs[1]!r} of shape {list(weight)} ({layout} at dim "
                         f"{1 if unit.op_type == 'Conv' else 0}, group {group}) reads {reads} channels: expected the "
                         f"{channels} of input {unit.inputs[0]!r} (shape {list(shape_in)})")


def _conv(ctx: Context, unit: Unit, make: Callable[..., NeutralOp]) -> NeutralOp:
    weight = ctx.shape(unit.inputs[1]) if len(unit.inputs) > 1 else None
    kernel = _ints(unit.attrs.get("kernel_shape"), weight[2:] if weight else ())
    if weight:
        _check_conv(ctx, unit, weight, kernel)
    window = _window(ctx, unit, kernel) if weight and len(kernel) in (1, 2) else None
    weights = unit.inputs[1:3]
    if window is None:
        macs = None
        out = ctx.shape(unit.outputs[0])
        if weight and out and unit.op_type == "Conv":  # a 3-D conv: (C/g) x kernel volume per output element
            macs = _numel(out) * _numel(weight[1:])
        return make("unsupported", params=ctx.params(weights), macs=macs)
    kind = "conv" if unit.op_type == "Conv" else "conv_transpose"
    bias = len(unit.inputs) > 2 and bool(unit.inputs[2])
    return make(kind, [ctx.tensor(unit.inputs[0])], params=ctx.params(weights),
                groups=int(unit.attrs.get("group", 1)), bias=bias, **window)


def _numel(shape: Sequence[int]) -> int:
    count = 1
    for d in shape:
        count *= int(d)
    return count


def _gemm(ctx: Context, unit: Unit, make: Callable[..., NeutralOp]) -> NeutralOp:
    """Gemm: Y = alpha * A' B' + beta * C; a constant B with A untransposed is a linear layer."""
    a, b = unit.inputs[0], unit.inputs[1]
    trans_a, trans_b = int(unit.attrs.get("transA", 0)), int(unit.attrs.get("transB", 0))
    shape_a, shape_b = ctx.shape(a), ctx.shape(b)
    if shape_a is None or shape_b is None:
        return make("unsupported", params=ctx.params(unit.inputs[1:3]))
    bias = len(unit.inputs) > 2 and bool(unit.inputs[2])
    if not ctx.is_data(b) and not trans_a:
        return make("linear", [ctx.tensor(a)], params=ctx.params(unit.inputs[1:3]), bias=bias)
    flip = lambda shape, t: tuple(reversed(shape)) if t else shape  # noqa: E731
    operands = [Tensor(a, flip(shape_a, trans_a), ctx.tensor(a).readers), Tensor(b, flip(shape_b, trans_b), ctx.tensor(b).readers)]
    if not ctx.is_data(b):
        ctx.operand(b)  # the constant B is read as weights: make its value known
    return make("matmul", operands, params=ctx.params(unit.inputs[2:3]))


def _recurrent_macs(ctx: Context, unit: Unit) -> int | None:
    """LSTM/GRU/RNN: every weight element of W and R is used once per step and batch row."""
    x, w, r = (ctx.shape(name) for name in unit.inputs[:3])
    if x is None or w is None or r is None:
        return None
    return x[0] * x[1] * (_numel(w) + _numel(r))


def _clip_mode(ctx: Context, unit: Unit) -> str:
    low = unit.attrs.get("min")
    high = unit.attrs.get("max")
    if len(unit.inputs) > 1 and unit.inputs[1]:
        low = ctx.value(unit.inputs[1])
    if len(unit.inputs) > 2 and unit.inputs[2]:
        high = ctx.value(unit.inputs[2])
    try:
        return "relu6" if (float(low), float(high)) == (0.0, 6.0) else "hardtanh"
    except (TypeError, ValueError):
        return "hardtanh"


def unit_op(ctx: Context, unit: Unit, scope: str, word_name: str) -> NeutralOp:
    """The neutral op of ``unit`` (a node or a recognised pattern); ``scope`` is the module path
    the exporter wrote in the node's name, ``word_name`` the layer name where there is none."""
    t = unit.op_type
    label = t if unit.domain in ("", "ai.onnx") else f"{unit.domain}.{t}"
    outputs = tuple(ctx.tensor(o) for o in unit.outputs if o)
    word = WORDS.get(t, t.lower())

    def make(kind: str, inputs: Sequence[Tensor | None] | None = None, params: tuple[Param, ...] = (),
             macs: int | None = None, **attrs: Any) -> NeutralOp:
        if inputs is None:
            inputs = [ctx.operand(name) for name in unit.inputs if name and ctx.is_data(name)]
        return NeutralOp(kind, scope and f"{scope}.{word}" or word_name, label, tuple(inputs), outputs,
                         Attrs(**attrs), params, scope=scope, word=word, macs=macs)

    first = [ctx.tensor(unit.inputs[0])] if unit.inputs and unit.inputs[0] else []
    if t in ("Conv", "ConvTranspose"):
        return _conv(ctx, unit, make)
    if t == "Gemm":
        return _gemm(ctx, unit, make)
    if t == "MatMul":
        return make("matmul", [ctx.operand(name) for name in unit.inputs[:2]])
    if t == "Einsum":
        equation = unit.attrs.get("equation", b"")
        return make("einsum", [ctx.operand(name) for name in unit.inputs],
                    equation=equation.decode() if isinstance(equation, bytes) else str(equation))
    if t in ("Add", "Sub", "Mul", "Div"):
        mode = {"Sub": "sub", "Div": "div"}.get(t, "")
        return make("add" if t in ("Add", "Sub") else "mul", [ctx.operand(name) for name in unit.inputs[:2]], mode=mode)
    if t in ACTIVATIONS:
        return make("activation", first, params=ctx.params(unit.inputs[1:2]) if t == "PRelu" else (), mode=ACTIVATIONS[t])
    if t == "Clip":
        return make("activation", first, mode=_clip_mode(ctx, unit))
    if t in ("Softmax", "LogSoftmax"):
        return make("softmax", first, mode="log_softmax" if t == "LogSoftmax" else "softmax")
    if t == "BatchNormalization":  # scale and shift are parameters; mean and variance are statistics
        return make("batchnorm", first, params=ctx.params(unit.inputs[1:3]))
    if t in ("LayerNormalization", "GroupNormalization", "InstanceNormalization"):
        mode = {"LayerNormalization": "layer", "GroupNormalization": "group"}.get(t, "instance")
        return make("norm", first, params=ctx.params(unit.inputs[1:3]), mode=mode)
    if t in ("MaxPool", "AveragePool", "LpPool"):
        window = _window(ctx, unit, _ints(unit.attrs.get("kernel_shape"), ()))
        if window is None:
            return make("unsupported")
        window.pop("spatial_dims")
        return make("pool", first, mode="max" if t == "MaxPool" else "avg", **window)
    if t in ("GlobalAveragePool", "GlobalMaxPool"):
        return make("adaptive_pool", first, mode="max" if t == "GlobalMaxPool" else "avg")
    if t == "ReduceMean":
        axes = unit.attrs.get("axes")
        if axes is None and len(unit.inputs) > 1 and unit.inputs[1]:
            value = ctx.value(unit.inputs[1])
            axes = None if value is None else [int(v) for v in value.reshape(-1)]
        return make("mean", first, dims=None if axes is None else tuple(int(a) for a in axes))
    if t == "LRN":
        size = int(unit.attrs.get("size", 1))
        if size < 1:
            raise ValueError(f"{_where(unit)}: size = {size}: expected a channel window >= 1")
        return make("lrn", first, size=size)
    if t == "Concat":
        axis, rank = int(unit.attrs.get("axis", 0)), len(ctx.shape(unit.inputs[0]) or ()) if unit.inputs else 0
        if rank and not -rank <= axis < rank:
            raise ValueError(f"{_where(unit)}: axis = {axis}: expected an axis from {-rank} to {rank - 1} (inputs of rank {rank})")
        return make("concat", [ctx.operand(name) for name in unit.inputs], dim=axis)
    if t in VIEWS:
        shape_in, shape_out = ctx.shape(unit.inputs[0]), ctx.shape(unit.outputs[0])
        if shape_in is not None and shape_out is not None and _numel(shape_in) != _numel(shape_out):
            raise ValueError(f"{_where(unit)}: reads {_numel(shape_in):,} elements {list(shape_in)} and writes "
                             f"{_numel(shape_out):,} {list(shape_out)}: expected as many elements out as in")
        return make("view", first)
    if t == "Transpose":
        perm = unit.attrs.get("perm")
        shape = ctx.shape(unit.inputs[0])
        default = tuple(reversed(range(len(shape)))) if shape else None
        return make("transpose", first, perm=_ints(perm, default) if perm is not None or default else None)
    if t in ("DepthToSpace", "SpaceToDepth"):
        return make("transpose", first, mode="pixel_shuffle" if t == "DepthToSpace" else "pixel_unshuffle")
    if t in SPLITS:
        if t == "Gather" and ctx.value(unit.inputs[1]) is None:  # an embedding look-up: no MACs
            return make("unsupported", params=ctx.params(unit.inputs[:1]), macs=0)
        return make("split", first)
    if t == "Expand":
        return make("expand", first)
    if t in IDENTITIES:
        return make("identity", first)
    if t in ("Resize", "Upsample"):
        mode = unit.attrs.get("mode", b"nearest")
        return make("resize", first, mode=mode.decode() if isinstance(mode, bytes) else str(mode))
    if t == "Pad":
        mode = unit.attrs.get("mode", b"constant")
        return make("pad", first, mode=mode.decode() if isinstance(mode, bytes) else str(mode))
    if t == "Attention" and len(unit.inputs) >= 3 and all(len(ctx.shape(n) or ()) == 4 for n in unit.inputs[:3]):
        return make("attention", [ctx.operand(name) for name in unit.inputs[:4] if name])
    if t in ("LSTM", "GRU", "RNN"):
        return make("unsupported", params=ctx.params(unit.inputs[1:4]), macs=_recurrent_macs(ctx, unit))
    return make("unsupported", params=ctx.params([n for n in unit.inputs if n and not ctx.is_data(n)]))


# ---------------------------------------------------------------------------------------------
# Patterns: decomposed GELU, SiLU, hardswish and layer normalisation
# ---------------------------------------------------------------------------------------------
class Nodes(Protocol):
    """The view of the graph a pattern walks (provided by :mod:`hwsim.export.onnx_front`)."""

    def producer(self, name: str) -> Any: ...  # the node writing ``name``, or None
    def consumers(self, name: str) -> list[Any]: ...  # the nodes reading ``name``
    def scalar(self, name: str) -> float | None: ...  # the value of a one-element constant
    def constant(self, name: str) -> bool: ...  # True for an initializer or a tensor made from constants only


def _only(nodes: Nodes, name: str, op_type: str) -> Any:
    """The one consumer of ``name`` when there is exactly one and it has ``op_type``."""
    readers = nodes.consumers(name)
    return readers[0] if len(readers) == 1 and readers[0].op_type == op_type else None


def _other(node: Any, name: str) -> str | None:
    """The input of a binary node that is not ``name`` (None when both are)."""
    rest = [i for i in node.input if i != name]
    return rest[0] if len(rest) == 1 else None


def _near(value: float | None, target: float, tolerance: float = 1e-3) -> bool:
    return value is not None and abs(value - target) <= tolerance * max(1.0, abs(target))


def _gelu(nodes: Nodes, erf: Any) -> tuple[list[Any], str, str] | None:
    """erf(x / sqrt 2) -> + 1 -> * x -> * 0.5 (either multiply first): (nodes, x, output)."""
    scaled = nodes.producer(erf.input[0])
    if scaled is None or scaled.op_type not in ("Div", "Mul") or len(scaled.input) != 2:
        return None
    x, factor = scaled.input[0], nodes.scalar(scaled.input[1])
    if not (_near(factor, 2 ** 0.5) if scaled.op_type == "Div" else _near(factor, 2 ** -0.5)):
        return None
    if _only(nodes, scaled.output[0], "Erf") is not erf:
        return None
    plus = _only(nodes, erf.output[0], "Add")
    if plus is None or not _near(nodes.scalar(_other(plus, erf.output[0]) or ""), 1.0):
        return None
    first = _only(nodes, plus.output[0], "Mul")
    if first is None:
        return None
    second = _only(nodes, first.output[0], "Mul")
    if second is None:
        return None
    operands = {_other(first, plus.output[0]), _other(second, first.output[0])}
    factors = [nodes.scalar(o or "") for o in operands]
    if x not in operands or not any(_near(f, 0.5) for f in factors):
        return None
    return [scaled, erf, plus, first, second], x, second.output[0]


def _gated(nodes: Nodes, gate: Any) -> tuple[list[Any], str, str] | None:
    """x * sigmoid(x) (SiLU) or x * hardsigmoid(x) (hardswish)."""
    x = gate.input[0]
    product = _only(nodes, gate.output[0], "Mul")
    if product is None or _other(product, gate.output[0]) != x:
        return None
    return [gate, product], x, product.output[0]


def _layer_norm(nodes: Nodes, mean: Any) -> tuple[list[Any], str, str, list[str]] | None:
    """mean -> x - mean -> ^2 -> mean -> + eps -> sqrt -> divide [-> * gamma] [-> + beta]."""
    x = mean.input[0]
    centre = next((n for n in nodes.consumers(mean.output[0]) if n.op_type == "Sub" and list(n.input) == [x, mean.output[0]]), None)
    if centre is None:
        return None
    readers = nodes.consumers(centre.output[0])
    square = next((n for n in readers if n.op_type == "Pow" and _near(nodes.scalar(n.input[1]), 2.0)), None)
    divide = next((n for n in readers if n.op_type == "Div" and n.input[0] == centre.output[0]), None)
    if square is None or divide is None or len(readers) != 2:
        return None
    variance = _only(nodes, square.output[0], "ReduceMean")
    eps = variance and _only(nodes, variance.output[0], "Add")
    root = eps and _only(nodes, eps.output[0], "Sqrt")
    if root is None or divide.input[1] != root.output[0]:
        return None
    chain, params, end = [mean, centre, square, variance, eps, root, divide], [], divide.output[0]
    for op_type in ("Mul", "Add"):
        step = _only(nodes, end, op_type)
        other = step is not None and _other(step, end)
        if not other or not nodes.constant(other):
            break
        chain.append(step)
        params.append(other)
        end = step.output[0]
    return chain, x, end, params


def find_patterns(nodes: Nodes, candidates: Sequence[Any]) -> dict[int, Unit | None]:
    """Units that replace recognised patterns: ``{id(node): unit}`` for the last node of each
    pattern and ``{id(node): None}`` for the nodes it absorbs (``candidates`` in graph order)."""
    found: dict[int, Unit | None] = {}
    for node in candidates:
        if id(node) in found:
            continue
        match: tuple[Any, ...] | None = None
        kind = ""
        if node.op_type == "Erf":
            match, kind = _gelu(nodes, node), "Gelu"
        elif node.op_type in ("Sigmoid", "HardSigmoid"):
            match, kind = _gated(nodes, node), "Silu" if node.op_type == "Sigmoid" else "HardSwish"
        elif node.op_type == "ReduceMean":
            match, kind = _layer_norm(nodes, node), "LayerNormalization"
        if match is None or any(id(n) in found for n in match[0]):
            continue
        chain, x, end = match[0], match[1], match[2]
        extra = tuple(match[3]) if len(match) > 3 else ()
        for member in chain:
            found[id(member)] = None
        found[id(chain[-1])] = Unit(kind, chain[-1].name, "", (x, *extra), (end,))
    return found
