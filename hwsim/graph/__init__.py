"""Torch-free layer graphs: :class:`Layer` and :class:`LayerGraph` (Timeloop letters, GEMM view, JSON I/O).

The definitions and checks live in :mod:`hwsim.graph.layer_graph`.
"""

from hwsim.graph.layer_graph import GEMM_OPS, OP_KINDS, VECTOR_OPS, Layer, LayerGraph

__all__ = ["GEMM_OPS", "OP_KINDS", "VECTOR_OPS", "Layer", "LayerGraph"]
