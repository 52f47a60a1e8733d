"""Model source: a saved graph ``.json`` (:meth:`LayerGraph.save`, ``hwsim export -o graph.json``).

A saved graph has fixed shapes: an input size or batch it was not made for is refused.
"""

from __future__ import annotations

from hwsim.graph.layer_graph import LayerGraph
from hwsim.sources.arguments import check_input_size, fixed_shape
from hwsim.sources.registry import InputSize, register

__all__ = ["load_graph_json"]


def load_graph_json(source: str, input_size: InputSize = None, batch: int = 1) -> LayerGraph:
    """The graph saved in the file ``source``; errors raise :class:`~hwsim.errors.GraphFileError`."""
    return fixed_shape(LayerGraph.load(source), source, check_input_size(source, input_size), batch)


register(".json", load_graph_json)
