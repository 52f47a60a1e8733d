"""Fitting the host model: non-negative least squares on measured per-layer times.

:func:`fit_parameters` (weighted, column-normalised NNLS; kinds without data take their
parameters along :data:`~hwsim.host.schema.FALLBACK`) and :func:`fit_host_model` (per-layer fit,
then one factor matching the end-to-end latencies, wrapped into a
:class:`~hwsim.host.schema.HostModel`). Never imports torch; scipy only when fitting.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from hwsim.errors import ConfigError
from hwsim.graph.layer_graph import Layer
from hwsim.host.schema import (
    COMPUTE_KINDS,
    ELEMENT_KINDS,
    FALLBACK,
    GEMM_KINDS,
    HOST_KINDS,
    ElementPeaks,
    FitInfo,
    HostModel,
    KindOverheads,
    KindPeaks,
)
from hwsim.host.terms import LayerTerms, _kinds_array, layer_terms, predict_seconds

if TYPE_CHECKING:
    from hwsim.measure.profiler import ModelMeasurement

__all__ = ["WEIGHTINGS", "FittedParameters", "fit_host_model", "fit_parameters"]


# ---------------------------------------------------------------------------------------------
# Fitting
# ---------------------------------------------------------------------------------------------
#: Row weights of the least-squares fit, as a power of the measured time: 1/t^power.
WEIGHTINGS: Mapping[str, float] = {"relative": 1.0, "sqrt": 0.5, "absolute": 0.0}


@dataclass(frozen=True)
class FittedParameters:
    """The fitted numbers, before they are wrapped into a :class:`HostModel`."""

    overhead_s: Mapping[str, float]
    peak_macs_per_s: Mapping[str, float | None]
    peak_elements_per_s: Mapping[str, float | None]
    bandwidth_bytes_per_s: float | None
    fitted_kinds: tuple[str, ...]  #: kinds with samples in the data (others came from FALLBACK)

    def scaled(self, factor: float) -> FittedParameters:
        """Every predicted time multiplied by ``factor`` (overheads x factor, rates / factor)."""

        def rate(value: float | None) -> float | None:
            return None if value is None else value / factor

        return FittedParameters(
            overhead_s={k: v * factor for k, v in self.overhead_s.items()},
            peak_macs_per_s={k: rate(v) for k, v in self.peak_macs_per_s.items()},
            peak_elements_per_s={k: rate(v) for k, v in self.peak_elements_per_s.items()},
            bandwidth_bytes_per_s=rate(self.bandwidth_bytes_per_s),
            fitted_kinds=self.fitted_kinds,
        )


def _design(terms: LayerTerms) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Columns: one overhead per host kind, one 1/peak per compute kind, one 1/bandwidth."""
    n = len(terms.kinds)
    columns: list[np.ndarray] = []
    labels: list[tuple[str, str]] = []
    kinds = _kinds_array(terms.kinds)
    for kind in HOST_KINDS:
        columns.append((kinds == kind).astype(np.float64))
        labels.append(("overhead", kind))
    for kind in COMPUTE_KINDS:
        columns.append(np.where(kinds == kind, terms.work, 0.0))
        labels.append(("inv_peak", kind))
    columns.append(terms.bytes.copy())
    labels.append(("inv_bandwidth", ""))
    return np.column_stack(columns) if n else np.zeros((0, len(labels))), labels


def _resolve_fallback(kind: str, fitted: set[str]) -> str | None:
    """The fitted kind whose parameters ``kind`` uses (itself when fitted); None when no pool,
    vector or reshape layer was fitted. A conv/linear kind whose chain loops takes the first
    fitted conv/linear kind."""
    seen = {kind}
    current = kind
    while current not in fitted:
        current = FALLBACK[current]
        if current in seen:
            if kind in GEMM_KINDS:
                return next(k for k in GEMM_KINDS if k in fitted)
            return None
        seen.add(current)
    return current


def fit_parameters(
    layers: Sequence[Layer],
    seconds: Sequence[float],
    *,
    word_bytes: int = 4,
    weighting: str = "sqrt",
) -> FittedParameters:
    """Fit the model of the :mod:`hwsim.host.model` docstring to measured per-layer times (seconds) by NNLS.

    Layers with a non-positive time are ignored. ``weighting`` (:data:`WEIGHTINGS`) scales each
    row by 1/t (``relative``: every layer's relative error counts the same), 1/sqrt(t)
    (``sqrt``, the default) or 1 (``absolute``: the longest layers dominate). Columns are
    normalised before NNLS and scaled back. Raises ConfigError when no conv/linear layer was timed.
    """
    from scipy.optimize import nnls

    if weighting not in WEIGHTINGS:
        raise ConfigError(f"weighting {weighting!r}: expected one of {', '.join(WEIGHTINGS)}")
    if len(layers) != len(seconds):
        raise ValueError(f"{len(layers)} layers but {len(seconds)} times")
    y_all = np.asarray(seconds, dtype=np.float64)
    keep = np.isfinite(y_all) & (y_all > 0)
    kept = [layer for layer, k in zip(layers, keep) if k]
    y = y_all[keep]
    terms = layer_terms(kept, word_bytes)
    fitted = set(terms.kinds)
    if not fitted & set(GEMM_KINDS):
        raise ConfigError("host-model fit: no timed conv/linear layers in the measurements")
    a, labels = _design(terms)
    weights = y ** -WEIGHTINGS[weighting]
    aw = a * weights[:, None]
    norms = np.linalg.norm(aw, axis=0)
    used = norms > 0
    coef = np.zeros(a.shape[1])
    solution, _ = nnls(aw[:, used] / norms[used], y * weights, maxiter=50 * a.shape[1])
    coef[used] = solution / norms[used]
    by_label = dict(zip(labels, coef))

    def rate(value: float) -> float | None:
        return 1.0 / value if value > 0 else None

    overhead: dict[str, float] = {}
    peaks: dict[str, float | None] = {}
    element_peaks: dict[str, float | None] = {}
    for kind in HOST_KINDS:
        source = _resolve_fallback(kind, fitted)
        if source is None:  # no pool, vector or reshape layer: cheapest fitted overhead, no compute term
            overhead[kind] = min(by_label[("overhead", k)] for k in fitted)
            if kind in ELEMENT_KINDS:
                element_peaks[kind] = None
            continue
        overhead[kind] = float(by_label[("overhead", source)])
        if kind in GEMM_KINDS:
            peaks[kind] = rate(by_label[("inv_peak", source)])
        elif kind in ELEMENT_KINDS:
            element_peaks[kind] = rate(by_label[("inv_peak", source)]) if source in ELEMENT_KINDS else None
    return FittedParameters(
        overhead_s=overhead,
        peak_macs_per_s=peaks,
        peak_elements_per_s=element_peaks,
        bandwidth_bytes_per_s=rate(by_label[("inv_bandwidth", "")]),
        fitted_kinds=tuple(k for k in HOST_KINDS if k in fitted),
    )


def _sig(value: float | None, digits: int = 6) -> float | None:
    """``value`` rounded to ``digits`` significant digits (what the YAML file keeps)."""
    return None if value is None else float(f"{value:.{digits}g}")


def _host_model(params: FittedParameters, **fields: Any) -> HostModel:
    """A HostModel of the fitted numbers, each kept to 6 significant digits."""
    return HostModel(
        kind="host",
        overhead_s=KindOverheads(**{k: _sig(v) for k, v in params.overhead_s.items()}),
        peak_macs_per_s=KindPeaks(**{k: _sig(v) for k, v in params.peak_macs_per_s.items()}),
        peak_elements_per_s=ElementPeaks(**{k: _sig(v) for k, v in params.peak_elements_per_s.items()}),
        bandwidth_bytes_per_s=_sig(params.bandwidth_bytes_per_s),
        **fields,
    )


def fit_host_model(
    measurements: Sequence[ModelMeasurement],
    *,
    name: str = "host_cpu",
    weighting: str = "sqrt",
    match_end_to_end: bool = True,
    word_bytes: int = 4,
    date: str | None = None,
) -> HostModel:
    """Fit a :class:`HostModel` to the per-layer times of several measured models.

    With ``match_end_to_end`` (default) the fit targets the un-instrumented latency in two steps:
    each model's per-layer medians are first multiplied by (its end-to-end median / their sum),
    which spreads the per-node timing overhead over its layers; after the NNLS fit, every time
    term is multiplied by one factor, the median over the models of measured / predicted
    end-to-end latency, which removes the bias a per-layer fit leaves on the sum (recorded as
    ``fit.end_to_end_factor``). Host, threads and torch version come from the first
    measurement; measurements from another host setting raise ConfigError.
    """
    if not measurements:
        raise ConfigError("host-model fit: no measurements")
    first = measurements[0].info
    for m in measurements[1:]:
        if (m.info.device, m.info.device_model, m.info.threads, m.info.torch_version) != (
            first.device, first.device_model, first.threads, first.torch_version
        ):
            raise ConfigError(
                f"host-model fit: {m.model} was measured as {m.info.describe()}, "
                f"{measurements[0].model} as {first.describe()}: calibrate one host setting at a time"
            )
    layers: list[Layer] = []
    seconds: list[float] = []
    for m in measurements:
        factor = 1.0
        if match_end_to_end and sum(m.layer_seconds) > 0:
            factor = m.end_to_end.median_s / sum(m.layer_seconds)
        layers.extend(m.graph.layers)
        seconds.extend(s * factor for s in m.layer_seconds)
    params = fit_parameters(layers, seconds, word_bytes=word_bytes, weighting=weighting)
    fields: dict[str, Any] = dict(
        name=name,
        description=f"PyTorch {first.torch_version} on {first.device_model}, {first.threads} thread(s), "
        f"fitted on {len(measurements)} models",
        device=first.device,
        device_model=first.device_model,
        torch_version=first.torch_version,
        threads=first.threads,
        date=date or _dt.date.today().isoformat(),
        word_bytes=word_bytes,
    )
    factor = 1.0
    if match_end_to_end:
        raw = _host_model(params, **fields)
        ratios = [m.end_to_end.median_s / predict_seconds(m.graph.layers, raw).total_s.sum() for m in measurements]
        factor = float(np.median(ratios))
        params = params.scaled(factor)
    host = _host_model(params, **fields)
    predicted = predict_seconds(layers, host).total_s
    target = np.asarray(seconds)
    valid = target > 0
    e2e = [predict_seconds(m.graph.layers, host).total_s.sum() / m.end_to_end.median_s - 1 for m in measurements]
    fit = FitInfo(
        weighting=weighting,  # type: ignore[arg-type]
        match_end_to_end=match_end_to_end,
        end_to_end_factor=_sig(factor),
        models=tuple(m.model for m in measurements),
        layers=int(valid.sum()),
        fitted_kinds=params.fitted_kinds,
        median_abs_layer_error=_sig(float(np.median(np.abs(predicted[valid] / target[valid] - 1))), 4),
        median_abs_end_to_end_error=_sig(float(np.median(np.abs(e2e))), 4),
        batch=min(m.batch for m in measurements),
    )
    return host.model_copy(update={"fit": fit})
