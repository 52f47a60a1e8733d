"""Torch-free layer graphs: :class:`Layer` and :class:`LayerGraph`.

Dimension letters follow Timeloop: input N x C x H x W, output N x K x P x Q, kernel R x S.
``h`` and ``w`` are the *unpadded* input sizes; ``pad_h``/``pad_w`` are the padding on each side.
Every GEMM-like layer (conv, linear) has a GEMM view per group (docs/MODEL.md §1):

- conv: ``gemm_m = N*P*Q`` (output pixels), ``gemm_k = (C/g)*R*S`` (window), ``gemm_n = K/g``
- linear: ``gemm_m = N`` (rows of the input), ``gemm_k = C`` (in features), ``gemm_n = K``
- matmul (two activations, ``A @ B`` per group of the batch dims): ``gemm_m = N*P`` (rows of A),
  ``gemm_k = C/g``, ``gemm_n = K/g``; B takes the place of the weights (``params`` 0)
- conv_transpose: ``gemm_m = N*H*W`` (input pixels), ``gemm_k = C/g``, ``gemm_n = (K/g)*R*S``

and ``macs = groups * gemm_m * gemm_k * gemm_n`` (one multiply-accumulate = 1 MAC).
Non-GEMM ops (pool, add, concat, shuffle, ...) have a GEMM view of zeros and 0 MACs; the
simulator charges them on the vector unit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from hwsim.errors import GraphFileError
from hwsim.graph.consistency import check_consistency
from hwsim.graph.json_reader import parse_json, read_json
from hwsim.graph.limits import MAX_LAYERS, MAX_SIZE, check_graph, check_layer, shown

#: Op kinds a layer can have.
GEMM_OPS = frozenset(
    {
        "conv",  # convolution (1-D convs have W = S = 1)
        "linear",  # fully connected: weights times an activation
        "matmul",  # activation times activation (attention's QK^T and AV), per group of batch dims
        "conv_transpose",  # transposed convolution, lowered to a GEMM over input pixels (col2im)
    }
)
VECTOR_OPS = frozenset(
    {
        "pool",  # max / avg pooling with a window (mode says which)
        "global_pool",  # global / adaptive average or max pooling
        "add",  # residual add (elementwise, several inputs)
        "mul",  # elementwise multiply (squeeze-excitation scaling)
        "concat",  # channel concatenation
        "shuffle",  # channel shuffle (view-transpose-reshape)
        "activation",  # a stand-alone activation that could not be fused
        "batchnorm",  # a stand-alone batch-norm that could not be folded
        "lrn",  # local response normalisation (AlexNet)
        "reshape",  # flatten / view / channel split: pure data movement
        "softmax",  # softmax / log-softmax over one dim (never fused: docs/MODEL.md §4)
        "norm",  # layer / group / instance normalisation (mode says which)
        "transpose",  # a data-moving layout change: transpose, permute, pixel (un)shuffle (mode)
        "resize",  # interpolate / upsample (mode: nearest, linear, ...)
        "pad",  # explicit padding (mode: constant, reflect, ...)
    }
)
OP_KINDS = GEMM_OPS | VECTOR_OPS

GRAPH_FORMAT_VERSION = 1

_EXPECTED_TYPE = {
    "int": "an integer",
    "bool": "true or false",
    "str": "a string",
    "tuple[str, ...]": "a list of strings",
    "tuple[int, ...]": "a list of integers",
}


@dataclass(frozen=True)
class Layer:
    """One operation of a network, with the shapes the simulator needs.

    Sizes are element counts (not bytes); the accelerator's word size turns them into bytes.
    """

    name: str  #: qualified module name (``features.3.squeeze``); functional ops: enclosing module + op (``stages.0.blocks.1.add``)
    op: str  #: one of :data:`OP_KINDS`
    inputs: tuple[str, ...] = ()  #: producer layer names; ``"input"`` is the graph input
    n: int = 1  #: batch
    c: int = 1  #: input channels (sum over inputs for concat)
    h: int = 1  #: input height, unpadded
    w: int = 1  #: input width, unpadded
    k: int = 1  #: output channels
    p: int = 1  #: output height
    q: int = 1  #: output width
    r: int = 1  #: kernel height (pool window for pools)
    s: int = 1  #: kernel width
    stride_h: int = 1
    stride_w: int = 1
    pad_h: int = 0  #: padding on each of top and bottom
    pad_w: int = 0  #: padding on each of left and right
    dilation_h: int = 1
    dilation_w: int = 1
    groups: int = 1
    bias: bool = False
    params: int = 0  #: learnable parameters of the module(s) folded into this layer
    mode: str = ""  #: op detail: ``max``/``avg`` for pools, the activation name, ...
    fused: tuple[str, ...] = ()  #: ops folded into this layer (``batchnorm``, ``relu``, ...)
    operand_elements: tuple[int, ...] = ()  #: elements of each input tensor (defaults to N*C*H*W)

    def __post_init__(self) -> None:
        if self.op not in OP_KINDS:
            raise ValueError(f"layer {shown(self.name)}: unknown op {shown(self.op)}; expected one of {sorted(OP_KINDS)}")
        sizes = {"n": self.n, "c": self.c, "h": self.h, "w": self.w, "k": self.k, "p": self.p, "q": self.q, "r": self.r, "s": self.s}
        low = {key: value for key, value in sizes.items() if value < (1 if self.op in GEMM_OPS else 0)}
        if low:
            need = "at least 1 for conv/linear layers" if self.op in GEMM_OPS else "sizes >= 0"
            raise ValueError(f"layer {shown(self.name)}: sizes {low}: expected {need}")
        if min(self.stride_h, self.stride_w, self.dilation_h, self.dilation_w) < 1 or min(self.pad_h, self.pad_w) < 0:
            raise ValueError(f"layer {shown(self.name)}: stride {self.stride_h}x{self.stride_w}, dilation "
                             f"{self.dilation_h}x{self.dilation_w}, padding {self.pad_h}x{self.pad_w}: expected stride "
                             "and dilation >= 1 and padding >= 0")
        if self.groups < 1 or self.c % self.groups or (self.op in GEMM_OPS and self.k % self.groups):
            raise ValueError(f"layer {shown(self.name)}: groups = {self.groups}: expected a divisor of C = {self.c}"
                             + (f" and K = {self.k}" if self.op in GEMM_OPS else ""))
        check_layer(self)  # sizes, tensors and params within the limits (hwsim.graph.limits)
        if self.op == "conv":
            for axis, size, kernel, pad, dilation, stride, out in (
                ("P", self.h, self.r, self.pad_h, self.dilation_h, self.stride_h, self.p),
                ("Q", self.w, self.s, self.pad_w, self.dilation_w, self.stride_w, self.q),
            ):
                span = size + 2 * pad - dilation * (kernel - 1) - 1
                low, high = span // stride + 1, -(-span // stride) + 1  # PyTorch's floor, SCALE-Sim's ceil
                if span < 0 or not low <= out <= high:
                    expected = f"{low}" if low == high else f"{low} or {high}"
                    raise ValueError(f"layer {shown(self.name)}: output {axis} = {out} does not follow from the input, "
                                     f"kernel, padding and stride; expected {expected}")

    # ---------------------------------------------------------------- GEMM view
    @property
    def is_gemm(self) -> bool:
        """True for conv and linear layers, which run on the PE array."""
        return self.op in GEMM_OPS

    @property
    def gemm_m(self) -> int:
        """Rows of the per-group GEMM: output pixels (conv), input rows (linear, matmul) or input
        pixels (conv_transpose); 0 if not a GEMM."""
        if self.op == "conv_transpose":
            return self.n * self.h * self.w
        return self.n * self.p * self.q if self.is_gemm else 0

    @property
    def gemm_k(self) -> int:
        """Reduction length of the per-group GEMM: (C/g)*R*S (C/g for conv_transpose); 0 if not a GEMM."""
        if self.op == "conv_transpose":
            return self.c // self.groups
        return (self.c // self.groups) * self.r * self.s if self.is_gemm else 0

    @property
    def gemm_n(self) -> int:
        """Columns of the per-group GEMM: filters per group K/g ((K/g)*R*S for conv_transpose); 0 if not a GEMM."""
        if self.op == "conv_transpose":
            return (self.k // self.groups) * self.r * self.s
        return self.k // self.groups if self.is_gemm else 0

    @property
    def macs(self) -> int:
        """Multiply-accumulates: groups * gemm_m * gemm_k * gemm_n (0 for non-GEMM ops)."""
        return self.groups * self.gemm_m * self.gemm_k * self.gemm_n

    # ---------------------------------------------------------------- element counts
    @property
    def input_elements(self) -> int:
        """Elements read from all inputs (unpadded)."""
        if self.operand_elements:
            return sum(self.operand_elements)
        return self.n * self.c * self.h * self.w

    @property
    def weight_elements(self) -> int:
        """Weight elements of the GEMM (K * C/g * R * S), bias excluded; 0 if not a GEMM. For a
        matmul these are the elements of its second operand, B."""
        return self.k * (self.c // self.groups) * self.r * self.s if self.is_gemm else 0

    @property
    def output_elements(self) -> int:
        """Elements written: N*K*P*Q."""
        return self.n * self.k * self.p * self.q

    # ---------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["inputs"] = list(self.inputs)
        d["fused"] = list(self.fused)
        d["operand_elements"] = list(self.operand_elements)
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Layer:
        """A layer from its JSON form; every field is type-checked and the sizes of a conv or
        linear layer must all be given (a missing one is an error, not a default)."""
        if not isinstance(data, Mapping):
            raise ValueError(f"layer = {shown(data)}: expected a JSON object of layer fields")
        name = shown(data.get("name", "<unnamed>"))
        kinds = {f.name: f.type for f in fields(cls)}
        unknown = set(data) - set(kinds)
        if unknown:
            raise ValueError(f"layer {name}: unknown fields {shown(sorted(unknown))}")
        op = data.get("op")
        required = ["name", "op"] + (list("nchwkpqrs") if isinstance(op, str) and op in GEMM_OPS else [])
        missing = [key for key in required if key not in data]
        if missing:
            raise ValueError(f"layer {name}: missing fields {missing}")
        kwargs = dict(data)
        for key, value in data.items():
            kind = kinds[key]
            if kind == "int":
                ok = isinstance(value, int) and not isinstance(value, bool)
            elif kind == "bool":
                ok = isinstance(value, bool)
            elif kind == "str":
                ok = isinstance(value, str)
            else:  # tuples: names (inputs, fused) or element counts
                item = int if key == "operand_elements" else str
                ok = isinstance(value, list | tuple) and all(isinstance(v, item) and not isinstance(v, bool) for v in value)
                kwargs[key] = tuple(value) if ok else value
            if not ok:
                raise ValueError(f"layer {name}: field {key} = {shown(value)}: expected {_EXPECTED_TYPE[kind]}")
        return cls(**kwargs)


#: Top-level keys of a graph JSON file.
_GRAPH_KEYS = ("format", "version", "name", "input_shape", "unsupported", "metadata", "layers")


def _is_size(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_SIZE


@dataclass(frozen=True)
class LayerGraph:
    """A network as an ordered tuple of layers (topological order) plus what was left out.

    ``unsupported`` lists ops the exporter could not convert, as ``(op name, count)`` pairs:
    they are reported, never silently dropped.
    """

    name: str
    input_shape: tuple[int, ...]  #: N x C x H x W of the network input
    layers: tuple[Layer, ...]
    unsupported: tuple[tuple[str, int], ...] = ()
    metadata: tuple[tuple[str, str], ...] = field(default=())  #: free-form provenance (model kwargs, versions)

    def __post_init__(self) -> None:
        check_graph(self.name, self.layers)  # layer count and total work within the limits
        seen: set[str] = {"input"}
        for layer in self.layers:
            if layer.name in seen:
                raise ValueError(f"graph {shown(self.name)}: duplicate layer name {shown(layer.name)}: expected unique names")
            unknown = [name for name in layer.inputs if name not in seen]
            if unknown:
                raise ValueError(f"graph {shown(self.name)}: layer {shown(layer.name)} reads {shown(unknown)}: expected 'input' or "
                                 "an earlier layer")
            seen.add(layer.name)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    @property
    def macs(self) -> int:
        """Total MACs of the GEMM layers (conv, linear, matmul, conv_transpose)."""
        return sum(layer.macs for layer in self.layers)

    @property
    def params(self) -> int:
        """Total learnable parameters (equals ``sum(p.numel())`` of the exported module)."""
        return sum(layer.params for layer in self.layers)

    @property
    def gemm_layers(self) -> tuple[Layer, ...]:
        return tuple(layer for layer in self.layers if layer.is_gemm)

    def consumers(self, name: str) -> tuple[str, ...]:
        """Names of the layers that read the output of ``name``."""
        return tuple(layer.name for layer in self.layers if name in layer.inputs)

    def with_batch(self, batch: int) -> LayerGraph:
        """The same network at another batch size: every layer's N (and operand sizes) scaled.

        Exact for CNN layer graphs, where N is the only dimension the batch enters; a matmul
        between batched activations (g > 1: one GEMM per batch x head) takes the batch in its
        groups instead. The batch must be a multiple of this graph's own batch (``input_shape[0]``).
        """
        own = self.input_shape[0] if self.input_shape else 1
        if batch < 1 or batch % own:
            raise GraphFileError(f"graph {shown(self.name)} has batch {own}; cannot rescale it to batch {batch}")
        factor = batch // own
        if factor == 1:
            return self
        try:
            layers = tuple(
                replace(layer, groups=layer.groups * factor, c=layer.c * factor, k=layer.k * factor)
                if layer.op == "matmul" and layer.groups > 1
                else replace(layer, n=layer.n * factor, operand_elements=tuple(e * factor for e in layer.operand_elements))
                for layer in self.layers
            )
            return replace(self, input_shape=(batch, *self.input_shape[1:]), layers=layers)
        except ValueError as exc:  # over the size limits (hwsim.graph.limits)
            raise GraphFileError(f"{self.name} at batch {batch}: {exc}") from None

    def summary(self) -> str:
        """A short human-readable summary (name, layer count, MACs, params, unsupported ops)."""
        shape = "x".join(str(d) for d in self.input_shape)
        text = (
            f"{self.name}: input {shape}, {len(self.layers)} layers "
            f"({len(self.gemm_layers)} conv/linear), {self.macs:,} MACs, {self.params:,} params"
        )
        if self.unsupported:
            left = ", ".join(f"{op} x{count}" for op, count in self.unsupported)
            text += f"; unsupported ops left out: {left}"
        notes = dict(self.metadata)
        for key, what in (("params_in_unsupported_ops", "in unsupported ops"),
                          ("params_outside_layers", "used by the forward outside any layer"),
                          ("unused_params", "unused by the forward pass")):
            if key in notes:
                text += f"; {int(notes[key]):,} params {what}"
        return text

    # ---------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "hwsim.LayerGraph",
            "version": GRAPH_FORMAT_VERSION,
            "name": self.name,
            "input_shape": list(self.input_shape),
            "unsupported": [[op, count] for op, count in self.unsupported],
            "metadata": {key: value for key, value in self.metadata},
            "layers": [layer.to_dict() for layer in self.layers],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LayerGraph:
        """A graph from its JSON form, checked field by field (``ValueError`` naming the first problem):
        known top-level keys only, typed values within the limits, at least one layer, and
        consistent layers and edges (:mod:`hwsim.graph.consistency`)."""
        if not isinstance(data, Mapping) or data.get("format") != "hwsim.LayerGraph":
            raise ValueError("not an hwsim layer graph (missing \"format\": \"hwsim.LayerGraph\")")
        if data.get("version") != GRAPH_FORMAT_VERSION:
            raise ValueError(f"graph format version {str(data.get('version'))[:20]!r}; expected {GRAPH_FORMAT_VERSION}")
        unknown = sorted(set(data) - set(_GRAPH_KEYS))
        if unknown:
            raise ValueError(f"unknown top-level key {unknown[0][:60]!r}: expected {', '.join(_GRAPH_KEYS)}")
        missing = [key for key in ("name", "input_shape", "layers") if key not in data]
        if missing:
            raise ValueError(f"missing top-level key {missing[0]!r}")
        name, shape, items = data["name"], data["input_shape"], data["layers"]
        if not isinstance(name, str) or not name:
            raise ValueError(f"name = {str(name)[:60]!r}: expected a non-empty string")
        if not isinstance(shape, list) or not 1 <= len(shape) <= 5 or not all(_is_size(d) for d in shape):
            raise ValueError(f"input_shape = {str(shape)[:60]}: expected a list of 1 to 5 integers from 1 to {MAX_SIZE:,}")
        if not isinstance(items, list) or not items:
            raise ValueError("layers: expected a non-empty list of layers (a graph with no layers has nothing to simulate)")
        if len(items) > MAX_LAYERS:
            raise ValueError(f"layers: {len(items):,} layers: expected at most {MAX_LAYERS:,}")
        unsupported = data.get("unsupported", [])
        if not isinstance(unsupported, list) or not all(
            isinstance(u, list) and len(u) == 2 and isinstance(u[0], str) and _is_size(u[1]) for u in unsupported
        ):
            raise ValueError(f"unsupported = {str(unsupported)[:60]}: expected a list of [op name, count >= 1] pairs")
        metadata = data.get("metadata", {})
        if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
            raise ValueError(f"metadata = {str(metadata)[:60]}: expected an object of strings")
        graph = cls(
            name=name,
            input_shape=tuple(shape),
            layers=tuple(Layer.from_dict(item) for item in items),
            unsupported=tuple((op, count) for op, count in unsupported),
            metadata=tuple(metadata.items()),
        )
        check_consistency(graph.input_shape, graph.layers, graph.unsupported, metadata)
        return graph

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str, source: str = "<graph JSON>") -> LayerGraph:
        """A graph from JSON text (strict: :func:`hwsim.graph.json_reader.parse_json`), checked as :meth:`from_dict`."""
        data = parse_json(text, source)
        try:
            return cls.from_dict(data)
        except (ValueError, KeyError, TypeError) as exc:
            raise GraphFileError(f"{source}: invalid hwsim graph JSON: {exc}") from None

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> LayerGraph:
        """Read a graph JSON file (strict, size-limited); any problem raises :class:`GraphFileError` naming the file."""
        data = read_json(path)
        try:
            return cls.from_dict(data)
        except (ValueError, KeyError, TypeError) as exc:
            raise GraphFileError(f"{path}: invalid hwsim graph JSON: {exc}") from None
