"""The PyTorch front end: :func:`export` an ``nn.Module`` to a :class:`~hwsim.graph.layer_graph.LayerGraph`.

It traces the module into a neutral op list (:mod:`hwsim.export.tracing`, with the per-operator
rules of :mod:`hwsim.export.rules`) and hands it to the front-end-neutral passes
(:func:`hwsim.export.builder.build_layers`). :func:`node_layer_names` maps torch.fx nodes to the
layers they make. The conventions are in :mod:`hwsim.export`'s docstring.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

import hwsim
from hwsim.errors import ConfigError, UnsupportedOpError, user_code
from hwsim.export.factory import source_of
from hwsim.export.builder import build_layers
from hwsim.export.tracing import _example, _fx_traced, _trace
from hwsim.graph.layer_graph import LayerGraph

__all__ = ["export", "node_layer_names"]


def export(
    module: nn.Module,
    input_shape: Sequence[int],
    name: str | None = None,
    *,
    strict: bool = False,
    model_kwargs: Mapping[str, Any] | None = None,
    tracer: str = "auto",
) -> LayerGraph:
    """Trace ``module`` on a zero input of ``input_shape`` (N, C, H, W) into a LayerGraph.

    ``tracer`` is ``"auto"`` (torch.fx, then torch.export where fx cannot trace), ``"fx"`` or
    ``"export"``. ``strict=True`` raises :class:`UnsupportedOpError` listing the ops that could
    not be converted instead of returning them in ``unsupported``. ``model_kwargs`` are recorded
    in the metadata (JSON). The module is traced in eval mode; its train/eval flags are restored.
    Errors name the model's ``file.py:factory`` when :func:`~hwsim.export.factory.load_factory`
    built it, else ``name``; a forward that calls ``sys.exit`` raises :class:`~hwsim.errors.UserCodeError`.
    """
    input_shape = tuple(int(d) for d in input_shape)
    graph_name = name or type(module).__name__
    label = source_of(module) or graph_name
    if len(input_shape) < 1 or any(d < 1 for d in input_shape):
        raise ConfigError(f"{label}: input shape {input_shape} must be positive sizes (N, C, H, W)")
    if tracer not in ("auto", "fx", "export"):
        raise ConfigError(f"{label}: tracer {tracer!r}; expected 'auto', 'fx' or 'export'")
    flags = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        with user_code(f"{label}: the model's forward", "while being traced"):
            neutral = _trace(module, input_shape, label, tracer)
    finally:
        for m, training in flags:
            m.training = training
    built = build_layers(neutral)
    metadata = [("hwsim", hwsim.__version__), ("torch", torch.__version__), ("tracer", neutral.tracer)]
    metadata.extend(built.notes)
    if model_kwargs is not None:
        metadata.append(("model_kwargs", json.dumps(dict(model_kwargs), sort_keys=True, default=str)))
    graph = LayerGraph(
        name=graph_name,
        input_shape=input_shape,
        layers=built.layers,
        unsupported=built.unsupported,
        metadata=tuple(metadata),
    )
    if strict and built.unsupported:
        left = ", ".join(f"{op} x{count}" for op, count in built.unsupported)
        raise UnsupportedOpError(f"{label}: cannot convert {left}")
    return graph


def node_layer_names(gm: torch.fx.GraphModule, input_shape: Sequence[int], name: str = "model") -> dict[str, str]:
    """``{fx node name: layer name}`` for every node of ``gm`` that makes a layer in :func:`export`.

    ``gm`` is ``torch.fx.symbolic_trace(module)`` (the tracer :func:`export` uses, so node names
    match); ``input_shape`` (N, C, H, W) that of the exported graph. A channel shuffle is made by
    its closing view node; fused batch-norms and activations, pass-throughs and unsupported ops
    make no layer and are absent. Runs ``gm`` once in eval mode (flags restored, no grad).
    """
    shape = tuple(int(d) for d in input_shape)
    flags = [(m, m.training) for m in gm.modules()]
    gm.eval()
    try:
        with user_code(f"{name}: the model's forward", "while being traced"):
            neutral = _fx_traced(gm, _example(gm, shape, name), name, gm)
    finally:
        for m, training in flags:
            m.training = training
    return dict(build_layers(neutral).layer_names)
