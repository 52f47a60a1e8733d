"""The state of one walk of the graph-building passes (:mod:`hwsim.export.builder`) over a neutral op list.

:class:`WalkState` holds what the walk has made so far (layers as field dicts, the value of
every tensor, unsupported ops, claimed parameters) and the primitives the passes share: operand
values, unique layer names, parameter claiming, appending layers, fusion into a producer and
pass-through. :class:`BuiltLayers` is the walk's result. Torch-free.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hwsim.export.layer_fields import numel, shape_of
from hwsim.export.neutral import NeutralOp, Param, Shape, Tensor
from hwsim.graph.coverage import UNACCOUNTED_PARAMS, UNSUPPORTED_MACS, UNSUPPORTED_PARAMS
from hwsim.graph.layer_graph import Layer

__all__ = ["ACTIVATION_HOSTS", "EPILOGUE_HOSTS", "SCALE_HOSTS", "UNACCOUNTED_PARAMS", "UNSUPPORTED_MACS",
           "UNSUPPORTED_PARAMS", "BuiltLayers", "WalkState"]

#: Layer ops an activation may be fused into.
ACTIVATION_HOSTS = frozenset({"conv", "linear", "matmul", "conv_transpose", "add", "mul", "pool", "global_pool",
                              "batchnorm", "lrn", "activation", "norm"})
#: Layer ops a batch-norm or a bias add (a learned constant of K elements) folds into.
EPILOGUE_HOSTS = frozenset({"conv", "linear", "conv_transpose"})
#: Layer ops a scale by a scalar constant fuses into (applied as the outputs leave the array).
SCALE_HOSTS = EPILOGUE_HOSTS | {"matmul"}


@dataclass(frozen=True)
class BuiltLayers:
    """What the passes made of a neutral graph."""

    layers: tuple[Layer, ...]
    unsupported: tuple[tuple[str, int], ...]  #: (op label, count), sorted
    notes: tuple[tuple[str, str], ...]  #: metadata: parameter elements no layer holds (absent when zero)
    layer_names: tuple[tuple[str, str], ...]  #: (tensor name, layer name) for each layer-making op


@dataclass(frozen=True)
class Value:
    """What a tensor is in the hwsim graph."""

    producers: tuple[str, ...]  #: hwsim layers (or "input") the tensor comes from
    elements: int  #: elements actually stored (a broadcast view keeps its source's count)
    owner: str | None = None  #: layer whose untouched, sole output this is (fusion target)
    chain: tuple[NeutralOp, ...] = ()  #: pending shuffle steps (the opening view, the transpose)
    chain_source: Value | None = None  #: the value before the pending steps
    source_shape: Shape = ()  #: shape of the tensor before the pending steps
    groups: int = 0  #: shuffle groups of a pending chain
    #: parameters read through constants and pass-throughs, claimed by the first layer that reads the tensor
    params: tuple[Param, ...] = ()


class WalkState:
    """The state of one walk over the ops (mutable only while walking)."""

    def __init__(self) -> None:
        self.layers: list[dict[str, Any]] = []
        self.by_name: dict[str, dict[str, Any]] = {}
        self.values: dict[str, Value] = {}
        self.unsupported: Counter[str] = Counter()
        self.unsupported_macs: dict[str, int | None] = {}  #: label -> known MACs (None: unknown)
        self.used_params: set[str] = set()
        self.unsupported_params = 0  #: parameter elements of unsupported ops (in no layer)
        self.flushed: dict[str, Value] = {}
        self.layer_names: dict[str, str] = {}

    def visit(self, op: NeutralOp) -> None:
        getattr(self, f"_on_{op.kind}")(op)

    def result(self, params: Iterable[Param]) -> BuiltLayers:
        total = {p.key: p.elements for p in params}
        unused = sum(n for key, n in total.items() if key not in self.used_params)
        notes = [(key, str(count)) for key, count in ((UNSUPPORTED_PARAMS, self.unsupported_params),
                                                      (UNACCOUNTED_PARAMS, unused)) if count]
        if self.unsupported:
            macs = {label: self.unsupported_macs.get(label) for label in sorted(self.unsupported)}
            notes.append((UNSUPPORTED_MACS, json.dumps(macs)))
        return BuiltLayers(
            layers=tuple(Layer(**fields) for fields in self.layers),
            unsupported=tuple(sorted(self.unsupported.items())),
            notes=tuple(notes),
            layer_names=tuple(self.layer_names.items()),
        )

    # ------------------------------------------------------------------ values and names
    def _value(self, tensor: Tensor | None) -> Value:
        """The value of an operand, any pending shuffle chain materialised."""
        if tensor is None:
            return Value((), 0)
        value = self.values.get(tensor.name, Value((), numel(shape_of(tensor))))
        return self._flush(tensor.name, value) if value.chain else value

    def _pending(self, tensor: Tensor | None) -> Value:
        """The value of an operand as it stands (a pending shuffle chain kept)."""
        value = self.values.get(tensor.name) if tensor is not None else None
        return value if value is not None else Value((), 0)

    def _set(self, op: NeutralOp, value: Value) -> None:
        for tensor in op.outputs:
            self.values[tensor.name] = value

    def _unique(self, op: NeutralOp, word: str = "") -> str:
        """The layer name ``op`` asks for (module qualname, ``<scope>.<word>``, or op name), made unique."""
        return self._unique_name(f"{op.scope}.{word or op.word}" if op.scope else op.name)

    def _unique_name(self, name: str) -> str:
        """``name``, or ``name_1``, ``name_2`` ... when taken."""
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

    def _append(self, op: NeutralOp, fields: dict[str, Any], word: str = "", name: str = "") -> str:
        name = self._unique_name(name) if name else self._unique(op, word)
        self.layer_names[op.outputs[0].name] = name
        layer = dict(name=name, **fields)
        self.layers.append(layer)
        self.by_name[name] = layer
        return name

    def _add_layer(self, op: NeutralOp, op_kind: str, inputs: Iterable[Value], *, word: str = "", **fields: Any) -> None:
        values = list(inputs)
        producers = tuple(name for value in values for name in value.producers)
        params = self._claim(op.params + tuple(p for value in values for p in value.params))
        name = self._append(op, dict(op=op_kind, inputs=producers, params=params, **fields), word)
        self._set(op, Value((name,), numel(shape_of(op.outputs[0])), owner=name))

    # ------------------------------------------------------------------ fusion and pass-through
    def _sole_owner(self, op: NeutralOp, index: int = 0) -> dict[str, Any] | None:
        """The layer whose untouched output is this op's input ``index``, if the op is its only reader."""
        tensor = op.inputs[index] if len(op.inputs) > index else None
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
        self._set(op, Value(source.producers, stored, owner=owner, params=source.params + op.params))
