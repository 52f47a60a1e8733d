"""Torch-free layer graphs: :class:`Layer` and :class:`LayerGraph`.

Dimension letters follow Timeloop: input N x C x H x W, output N x K x P x Q, kernel R x S.
``h`` and ``w`` are the *unpadded* input sizes; ``pad_h``/``pad_w`` are the padding on each side.
Every GEMM-like layer (conv, linear) has a GEMM view per group (MODELING.md §1):

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
            raise ValueError(f"layer {self.name!r}: unknown op {self.op!r}; expected one of {sorted(OP_KINDS)}")
        sizes = {"n": self.n, "c": self.c, "h": self.h, "w": self.w, "k": self.k, "p": self.p, "q": self.q, "r": self.r, "s": self.s}
        low = {key: value for key, value in sizes.items() if value < (1 if self.op in GEMM_OPS else 0)}
        if low:
            need = "at least 1 for conv/linear layers" if self.op in GEMM_OPS else "not negative"
            raise ValueError(f"layer {self.name!r}: sizes {low} must be {need}")
        if min(self.stride_h, self.stride_w, self.dilation_h, self.dilation_w) < 1 or min(self.pad_h, self.pad_w) < 0:
            raise ValueError(f"layer {self.name!r}: stride and dilation must be >= 1 and padding >= 0")
        if self.groups < 1 or self.c % self.groups or (self.op in GEMM_OPS and self.k % self.groups):
            raise ValueError(f"layer {self.name!r}: groups={self.groups} must divide C={self.c} and K={self.k}")
        if self.op == "conv":
            for axis, size, kernel, pad, dilation, stride, out in (
                ("P", self.h, self.r, self.pad_h, self.dilation_h, self.stride_h, self.p),
                ("Q", self.w, self.s, self.pad_w, self.dilation_w, self.stride_w, self.q),
            ):
                span = size + 2 * pad - dilation * (kernel - 1) - 1
                low, high = span // stride + 1, -(-span // stride) + 1  # PyTorch's floor, SCALE-Sim's ceil
                if span < 0 or not low <= out <= high:
                    expected = f"{low}" if low == high else f"{low} or {high}"
                    raise ValueError(f"layer {self.name!r}: output {axis} = {out} does not follow from the input, "
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
            raise ValueError(f"a layer must be a JSON object, got {type(data).__name__}")
        name = data.get("name", "<unnamed>")
        kinds = {f.name: f.type for f in fields(cls)}
        unknown = set(data) - set(kinds)
        if unknown:
            raise ValueError(f"layer {name!r}: unknown fields {sorted(unknown)}")
        required = ["name", "op"] + (list("nchwkpqrs") if data.get("op") in GEMM_OPS else [])
        missing = [key for key in required if key not in data]
        if missing:
            raise ValueError(f"layer {name!r}: missing fields {missing}")
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
                raise ValueError(f"layer {name!r}: field {key} = {value!r}: expected {_EXPECTED_TYPE[kind]}")
        return cls(**kwargs)


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
        seen: set[str] = {"input"}
        for layer in self.layers:
            if layer.name in seen:
                raise ValueError(f"graph {self.name!r}: duplicate layer name {layer.name!r}")
            unknown = [name for name in layer.inputs if name not in seen]
            if unknown:
                raise ValueError(f"graph {self.name!r}: layer {layer.name!r} reads {unknown}, which is neither "
                                 "'input' nor an earlier layer")
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
            raise ValueError(f"graph {self.name!r} has batch {own}; cannot rescale it to batch {batch}")
        factor = batch // own
        if factor == 1:
            return self
        layers = tuple(
            replace(layer, groups=layer.groups * factor, c=layer.c * factor, k=layer.k * factor)
            if layer.op == "matmul" and layer.groups > 1
            else replace(layer, n=layer.n * factor, operand_elements=tuple(e * factor for e in layer.operand_elements))
            for layer in self.layers
        )
        return replace(self, input_shape=(batch, *self.input_shape[1:]), layers=layers)

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
        for key, what in (("params_in_unsupported_ops", "in unsupported ops"), ("unused_params", "unused by the forward pass")):
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
        if not isinstance(data, Mapping) or data.get("format") != "hwsim.LayerGraph":
            raise ValueError("not an hwsim layer graph (missing \"format\": \"hwsim.LayerGraph\")")
        if data.get("version") != GRAPH_FORMAT_VERSION:
            raise ValueError(f"graph format version {data.get('version')!r}; expected {GRAPH_FORMAT_VERSION}")
        return cls(
            name=str(data["name"]),
            input_shape=tuple(int(d) for d in data["input_shape"]),
            layers=tuple(Layer.from_dict(item) for item in data["layers"]),
            unsupported=tuple((str(op), int(count)) for op, count in data.get("unsupported", [])),
            metadata=tuple((str(k), str(v)) for k, v in data.get("metadata", {}).items()),
        )

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> LayerGraph:
        return cls.from_dict(json.loads(text))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> LayerGraph:
        """Read a graph JSON file; any problem raises :class:`GraphFileError` naming the file."""
        path = Path(path)
        try:
            return cls.from_json(path.read_text())
        except OSError as exc:
            raise GraphFileError(f"{path}: cannot read graph file ({exc.strerror or exc})") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise GraphFileError(f"{path}: invalid hwsim graph JSON: {exc}") from None
