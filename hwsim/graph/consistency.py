"""Consistency checks of a layer graph read from a file: op details, layer shapes, edges.

A graph JSON written by hand (or edited) can describe layers that no network has. The checks
below hold for every graph hwsim's exporter writes; :func:`check_consistency` raises
``ValueError`` naming the first layer that breaks one (the reader turns it into a one-line
:class:`~hwsim.errors.GraphFileError`):

- **op details**: ``fused`` lists only ``batchnorm`` and activations (:data:`FUSED_KINDS`);
  ``mode``, when given, is ``max``/``avg`` for pools, an activation name for activations,
  ``sub``/``div`` for add and mul, and empty for other ops;
- **shapes**: elementwise ops (activation, batch-norm, LRN, shuffle, add, mul, concat) keep the
  shape (K = C, P = H, Q = W); pools keep the channels, global pools output 1 x 1; a reshape
  keeps every element (N*C*H*W = N*K*P*Q); a linear layer is a plain GEMM (H = W = P = Q = R =
  S = 1, stride 1, no padding or dilation);
- **edges**: a layer reads at most what its producers write (N*C*H*W elements <= the sum of the
  producers' N*K*P*Q; a layer may read *part* of a producer's channels, as the exporter writes a
  channel split or slice); a concat's operands add up to its input and share its N x H x W; an
  operand of an add or mul is at most its output (broadcasting only grows) and at most its
  producer's output.

Edges are not checked in graphs that list unsupported ops (an op hwsim left out can change
shapes between two layers) nor in graphs read from SCALE-Sim topologies (metadata ``source``
``SCALE-Sim ...``: their rows are independent layers, chained only to keep their order).
This module takes any objects with the fields of :class:`~hwsim.graph.layer_graph.Layer` and
imports nothing from the rest of the package but :func:`hwsim.graph.limits.shown`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hwsim.graph.limits import shown

__all__ = ["ACTIVATION_MODES", "FUSED_KINDS", "check_consistency", "check_layer_details"]

#: Activation names the exporter writes (``mode`` of an activation layer, or fused into a producer).
ACTIVATION_MODES = frozenset(
    {
        "relu", "relu6", "hardtanh", "sigmoid", "hardsigmoid", "hardswish", "silu", "gelu", "tanh",
        "leaky_relu", "elu", "mish", "softplus", "prelu", "softmax", "log_softmax",
    }
)  # fmt: skip
#: What ``fused`` may list: a folded batch-norm and fused activations.
FUSED_KINDS = frozenset({"batchnorm"}) | ACTIVATION_MODES
_MODES: Mapping[str, frozenset[str]] = {  # "" (not given) is accepted for every op
    "pool": frozenset({"", "max", "avg"}),
    "global_pool": frozenset({"", "max", "avg"}),
    "activation": frozenset({""}) | ACTIVATION_MODES,
    "add": frozenset({"", "sub", "div"}),
    "mul": frozenset({"", "sub", "div"}),
}
_ELEMENTWISE = frozenset({"activation", "batchnorm", "lrn", "shuffle", "add", "mul", "concat"})


def _fail(layer: Any, what: str) -> None:
    raise ValueError(f"layer {shown(layer.name)} ({layer.op}): {what}")


def check_layer_details(layer: Any) -> None:
    """Op details and shapes of one layer (first two groups of the module docstring)."""
    unknown = [kind for kind in layer.fused if kind not in FUSED_KINDS]
    if unknown:
        _fail(layer, f"fused = {shown(list(layer.fused))}: unknown kind {shown(unknown[0])}: expected batchnorm or an "
                     f"activation ({', '.join(sorted(ACTIVATION_MODES))})")
    modes = _MODES.get(layer.op, frozenset({""}))
    if layer.mode not in modes:
        expected = ", ".join(repr(m) for m in sorted(modes))
        _fail(layer, f"mode = {shown(layer.mode)}: expected {'one of ' if len(modes) > 1 else ''}{expected}")
    if layer.op in _ELEMENTWISE and (layer.k, layer.p, layer.q) != (layer.c, layer.h, layer.w):
        _fail(layer, f"output K x P x Q = {layer.k}x{layer.p}x{layer.q}: expected the input's C x H x W = "
                     f"{layer.c}x{layer.h}x{layer.w} (an elementwise op keeps the shape)")
    if layer.op in ("pool", "global_pool") and layer.k != layer.c:
        _fail(layer, f"K = {layer.k}: expected C = {layer.c} (pooling keeps the channels)")
    if layer.op == "global_pool" and (layer.p, layer.q) != (1, 1):
        _fail(layer, f"output P x Q = {layer.p}x{layer.q}: expected 1x1 (a global pool)")
    if layer.op == "reshape" and layer.n * layer.c * layer.h * layer.w != layer.output_elements:
        _fail(layer, f"{layer.n}x{layer.c}x{layer.h}x{layer.w} elements in, {layer.output_elements} out: "
                     "expected the same count (a reshape moves no data)")
    if layer.op == "linear":
        others = {f: getattr(layer, f) for f in ("h", "w", "p", "q", "r", "s", "stride_h", "stride_w",
                                                  "dilation_h", "dilation_w") if getattr(layer, f) != 1}
        others.update({f: getattr(layer, f) for f in ("pad_h", "pad_w") if getattr(layer, f) != 0})
        if others:
            field, value = next(iter(others.items()))
            _fail(layer, f"{field} = {value}: expected {0 if field.startswith('pad') else 1} (a linear layer is "
                         "N rows x C in features -> K out features)")


def _outputs(input_shape: Sequence[int], layers: Sequence[Any]) -> dict[str, tuple[int, int, int, int]]:
    """N, K, P, Q written by every layer and by ``input`` (the graph input, padded to 4-D)."""
    shape = tuple(input_shape) + (1,) * (4 - len(input_shape))
    out = {"input": tuple(shape[:4]) if len(shape) == 4 else (shape[0], 1, 1, 1)}
    out.update({layer.name: (layer.n, layer.k, layer.p, layer.q) for layer in layers})
    return out


def _elements(shape: tuple[int, int, int, int]) -> int:
    n, k, p, q = shape
    return n * k * p * q


def _check_edges(layer: Any, outputs: Mapping[str, tuple[int, int, int, int]]) -> None:
    producers = [outputs[name] for name in layer.inputs]
    if not producers:
        return
    reads = layer.n * layer.c * layer.h * layer.w
    written = sum(_elements(shape) for shape in producers)
    names = ", ".join(shown(name).strip("'") for name in layer.inputs[:8]) + (", ..." if len(layer.inputs) > 8 else "")
    operands = tuple(layer.operand_elements)
    if layer.op == "concat":
        if operands and sum(operands) != reads:
            _fail(layer, f"operand_elements add up to {sum(operands):,}: expected its input N*C*H*W = {reads:,}")
        # A concat joins its inputs along the channels (same N x H x W, C at most their channels: a
        # channel split may be folded into the edge), or along the tokens (H x W: a ViT's class
        # token is a parameter, no layer): then every input has the concat's N and C.
        along_channels = all((n, p, q) == (layer.n, layer.h, layer.w) for n, _, p, q in producers)
        along_tokens = all((n, k) == (layer.n, layer.c) and p * q <= layer.h * layer.w for n, k, p, q in producers)
        if along_tokens and not along_channels:
            return
        for name, (n, k, p, q) in zip(layer.inputs, producers):
            if (n, p, q) != (layer.n, layer.h, layer.w):
                _fail(layer, f"input {shown(name)} is {n}x{k}x{p}x{q}: expected N x H x W = "
                             f"{layer.n}x{layer.h}x{layer.w} like every input of a concat (or N x C = "
                             f"{layer.n}x{layer.c} for a concat along H x W)")
        channels = sum(k for _, k, _, _ in producers)
        if layer.c > channels:
            _fail(layer, f"C = {layer.c}: expected at most the {channels} channels its inputs ({names}) write")
        return
    if layer.op in ("add", "mul"):
        for index, count in enumerate(operands):
            if count > reads:
                _fail(layer, f"operand {index} has {count:,} elements: expected at most its output's {reads:,}")
        if len(operands) == len(producers):
            for name, count, shape in zip(layer.inputs, operands, producers):
                if count > _elements(shape):
                    _fail(layer, f"operand from {shown(name)} has {count:,} elements: expected at most the "
                                 f"{_elements(shape):,} it writes")
        return
    if reads > written:
        _fail(layer, f"reads N*C*H*W = {layer.n}x{layer.c}x{layer.h}x{layer.w} = {reads:,} elements: expected at "
                     f"most the {written:,} that {names} write{'s' if len(producers) == 1 else ''} "
                     f"(C <= the producer's K when N, H, W match)")


def check_consistency(
    input_shape: Sequence[int],
    layers: Sequence[Any],
    unsupported: Sequence[Any] = (),
    metadata: Mapping[str, str] | None = None,
) -> None:
    """All checks of the module docstring, layer by layer in order; ``ValueError`` at the first problem."""
    for layer in layers:
        check_layer_details(layer)
    source = (metadata or {}).get("source", "")
    if unsupported or source.startswith("SCALE-Sim "):
        return
    outputs = _outputs(input_shape, layers)
    for layer in layers:
        _check_edges(layer, outputs)
