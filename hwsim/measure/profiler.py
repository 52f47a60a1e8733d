"""Real latency of a PyTorch model on this host: end to end and per hwsim layer.

What is measured, and how
-------------------------
- **End to end** (un-instrumented): ``warmup`` forward passes, then ``repeats`` timed passes of
  the plain module under ``torch.inference_mode()`` on one fixed random input. CPU: wall time of
  each pass with ``time.perf_counter_ns``. CUDA: a pair of CUDA events around each pass, read
  after one ``torch.cuda.synchronize()``; on CUDA the same passes are also measured replayed from
  a captured ``torch.cuda.CUDAGraph`` (captured after warm-up on a side stream). Statistics:
  median, p10, p90, IQR, min, mean (:class:`LatencyStats`), in seconds.
- **Per layer** (instrumented): the model is traced with ``torch.fx.symbolic_trace`` (the tracer
  :func:`hwsim.export.export` uses, so node names and module names are the graph's). Each fx
  node is then run one at a time by a small executor and timed on its own: ``perf_counter_ns``
  around the call on CPU (synchronous), a pair of CUDA events around the call on CUDA. These are
  *synchronised per-node timings*, the node-level equivalent of forward hooks, chosen over hooks
  because they also time functional ops (``torch.cat``, ``x + y``, channel shuffles). Argument
  look-up happens outside the timed region.
- **Attribution to hwsim layers** (:func:`attribute_nodes`): a node that makes a layer of the
  exported graph (the exporter's own naming, :func:`hwsim.export.node_layer_names`: module
  qualified names, ``<module>.<op>`` for functional ops) is that layer; batch-norm and
  activation nodes (modules or functions) go to the layer they read from, i.e. the conv/linear
  they were fused into by the exporter; every other unmatched node
  (dropout, ``contiguous``, ``chunk``/``getitem``, the view/transpose steps of a channel
  shuffle, unsupported ops) goes to the first layer that consumes its output, or, when nothing
  downstream is a layer, to the layer it reads from. What still has no layer (nodes reading only
  the graph input and feeding only the output) is reported as ``unattributed_s``.
- **Instrumentation overhead**: per-node timing adds the executor's Python work and one timer
  pair per node (a few microseconds per node on CPU). Eager and instrumented passes alternate, so
  both see the same load from other processes. Printed with every result:
  :attr:`ModelMeasurement.instrumentation_ratio` = median instrumented pass / median eager pass
  (its excess over 1 is the overhead) and :attr:`ModelMeasurement.layer_sum_ratio` = sum of the
  per-layer medians / median eager pass.

CUDA: eager passes and CUDA-graph replays are timed with CUDA events after warm-up (the graph is
captured after warm-up passes on a side stream, as ``torch.cuda.graphs`` asks); per-node events
time the instrumented passes. This path has not been run: the machines it was written on have no
GPU. Without a GPU, ``device="cuda"`` raises a one-line :class:`~hwsim.errors.HwsimError`.

Every result carries :class:`HostInfo`: device, CPU/GPU model, torch version and the thread
count in effect (``torch.set_num_threads`` is pinned for the measurement and restored after).

This module imports torch only inside the functions that measure.

The code: :mod:`hwsim.measure.host_info` (:class:`HostInfo`), :mod:`hwsim.measure.results`
(settings, :class:`LatencyStats`, :class:`ModelMeasurement`), :mod:`hwsim.measure.attribution`
(fx nodes -> layers), :mod:`hwsim.measure.timing` (threads, alternated passes, per-node timer),
:mod:`hwsim.measure.cuda` (CUDA-graph capture and replay timing) and :mod:`hwsim.measure.cache`
(JSON-lines cache files); this module loads and measures models and re-exports the public names.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from hwsim.errors import ConfigError, HwsimError, UnsupportedOpError, user_code
from hwsim.graph.layer_graph import LayerGraph
from hwsim.measure.attribution import attribute_nodes
from hwsim.measure.cache import append_measurement, read_measurements, same_conditions
from hwsim.measure.cuda import _cuda_graph_runner, _time_cuda
from hwsim.measure.host_info import HostInfo, cpu_model_name, host_info, host_info_for
from hwsim.measure.results import DEVICES, METHOD, LatencyStats, MeasureSettings, ModelMeasurement
from hwsim.measure.timing import Progress, _interleaved, _NodeTimer, _pinned_threads, _Ticker

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "DEVICES",
    "METHOD",
    "HostInfo",
    "LatencyStats",
    "MeasureSettings",
    "ModelMeasurement",
    "append_measurement",
    "attribute_nodes",
    "check_device",
    "cpu_model_name",
    "host_info",
    "host_info_for",
    "load_module",
    "measure_model",
    "measure_module",
    "read_measurements",
    "same_conditions",
]


# ---------------------------------------------------------------------------------------------
# Loading a model to run
# ---------------------------------------------------------------------------------------------
def load_module(source: str, input_size: tuple[int, int] | None = None) -> tuple[nn.Module, tuple[int, int, int], str]:
    """``(module, (C, H, W), name)`` for a zoo name, a reference network's name
    (:mod:`hwsim.models.reference_specs`, ``ref_*``) or ``path/to/file.py:factory``.

    ``input_size`` is (H, W) in pixels. A factory needs it and is assumed to take 3 input
    channels (as :func:`hwsim.sources.load_graph` assumes). Graph JSON, SCALE-Sim topologies and
    ONNX files cannot be measured (hwsim runs PyTorch modules): ConfigError.
    Unknown zoo names raise :class:`~hwsim.errors.UnknownNameError`.
    """
    text = str(source)
    lowered = text.lower()
    if lowered.endswith((".json", ".csv", ".onnx")):
        raise ConfigError(
            f"{text}: cannot measure a graph, topology or ONNX file (hwsim runs PyTorch modules); "
            "expected a zoo name or path/to/file.py:factory"
        )
    if ".py:" in text or lowered.endswith(".py"):
        if input_size is None:
            raise ConfigError(f"{text}: a model given as file.py:factory needs --input-size HxW")
        from hwsim.export import load_factory

        module = load_factory(text)
        name = text.rpartition(":")[2] if ":" in text else Path(text).stem
        return module, (3, int(input_size[0]), int(input_size[1])), name
    from hwsim.models import build_model, resolve_model
    from hwsim.models.reference_specs import build_reference, reference_spec

    reference = reference_spec(text)
    if reference is not None:
        channels, height, width = reference.input_shape
        if input_size is not None and tuple(input_size) != (height, width):
            raise ConfigError(f"{text}: a reference network is built for {height}x{width} inputs")
        return build_reference(reference), reference.input_shape, reference.name
    spec = resolve_model(text)
    channels, height, width = spec.input_shape
    if input_size is not None:
        height, width = int(input_size[0]), int(input_size[1])
    # as hwsim.sources.zoo.export_zoo_graph: the builders take a square size; a non-square input runs
    # on the default build (and fails there if the network cannot take it)
    module = build_model(spec, input_size=height) if height == width else build_model(spec)
    return module, (channels, height, width), spec.name



# ---------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------
def check_device(device: str) -> None:
    """Raise a one-line HwsimError for an unknown device, or for ``cuda`` where torch sees no GPU."""
    if device not in DEVICES:
        raise ConfigError(f"--device {device!r}: expected one of {', '.join(DEVICES)}")
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise HwsimError("--device cuda: no CUDA GPU is available on this machine (torch.cuda.is_available() is False)")


def measure_module(
    module: nn.Module,
    input_shape: Sequence[int],
    name: str,
    settings: MeasureSettings = MeasureSettings(),
    *,
    graph: LayerGraph | None = None,
    progress: Progress | None = None,
) -> ModelMeasurement:
    """Measure ``module`` on an input of ``(C, H, W)`` = ``input_shape`` with ``settings.batch``.

    ``graph`` is the module's exported LayerGraph (exported here, batch included, when None).
    """
    import torch

    check_device(settings.device)
    from hwsim.export import export

    from hwsim.export import source_of

    shape = (settings.batch, *(int(d) for d in input_shape))
    if graph is None:
        graph = export(module, shape, name=name)
    label = source_of(module) or name
    with user_code(f"{label}: the model's forward", "while being traced"):
        try:
            gm = torch.fx.symbolic_trace(module)
        except Exception as exc:  # fx raises many kinds of errors on untraceable code
            first = (str(exc).strip().splitlines() or [""])[0]
            raise UnsupportedOpError(
                f"{label}: per-layer timing needs a torch.fx-traceable model: {type(exc).__name__}: {first}"
            ) from None
    owners = attribute_nodes(gm, graph)
    slot_of_layer = {layer.name: i for i, layer in enumerate(graph.layers)}
    n_layers = len(graph.layers)
    slots = {node: (slot_of_layer[layer] if layer is not None else n_layers) for node, layer in owners.items()}

    device = torch.device(settings.device)
    module = module.to(device).eval()
    gm = gm.to(device).eval()
    generator = torch.Generator().manual_seed(0)
    example = torch.randn(shape, generator=generator).to(device)
    cuda = settings.device == "cuda"
    ticker = _Ticker(settings.total_passes, progress)
    timer = _NodeTimer(gm, slots, n_layers, cuda)

    with _pinned_threads(settings.threads), torch.inference_mode(), user_code(f"{label}: the model's forward",
                                                                              "while being measured"):
        info = host_info(settings.device)
        eager, per_pass = _interleaved(
            lambda: module(example), lambda: timer.run(example)[0], settings.warmup, settings.repeats, cuda, ticker
        )
        replay = None
        if cuda and settings.cuda_graph:
            replay_fn = _cuda_graph_runner(module, example, settings.warmup)
            replay = LatencyStats(_time_cuda(replay_fn, settings.warmup, settings.repeats, ticker))
    table = np.asarray(per_pass, dtype=np.float64)  # repeats x (layers + 1)
    medians = np.median(table, axis=0)
    return ModelMeasurement(
        model=name,
        graph=graph,
        info=info,
        batch=settings.batch,
        warmup=settings.warmup,
        repeats=settings.repeats,
        end_to_end=LatencyStats(eager),
        instrumented=LatencyStats(tuple(float(v) for v in table.sum(axis=1))),
        layer_seconds=tuple(float(v) for v in medians[:n_layers]),
        unattributed_s=float(medians[n_layers]),
        graph_replay=replay,
    )


def measure_model(
    source: str,
    settings: MeasureSettings = MeasureSettings(),
    *,
    input_size: tuple[int, int] | None = None,
    progress: Progress | None = None,
) -> ModelMeasurement:
    """Build (zoo name or ``file.py:factory``), export and measure a model; see :func:`measure_module`."""
    check_device(settings.device)
    module, chw, name = load_module(source, input_size)
    return measure_module(module, chw, name, settings, progress=progress)

