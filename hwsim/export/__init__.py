"""Export a PyTorch ``nn.Module`` to a torch-free :class:`~hwsim.graph.layer_graph.LayerGraph`.

This is the one place (with :mod:`hwsim.models` and :mod:`hwsim.measure.profiler`) that imports torch.

How it works
------------
1. **Trace.** ``torch.fx.symbolic_trace`` (torch.nn's own modules are leaves), then one run of
   the traced graph on a zero input of ``input_shape`` (created on the module's device: a
   module built on ``meta`` traces without allocating) through an fx interpreter that keeps
   every node's shape and the value of shape arithmetic (``x.size()[2:]``). Where fx cannot
   trace the model (Python control flow on shapes, ...), ``torch.export.export`` is the
   fallback (run with torch's logging, warnings and stderr silenced): the ATen nodes of one
   call of a torch.nn module are grouped back into that call through ``nn_module_stack``, so
   both tracers meet the same rules. Errors are one line naming the model (its
   ``file.py:factory`` for a :func:`load_factory` model) and the root cause.
2. **Recognise.** Every module call or functional node becomes an :class:`_Op` of a canonical
   kind (conv, linear, batchnorm, activation, pool, ...) by small per-operator rules.
3. **Build.** :class:`_Builder` walks the ops in order and writes hwsim layers with Timeloop
   letters taken from the propagated shapes (so ``ceil_mode`` and padding are exact).

Conventions (what becomes what)
-------------------------------
- conv2d (any groups, kernel, stride, padding, dilation) -> ``conv``; ``padding="same"`` is
  accepted where it is symmetric (odd effective kernel), otherwise the conv is unsupported.
  Linear -> ``linear`` with ``n`` = product of the leading dims, ``c`` = in, ``k`` = out features.
- Batch-norm whose input is the sole, not yet activated output of a conv/linear is folded into it:
  ``"batchnorm"`` joins ``fused`` and its weight+bias join the layer's ``params``. Any other
  batch-norm is a ``batchnorm`` layer.
- An activation (module or functional, in place or not) whose input is the sole output of a conv,
  linear, add, mul, pool, global_pool, batchnorm, lrn or activation layer is fused into it (its
  name joins ``fused``); otherwise it is an ``activation`` layer with ``mode`` = its name.
- Max/avg pooling -> ``pool`` (``mode`` max/avg, ``r``/``s`` window; a window covering the
  whole input with a 1x1 output is a ``global_pool``). Adaptive pooling to 1x1 and
  ``mean`` over all spatial dims -> ``global_pool``; adaptive pooling to the input size is an
  identity; other adaptive sizes become a ``pool`` with window ceil(in/out), stride floor(in/out).
- Dropout, Identity, ``contiguous``/``clone``/dtype casts and ``expand`` make no layer: their
  consumers name the real producer. View-like ops that change the shape without moving data
  (flatten, view, reshape, squeeze, unsqueeze, unflatten) -> ``reshape`` (free in the simulator).
- A channel shuffle written as view (N,C,H,W)->(N,g,C/g,H,W), transpose(1,2) (or the equal
  permute), optional contiguous, view back to (N,C,H,W) -> ONE ``shuffle`` layer with
  ``groups`` = g; ``nn.ChannelShuffle`` / ``channel_shuffle`` likewise.
- Channel split by ``chunk``/``split``/indexing makes no layer (pass-through): the consumers
  name the producer of the whole tensor, and their own ``c``/``operand_elements`` give the part
  they read.
- Residual add (``+``, ``torch.add``, ``sub``) -> ``add``; elementwise ``*``/``/`` -> ``mul``;
  channel concat -> ``concat`` (``c`` = sum of the input channels); all three record
  ``operand_elements`` per tensor operand (a broadcast operand counts its own elements).
- LocalResponseNorm -> ``lrn`` with ``r`` = its channel window ``size``.
- Anything else is listed in ``LayerGraph.unsupported`` as ``(op name, count)`` and never dropped
  silently: its consumers connect to its tensor producers. ``strict=True`` raises
  :class:`UnsupportedOpError` instead. Parameters no layer holds are counted (in parameter
  elements) in the graph's metadata: ``params_in_unsupported_ops`` (weights of an op listed as
  unsupported), ``params_outside_layers`` (parameters the forward uses in ops that make no
  layer, e.g. a class token read through ``expand``) and ``unused_params`` (parameters the
  eval-mode forward never uses, e.g. an auxiliary head); layer params plus these equal
  ``sum(p.numel())`` of the module.
- Layer names are the modules' qualified names. A layer made by a functional op is named
  ``<qualified name of the innermost module it runs in>.<op word>``, from the module path both
  tracers record in ``node.meta["nn_module_stack"]``: ``stages.2.blocks.3.add``,
  ``features.fire3.cat``, ``stage2.1.shuffle``. The op word is the op's own name (``add``,
  ``cat``, ``mean``, ``view``, ``flatten``; an in-place ``_`` dropped, Python operators spelled
  as their ATen op: ``truediv`` -> ``div``), and ``shuffle`` for every channel shuffle. An op
  no module encloses (in the top module's own ``forward``) keeps the traced node's name
  (``flatten``, ``add_3``). A name seen before (a module called twice, or one module making two
  layers of the same op word) gets a ``_1``, ``_2`` ... suffix. :func:`node_layer_names` maps
  torch.fx nodes to these names.

The code is split by step: :mod:`~hwsim.export.ops` (operator tables and the records passed
between the steps), :mod:`~hwsim.export.tracing` (1), :mod:`~hwsim.export.rules` (2),
:mod:`~hwsim.export.builder` (3) and :mod:`~hwsim.export.factory` (user model files).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

import hwsim
from hwsim.errors import ConfigError, UnsupportedOpError
from hwsim.export.builder import UNACCOUNTED_PARAMS, _Builder
from hwsim.export.factory import load_factory, source_of
from hwsim.export.tracing import _example, _fx_traced, _trace
from hwsim.graph.layer_graph import LayerGraph

__all__ = ["export", "load_factory", "node_layer_names", "source_of", "UNACCOUNTED_PARAMS"]


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
    Errors name the model's ``file.py:factory`` when :func:`load_factory` built it, else ``name``.
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
        traced = _trace(module, input_shape, label, tracer)
    finally:
        for m, training in flags:
            m.training = training
    builder = _Builder(traced)
    layers, unsupported = builder.build(module)
    metadata = [("hwsim", hwsim.__version__), ("torch", torch.__version__), ("tracer", traced.tracer)]
    metadata.extend(builder.parameter_notes())
    if model_kwargs is not None:
        metadata.append(("model_kwargs", json.dumps(dict(model_kwargs), sort_keys=True, default=str)))
    graph = LayerGraph(
        name=graph_name,
        input_shape=input_shape,
        layers=layers,
        unsupported=unsupported,
        metadata=tuple(metadata),
    )
    if strict and unsupported:
        left = ", ".join(f"{op} x{count}" for op, count in unsupported)
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
        traced = _fx_traced(gm, _example(gm, shape, name), name)
    finally:
        for m, training in flags:
            m.training = training
    builder = _Builder(traced)
    builder.build(gm)
    return dict(builder.node_layers)
