"""Model sources: what a user types as MODEL -> a :class:`~hwsim.graph.layer_graph.LayerGraph`.

A zoo name (:mod:`~hwsim.sources.zoo`, shipped graphs in ``zoo_graphs/``), a graph ``.json``, a
SCALE-Sim topology ``.csv`` (:mod:`~hwsim.sources.scalesim_topology`) or ``file.py:factory``.
"""

from hwsim.sources.zoo import load_graph

__all__ = ["load_graph"]
