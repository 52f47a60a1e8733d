"""The exporter's graph-building passes: a neutral op list -> hwsim layers, front end unknown.

:func:`build_layers` walks the ops of a :class:`~hwsim.export.neutral.NeutralGraph` in order
and writes :class:`~hwsim.graph.layer_graph.Layer` s (fields from
:mod:`hwsim.export.layer_fields`). Each pass decides from what the walk has made so far:

- **Batch-norm folding**: a ``batchnorm`` whose input is the sole, not yet fused output of a
  conv or linear layer joins it (``"batchnorm"`` in ``fused``, its parameters in ``params``);
  any other batch-norm is a ``batchnorm`` layer.
- **Activation fusion**: an ``activation`` whose input is the sole output of a layer in
  :data:`ACTIVATION_HOSTS` joins it (its mode in ``fused``); else it is an ``activation`` layer.
  "Sole" means the input tensor has one reader (:attr:`~hwsim.export.neutral.Tensor.readers`).
- **Pass-through**: identity, expand, split, a view that keeps the shape and adaptive pooling
  to the input size make no layer; their readers name the producer of the whole tensor.
- **Shuffle collapse**: view (N, C, H, W) -> (N, g, C/g, H, W), a transpose of dims 1 and 2
  (identities and same-shape views between are skipped), view back to (N, C, H, W) -> one
  ``shuffle`` layer of ``groups`` = g named after the closing view. A chain read before it
  closes is materialised: its view becomes a ``reshape`` layer, its transpose is unsupported.
- **SE and broadcasts**: ``add``/``mul``/``concat`` record ``operand_elements`` per operand;
  a broadcast (``expand``) operand counts the elements it stores, not the ones it shows.
- **Unsupported listing**: any other op is counted by label in ``unsupported`` and bridged
  (its readers connect to its tensor producers); its parameters are counted apart.
- **Naming**: a module's layer is its qualified name; a functional op's layer is
  ``<scope>.<word>`` (``stages.2.blocks.3.add``), or the op's name where no module encloses it;
  a name taken before gets ``_1``, ``_2``, ... (``input`` is reserved).
- **Parameter accounting**: each parameter counts once, in the first layer that uses it;
  parameters of unsupported ops and parameters no op uses go to the graph's metadata.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from hwsim.export.layer_fields import (
    conv_fields,
    elementwise_fields,
    global_pool_fields,
    linear_fields,
    nchw,
    numel,
    pool_fields,
    reshape_fields,
    shape_of,
)
from hwsim.export.neutral import NeutralGraph, NeutralOp, Param, Shape, Tensor
from hwsim.graph.layer_graph import Layer

__all__ = ["ACTIVATION_HOSTS", "UNACCOUNTED_PARAMS", "BuiltLayers", "build_layers"]

#: Metadata key: parameter elements of the model that no op of the traced forward uses.
UNACCOUNTED_PARAMS = "unused_params"
#: Metadata key: parameter elements of ops listed as unsupported (in no layer).
UNSUPPORTED_PARAMS = "params_in_unsupported_ops"
#: Metadata key: parameter elements the forward uses in ops that make no layer (a ViT's class token
#: read through ``expand`` into a concat the graph cannot hold).
OUTSIDE_LAYERS_PARAMS = "params_outside_layers"
#: Layer ops an activation may be fused into.
ACTIVATION_HOSTS = frozenset({"conv", "linear", "add", "mul", "pool", "global_pool", "batchnorm", "lrn", "activation"})


@dataclass(frozen=True)
class BuiltLayers:
    """What the passes made of a neutral graph."""

    layers: tuple[Layer, ...]
    unsupported: tuple[tuple[str, int], ...]  #: (op label, count), sorted
    notes: tuple[tuple[str, str], ...]  #: metadata: parameter elements no layer holds (absent when zero)
    layer_names: tuple[tuple[str, str], ...]  #: (tensor name, layer name) for each layer-making op


def build_layers(graph: NeutralGraph) -> BuiltLayers:
    """Run the passes (module docstring) over ``graph``'s ops, in order."""
    walk = _Walk()
    for op in graph.ops:
        walk.visit(op)
    return walk.result(graph.params)


@dataclass(frozen=True)
class _Value:
    """What a tensor is in the hwsim graph."""

    producers: tuple[str, ...]  #: hwsim layers (or "input") the tensor comes from
    elements: int  #: elements actually stored (a broadcast view keeps its source's count)
    owner: str | None = None  #: layer whose untouched, sole output this is (fusion target)
    chain: tuple[NeutralOp, ...] = ()  #: pending shuffle steps (the opening view, the transpose)
    chain_source: _Value | None = None  #: the value before the pending steps
    source_shape: Shape = ()  #: shape of the tensor before the pending steps
    groups: int = 0  #: shuffle groups of a pending chain


class _Walk:
    """The state of one walk over the ops (mutable only while walking)."""

    def __init__(self) -> None:
        self.layers: list[dict[str, Any]] = []
        self.by_name: dict[str, dict[str, Any]] = {}
        self.values: dict[str, _Value] = {}
        self.unsupported: Counter[str] = Counter()
        self.used_params: set[str] = set()  #: parameters a layer holds
        self.read_params: set[str] = set()  #: parameters any op reads, layer or not
        self.unsupported_params = 0  #: parameter elements of unsupported ops (in no layer)
        self.flushed: dict[str, _Value] = {}
        self.layer_names: dict[str, str] = {}

    def visit(self, op: NeutralOp) -> None:
        self.read_params.update(p.key for p in op.params)
        getattr(self, f"_on_{op.kind}")(op)

    def result(self, params: Iterable[Param]) -> BuiltLayers:
        total = {p.key: p.elements for p in params}
        unheld = {key: n for key, n in total.items() if key not in self.used_params}
        unused = sum(n for key, n in unheld.items() if key not in self.read_params)
        outside = sum(n for key, n in unheld.items() if key in self.read_params)
        notes = ((UNSUPPORTED_PARAMS, self.unsupported_params), (UNACCOUNTED_PARAMS, unused), (OUTSIDE_LAYERS_PARAMS, outside))
        return BuiltLayers(
            layers=tuple(Layer(**fields) for fields in self.layers),
            unsupported=tuple(sorted(self.unsupported.items())),
            notes=tuple((key, str(count)) for key, count in notes if count),
            layer_names=tuple(self.layer_names.items()),
        )

    # ------------------------------------------------------------------ values and names
    def _value(self, tensor: Tensor | None) -> _Value:
        """The value of an operand, any pending shuffle chain materialised."""
        if tensor is None:
            return _Value((), 0)
        value = self.values.get(tensor.name, _Value((), numel(shape_of(tensor))))
        return self._flush(tensor.name, value) if value.chain else value

    def _pending(self, tensor: Tensor | None) -> _Value:
        """The value of an operand as it stands (a pending shuffle chain kept)."""
        value = self.values.get(tensor.name) if tensor is not None else None
        return value if value is not None else _Value((), 0)

    def _set(self, op: NeutralOp, value: _Value) -> None:
        for tensor in op.outputs:
            self.values[tensor.name] = value

    def _unique(self, op: NeutralOp, word: str = "") -> str:
        """The layer name ``op`` asks for (module qualname, ``<scope>.<word>``, or op name), made unique."""
        name = f"{op.scope}.{word or op.word}" if op.scope else op.name
        candidate, i = name, 0
        while candidate in self.by_name or candidate == "input":
            i += 1
            candidate = f"{name}_{i}"
        return candidate

    def _claim(self, params: Iterable[Param]) -> int:
        """Count parameter elements not yet in any layer (a module called twice counts once)."""
        count = 0
        for p in params:
            if p.key not in self.used_params:
                self.used_params.add(p.key)
                count += p.elements
        return count

    def _append(self, op: NeutralOp, fields: dict[str, Any], word: str = "") -> str:
        name = self._unique(op, word)
        self.layer_names[op.outputs[0].name] = name
        layer = dict(name=name, **fields)
        self.layers.append(layer)
        self.by_name[name] = layer
        return name

    def _add_layer(self, op: NeutralOp, op_kind: str, inputs: Iterable[_Value], *, word: str = "", **fields: Any) -> None:
        producers = tuple(name for value in inputs for name in value.producers)
        name = self._append(op, dict(op=op_kind, inputs=producers, params=self._claim(op.params), **fields), word)
        self._set(op, _Value((name,), numel(shape_of(op.outputs[0])), owner=name))

    # ------------------------------------------------------------------ fusion and pass-through
    def _sole_owner(self, op: NeutralOp) -> dict[str, Any] | None:
        """The layer whose untouched output is this op's input, if the op is its only reader."""
        tensor = op.inputs[0] if op.inputs else None
        if tensor is None or tensor.readers != 1:
            return None
        value = self.values.get(tensor.name)
        if value is None or value.owner is None or value.chain:
            return None
        return self.by_name[value.owner]

    def _fuse(self, op: NeutralOp, layer: dict[str, Any], what: str) -> None:
        layer["fused"] = tuple(layer.get("fused", ())) + (what,)
        layer["params"] += self._claim(op.params)
        self._set(op, self._pending(op.inputs[0]))

    def _passthrough(self, op: NeutralOp, keep_owner: bool, elements: int | None = None) -> None:
        tensor = op.inputs[0] if op.inputs else None
        source = self._value(tensor)
        owner = source.owner if keep_owner and tensor is not None and tensor.readers == 1 else None
        stored = numel(shape_of(op.outputs[0])) if elements is None else elements
        self._set(op, _Value(source.producers, stored, owner=owner))

    # ------------------------------------------------------------------ op kinds
    def _on_input(self, op: NeutralOp) -> None:
        self._set(op, _Value(("input",), numel(shape_of(op.outputs[0]))))

    def _on_constant(self, op: NeutralOp) -> None:
        self._set(op, _Value((), numel(shape_of(op.outputs[0]))))

    def _on_unsupported(self, op: NeutralOp) -> None:
        self.unsupported[op.label] += 1
        self.unsupported_params += self._claim(op.params)
        producers: list[str] = []
        for tensor in op.inputs:
            for name in self._value(tensor).producers:
                if name not in producers:
                    producers.append(name)
        for tensor in op.outputs:
            self.values[tensor.name] = _Value(tuple(producers), numel(shape_of(tensor)))

    def _on_conv(self, op: NeutralOp) -> None:
        self._add_layer(op, "conv", [self._value(op.inputs[0])], **conv_fields(op))

    def _on_linear(self, op: NeutralOp) -> None:
        self._add_layer(op, "linear", [self._value(op.inputs[0])], **linear_fields(op))

    def _on_batchnorm(self, op: NeutralOp) -> None:
        host = self._sole_owner(op)
        if host is not None and host["op"] in ("conv", "linear") and not host.get("fused"):
            self._fuse(op, host, "batchnorm")
            return
        source = op.inputs[0]
        self._add_layer(op, "batchnorm", [self._value(source)], **elementwise_fields(shape_of(source)))

    def _on_activation(self, op: NeutralOp) -> None:
        host = self._sole_owner(op)
        if host is not None and host["op"] in ACTIVATION_HOSTS:
            self._fuse(op, host, op.attrs.mode)
            return
        source = op.inputs[0]
        self._add_layer(op, "activation", [self._value(source)], mode=op.attrs.mode,
                        **elementwise_fields(shape_of(source)))

    def _pool_layer(self, op: NeutralOp, kernel: tuple[int, int], stride: tuple[int, int],
                    padding: tuple[int, int], dilation: tuple[int, int]) -> None:
        """A pool layer, or a global pool where one window covers the whole input."""
        shape_in, shape_out = shape_of(op.inputs[0]), shape_of(op.outputs[0])
        _, _, h, w = nchw(shape_in)
        _, _, p, q = nchw(shape_out)
        if (p, q) == (1, 1) and kernel[0] >= h and kernel[1] >= w and padding == (0, 0):
            self._global_pool_layer(op)
            return
        self._add_layer(op, "pool", [self._value(op.inputs[0])], mode=op.attrs.mode,
                        **pool_fields(shape_in, shape_out, kernel, stride, padding, dilation))

    def _global_pool_layer(self, op: NeutralOp, mode: str | None = None) -> None:
        source = op.inputs[0]
        self._add_layer(op, "global_pool", [self._value(source)], mode=op.attrs.mode if mode is None else mode,
                        **global_pool_fields(shape_of(source)))

    def _on_pool(self, op: NeutralOp) -> None:
        a = op.attrs
        self._pool_layer(op, a.kernel, a.stride, a.padding, a.dilation)

    def _on_adaptive_pool(self, op: NeutralOp) -> None:
        _, _, h, w = nchw(shape_of(op.inputs[0]))
        _, _, p, q = nchw(shape_of(op.outputs[0]))
        if (p, q) == (1, 1):
            self._global_pool_layer(op)
        elif (p, q) == (h, w):
            self._passthrough(op, keep_owner=True)
        else:  # exact when out divides in; otherwise the largest window (hwsim.export's docstring)
            self._pool_layer(op, (-(-h // p), -(-w // q)), (h // p, w // q), (0, 0), (1, 1))

    def _on_mean(self, op: NeutralOp) -> None:
        rank = len(shape_of(op.inputs[0]))
        dims = op.attrs.dims
        if rank >= 3 and dims is not None and {int(d) % rank for d in dims} == set(range(2, rank)):
            self._global_pool_layer(op, "avg")
        else:
            self._on_unsupported(op)

    def _on_lrn(self, op: NeutralOp) -> None:
        source = op.inputs[0]
        self._add_layer(op, "lrn", [self._value(source)], r=op.attrs.size, **elementwise_fields(shape_of(source)))

    def _on_shuffle(self, op: NeutralOp) -> None:
        source = op.inputs[0]
        self._add_layer(op, "shuffle", [self._value(source)], groups=op.attrs.groups,
                        **elementwise_fields(shape_of(source)))

    def _binary(self, op: NeutralOp, kind: str) -> None:
        values = [self._value(tensor) for tensor in op.inputs]
        self._add_layer(op, kind, values, mode=op.attrs.mode, operand_elements=tuple(v.elements for v in values),
                        **elementwise_fields(shape_of(op.outputs[0])))

    def _on_add(self, op: NeutralOp) -> None:
        self._binary(op, "add")

    def _on_mul(self, op: NeutralOp) -> None:
        self._binary(op, "mul")

    def _on_concat(self, op: NeutralOp) -> None:
        shape_out = shape_of(op.outputs[0])
        if len(shape_out) < 2 or op.attrs.dim % len(shape_out) != 1:
            self._on_unsupported(replace(op, inputs=tuple(t for t in op.inputs if t is not None)))
            return
        values = [self._value(tensor) for tensor in op.inputs]
        self._add_layer(op, "concat", values, operand_elements=tuple(v.elements for v in values),
                        **elementwise_fields(shape_out))

    def _on_identity(self, op: NeutralOp) -> None:
        tensor = op.inputs[0] if op.inputs else None
        value = self._pending(tensor)
        if value.chain and shape_of(tensor) == shape_of(op.outputs[0]):
            self._set(op, value)  # contiguous() inside a pending shuffle chain
            return
        self._passthrough(op, keep_owner=True)

    def _on_expand(self, op: NeutralOp) -> None:
        source = self._value(op.inputs[0] if op.inputs else None)
        self._passthrough(op, keep_owner=False, elements=source.elements)

    def _on_split(self, op: NeutralOp) -> None:
        # an item of a tuple (chunk halves, a batch-norm's output tuple) keeps ownership only when
        # the tuple was a layer's sole output; a split of a tensor never does
        self._passthrough(op, keep_owner=op.attrs.from_tuple)

    # ------------------------------------------------------------------ shuffle collapse
    def _on_view(self, op: NeutralOp) -> None:
        tensor = op.inputs[0]
        value = self._pending(tensor)
        shape_in, shape_out = shape_of(tensor), shape_of(op.outputs[0])
        if len(value.chain) == 2 and shape_out == value.source_shape:
            self._add_layer(op, "shuffle", [value.chain_source or _Value((), 0)], word="shuffle",
                            groups=value.groups, **elementwise_fields(value.source_shape))
            return
        if shape_in == shape_out:
            if value.chain:
                self._set(op, value)
            else:
                self._passthrough(op, keep_owner=True)
            return
        source = self._value(tensor)
        if _splits_channels(shape_in, shape_out) and not value.chain:
            self._set(op, _Value(source.producers, source.elements, chain=(op,), chain_source=source,
                                 source_shape=shape_in, groups=shape_out[1]))
            return
        self._add_layer(op, "reshape", [source], **reshape_fields(shape_in, shape_out))

    def _on_transpose(self, op: NeutralOp) -> None:
        value = self._pending(op.inputs[0])
        if len(value.chain) == 1 and _swaps_1_2(op):  # after the 5-D view that opens a shuffle
            self._set(op, replace(value, chain=value.chain + (op,)))
            return
        self._on_unsupported(op)

    def _flush(self, name: str, value: _Value) -> _Value:
        """Materialise a pending shuffle chain read by something else than the chain's end:
        its view becomes a reshape layer, its transpose an unsupported op."""
        if name in self.flushed:
            return self.flushed[name]
        result = value.chain_source or _Value((), 0)
        shape_in = value.source_shape
        for step in value.chain:
            out = step.outputs[0]
            shape_out = shape_of(out)
            if out.name in self.flushed:
                result = self.flushed[out.name]
            elif step.kind == "view":
                layer = self._append(step, dict(op="reshape", inputs=result.producers,
                                                **reshape_fields(shape_in, shape_out)))
                result = _Value((layer,), numel(shape_out))
            else:
                self.unsupported[step.label] += 1
                result = _Value(result.producers, numel(shape_out))
            self.flushed[out.name] = result
            shape_in = shape_out
        self.flushed[name] = result
        return result


def _splits_channels(shape_in: Shape, shape_out: Shape) -> bool:
    """(N, C, H, W) -> (N, g, C/g, H, W): the view that opens a channel shuffle."""
    return (
        len(shape_in) == 4
        and len(shape_out) == 5
        and shape_out[0] == shape_in[0]
        and shape_out[1] * shape_out[2] == shape_in[1]
        and shape_out[3:] == shape_in[2:]
    )


def _swaps_1_2(op: NeutralOp) -> bool:
    """A transpose of a 5-D tensor that swaps dims 1 and 2 (and keeps the others)."""
    swap, perm = op.attrs.swap, op.attrs.perm
    return (swap is not None and sorted(d % 5 for d in swap) == [1, 2]) or (
        perm is not None and tuple(d % 5 for d in perm) == (0, 2, 1, 3, 4)
    )
