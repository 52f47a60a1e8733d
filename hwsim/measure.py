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
- **Attribution to hwsim layers** (:func:`attribute_nodes`): a node whose module qualified name
  (``call_module``) or fx node name (functional ops) is a layer name of the exported graph is
  that layer; batch-norm and activation nodes (modules or functions) go to the layer they read
  from, i.e. the conv/linear they were fused into by the exporter; every other unmatched node
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
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import platform
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hwsim.errors import ConfigError, GraphFileError, HwsimError, UnsupportedOpError
from hwsim.graph import LayerGraph

if TYPE_CHECKING:
    import torch
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

#: Devices :func:`measure_model` accepts.
DEVICES: tuple[str, ...] = ("cpu", "cuda")

#: One line saying how per-layer times are taken (printed with results, stored in caches).
METHOD = (
    "per-node timing of the torch.fx-traced model (perf_counter_ns on CPU, CUDA events on GPU), "
    "BN/activations attributed to the layer they are fused into"
)

#: Progress callback: ``(passes done, passes in total)``.
Progress = Callable[[int, int], None]


# ---------------------------------------------------------------------------------------------
# Host description
# ---------------------------------------------------------------------------------------------
def cpu_model_name() -> str:
    """The CPU model: ``model name`` of /proc/cpuinfo, else ``platform.processor()``, else ``unknown``."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() == "model name" and value.strip():
                return value.strip()
    return platform.processor() or platform.machine() or "unknown"


@dataclass(frozen=True)
class HostInfo:
    """Where a measurement was taken: printed with, and stored in, every result."""

    device: str  #: ``cpu`` or ``cuda``
    device_model: str  #: the CPU model (cpu) or the GPU name (cuda)
    cpu_model: str  #: the host CPU model, also for CUDA runs
    torch_version: str
    threads: int  #: ``torch.get_num_threads()`` during the measurement (intra-op CPU threads)
    python_version: str = ""
    platform: str = ""

    def describe(self) -> str:
        """One line: ``cpu: <model>, 2 threads, torch 2.13.0``."""
        return f"{self.device}: {self.device_model}, {self.threads} thread{'s' if self.threads != 1 else ''}, torch {self.torch_version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "device_model": self.device_model,
            "cpu_model": self.cpu_model,
            "torch_version": self.torch_version,
            "threads": self.threads,
            "python_version": self.python_version,
            "platform": self.platform,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HostInfo:
        return cls(
            device=str(data["device"]),
            device_model=str(data["device_model"]),
            cpu_model=str(data["cpu_model"]),
            torch_version=str(data["torch_version"]),
            threads=int(data["threads"]),
            python_version=str(data.get("python_version", "")),
            platform=str(data.get("platform", "")),
        )


def host_info(device: str = "cpu") -> HostInfo:
    """The :class:`HostInfo` of this process now (imports torch)."""
    import torch

    cpu = cpu_model_name()
    model = torch.cuda.get_device_name() if device == "cuda" else cpu
    return HostInfo(
        device=device,
        device_model=model,
        cpu_model=cpu,
        torch_version=str(torch.__version__).split("+")[0],
        threads=int(torch.get_num_threads()),
        python_version=platform.python_version(),
        platform=platform.platform(terse=True),
    )


def host_info_for(settings: MeasureSettings) -> HostInfo:
    """The :class:`HostInfo` a measurement with ``settings`` will record (threads pinned as it will)."""
    with _pinned_threads(settings.threads):
        return host_info(settings.device)


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LatencyStats:
    """Statistics of repeated latency samples, all in seconds."""

    samples_s: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.samples_s:
            raise ValueError("LatencyStats needs at least one sample")

    def _pct(self, q: float) -> float:
        return float(np.percentile(np.asarray(self.samples_s, dtype=np.float64), q))

    @property
    def median_s(self) -> float:
        return self._pct(50)

    @property
    def p10_s(self) -> float:
        return self._pct(10)

    @property
    def p90_s(self) -> float:
        return self._pct(90)

    @property
    def iqr_s(self) -> float:
        """Inter-quartile range (p75 - p25)."""
        return self._pct(75) - self._pct(25)

    @property
    def min_s(self) -> float:
        return float(min(self.samples_s))

    @property
    def mean_s(self) -> float:
        return float(np.mean(self.samples_s))

    def summary(self) -> dict[str, float]:
        """The statistics in milliseconds, for tables and JSON."""
        return {
            "median_ms": self.median_s * 1e3,
            "p10_ms": self.p10_s * 1e3,
            "p90_ms": self.p90_s * 1e3,
            "iqr_ms": self.iqr_s * 1e3,
            "min_ms": self.min_s * 1e3,
            "mean_ms": self.mean_s * 1e3,
            "samples": len(self.samples_s),
        }


@dataclass(frozen=True)
class MeasureSettings:
    """How to measure: device, batch, threads (None = torch's default), warm-up and timed passes."""

    device: str = "cpu"
    batch: int = 1
    threads: int | None = None
    warmup: int = 5
    repeats: int = 20
    cuda_graph: bool = True  #: on CUDA, also time replays of a captured CUDA graph

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ConfigError(f"--device {self.device!r}: expected one of {', '.join(DEVICES)}")
        for name in ("batch", "repeats"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"--{name} {value!r}: expected an integer >= 1")
        if isinstance(self.warmup, bool) or not isinstance(self.warmup, int) or self.warmup < 0:
            raise ConfigError(f"--warmup {self.warmup!r}: expected an integer >= 0")
        if self.threads is not None and (isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 1):
            raise ConfigError(f"--threads {self.threads!r}: expected an integer >= 1")

    @property
    def total_passes(self) -> int:
        """Forward passes one measurement runs (eager, instrumented and, on CUDA, graph replays)."""
        per_kind = self.warmup + self.repeats
        return per_kind * (3 if self.device == "cuda" and self.cuda_graph else 2)


@dataclass(frozen=True)
class ModelMeasurement:
    """Measured latency of one model on this host; times in seconds.

    ``layer_seconds[i]`` is the median over the instrumented passes of the time attributed to
    ``graph.layers[i]`` (see the module docstring for the attribution rules).
    """

    model: str
    graph: LayerGraph
    info: HostInfo
    batch: int
    warmup: int
    repeats: int
    end_to_end: LatencyStats  #: un-instrumented eager forward passes
    instrumented: LatencyStats  #: sums of the per-node times of each instrumented pass
    layer_seconds: tuple[float, ...]
    unattributed_s: float = 0.0  #: median time of nodes attributed to no layer
    graph_replay: LatencyStats | None = None  #: CUDA graph replays (CUDA only)
    method: str = METHOD
    date: str = field(default_factory=lambda: _dt.date.today().isoformat())

    def __post_init__(self) -> None:
        if len(self.layer_seconds) != len(self.graph.layers):
            raise ValueError(
                f"{self.model}: {len(self.layer_seconds)} layer times for {len(self.graph.layers)} layers"
            )

    @property
    def layer_names(self) -> tuple[str, ...]:
        return tuple(layer.name for layer in self.graph.layers)

    @property
    def layer_sum_s(self) -> float:
        """Sum of the per-layer medians plus the unattributed time."""
        return float(sum(self.layer_seconds)) + self.unattributed_s

    @property
    def layer_sum_ratio(self) -> float:
        """Sum of the per-layer medians / end-to-end median.

        On a busy host this can fall below 1: each layer's median drops the passes where that
        layer was slowed down by other processes, so the sum of medians is below a typical pass.
        """
        return self.layer_sum_s / self.end_to_end.median_s

    @property
    def instrumentation_ratio(self) -> float:
        """Median instrumented pass (sum of its node times) / median eager pass.

        Its excess over 1 is the overhead of per-node timing (the passes alternate, so both see
        the same load).
        """
        return self.instrumented.median_s / self.end_to_end.median_s

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the graph included, so a cache entry needs no re-export)."""
        return {
            "format": "hwsim.ModelMeasurement",
            "model": self.model,
            "info": self.info.to_dict(),
            "batch": self.batch,
            "warmup": self.warmup,
            "repeats": self.repeats,
            "end_to_end_s": list(self.end_to_end.samples_s),
            "instrumented_s": list(self.instrumented.samples_s),
            "graph_replay_s": None if self.graph_replay is None else list(self.graph_replay.samples_s),
            "layer_seconds": list(self.layer_seconds),
            "unattributed_s": self.unattributed_s,
            "method": self.method,
            "date": self.date,
            "graph": self.graph.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelMeasurement:
        if data.get("format") != "hwsim.ModelMeasurement":
            raise ValueError("not an hwsim measurement (missing \"format\": \"hwsim.ModelMeasurement\")")
        replay = data.get("graph_replay_s")
        return cls(
            model=str(data["model"]),
            graph=LayerGraph.from_dict(data["graph"]),
            info=HostInfo.from_dict(data["info"]),
            batch=int(data["batch"]),
            warmup=int(data["warmup"]),
            repeats=int(data["repeats"]),
            end_to_end=LatencyStats(tuple(float(v) for v in data["end_to_end_s"])),
            instrumented=LatencyStats(tuple(float(v) for v in data["instrumented_s"])),
            graph_replay=None if replay is None else LatencyStats(tuple(float(v) for v in replay)),
            layer_seconds=tuple(float(v) for v in data["layer_seconds"]),
            unattributed_s=float(data.get("unattributed_s", 0.0)),
            method=str(data.get("method", METHOD)),
            date=str(data.get("date", "")),
        )


# ---------------------------------------------------------------------------------------------
# Loading a model to run
# ---------------------------------------------------------------------------------------------
def load_module(source: str, input_size: tuple[int, int] | None = None) -> tuple[nn.Module, tuple[int, int, int], str]:
    """``(module, (C, H, W), name)`` for a zoo name or ``path/to/file.py:factory``.

    ``input_size`` is (H, W) in pixels. A factory needs it and is assumed to take 3 input
    channels (as :func:`hwsim.zoo.load_graph` assumes). Graph JSON
    and SCALE-Sim topologies cannot be measured (there is no network to run): ConfigError.
    Unknown zoo names raise :class:`~hwsim.errors.UnknownNameError`.
    """
    text = str(source)
    lowered = text.lower()
    if lowered.endswith((".json", ".csv")):
        raise ConfigError(
            f"{text}: cannot measure a graph or topology file (no network to run); "
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

    spec = resolve_model(text)
    channels, height, width = spec.input_shape
    if input_size is not None:
        height, width = int(input_size[0]), int(input_size[1])
    # as hwsim.zoo.export_zoo_graph: the builders take a square size; a non-square input runs
    # on the default build (and fails there if the network cannot take it)
    module = build_model(spec, input_size=height) if height == width else build_model(spec)
    return module, (channels, height, width), spec.name


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

    Returns ``{fx node name: layer name or None}`` (rules in the module docstring). Module nodes
    are matched by qualified name; a module called k > 0 times before gets the exporter's
    ``_k`` suffix.
    """
    names = {layer.name for layer in graph.layers}
    nodes = [n for n in gm.graph.nodes if n.op in ("call_module", "call_function", "call_method")]
    owner: dict[Any, str | None] = {}
    calls: dict[str, int] = {}
    pending: list[Any] = []
    for node in nodes:
        candidate = node.name
        if node.op == "call_module":
            target = str(node.target)
            count = calls.get(target, 0)
            calls[target] = count + 1
            candidate = target if count == 0 else f"{target}_{count}"
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


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _pinned_threads(threads: int | None) -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class _Ticker:
    """Counts forward passes and calls the progress callback."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.done, self.total, self.progress = 0, total, progress

    def tick(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)


def _interleaved(
    eager: Callable[[], Any], instrumented: Callable[[], list[float]], warmup: int, repeats: int, cuda: bool, ticker: _Ticker
) -> tuple[tuple[float, ...], list[list[float]]]:
    """Alternate one eager and one instrumented pass, so both see the same load on a shared host.

    Returns the eager end-to-end seconds per pass and the per-slot seconds of each instrumented
    pass. CPU: ``perf_counter_ns`` around the eager pass. CUDA: a pair of CUDA events around it,
    read after the synchronize that ends each instrumented pass (untested here: no GPU).
    """
    import torch

    for _ in range(warmup):
        eager()
        instrumented()
        ticker.tick()
        ticker.tick()
    eager_s: list[float] = []
    per_pass: list[list[float]] = []
    for _ in range(repeats):
        if cuda:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize()
            start.record()
            eager()
            end.record()
            end.synchronize()
            eager_s.append(start.elapsed_time(end) * 1e-3)  # ms -> s
        else:
            t0 = time.perf_counter_ns()
            eager()
            eager_s.append((time.perf_counter_ns() - t0) * 1e-9)
        ticker.tick()
        per_pass.append(instrumented())
        ticker.tick()
    return tuple(eager_s), per_pass


def _time_cuda(run: Callable[[], Any], warmup: int, repeats: int, ticker: _Ticker) -> tuple[float, ...]:
    """CUDA events around each pass; one synchronize at the end (untested here: no GPU)."""
    import torch

    for _ in range(warmup):
        run()
        ticker.tick()
    torch.cuda.synchronize()
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(repeats)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(repeats)]
    for start, end in zip(starts, ends):
        start.record()
        run()
        end.record()
        ticker.tick()
    torch.cuda.synchronize()
    return tuple(start.elapsed_time(end) * 1e-3 for start, end in zip(starts, ends))  # ms -> s


def _cuda_graph_runner(module: nn.Module, example: torch.Tensor, warmup: int) -> Callable[[], Any]:
    """Capture one forward pass into a CUDA graph and return its replay (untested here: no GPU).

    Warm-up runs on a side stream first (as torch.cuda.graphs requires for lazy initialisation
    of cuDNN/cuBLAS handles and the caching allocator), then the capture on the default
    capture stream; the static input tensor is the one captured.
    """
    import torch

    static_input = example.clone()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(max(warmup, 3)):
            module(static_input)
    torch.cuda.current_stream().wait_stream(side)
    torch.cuda.synchronize()
    cuda_graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(cuda_graph):
        module(static_input)
    return cuda_graph.replay


class _NodeTimer:
    """Runs a traced GraphModule node by node, timing each call (CPU clock or CUDA events)."""

    def __init__(self, gm: Any, slots: Mapping[str, int], n_slots: int, cuda: bool) -> None:
        import torch.fx

        self.cuda = cuda
        self.n_slots = n_slots
        steps: list[tuple[Any, Callable[..., Any], Any, Any, int]] = []
        last_use: dict[Any, Any] = {}
        for node in gm.graph.nodes:
            for arg in _input_nodes(node):
                last_use[arg] = node
        self.free_after: dict[Any, list[Any]] = {}
        for value, user in last_use.items():
            self.free_after.setdefault(user, []).append(value)
        for node in gm.graph.nodes:
            if node.op == "placeholder":
                fn: Callable[..., Any] | None = None
            elif node.op == "get_attr":
                obj: Any = gm
                for part in str(node.target).split("."):
                    obj = getattr(obj, part)
                fn = (lambda value: lambda: value)(obj)
            elif node.op == "call_module":
                fn = gm.get_submodule(node.target)
            elif node.op == "call_function":
                fn = node.target
            elif node.op == "call_method":
                fn = (lambda method: lambda self_, *a, **k: getattr(self_, method)(*a, **k))(node.target)
            else:  # output
                fn = None
            slot = slots.get(node.name, -1)
            steps.append((node, fn, node.args, node.kwargs, slot))
        self.steps = steps
        self.map_arg = torch.fx.node.map_arg

    def run(self, example: Any) -> tuple[list[float], Any]:
        """One pass: (seconds per slot, output)."""
        import torch

        env: dict[Any, Any] = {}
        times = [0.0] * (self.n_slots + 1)  # last slot: unattributed
        events: list[tuple[int, Any, Any]] = []
        output = None
        for node, fn, args, kwargs, slot in self.steps:
            if node.op == "placeholder":
                env[node] = example
                continue
            if node.op == "output":
                output = self.map_arg(args, lambda n: env[n])
                break
            args_v = self.map_arg(args, lambda n: env[n])
            kwargs_v = self.map_arg(kwargs, lambda n: env[n])
            if node.op == "get_attr":
                env[node] = fn()
                continue
            if self.cuda:
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                env[node] = fn(*args_v, **kwargs_v)
                end.record()
                events.append((slot, start, end))
            else:
                t0 = time.perf_counter_ns()
                env[node] = fn(*args_v, **kwargs_v)
                times[slot] += (time.perf_counter_ns() - t0) * 1e-9
            for dead in self.free_after.get(node, ()):
                env.pop(dead, None)
        if self.cuda:
            torch.cuda.synchronize()
            for slot, start, end in events:
                times[slot] += start.elapsed_time(end) * 1e-3
        return times, output


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

    shape = (settings.batch, *(int(d) for d in input_shape))
    if graph is None:
        graph = export(module, shape, name=name)
    try:
        gm = torch.fx.symbolic_trace(module)
    except Exception as exc:  # fx raises many kinds of errors on untraceable code
        first = (str(exc).strip().splitlines() or [""])[0]
        raise UnsupportedOpError(
            f"{name}: per-layer timing needs a torch.fx-traceable model: {type(exc).__name__}: {first}"
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

    with _pinned_threads(settings.threads), torch.inference_mode():
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


def read_measurements(path: str | Path) -> list[ModelMeasurement]:
    """Measurements stored one JSON object per line (a cache file); a torn last line is skipped."""
    import json

    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise GraphFileError(f"{path}: cannot read measurement cache ({exc.strerror or exc})") from None
    found = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            found.append(ModelMeasurement.from_dict(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            if number == len(lines):  # interrupted while writing the last entry
                break
            raise GraphFileError(f"{path}: line {number}: not a measurement ({exc})") from None
    return found


def append_measurement(path: str | Path, measurement: ModelMeasurement) -> None:
    """Append one measurement as a JSON line and flush it to disk (so an interruption loses nothing)."""
    import json
    import os

    path = Path(path)
    try:
        with path.open("a") as handle:
            handle.write(json.dumps(measurement.to_dict()) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise HwsimError(f"cannot write measurement cache {path}: {exc.strerror or exc}") from None


def same_conditions(a: ModelMeasurement, settings: MeasureSettings, info: HostInfo) -> bool:
    """True when a cached measurement was taken as ``settings`` ask on the host ``info`` describes."""
    return (
        a.batch == settings.batch
        and a.warmup == settings.warmup
        and a.repeats == settings.repeats
        and a.info.device == info.device
        and a.info.device_model == info.device_model
        and a.info.torch_version == info.torch_version
        and a.info.threads == info.threads
    )

