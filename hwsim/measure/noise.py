"""Is a measurement trustworthy? Its spread, the machine's load, and what to do about them.

On a shared machine, other processes slow some passes down and torch's intra-op threads fight
them (and each other) for cores: a 1x1 conv with 2 threads on a loaded 2-core machine ran 60x
slower than with 1 thread. Such numbers are not the host's latency, and a host model fitted to
them is wrong. This module says so:

- :func:`relative_spread`: IQR / median of repeated samples (0 = every pass the same);
- :class:`MachineLoad` / :func:`machine_load`: cores, the 1-minute load average
  (``os.getloadavg``) and the threads a measurement uses, read before it starts;
- :func:`noise_reasons`: why a measurement should not be trusted (spread above
  :data:`MAX_RELATIVE_SPREAD`, more threads than free cores); :func:`calibration_reasons`, the
  same for a host-model fit (noisy models, a median layer error above :data:`MAX_FIT_ERROR`);
  :func:`warning_line`, the one stderr line with the reasons and how to get clean numbers
  (``--threads 1``, a quiet machine, more repeats).

Never imports torch.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from hwsim.measure.results import LatencyStats, ModelMeasurement

__all__ = [
    "MAX_RELATIVE_SPREAD",
    "MAX_FIT_ERROR",
    "MachineLoad",
    "calibration_reasons",
    "load_reason",
    "machine_load",
    "noise_reasons",
    "relative_spread",
    "warning_line",
]

#: Median layer error of a host-model fit above which the fit is called untrustworthy.
MAX_FIT_ERROR = 0.5
#: Spread (IQR / median of the end-to-end samples) above which a measurement is called noisy.
#: On a quiet machine repeated passes of a CNN agree within a few percent.
MAX_RELATIVE_SPREAD = 0.10


def relative_spread(stats: LatencyStats) -> float:
    """Inter-quartile range over median (0 for a single sample or identical samples)."""
    median = stats.median_s
    return stats.iqr_s / median if median > 0 else 0.0


@dataclass(frozen=True)
class MachineLoad:
    """The machine when a measurement starts: CPUs, 1-minute load average, threads it will use."""

    cpus: int
    load_1min: float  #: runnable processes averaged over the last minute (os.getloadavg()[0])
    threads: int  #: torch intra-op threads of the measurement

    @property
    def free_cores(self) -> float:
        """Cores not taken by the load (never below 0)."""
        return max(self.cpus - self.load_1min, 0.0)

    @property
    def overcommitted(self) -> bool:
        """More threads than free cores (half a core of slack): threads will wait for each other."""
        return self.threads > self.free_cores + 0.5


def machine_load(threads: int = 1) -> MachineLoad | None:
    """This machine's :class:`MachineLoad` now, or None where the load average is unavailable.

    Read it before measuring (the measurement's own threads raise the load average); the
    ``threads`` can be set later with :func:`dataclasses.replace`, once the measurement knows them.
    """
    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):
        return None
    return MachineLoad(cpus=os.cpu_count() or 1, load_1min=float(load), threads=int(threads))


def load_reason(load: MachineLoad | None) -> str | None:
    """Why the machine's load makes a measurement untrustworthy, or None."""
    if load is None or not load.overcommitted:
        return None
    return (
        f"{load.threads} thread{'s' if load.threads != 1 else ''} but only {load.free_cores:.1f} of "
        f"{load.cpus} cores free (load average {load.load_1min:.2f})"
    )


def noise_reasons(measurement: ModelMeasurement, load: MachineLoad | None = None) -> list[str]:
    """Why ``measurement`` should not be trusted (empty when nothing says so)."""
    reasons = []
    spread = relative_spread(measurement.end_to_end)
    if spread > MAX_RELATIVE_SPREAD:
        reasons.append(
            f"end-to-end times spread by {100 * spread:.0f}% of the median (IQR; above "
            f"{100 * MAX_RELATIVE_SPREAD:.0f}%)"
        )
    busy = load_reason(load)
    return reasons + ([busy] if busy else [])


def warning_line(what: str, reasons: Sequence[str], threads: int, extra: str = "") -> str | None:
    """One line: ``<what> may not be trustworthy: <reasons>; for clean numbers ...`` (None without reasons)."""
    if not reasons:
        return None
    how = "--threads 1" if threads != 1 else "more --repeats"
    return f"{what} may not be trustworthy: {'; '.join(reasons)}; for clean numbers measure on a quiet machine with {how}{extra}"


def calibration_reasons(
    measurements: Sequence[ModelMeasurement], load: MachineLoad | None, median_layer_error: float | None
) -> list[str]:
    """Why a host model fitted to ``measurements`` should not be trusted: models that spread by more
    than :data:`MAX_RELATIVE_SPREAD`, an overcommitted machine (``load``: None when every
    measurement came from the cache), a median layer error above :data:`MAX_FIT_ERROR`."""
    reasons = []
    noisy = [f"{m.model} {100 * relative_spread(m.end_to_end):.0f}%" for m in measurements
             if relative_spread(m.end_to_end) > MAX_RELATIVE_SPREAD]
    if noisy:
        reasons.append(f"{len(noisy)} of {len(measurements)} models spread by more than "
                       f"{100 * MAX_RELATIVE_SPREAD:.0f}% of their median ({', '.join(noisy[:4])}{', ...' if len(noisy) > 4 else ''})")
    busy = load_reason(load)
    if busy is not None:
        reasons.append(busy)
    if median_layer_error is not None and median_layer_error > MAX_FIT_ERROR:
        reasons.append(f"the median layer error of the fit is {100 * median_layer_error:.0f}%")
    return reasons
