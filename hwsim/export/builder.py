"""The exporter's graph-building passes: a neutral op list -> hwsim layers, front end unknown.

:func:`build_layers` walks the ops of a :class:`~hwsim.export.neutral.NeutralGraph` in order
and writes :class:`~hwsim.graph.layer_graph.Layer` s (fields from
:mod:`hwsim.export.layer_fields`; the walk's state in :mod:`hwsim.export.walk`). Each pass
decides from what the walk has made so far:

- **Batch-norm folding**: a ``batchnorm`` whose input is the sole, not yet fused output of a
  conv, linear or conv_transpose layer joins it (``"batchnorm"`` in ``fused``, its parameters
  in ``params``); any other batch-norm is a ``batchnorm`` layer.
- **Activation fusion**: an ``activation`` whose input is the sole output of a layer in
  :data:`ACTIVATION_HOSTS` joins it (its mode in ``fused``); else it is an ``activation`` layer.
  "Sole" means the input tensor has one reader (:attr:`~hwsim.export.neutral.Tensor.readers`).
  Softmax is its own kind and never fused.
- **Epilogues**: an ``add`` of a learned constant of K elements to the sole, not yet fused
  output of a conv/linear/conv_transpose layer is its bias (``bias`` true, params joined); a
  ``mul`` (or a division) of such an output, or of a matmul's, by a scalar constant is fused as
  ``"scale"`` (applied as the outputs leave the array).
- **Pass-through**: identity, expand, split, a view that keeps the shape and adaptive pooling
  to the input size make no layer; their readers name the producer of the whole tensor.
- **Shuffle collapse**: view (N, C, H, W) -> (N, g, C/g, H, W), a transpose of dims 1 and 2
  (identities and same-shape views between are skipped), view back to (N, C, H, W) -> one
  ``shuffle`` layer of ``groups`` = g named after the closing view. A chain read before it
  closes is materialised: its view becomes a ``reshape`` layer, its transpose a ``transpose``
  layer. Any other transpose or permute is a ``transpose`` layer (a copy).
- **Matmul**: a product of two activations is a ``matmul`` layer (one group per batch x head;
  :func:`~hwsim.export.layer_fields.matmul_fields`), and so is a two-operand einsum that is one;
  a product by a constant B (weights) with one group is a ``linear`` layer.
- **Attention**: scaled dot-product attention and ``nn.MultiheadAttention`` become their parts
  (:mod:`hwsim.export.attention`), named ``<op's layer name>.<part>``.
- **SE and broadcasts**: ``add``/``mul``/``concat`` record ``operand_elements`` per operand;
  a broadcast (``expand``) operand counts the elements it stores, not the ones it shows.
- **Unsupported listing**: any other op is counted by label in ``unsupported`` (with the MACs
  the front end knows it does, else unknown) and bridged (its readers connect to its tensor
  producers); its parameters are counted apart.
- **Naming**: a module's layer is its qualified name; a functional op's layer is
  ``<scope>.<word>`` (``stages.2.blocks.3.add``), or the op's name where no module encloses it;
  a name taken before gets ``_1``, ``_2``, ... (``input`` is reserved).
- **Parameter accounting**: each parameter counts once, in the first layer that uses it (a
  parameter read through a constant or a pass-through, such as a class token, in the first
  layer that reads it); parameters of unsupported ops and parameters no op uses go to the
  graph's metadata.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hwsim.export.attention import Part, multihead_attention_parts, sdpa_parts
from hwsim.export.layer_fields import (
    conv_fields,
    einsum_fields,
    elementwise_fields,
    global_pool_fields,
    linear_fields,
    matmul_fields,
    nchw,
    numel,
    pool_fields,
    reshape_fields,
    resize_fields,
    shape_of,
)
from hwsim.export.neutral import NeutralGraph, NeutralOp, Shape
from hwsim.export.walk import (
    ACTIVATION_HOSTS,
    EPILOGUE_HOSTS,
    SCALE_HOSTS,
    UNACCOUNTED_PARAMS,
    UNSUPPORTED_MACS,
    UNSUPPORTED_PARAMS,
    BuiltLayers,
    Value,
    WalkState,
)

__all__ = ["ACTIVATION_HOSTS", "UNACCOUNTED_PARAMS", "UNSUPPORTED_MACS", "UNSUPPORTED_PARAMS", "BuiltLayers", "build_layers"]


def build_layers(graph: NeutralGraph) -> BuiltLayers:
    """Run the passes (module docstring) over ``graph``'s ops, in order."""
    walk = _Walk()
    for op in graph.ops:
        walk.visit(op)
    return walk.result(graph.params)


class _Walk(WalkState):
    """The passes: one handler per op kind (module docstring)."""

    # ------------------------------------------------------------------ op kinds
    def _on_input(self, op: NeutralOp) -> None:
        self._set(op, Value(("input",), numel(shape_of(op.outputs[0]))))

    def _on_constant(self, op: NeutralOp) -> None:
        self._set(op, Value((), numel(shape_of(op.outputs[0])), params=op.params))

    def _on_unsupported(self, op: NeutralOp) -> None:
        before = self.unsupported_macs.get(op.label, 0)  # None once an op of this label had unknown MACs
        self.unsupported_macs[op.label] = None if before is None or op.macs is None else before + op.macs
        self.unsupported[op.label] += 1
        values = [self._value(tensor) for tensor in op.inputs]
        self.unsupported_params += self._claim(op.params + tuple(p for value in values for p in value.params))
        producers: list[str] = []
        for value in values:
            for name in value.producers:
                if name not in producers:
                    producers.append(name)
        for tensor in op.outputs:
            self.values[tensor.name] = Value(tuple(producers), numel(shape_of(tensor)))

    def _on_conv(self, op: NeutralOp) -> None:
        self._add_layer(op, "conv", [self._value(op.inputs[0])], **conv_fields(op))

    def _on_conv_transpose(self, op: NeutralOp) -> None:
        self._add_layer(op, "conv_transpose", [self._value(op.inputs[0])], **conv_fields(op))

    def _on_linear(self, op: NeutralOp) -> None:
        self._add_layer(op, "linear", [self._value(op.inputs[0])], **linear_fields(op))

    def _on_batchnorm(self, op: NeutralOp) -> None:
        host = self._sole_owner(op)
        if host is not None and host["op"] in EPILOGUE_HOSTS and not host.get("fused"):
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
        values = [self._value(tensor) for tensor in op.inputs if tensor is not None]  # None: a scalar
        self._add_layer(op, kind, values, mode=op.attrs.mode, operand_elements=tuple(v.elements for v in values),
                        **elementwise_fields(shape_of(op.outputs[0])))

    def _epilogue_host(self, op: NeutralOp, hosts: frozenset[str], indices: tuple[int, ...] = (0, 1)
                       ) -> tuple[dict[str, Any], Value] | None:
        """(layer, other operand) when operand ``index`` of a binary op is the sole, untouched
        output of a layer in ``hosts`` and the other operand is a constant (made from no layer;
        None: a Python scalar)."""
        if len(op.inputs) > 2:
            return None
        for index in indices:
            host = self._sole_owner(op, index)
            other = op.inputs[1 - index] if len(op.inputs) == 2 else None
            value = self._value(other) if other is not None else Value((), 1)
            if host is not None and host["op"] in hosts and not value.producers:
                return host, value
        return None

    def _fuse_epilogue(self, op: NeutralOp, host: dict[str, Any], value: Value, what: str) -> None:
        host["params"] += self._claim(op.params + value.params)
        if what == "bias":
            host["bias"] = True
        else:
            host["fused"] = tuple(host.get("fused", ())) + (what,)
        self._set(op, Value((host["name"],), numel(shape_of(op.outputs[0])), owner=host["name"]))

    def _on_add(self, op: NeutralOp) -> None:
        found = self._epilogue_host(op, EPILOGUE_HOSTS) if op.attrs.mode == "" else None
        if found is not None:  # a learned bias of K elements, before anything else was fused
            host, value = found
            if value.params and value.elements == host["k"] and not host.get("bias") and not host.get("fused"):
                self._fuse_epilogue(op, host, value, "bias")
                return
        self._binary(op, "add")

    def _on_mul(self, op: NeutralOp) -> None:
        # x * c, c * x or x / c with a scalar c (not c / x): a scale applied as the outputs leave the array
        found = self._epilogue_host(op, SCALE_HOSTS, (0, 1) if op.attrs.mode == "" else (0,))
        if found is not None and found[1].elements <= 1:
            self._fuse_epilogue(op, *found, "scale")
            return
        self._binary(op, "mul")

    def _on_concat(self, op: NeutralOp) -> None:
        shape_out = shape_of(op.outputs[0])
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

    # ------------------------------------------------------------------ attention and vision ops
    def _on_softmax(self, op: NeutralOp) -> None:
        source = op.inputs[0]
        self._add_layer(op, "softmax", [self._value(source)], mode=op.attrs.mode or "softmax",
                        **elementwise_fields(shape_of(source)))

    def _on_norm(self, op: NeutralOp) -> None:
        source = op.inputs[0]
        self._add_layer(op, "norm", [self._value(source)], mode=op.attrs.mode, **elementwise_fields(shape_of(source)))

    def _on_resize(self, op: NeutralOp) -> None:
        source = op.inputs[0]
        self._add_layer(op, "resize", [self._value(source)], mode=op.attrs.mode,
                        **resize_fields(shape_of(source), shape_of(op.outputs[0])))

    def _on_pad(self, op: NeutralOp) -> None:
        source = op.inputs[0]
        self._add_layer(op, "pad", [self._value(source)], mode=op.attrs.mode,
                        **resize_fields(shape_of(source), shape_of(op.outputs[0])))

    def _gemm_of_two(self, op: NeutralOp, fields: dict[str, int] | None) -> None:
        """A matmul layer of two operands; B made from no layer (weights, a constant) with one
        group makes a linear layer instead."""
        if fields is None or len(op.inputs) != 2 or None in op.inputs:
            self._on_unsupported(op)
            return
        a, b = (self._value(tensor) for tensor in op.inputs)
        if not b.producers and fields["groups"] == 1:
            self._add_layer(op, "linear", [a, b], n=fields["n"] * fields["h"], c=fields["c"], k=fields["k"])
        else:
            self._add_layer(op, "matmul", [a, b], **fields)

    def _on_matmul(self, op: NeutralOp) -> None:
        shapes = [shape_of(tensor) for tensor in op.inputs]
        fields = matmul_fields(*shapes) if len(shapes) == 2 and all(shapes) else None
        self._gemm_of_two(op, fields)

    def _on_einsum(self, op: NeutralOp) -> None:
        shapes = [shape_of(tensor) for tensor in op.inputs]
        fields = einsum_fields(op.attrs.equation, *shapes) if len(shapes) == 2 and all(shapes) else None
        self._gemm_of_two(op, fields)

    def _parts(self, op: NeutralOp, parts: tuple[Part, ...], operands: dict[str, Value]) -> None:
        """Append the layers of a decomposed op (:mod:`hwsim.export.attention`), named
        ``<op's layer name>.<suffix>``; the op's output is the last one's."""
        base = f"{op.scope}.{op.word}" if op.scope else op.name
        made = dict(operands)
        for part in parts:
            reads = [made[key] for key in part.reads]
            producers = tuple(name for value in reads for name in value.producers)
            params = self._claim(part.params + tuple(p for value in reads for p in value.params))
            name = self._append(op, dict(op=part.op, inputs=producers, params=params, **part.fields), name=f"{base}.{part.suffix}")
            made[part.suffix] = Value((name,), 0)
        last = made[parts[-1].suffix].producers[0]
        self._set(op, Value((last,), numel(shape_of(op.outputs[0])), owner=last))

    def _on_attention(self, op: NeutralOp) -> None:
        tensors = [t for t in op.inputs if t is not None]
        shapes = [shape_of(t) for t in tensors]
        if len(tensors) < 3 or any(len(s) < 2 for s in shapes):
            self._on_unsupported(op)
            return
        operands = dict(zip(("q", "k", "v", "mask"), (self._value(t) for t in tensors)))
        self._parts(op, sdpa_parts(*shapes[:3], shapes[3] if len(shapes) > 3 else None), operands)

    def _on_multihead_attention(self, op: NeutralOp) -> None:
        tensors = [t for t in op.inputs if t is not None]
        if not tensors or any(len(shape_of(t)) not in (2, 3) for t in tensors[:3]):
            self._on_unsupported(op)
            return
        q, k, v = (tensors + [tensors[-1]] * 2)[:3]  # a deduplicated operand list: k = v, or q = k = v
        packed = q.name == k.name == v.name
        parts = multihead_attention_parts(shape_of(q), shape_of(k), shape_of(v), op.attrs.heads,
                                          op.attrs.mode == "batch_first", op.params, packed)
        self._parts(op, parts, {"q": self._value(q), "k": self._value(k), "v": self._value(v)})

    # ------------------------------------------------------------------ shuffle collapse
    def _on_view(self, op: NeutralOp) -> None:
        tensor = op.inputs[0]
        value = self._pending(tensor)
        shape_in, shape_out = shape_of(tensor), shape_of(op.outputs[0])
        if len(value.chain) == 2 and shape_out == value.source_shape:
            self._add_layer(op, "shuffle", [value.chain_source or Value((), 0)], word="shuffle",
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
            self._set(op, Value(source.producers, source.elements, chain=(op,), chain_source=source,
                                 source_shape=shape_in, groups=shape_out[1]))
            return
        self._add_layer(op, "reshape", [source], **reshape_fields(shape_in, shape_out))

    def _on_transpose(self, op: NeutralOp) -> None:
        value = self._pending(op.inputs[0])
        if len(value.chain) == 1 and _swaps_1_2(op):  # after the 5-D view that opens a shuffle
            self._set(op, replace(value, chain=value.chain + (op,)))
            return
        source = op.inputs[0]
        self._add_layer(op, "transpose", [self._value(source)], mode=op.attrs.mode or "transpose",
                        **resize_fields(shape_of(source), shape_of(op.outputs[0])))

    def _flush(self, name: str, value: Value) -> Value:
        """Materialise a pending shuffle chain read by something else than the chain's end:
        its view becomes a reshape layer, its transpose a transpose layer."""
        if name in self.flushed:
            return self.flushed[name]
        result = value.chain_source or Value((), 0)
        shape_in = value.source_shape
        for step in value.chain:
            out = step.outputs[0]
            shape_out = shape_of(out)
            if out.name in self.flushed:
                result = self.flushed[out.name]
            else:
                kind, extra = ("reshape", {}) if step.kind == "view" else ("transpose", {"mode": "transpose"})
                layer = self._append(step, dict(op=kind, inputs=result.producers, params=0, **extra,
                                                **reshape_fields(shape_in, shape_out)))
                result = Value((layer,), numel(shape_out))
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
