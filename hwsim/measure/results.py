"""What a measurement is asked to do and what it returns: settings, latency statistics, the result.

:data:`DEVICES`, :data:`METHOD`, :class:`LatencyStats` (median, p10, p90, IQR, min, mean of
repeated samples, in seconds), :class:`MeasureSettings` (device, batch, threads, warm-up and
timed passes) and :class:`ModelMeasurement` (end to end and per hwsim layer, with its
JSON form). Never imports torch.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hwsim.errors import ConfigError
from hwsim.graph.layer_graph import LayerGraph
from hwsim.measure.host_info import HostInfo

__all__ = ["DEVICES", "METHOD", "LatencyStats", "MeasureSettings", "ModelMeasurement"]

#: Devices :func:`measure_model` accepts.
DEVICES: tuple[str, ...] = ("cpu", "cuda")

#: One line saying how per-layer times are taken (printed with results, stored in caches).
METHOD = (
    "per-node timing of the torch.fx-traced model (perf_counter_ns on CPU, CUDA events on GPU), "
    "BN/activations attributed to the layer they are fused into"
)


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------
def _check_seconds(what: str, values: tuple[float, ...]) -> None:
    """Times are finite and >= 0 (a cache file edited or damaged by hand holds anything)."""
    bad = next((v for v in values if not (math.isfinite(v) and v >= 0)), None)
    if bad is not None:
        raise ValueError(f"{what}: {bad!r}: expected finite seconds >= 0")


@dataclass(frozen=True)
class LatencyStats:
    """Statistics of repeated latency samples, all in seconds."""

    samples_s: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.samples_s:
            raise ValueError("LatencyStats needs at least one sample")
        _check_seconds("latency samples", self.samples_s)

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
        _check_seconds(f"{self.model}: layer times", (*self.layer_seconds, self.unattributed_s))

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

