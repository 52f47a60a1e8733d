"""Attribution of torch.fx nodes to hwsim layers (:func:`attribute_nodes`).

A node that makes a layer in the exporter (:func:`hwsim.export.node_layer_names`: the same
names, ``stages.2.blocks.3.add`` for a residual add) is that layer; batch-norm and activation nodes
go to the layer they read from (the exporter fuses them into it); any other node goes to the first
layer downstream, else the layer upstream (rules in :mod:`hwsim.measure.profiler`). torch is imported only
inside the functions.
"""

from __future__ import annotations

from typing import Any

from hwsim.graph.layer_graph import LayerGraph

__all__ = ["attribute_nodes"]


# ---------------------------------------------------------------------------------------------
# Attribution of fx nodes to hwsim layers
# ---------------------------------------------------------------------------------------------
#: Functions and tensor methods the exporter fuses into the layer they read from.
_FUSED_FUNCTIONS = frozenset(
    {
        "relu", "relu6", "hardtanh", "sigmoid", "hardsigmoid", "hardswish", "silu", "gelu", "tanh",
        "leaky_relu", "elu", "mish", "softplus", "prelu", "batch_norm",
    }
)


def _node_op_name(node: Any) -> str:
    name = node.target if node.op == "call_method" else getattr(node.target, "__name__", str(node.target))
    name = str(name)
    if name.endswith("_") and not name.startswith("_"):
        name = name[:-1]  # relu_, hardtanh_ ...
    return name


def _is_fused_kind(node: Any, gm: Any) -> bool:
    """Batch-norm or activation: the exporter folds these into the layer they read from."""
    from torch import nn

    if node.op == "call_module":
        sub = gm.get_submodule(node.target)
        return isinstance(sub, nn.modules.batchnorm._BatchNorm) or type(sub).__module__ == "torch.nn.modules.activation"
    if node.op in ("call_function", "call_method"):
        return _node_op_name(node) in _FUSED_FUNCTIONS
    return False


def _input_nodes(node: Any) -> list[Any]:
    import torch.fx

    found: list[Any] = []
    torch.fx.node.map_arg((node.args, node.kwargs), lambda n: found.append(n) or n)
    return found


def attribute_nodes(gm: Any, graph: LayerGraph) -> dict[str, str | None]:
    """Map every executable node of the traced ``gm`` to the hwsim layer its time belongs to.

    Returns ``{fx node name: layer name or None}`` (rules in the module docstring). The layer a
    node makes is named as :func:`hwsim.export.export` names it, found by running the exporter's
    steps on ``gm`` at ``graph.input_shape`` (one forward pass in eval mode, no grad).
    """
    from hwsim.export import node_layer_names

    names = {layer.name for layer in graph.layers}
    made = node_layer_names(gm, graph.input_shape, graph.name)
    nodes = [n for n in gm.graph.nodes if n.op in ("call_module", "call_function", "call_method")]
    owner: dict[Any, str | None] = {}
    pending: list[Any] = []
    for node in nodes:
        candidate = made.get(node.name)
        if candidate in names:
            owner[node] = candidate
        elif _is_fused_kind(node, gm):
            owner[node] = next((owner[i] for i in _input_nodes(node) if owner.get(i)), None)
        else:
            owner[node] = None
            pending.append(node)
    # the rest: first layer downstream, else the layer upstream
    for node in reversed(pending):
        downstream = None
        for user in sorted(node.users, key=lambda u: nodes.index(u) if u in owner else len(nodes)):
            if owner.get(user):
                downstream = owner[user]
                break
        owner[node] = downstream
    for node in pending:
        if owner[node] is None:
            owner[node] = next((owner[i] for i in _input_nodes(node) if owner.get(i)), None)
    return {node.name: owner[node] for node in nodes}

