"""Model sources: what a user types as MODEL -> a :class:`~hwsim.graph.layer_graph.LayerGraph`.

:func:`load_graph` dispatches through one table (:mod:`~hwsim.sources.registry`) to a loader per
kind of source, each in its own module that registers it on import: a zoo model name
(:mod:`~hwsim.sources.zoo`, shipped graphs in ``zoo_graphs/``), a graph ``.json``
(:mod:`~hwsim.sources.graph_json`), a SCALE-Sim topology ``.csv``
(:mod:`~hwsim.sources.scalesim_topology`), an ONNX file (:mod:`~hwsim.sources.onnx_file`) and
``file.py:factory`` (:mod:`~hwsim.sources.torch_factory`). Importing this package imports no
torch and no onnx.
"""

from hwsim.sources import graph_json, onnx_file, scalesim_topology, torch_factory, zoo  # noqa: F401  (each registers its loader)
from hwsim.sources.registry import load_graph

__all__ = ["load_graph"]
