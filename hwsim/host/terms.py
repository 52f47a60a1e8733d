"""The per-layer terms of the host model: each layer's host kind, work and bytes, and predicted seconds.

:func:`host_kind`, :func:`layer_terms` (:class:`LayerTerms`) and :func:`predict_seconds`
(:class:`PredictedTimes`: overhead, compute and memory seconds per layer); the model itself is
described in :mod:`hwsim.host.model`. Never imports torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hwsim.graph.layer_graph import Layer
from hwsim.host.schema import GEMM_KINDS, HostModel

__all__ = ["LayerTerms", "PredictedTimes", "host_kind", "layer_terms", "predict_seconds", "uncalibrated_kinds"]


# ---------------------------------------------------------------------------------------------
# Layer terms
# ---------------------------------------------------------------------------------------------
def host_kind(layer: Layer) -> str:
    """The host kind of a layer (see the :mod:`hwsim.host.model` docstring)."""
    if layer.op == "linear":
        return "linear"
    if layer.op == "matmul":
        return "matmul"
    if layer.op == "conv_transpose":
        return "conv"
    if layer.op in ("softmax", "norm"):
        return "norm"
    if layer.op == "conv":
        if layer.groups == 1:
            return "conv1x1" if layer.r * layer.s == 1 else "conv"
        return "depthwise" if layer.groups == layer.c else "grouped"
    if layer.op == "reshape":
        return "reshape"
    if layer.op == "pool":
        return "pool"
    return "vector"


@dataclass(frozen=True)
class LayerTerms:
    """Per-layer inputs of the model, arrays over layers."""

    kinds: tuple[str, ...]
    work: np.ndarray  #: MACs (conv/linear kinds) or element operations (pool, vector), float64
    bytes: np.ndarray  #: compulsory bytes, float64


def _vector_work(layer: Layer) -> int:
    if layer.op == "pool":
        return layer.output_elements * layer.r * layer.s
    if layer.op == "lrn":
        return layer.input_elements * layer.r
    if layer.op in ("resize", "pad"):
        return layer.output_elements
    return layer.input_elements


def layer_terms(layers: Sequence[Layer], word_bytes: int = 4) -> LayerTerms:
    """Kinds, work and bytes of each layer (:mod:`hwsim.host.model` docstring: what counts)."""
    kinds, work, traffic = [], [], []
    for layer in layers:
        kind = host_kind(layer)
        kinds.append(kind)
        if kind in GEMM_KINDS:
            work.append(layer.macs)
            traffic.append((layer.input_elements + layer.weight_elements + layer.output_elements) * word_bytes)
        elif kind == "reshape":
            work.append(0)
            traffic.append(0)
        else:
            work.append(_vector_work(layer))
            traffic.append((layer.input_elements + layer.output_elements) * word_bytes)
    return LayerTerms(tuple(kinds), np.asarray(work, dtype=np.float64), np.asarray(traffic, dtype=np.float64))


@dataclass(frozen=True)
class PredictedTimes:
    """Predicted seconds per layer, split into the three terms (arrays over layers)."""

    overhead_s: np.ndarray
    compute_s: np.ndarray
    memory_s: np.ndarray

    @property
    def total_s(self) -> np.ndarray:
        return self.overhead_s + self.compute_s + self.memory_s


def predict_seconds(layers: Sequence[Layer], host: HostModel) -> PredictedTimes:
    """The three terms of the model for each layer, in seconds."""
    terms = layer_terms(layers, host.word_bytes)
    overhead = np.array([host.overhead(k) for k in terms.kinds], dtype=np.float64)
    inv_peak = np.array([0.0 if host.peak(k) is None else 1.0 / host.peak(k) for k in terms.kinds])  # type: ignore[operator]
    inv_bw = 0.0 if host.bandwidth_bytes_per_s is None else 1.0 / host.bandwidth_bytes_per_s
    return PredictedTimes(overhead, terms.work * inv_peak, terms.bytes * inv_bw)



def uncalibrated_kinds(layers: Sequence[Layer], host: HostModel) -> tuple[tuple[str, int], ...]:
    """(host kind, layers of it) for the kinds of ``layers`` the host model was never calibrated
    on: absent from its fitted kinds (or from the file); their parameters came from a related
    kind (:data:`~hwsim.host.schema.FALLBACK`), so their predicted latency is an extrapolation.
    Empty when the file does not record what it was fitted on."""
    fitted = host.calibrated_kinds()
    if fitted is None:
        return ()
    counts: dict[str, int] = {}
    for layer in layers:
        kind = host_kind(layer)
        if kind not in fitted or not host.in_file(kind):
            counts[kind] = counts.get(kind, 0) + 1
    return tuple(counts.items())


def _kinds_array(kinds: Sequence[str]) -> np.ndarray:
    return np.asarray(kinds, dtype=object)

