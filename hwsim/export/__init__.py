"""Export a model to a torch-free :class:`~hwsim.graph.layer_graph.LayerGraph`: front ends -> a
neutral op list -> shared graph-building passes.

``import hwsim.export`` does not import torch: the PyTorch front end (:func:`export`,
:func:`node_layer_names`, :func:`load_factory`, :func:`source_of`) is imported, with torch, on
first use. With :mod:`hwsim.models` and :mod:`hwsim.measure` it is the only code that imports torch.
The ONNX front end (:func:`export_onnx`, :mod:`~hwsim.export.onnx_front`) reads ``.onnx`` files
into the same neutral op list (it imports ``onnx``, never torch).

How it works
------------
1. **Trace** (the PyTorch front end, :mod:`~hwsim.export.tracing`). ``torch.fx.symbolic_trace``
   (torch.nn's own modules are leaves), then one run of the traced graph on a zero input of
   ``input_shape`` (created on the module's device: a module built on ``meta`` traces without
   allocating) through an fx interpreter that keeps every node's shape and the value of shape
   arithmetic (``x.size()[2:]``). Where fx cannot trace the model (Python control flow on
   shapes, ...), ``torch.export.export`` is the fallback (run with torch's logging, warnings and
   stderr silenced): the ATen nodes of one call of a torch.nn module are grouped back into that
   call through ``nn_module_stack``, so both tracers meet the same rules. Errors are one line
   naming the model (its ``file.py:factory`` for a :func:`load_factory` model) and the root cause.
2. **Recognise** (:mod:`~hwsim.export.rules`). Every module call or functional node becomes a
   :class:`~hwsim.export.neutral.NeutralOp` of a canonical kind (conv, linear, batchnorm,
   activation, pool, ...) with its tensors' shapes, attributes and parameters.
3. **Build** (:mod:`~hwsim.export.builder`, front-end-neutral). The passes walk the neutral ops
   in order and write hwsim layers with Timeloop letters taken from the propagated shapes (so
   ``ceil_mode`` and padding are exact): batch-norm folding, activation fusion, shuffle
   collapse, pass-through, unsupported listing, naming and parameter accounting.

Conventions (what becomes what)
-------------------------------
- conv2d and conv1d (any groups, kernel, stride, padding, dilation) -> ``conv`` (a 1-D one has
  W = S = 1); ``padding="same"`` is accepted where it is symmetric (odd effective kernel),
  otherwise the conv is unsupported. ConvTranspose1d/2d -> ``conv_transpose``.
  Linear -> ``linear`` with ``n`` = product of the leading dims, ``c`` = in, ``k`` = out features.
- ``@``/``matmul``/``bmm`` and a two-operand ``einsum`` -> ``matmul`` (one group per batch x
  head; a product by weights is a ``linear``); ``scaled_dot_product_attention`` and
  ``nn.MultiheadAttention`` -> their matmuls, softmax and projections (:mod:`~hwsim.export.attention`).
- Softmax -> ``softmax`` (never fused); LayerNorm / GroupNorm / InstanceNorm / RMSNorm -> ``norm``;
  interpolate / Upsample -> ``resize``; pad -> ``pad``; PixelShuffle and a transpose or permute
  that is not part of a channel shuffle -> ``transpose`` (a copy).
- Batch-norm whose input is the sole, not yet activated output of a conv/linear is folded into it:
  ``"batchnorm"`` joins ``fused`` and its weight+bias join the layer's ``params``. Any other
  batch-norm is a ``batchnorm`` layer.
- An activation (module or functional, in place or not) whose input is the sole output of a conv,
  linear, matmul, conv_transpose, add, mul, pool, global_pool, batchnorm, lrn, norm or activation
  layer is fused into it (its name joins ``fused``); otherwise it is an ``activation`` layer with
  ``mode`` = its name. A scale by a scalar of a GEMM layer's sole output joins it as ``scale``;
  an add of a learned K-element constant to a conv/linear output is its bias.
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
  concat -> ``concat`` (along channels ``c`` = sum of the input channels; along another dim a
  copy of its operands); all three record ``operand_elements`` per tensor operand (a broadcast
  operand counts its own elements; a Python scalar none).
- LocalResponseNorm -> ``lrn`` with ``r`` = its channel window ``size``.
- Anything else is listed in ``LayerGraph.unsupported`` as ``(op name, count)`` and never dropped
  silently: its consumers connect to its tensor producers; the MACs the front end knows such
  ops do (recurrent layers, 3-D convs, embeddings) are kept in the metadata
  (``macs_in_unsupported_ops``, :mod:`hwsim.graph.coverage`). ``strict=True`` raises
  :class:`UnsupportedOpError` instead. Parameters no layer holds are counted (in parameter
  elements) in the graph's metadata: ``params_in_unsupported_ops`` (weights of an op listed as
  unsupported) and ``unused_params`` (parameters the eval-mode forward never uses, e.g. an
  auxiliary head); layer params plus these equal ``sum(p.numel())`` of the module. A parameter
  used directly by the forward (a class token, a position embedding) counts in the first layer
  that reads it.
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

The code is split by step: :mod:`~hwsim.export.neutral` (the op list every front end makes),
:mod:`~hwsim.export.builder` (the passes) and :mod:`~hwsim.export.layer_fields` (3), and the
PyTorch front end: :mod:`~hwsim.export.pytorch` (:func:`export`), :mod:`~hwsim.export.ops`
(operator tables), :mod:`~hwsim.export.tracing` (1), :mod:`~hwsim.export.rules` (2) and
:mod:`~hwsim.export.factory` (user model files).
"""

from __future__ import annotations

import importlib
from typing import Any

from hwsim.export.builder import UNACCOUNTED_PARAMS

__all__ = ["export", "export_onnx", "load_factory", "node_layer_names", "source_of", "UNACCOUNTED_PARAMS"]

#: The front ends' names and their modules, imported (with torch or onnx) on first use.
_FRONT_ENDS = {
    "export": "hwsim.export.pytorch",
    "node_layer_names": "hwsim.export.pytorch",
    "load_factory": "hwsim.export.factory",
    "source_of": "hwsim.export.factory",
    "export_onnx": "hwsim.export.onnx_front",
}


def __getattr__(name: str) -> Any:
    """``hwsim.export.export``, ``export_onnx`` and the other front-end names, imported on first use."""
    module = _FRONT_ENDS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
