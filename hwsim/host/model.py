"""A calibrated latency model of the host (CPU or GPU running PyTorch), written like an accelerator.

The model (an additive roofline)
--------------------------------
Every layer of a :class:`~hwsim.graph.layer_graph.LayerGraph` has a host *kind* (:func:`host_kind`):
``conv`` (dense, kernel > 1x1), ``conv1x1`` (pointwise), ``depthwise`` (groups = input channels),
``grouped`` (1 < groups < input channels), ``linear``, ``matmul`` (a product of two
activations: attention), ``pool`` (max/avg pooling with a window), ``norm`` (softmax, layer/group
norm: reductions over their input), ``vector`` (global pool, add, mul, concat, shuffle,
transpose, resize, pad, stand-alone activation/batch-norm, LRN) and ``reshape`` (a view: no data
moves); a conv_transpose is a ``conv``. Windowed pooling has its own kind because PyTorch's CPU
pooling kernels run several times slower per element than the elementwise ones. Its
predicted time in seconds is::

    t = overhead_s[kind] + work / peak[kind] + bytes / bandwidth_bytes_per_s

- ``work`` = MACs for GEMM kinds (``peak_macs_per_s[kind]``), element operations for
  pool, vector and norm ops (``peak_elements_per_s[kind]``: pool = outputs x window, LRN =
  inputs x window, resize and pad = outputs, others = input elements), 0 for reshape;
- ``bytes`` = compulsory traffic at ``word_bytes`` per element (4: float32): input + weights
  (a matmul's second operand) + output for GEMM kinds, input + output for the others, 0 for reshape;
- ``overhead_s[kind]`` = the fixed cost of dispatching one layer of that kind (framework,
  operator selection, thread start-up).

The terms are summed, not max-ed: the sum is linear in the unknowns
``(overhead_s[k], 1/peak[k], 1/bandwidth)``, so it is fitted exactly by non-negative least
squares (``scipy.optimize.nnls``) on measured per-layer times, and on a CPU running one layer
at a time the compute and memory phases largely do not overlap. (The max() of the compute and
memory terms would be at most 2x below their sum for the same parameters, but is not linear in
them.) Rows are weighted by 1/sqrt(t), between
relative error (1/t: every layer counts the same) and absolute error (the longest layers
dominate); a final factor makes the predicted end-to-end latencies of the calibration models
match their measurements in the median (:func:`fit_host_model`). Both choices were made on the
leave-one-out benchmark (``benchmarks/leave_one_out.py``). A peak or bandwidth
of ``null`` in the file means the fit found no cost per MAC/element/byte for it (coefficient 0):
that term contributes nothing. Kinds absent from the calibration data inherit the parameters of
a related kind (:data:`FALLBACK`); the file lists the kinds that were fitted from data, and
``hwsim profile``/``compare`` warn when a prediction uses a kind that was not
(:func:`~hwsim.host.terms.uncalibrated_kinds`). A file written before the ``matmul`` and ``norm``
kinds existed lacks them and uses their fallbacks.

The file (``kind: host``) sits beside the accelerator files and is read by
``hwsim profile MODEL --accel host_cpu.yaml`` through :func:`is_host_model_file`,
:func:`load_host_model` and :func:`predict`. This module never imports torch; scipy only when
fitting.

The code: :mod:`hwsim.host.schema` (kinds, the :class:`HostModel` schema, YAML files),
:mod:`hwsim.host.terms` (per-layer kinds, work, bytes and predicted seconds) and
:mod:`hwsim.host.fit` (the NNLS fit); this module turns a prediction into a
:class:`~hwsim.cost.result.SimResult` (:func:`predict`) and re-exports the public names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hwsim.graph.layer_graph import LayerGraph
from hwsim.host.fit import WEIGHTINGS, FittedParameters, fit_host_model, fit_parameters
from hwsim.host.schema import (
    COMPUTE_KINDS,
    ELEMENT_KINDS,
    FALLBACK,
    GEMM_KINDS,
    HOST_KINDS,
    ElementPeaks,
    FitInfo,
    HostModel,
    host_model_from_dict,
    is_host_model_file,
    load_host_model,
)
from hwsim.host.schema import FORM, KindOverheads, KindPeaks  # noqa: F401 - re-exported (defined here before the split)
from hwsim.host.terms import LayerTerms, PredictedTimes, _kinds_array, host_kind, layer_terms, predict_seconds

if TYPE_CHECKING:
    from hwsim.cost.result import SimResult

__all__ = [
    "COMPUTE_KINDS",
    "ELEMENT_KINDS",
    "FALLBACK",
    "ElementPeaks",
    "GEMM_KINDS",
    "HOST_KINDS",
    "FitInfo",
    "FittedParameters",
    "HostModel",
    "LayerTerms",
    "PredictedTimes",
    "WEIGHTINGS",
    "fit_host_model",
    "fit_parameters",
    "host_kind",
    "host_model_from_dict",
    "is_host_model_file",
    "layer_terms",
    "load_host_model",
    "predict",
    "predict_seconds",
]


# ---------------------------------------------------------------------------------------------
# predict(): a SimResult for the host
# ---------------------------------------------------------------------------------------------
def predict(graph: LayerGraph, host: HostModel) -> SimResult:
    """Predict the latency of every layer of ``graph`` on the host, as a :class:`~hwsim.cost.result.SimResult`.

    What the fields mean for a host (clock_mhz = 1000, so one "cycle" is one nanosecond):

    - ``cycles``: predicted ns of the layer (overhead + compute + memory, rounded);
      ``latency_us``/``latency_ms`` follow from it as for an accelerator;
    - ``compute_cycles``: ns of overhead + compute (work / peak); ``stall_cycles``: the memory
      term (bytes / bandwidth), so cycles = compute + stall as in the simulator;
    - ``roofline_cycles``: max(compute, memory) ns without the overhead (a lower bound);
    - ``utilization``: achieved MACs/s over the peak of the layer's kind (0 where the peak is
      null, and for non-GEMM layers); ``pes``: the dense-conv peak in MACs per ns (rounded, >= 1),
      so the network's ``utilization_total`` is achieved MACs/s over the dense-conv peak;
    - ``dataflow``: ``host`` for conv/linear layers, ``-`` otherwise; ``bound``: the largest of
      the three terms (``overhead``, ``compute`` — ``vector`` for vector ops — or ``memory``);
    - ``dram_*_bytes``, ``dram_bytes``, ``compulsory_bytes``: the compulsory traffic the memory
      term charges (input as ifmap, weights as filter, output as ofmap);
    - folds, mapping efficiency, SRAM bytes and every energy field are 0: the host model says
      nothing about them.
    """
    from hwsim.cost.result import SimResult, layer_metrics, zero_metrics
    from hwsim.simulate import layer_arrays

    la = layer_arrays(graph)
    times = predict_seconds(graph.layers, host)
    ns = 1e9
    cycles = np.rint(times.total_s * ns).astype(np.int64)
    compute_cycles = np.rint((times.overhead_s + times.compute_s) * ns).astype(np.int64)
    kinds = layer_terms(graph.layers, host.word_bytes).kinds
    is_gemm = np.array([k in GEMM_KINDS for k in kinds], dtype=bool)
    peaks_per_ns = np.array([(host.peak(k) or 0.0) / ns if k in GEMM_KINDS else 0.0 for k in kinds])
    capacity = cycles * peaks_per_ns
    word = host.word_bytes
    ifmap = np.where(_kinds_array(kinds) == "reshape", 0.0, la.input_elements * word).astype(np.float64)
    filt = np.where(is_gemm, la.weight_elements * word, 0).astype(np.float64)
    ofmap = np.where(_kinds_array(kinds) == "reshape", 0.0, la.output_elements * word).astype(np.float64)
    dram = ifmap + filt + ofmap
    bound = []
    for kind, o, c, m in zip(kinds, times.overhead_s, times.compute_s, times.memory_s):
        largest = max(o, c, m)
        if largest == m and m > 0:
            bound.append("memory")
        elif largest == c and c > 0:
            bound.append("compute" if kind in GEMM_KINDS else "vector")
        else:
            bound.append("overhead")
    dense_peak = host.peak("conv") or max((host.peak(k) or 0.0) for k in GEMM_KINDS) or ns
    predicted = {
        "dataflow": tuple("host" if g else "-" for g in is_gemm),
        "bound": tuple(bound),
        "gbuf_operands": ("-",) * len(kinds),
        "compute_cycles": compute_cycles,
        "stall_cycles": cycles - compute_cycles,
        "cycles": cycles,
        "utilization": np.divide(la.macs, capacity, out=np.zeros(len(kinds)), where=capacity > 0),
        "dram_ifmap_bytes": ifmap,
        "dram_filter_bytes": filt,
        "dram_ofmap_bytes": ofmap,
        "dram_bytes": dram,
        "compulsory_bytes": dram,
        "roofline_cycles": np.ceil(np.maximum(times.compute_s, times.memory_s) * ns),
    }
    return SimResult(
        graph_name=graph.name,
        accelerator_name=host.name,
        clock_mhz=1000.0,
        pes=max(1, int(round(dense_peak / ns))),
        # every other metric (folds, mapping efficiency, SRAM bytes, energy ...) is 0
        metrics={**zero_metrics(len(la)), **layer_metrics(la), **predicted},
        unsupported=graph.unsupported,
    )
