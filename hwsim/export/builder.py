"""Step 3 of the export: :class:`_Builder` turns the recognised ops into hwsim layers.

It walks the ops in order and writes :class:`~hwsim.graph.layer_graph.Layer` fields (Timeloop letters from
the propagated shapes), folds batch-norms and fuses activations into their producers, turns
view -> transpose -> view chains into one ``shuffle`` layer, lists unsupported ops, and counts
the parameters no layer holds (weights of unsupported ops; :data:`UNACCOUNTED_PARAMS`: unused ones).

Names: a module's layer is its qualified name; a functional op's layer is
``<innermost enclosing module>.<op word>`` (``stages.2.blocks.3.add``, ``stage2.1.shuffle``),
or the fx node name where no module encloses it (``flatten``). A name taken before gets ``_1``,
``_2``, ... (a module called twice, or one module making two layers of the same op word).
:attr:`_Builder.node_layers` maps each layer-making node to its layer name.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import torch
import torch.fx
from torch import nn

from hwsim.export.ops import _ACTIVATION_HOSTS, Shape, _layer_word, _Op, _scope_of, _Traced, _Val
from hwsim.graph.layer_graph import Layer

#: Label of the ``unsupported`` entry that counts parameter elements no layer accounts for.
#: Metadata key: parameter elements of the module that its (eval-mode) forward never uses.
UNACCOUNTED_PARAMS = "unused_params"
#: Metadata key: parameter elements the forward uses in ops that make no layer (a ViT's class token
#: read through ``expand`` into a concat the graph cannot hold).
OUTSIDE_LAYERS_PARAMS = "params_outside_layers"


def _numel(shape: Sequence[int]) -> int:
    return math.prod(int(d) for d in shape)


def _nchw(shape: Sequence[int]) -> Shape:
    """Fold any tensor shape into (N, C, H, W): (N, F) -> (N, F, 1, 1), 5-D folds the middle."""
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


class _Builder:
    """Turns recognised ops into hwsim layers (mutable only while building)."""

    def __init__(self, traced: _Traced) -> None:
        self.traced = traced
        self.shapes = traced.shapes
        self.layers: list[dict[str, Any]] = []
        self.by_name: dict[str, dict[str, Any]] = {}
        self.values: dict[torch.fx.Node, _Val] = {}
        self.unsupported: Counter[str] = Counter()
        self.used_params: dict[int, int] = {}
        self.unsupported_params = 0  #: parameter elements of unsupported ops (in no layer)
        self.unused_params = 0  #: parameter elements the traced forward never uses
        self.outside_params = 0  #: parameter elements the forward uses in ops that make no layer (expand, view)
        self.flushed: dict[torch.fx.Node, _Val] = {}
        self.node_layers: dict[str, str] = {}  #: traced node name -> name of the layer it made

    # ------------------------------------------------------------------ driver
    def build(self, module: nn.Module) -> tuple[tuple[Layer, ...], tuple[tuple[str, int], ...]]:
        for op in self.traced.ops:
            getattr(self, f"_on_{op.kind}")(op)
        total = {id(p): p.numel() for p in module.parameters()}
        read = {id(p) for op in self.traced.ops for p in op.params}  # by any op, layer or not (a class token)
        self.unused_params = sum(n for key, n in total.items() if key not in self.used_params and key not in read)
        self.outside_params = sum(n for key, n in total.items() if key not in self.used_params and key in read)
        layers = tuple(Layer(**fields) for fields in self.layers)
        return layers, tuple(sorted(self.unsupported.items()))

    def parameter_notes(self) -> tuple[tuple[str, str], ...]:
        """Metadata entries for parameters no layer holds (element counts; absent when zero)."""
        notes = (("params_in_unsupported_ops", self.unsupported_params), (UNACCOUNTED_PARAMS, self.unused_params),
                 (OUTSIDE_LAYERS_PARAMS, self.outside_params))
        return tuple((key, str(count)) for key, count in notes if count)

    # ------------------------------------------------------------------ helpers
    def _shape(self, node: torch.fx.Node | None) -> torch.Size:
        shape = self.shapes.get(node) if node is not None else None
        return shape if isinstance(shape, torch.Size) else torch.Size(())

    def _value(self, node: torch.fx.Node | None) -> _Val:
        """The value of an operand, any pending shuffle chain materialised."""
        if node is None:
            return _Val((), 0)
        value = self.values.get(node, _Val((), _numel(self._shape(node))))
        return self._flush(node, value) if value.chain else value

    def _set(self, op: _Op, value: _Val) -> None:
        for node in op.outputs:
            self.values[node] = value

    def _proposed(self, op: _Op, word: str = "") -> str:
        """The layer name ``op`` asks for: module qualname, ``<scope>.<word>``, or node name."""
        if not op.scope:
            return op.name
        return f"{op.scope}.{word or op.word}"

    def _unique(self, name: str) -> str:
        candidate, i = name, 0
        while candidate in self.by_name or candidate == "input":
            i += 1
            candidate = f"{name}_{i}"
        return candidate

    def _claim(self, params: Iterable[nn.Parameter]) -> int:
        """Count parameters not yet in any layer (a module called twice counts once)."""
        count = 0
        for p in params:
            if id(p) not in self.used_params:
                self.used_params[id(p)] = p.numel()
                count += p.numel()
        return count

    def _add_layer(self, op: _Op, op_kind: str, inputs: Iterable[_Val], *, word: str = "", **fields: Any) -> _Val:
        name = self._unique(self._proposed(op, word))
        self.node_layers[op.outputs[0].name] = name
        producers: list[str] = []
        for value in inputs:
            producers.extend(value.producers)
        layer = dict(name=name, op=op_kind, inputs=tuple(producers), params=self._claim(op.params), **fields)
        self.layers.append(layer)
        self.by_name[name] = layer
        out = self._shape(op.outputs[0])
        value = _Val((name,), _numel(out), owner=name)
        self._set(op, value)
        return value

    def _sole_owner(self, op: _Op) -> dict[str, Any] | None:
        """The layer whose untouched output is this op's input, if the op is its only reader."""
        node = op.operands[0] if op.operands else None
        if node is None or len(node.users) != 1:
            return None
        value = self.values.get(node)
        if value is None or value.owner is None or value.chain:
            return None
        return self.by_name[value.owner]

    def _fuse(self, op: _Op, layer: dict[str, Any], what: str) -> None:
        layer["fused"] = tuple(layer.get("fused", ())) + (what,)
        layer["params"] += self._claim(op.params)
        self._set(op, self.values[op.operands[0]])

    def _passthrough(self, op: _Op, keep_owner: bool, elements: int | None = None) -> None:
        source = self._value(op.operands[0]) if op.operands else _Val((), 0)
        node = op.operands[0] if op.operands else None
        owner = source.owner if keep_owner and node is not None and len(node.users) == 1 else None
        out = self._shape(op.outputs[0])
        self._set(op, _Val(source.producers, _numel(out) if elements is None else elements, owner=owner))

    def _elementwise_fields(self, shape: Sequence[int]) -> dict[str, int]:
        n, c, h, w = _nchw(shape)
        return dict(n=n, c=c, h=h, w=w, k=c, p=h, q=w)

    # ------------------------------------------------------------------ op kinds
    def _on_input(self, op: _Op) -> None:
        self._set(op, _Val(("input",), _numel(self._shape(op.outputs[0]))))

    def _on_constant(self, op: _Op) -> None:
        self._set(op, _Val((), _numel(self._shape(op.outputs[0]))))

    def _on_unsupported(self, op: _Op) -> None:
        self.unsupported[op.label] += 1
        self.unsupported_params += self._claim(op.params)  # weights of an op hwsim cannot convert
        producers: list[str] = []
        for node in op.operands:
            for name in self._value(node).producers:
                if name not in producers:
                    producers.append(name)
        for node in op.outputs:
            self.values[node] = _Val(tuple(producers), _numel(self._shape(node)))

    def _on_conv(self, op: _Op) -> None:
        source = op.operands[0]
        shape_in, shape_out = self._shape(source), self._shape(op.outputs[0])
        if len(shape_in) == 3:  # unbatched conv2d input
            shape_in, shape_out = torch.Size((1, *shape_in)), torch.Size((1, *shape_out))
        n, c, h, w = (int(d) for d in shape_in)
        _, k, p, q = (int(d) for d in shape_out)
        a = op.attrs
        self._add_layer(
            op, "conv", [self._value(source)],
            n=n, c=c, h=h, w=w, k=k, p=p, q=q, r=a["kernel"][0], s=a["kernel"][1],
            stride_h=a["stride"][0], stride_w=a["stride"][1], pad_h=a["padding"][0], pad_w=a["padding"][1],
            dilation_h=a["dilation"][0], dilation_w=a["dilation"][1], groups=a["groups"], bias=a["bias"],
        )

    def _on_linear(self, op: _Op) -> None:
        source = op.operands[0]
        shape_in, shape_out = self._shape(source), self._shape(op.outputs[0])
        self._add_layer(
            op, "linear", [self._value(source)],
            n=_numel(shape_in[:-1]), c=int(shape_in[-1]), k=int(shape_out[-1]), bias=op.attrs["bias"],
        )

    def _on_batchnorm(self, op: _Op) -> None:
        host = self._sole_owner(op)
        if host is not None and host["op"] in ("conv", "linear") and not host.get("fused"):
            self._fuse(op, host, "batchnorm")
            return
        source = op.operands[0]
        self._add_layer(op, "batchnorm", [self._value(source)], **self._elementwise_fields(self._shape(source)))

    def _on_activation(self, op: _Op) -> None:
        mode = op.attrs["mode"]
        host = self._sole_owner(op)
        if host is not None and host["op"] in _ACTIVATION_HOSTS:
            self._fuse(op, host, mode)
            return
        source = op.operands[0]
        self._add_layer(op, "activation", [self._value(source)], mode=mode,
                        **self._elementwise_fields(self._shape(source)))

    def _pool_layer(self, op: _Op, mode: str, kernel: tuple[int, int], stride: tuple[int, int],
                    padding: tuple[int, int], dilation: tuple[int, int]) -> None:
        source = op.operands[0]
        n, c, h, w = _nchw(self._shape(source))
        _, k, p, q = _nchw(self._shape(op.outputs[0]))
        if (p, q) == (1, 1) and kernel[0] >= h and kernel[1] >= w and padding == (0, 0):
            self._global_pool_layer(op, mode)
            return
        self._add_layer(
            op, "pool", [self._value(source)], mode=mode, n=n, c=c, h=h, w=w, k=k, p=p, q=q,
            r=kernel[0], s=kernel[1], stride_h=stride[0], stride_w=stride[1], pad_h=padding[0],
            pad_w=padding[1], dilation_h=dilation[0], dilation_w=dilation[1],
        )

    def _global_pool_layer(self, op: _Op, mode: str) -> None:
        source = op.operands[0]
        n, c, h, w = _nchw(self._shape(source))
        self._add_layer(op, "global_pool", [self._value(source)], mode=mode,
                        n=n, c=c, h=h, w=w, k=c, p=1, q=1, r=h, s=w)

    def _on_pool(self, op: _Op) -> None:
        a = op.attrs
        self._pool_layer(op, a["mode"], a["kernel"], a["stride"], a["padding"], a["dilation"])

    def _on_adaptive_pool(self, op: _Op) -> None:
        shape_in, shape_out = self._shape(op.operands[0]), self._shape(op.outputs[0])
        _, _, h, w = _nchw(shape_in)
        _, _, p, q = _nchw(shape_out)
        if (p, q) == (1, 1):
            self._global_pool_layer(op, op.attrs["mode"])
        elif (p, q) == (h, w):
            self._passthrough(op, keep_owner=True)
        else:  # exact when out divides in; otherwise the largest window, documented above
            kernel = (math.ceil(h / p), math.ceil(w / q))
            self._pool_layer(op, op.attrs["mode"], kernel, (h // p, w // q), (0, 0), (1, 1))

    def _on_mean(self, op: _Op) -> None:
        shape_in = self._shape(op.operands[0])
        rank = len(shape_in)
        dims = op.attrs["dims"]
        spatial = set(range(2, rank))
        if rank >= 3 and dims is not None and {int(d) % rank for d in dims} == spatial:
            self._global_pool_layer(op, "avg")
        else:
            self._on_unsupported(op)

    def _on_lrn(self, op: _Op) -> None:
        source = op.operands[0]
        self._add_layer(op, "lrn", [self._value(source)], r=op.attrs["size"],
                        **self._elementwise_fields(self._shape(source)))

    def _on_shuffle(self, op: _Op) -> None:
        source = op.operands[0]
        self._add_layer(op, "shuffle", [self._value(source)], groups=op.attrs["groups"],
                        **self._elementwise_fields(self._shape(source)))

    def _binary(self, op: _Op, kind: str) -> None:
        values = [self._value(node) for node in op.operands]
        self._add_layer(
            op, kind, values, mode=op.attrs.get("mode", ""),
            operand_elements=tuple(v.elements for v in values),
            **self._elementwise_fields(self._shape(op.outputs[0])),
        )

    def _on_add(self, op: _Op) -> None:
        self._binary(op, "add")

    def _on_mul(self, op: _Op) -> None:
        self._binary(op, "mul")

    def _on_concat(self, op: _Op) -> None:
        shape_out = self._shape(op.outputs[0])
        if len(shape_out) < 2 or op.attrs["dim"] % len(shape_out) != 1:
            self._on_unsupported(replace(op, operands=tuple(o for o in op.operands if o is not None)))
            return
        values = [self._value(node) for node in op.operands]
        self._add_layer(op, "concat", values, operand_elements=tuple(v.elements for v in values),
                        **self._elementwise_fields(shape_out))

    def _on_identity(self, op: _Op) -> None:
        node = op.operands[0] if op.operands else None
        value = self.values.get(node) if node is not None else None
        if value is not None and value.chain and self._shape(node) == self._shape(op.outputs[0]):
            self._set(op, value)  # contiguous() inside a pending shuffle chain
            return
        self._passthrough(op, keep_owner=True)

    def _on_expand(self, op: _Op) -> None:
        source = self._value(op.operands[0]) if op.operands else _Val((), 0)
        self._passthrough(op, keep_owner=False, elements=source.elements)

    def _on_split(self, op: _Op) -> None:
        # getitem on a tuple (chunk halves, batch-norm's output tuple) passes ownership on only
        # when the tuple was a layer's output; a split of a tensor never does
        keep = bool(op.attrs.get("from_tuple"))
        self._passthrough(op, keep_owner=keep)

    def _on_view(self, op: _Op) -> None:
        node = op.operands[0]
        value = self.values.get(node, _Val((), 0))
        shape_in, shape_out = self._shape(node), self._shape(op.outputs[0])
        if len(value.chain) == 2 and tuple(shape_out) == value.source_shape:
            self._shuffle_from_chain(op, value)
            return
        if shape_in == shape_out:
            if value.chain:
                self._set(op, value)
            else:
                self._passthrough(op, keep_owner=True)
            return
        if len(shape_in) == 4 and len(shape_out) == 5 and shape_out[0] == shape_in[0] \
                and shape_out[1] * shape_out[2] == shape_in[1] and tuple(shape_out[3:]) == tuple(shape_in[2:]) \
                and not value.chain:
            source = self._value(node)
            self._set(op, _Val(source.producers, source.elements, chain=(("view", op.label, op.outputs[0]),),
                               chain_source=source, source_shape=tuple(shape_in), groups=int(shape_out[1])))
            return
        source = self._value(node)
        self._add_layer(op, "reshape", [source], **self._reshape_fields(shape_in, shape_out))

    def _reshape_fields(self, shape_in: Sequence[int], shape_out: Sequence[int]) -> dict[str, int]:
        n, c, h, w = _nchw(shape_in)
        n_out, k, p, q = _nchw(shape_out)
        if n_out != n:  # batch folded away: keep N and put the rest in K
            k, p, q = _numel(shape_out) // n, 1, 1
        return dict(n=n, c=c, h=h, w=w, k=k, p=p, q=q)

    def _on_transpose(self, op: _Op) -> None:
        node = op.operands[0]
        value = self.values.get(node, _Val((), 0))
        if len(value.chain) == 1:  # after the 5-D view of a shuffle: does it swap dims 1 and 2?
            swap, perm = op.attrs.get("swap"), op.attrs.get("perm")
            swaps_1_2 = (swap is not None and sorted(d % 5 for d in swap) == [1, 2]) or (
                perm is not None and tuple(d % 5 for d in perm) == (0, 2, 1, 3, 4)
            )
        else:
            swaps_1_2 = False
        if swaps_1_2:
            self._set(op, replace(value, chain=value.chain + (("transpose", op.label, op.outputs[0]),)))
            return
        self._on_unsupported(op)

    def _shuffle_from_chain(self, op: _Op, value: _Val) -> None:
        """view -> transpose -> view back: one shuffle layer named after the closing view."""
        assert value.chain_source is not None
        self._add_layer(op, "shuffle", [value.chain_source], word="shuffle", groups=value.groups,
                        **self._elementwise_fields(value.source_shape))

    def _flush(self, node: torch.fx.Node, value: _Val) -> _Val:
        """Materialise a pending shuffle chain read by something else than the chain's end."""
        if node in self.flushed:
            return self.flushed[node]
        assert value.chain_source is not None
        result = value.chain_source
        shape_in: Sequence[int] = value.source_shape
        for step, label, step_node in value.chain:
            shape_out = self._shape(step_node)
            if step_node in self.flushed:
                result, shape_in = self.flushed[step_node], shape_out
                continue
            if step == "view":
                scope = _scope_of(step_node)
                name = self._unique(f"{scope}.{_layer_word('view', label)}" if scope else step_node.name)
                self.node_layers[step_node.name] = name
                layer = dict(name=name, op="reshape", inputs=result.producers,
                             **self._reshape_fields(shape_in, shape_out))
                self.layers.append(layer)
                self.by_name[name] = layer
                result = _Val((name,), _numel(shape_out))
            else:
                self.unsupported[label] += 1
                result = _Val(result.producers, _numel(shape_out))
            self.flushed[step_node] = result
            shape_in = shape_out
        self.flushed[node] = result
        return result
