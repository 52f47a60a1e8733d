"""A calibrated latency model of the host (CPU or GPU running PyTorch), written like an accelerator.

The model (an additive roofline)
--------------------------------
Every layer of a :class:`~hwsim.graph.LayerGraph` has a host *kind* (:func:`host_kind`):
``conv`` (dense, kernel > 1x1), ``conv1x1`` (pointwise), ``depthwise`` (groups = input channels),
``grouped`` (1 < groups < input channels), ``linear``, ``pool`` (max/avg pooling with a window),
``vector`` (global pool, add, mul, concat, shuffle, stand-alone activation/batch-norm, LRN) and
``reshape`` (a view: no data moves). Windowed pooling has its own kind because PyTorch's CPU
pooling kernels run several times slower per element than the elementwise ones. Its
predicted time in seconds is::

    t = overhead_s[kind] + work / peak[kind] + bytes / bandwidth_bytes_per_s

- ``work`` = MACs for conv/linear kinds (``peak_macs_per_s[kind]``), element operations for
  pool and vector ops (``peak_elements_per_s[kind]``: pool = outputs x window, LRN = inputs x
  window, others = input elements), 0 for reshape;
- ``bytes`` = compulsory traffic at ``word_bytes`` per element (4: float32): input + weights +
  output for conv/linear, input + output for pool and vector ops, 0 for reshape;
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
a related kind (:data:`FALLBACK`); the file lists the kinds that were fitted from data.

The file (``kind: host``) sits beside the accelerator files and is read by
``hwsim profile MODEL --accel host_cpu.yaml`` through :func:`is_host_model_file`,
:func:`load_host_model` and :func:`predict`. This module never imports torch; scipy only when
fitting.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Optional

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hwsim.errors import ConfigError
from hwsim.graph import Layer, LayerGraph

if TYPE_CHECKING:
    from hwsim.measure import ModelMeasurement
    from hwsim.sim import SimResult

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

#: Host kinds of conv/linear layers, each with its own peak MACs per second.
GEMM_KINDS: tuple[str, ...] = ("conv", "conv1x1", "depthwise", "grouped", "linear")
#: Kinds of non-GEMM layers with a compute term, each with its own peak elements per second.
ELEMENT_KINDS: tuple[str, ...] = ("pool", "vector")
#: Kinds with a compute term.
COMPUTE_KINDS: tuple[str, ...] = (*GEMM_KINDS, *ELEMENT_KINDS)
#: Every host kind, each with its own per-layer overhead.
HOST_KINDS: tuple[str, ...] = (*COMPUTE_KINDS, "reshape")
#: Where a kind absent from the calibration data takes its parameters from (followed until a
#: fitted kind is found).
FALLBACK: Mapping[str, str] = {
    "conv1x1": "conv",
    "grouped": "conv",
    "depthwise": "grouped",
    "linear": "conv1x1",
    "conv": "conv1x1",
    "pool": "vector",
    "reshape": "vector",
    "vector": "pool",
}

#: The fitted form, as written into the YAML file.
FORM = "t = overhead_s[kind] + work/peak[kind] + bytes/bandwidth_bytes_per_s"

# ---------------------------------------------------------------------------------------------
# Schema (pydantic v2): frozen, unknown keys rejected, strict numbers
# ---------------------------------------------------------------------------------------------
NonNegativeFloat = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
PositiveFloat = Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)]
OptionalRate = Optional[PositiveFloat]
PositiveInt = Annotated[int, Field(strict=True, gt=0)]

_EXPECTED = {
    "float_type": "a number",
    "int_type": "an integer",
    "string_type": "a string",
    "greater_than": "a number > 0",
    "greater_than_equal": "a number >= 0",
    "finite_number": "a finite number",
    "literal_error": None,
    "missing": None,
    "extra_forbidden": None,
    "list_type": "a list",
    "model_type": "a mapping",
    "dict_type": "a mapping",
    "string_pattern_mismatch": "a date YYYY-MM-DD",
}


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KindOverheads(_Spec):
    """Fixed time per layer, in seconds, by host kind."""

    conv: NonNegativeFloat
    conv1x1: NonNegativeFloat
    depthwise: NonNegativeFloat
    grouped: NonNegativeFloat
    linear: NonNegativeFloat
    pool: NonNegativeFloat
    vector: NonNegativeFloat
    reshape: NonNegativeFloat


class KindPeaks(_Spec):
    """Peak MACs per second by conv/linear kind; ``null``: no per-MAC cost was measurable."""

    conv: OptionalRate
    conv1x1: OptionalRate
    depthwise: OptionalRate
    grouped: OptionalRate
    linear: OptionalRate


class ElementPeaks(_Spec):
    """Peak element operations per second of pooling and other vector ops; ``null``: no per-element cost."""

    pool: OptionalRate
    vector: OptionalRate


class FitInfo(_Spec):
    """How the parameters were fitted (informative; :func:`predict` does not read it)."""

    form: str = FORM
    weighting: Literal["relative", "sqrt", "absolute"] = "sqrt"
    match_end_to_end: bool = True
    end_to_end_factor: PositiveFloat = 1.0  #: the final multiplier on every time term
    models: tuple[str, ...] = ()
    layers: Annotated[int, Field(strict=True, ge=0)] = 0  #: timed layers the fit used
    fitted_kinds: tuple[str, ...] = ()  #: kinds fitted from data; the others use FALLBACK
    median_abs_layer_error: Optional[NonNegativeFloat] = None  #: |predicted/measured - 1| over layers
    median_abs_end_to_end_error: Optional[NonNegativeFloat] = None  #: the same over models, end to end
    batch: PositiveInt = 1


class HostModel(_Spec):
    """The host as an accelerator-like description (all rates per second, times in seconds)."""

    kind: Literal["host"]
    name: str
    description: str = ""
    device: Literal["cpu", "cuda"] = "cpu"
    device_model: str = ""  #: CPU model (/proc/cpuinfo) or GPU name
    torch_version: str = ""
    threads: PositiveInt = 1  #: torch intra-op threads the calibration ran with
    date: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] = "1970-01-01"
    word_bytes: PositiveInt = 4  #: bytes per tensor element (float32)
    overhead_s: KindOverheads
    peak_macs_per_s: KindPeaks
    peak_elements_per_s: ElementPeaks
    bandwidth_bytes_per_s: OptionalRate = None
    fit: Optional[FitInfo] = None

    # ---------------------------------------------------------------- accessors
    def overhead(self, kind: str) -> float:
        """Seconds per layer of ``kind``."""
        return float(getattr(self.overhead_s, kind))

    def peak(self, kind: str) -> float | None:
        """Work units per second of ``kind`` (MACs, or elements for pool/vector); None = no compute term."""
        if kind in ELEMENT_KINDS:
            return getattr(self.peak_elements_per_s, kind)
        if kind == "reshape":
            return None
        return getattr(self.peak_macs_per_s, kind)

    # ---------------------------------------------------------------- files
    def to_dict(self) -> dict[str, Any]:
        """Plain dict in file order (tuples as lists), ready for YAML."""
        data = self.model_dump(mode="json")
        if self.fit is None:
            data.pop("fit")
        return data

    def save(self, path: str | Path) -> None:
        """Write the YAML file, with a header explaining the fields; errors name the file."""
        path = Path(path)
        header = (
            f"# {self.name}: calibrated latency model of this host (hwsim calibrate), {self.date}\n"
            f"# {self.device}: {self.device_model}, {self.threads} torch thread(s), torch {self.torch_version}\n"
            f"# Per layer: {FORM}\n"
            "#   overhead_s: seconds per layer by kind; peak_macs_per_s: MACs/s by conv/linear kind;\n"
            "#   peak_elements_per_s: element operations/s of pooling and of vector ops (add, concat, ...);\n"
            "#   bandwidth_bytes_per_s: bytes/s of compulsory traffic (input + weights + output);\n"
            "#   null = no measurable cost per unit (the term is left out).\n"
            "# Use: hwsim profile MODEL --accel THIS_FILE\n"
        )
        text = header + yaml.safe_dump(self.to_dict(), sort_keys=False, default_flow_style=False, width=100)
        try:
            path.write_text(text)
        except OSError as exc:
            raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None

    @classmethod
    def load(cls, path: str | Path) -> HostModel:
        return load_host_model(path)


def _format_error(source: str, error: Mapping[str, Any]) -> str:
    loc = ".".join(str(part) for part in error.get("loc", ())) or "(top level)"
    kind = error.get("type", "")
    value = error.get("input")
    if kind == "extra_forbidden":
        return f"{source}: {loc}: unknown key"
    if kind == "missing":
        return f"{source}: {loc}: missing (required)"
    expected = _EXPECTED.get(kind) or error.get("msg", "invalid value")
    if kind == "literal_error":
        expected = error.get("msg", "").replace("Input should be", "one of").strip()
    if kind in ("greater_than", "greater_than_equal") and error.get("loc", ("",))[0] in ("peak_macs_per_s", "peak_elements_per_s", "bandwidth_bytes_per_s"):
        expected += " or null"
    return f"{source}: {loc}: got {value!r}; expected {expected}"


def host_model_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> HostModel:
    """Validate a mapping (as read from YAML) into a :class:`HostModel`; ConfigError names ``source`` and the field."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a mapping of host-model fields at the top level, got {type(data).__name__}")
    data = dict(data)
    if isinstance(data.get("date"), (_dt.date, _dt.datetime)):
        data["date"] = data["date"].isoformat()[:10]  # an unquoted YAML date
    try:
        return HostModel.model_validate(data)
    except ValidationError as exc:
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        line = _format_error(source, errors[0])
        if len(errors) > 1:
            line += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        raise ConfigError(line) from None


def load_host_model(path: str | Path) -> HostModel:
    """Read and validate a host-model YAML file (duplicate keys rejected); ConfigError names the file and field."""
    from hwsim.accelerator import read_yaml

    path = Path(path)
    data = read_yaml(path, str(path))
    if data is None:
        raise ConfigError(f"{path}: file is empty: expected a mapping of host-model fields")
    return host_model_from_dict(data, str(path))


def is_host_model_file(path: str | Path) -> bool:
    """True when ``path`` is a readable ``.yaml``/``.yml`` file whose top level says ``kind: host``.

    Never raises: anything else (missing, unreadable, not YAML, an accelerator) gives False.
    """
    path = Path(path)
    if path.suffix.lower() not in (".yaml", ".yml") or not path.is_file():
        return False
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and data.get("kind") == "host"


# ---------------------------------------------------------------------------------------------
# Layer terms
# ---------------------------------------------------------------------------------------------
def host_kind(layer: Layer) -> str:
    """The host kind of a layer (see the module docstring)."""
    if layer.op == "linear":
        return "linear"
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
    return layer.input_elements


def layer_terms(layers: Sequence[Layer], word_bytes: int = 4) -> LayerTerms:
    """Kinds, work and bytes of each layer (module docstring: what counts)."""
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


# ---------------------------------------------------------------------------------------------
# predict(): a SimResult for the host
# ---------------------------------------------------------------------------------------------
def predict(graph: LayerGraph, host: HostModel) -> SimResult:
    """Predict the latency of every layer of ``graph`` on the host, as a :class:`~hwsim.sim.SimResult`.

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
    from hwsim.sim import LayerArrays, SimResult

    la = LayerArrays.from_graph(graph)
    times = predict_seconds(graph.layers, host)
    ns = 1e9
    cycles = np.rint(times.total_s * ns).astype(np.int64)
    compute_cycles = np.rint((times.overhead_s + times.compute_s) * ns).astype(np.int64)
    stall_cycles = cycles - compute_cycles
    kinds = layer_terms(graph.layers, host.word_bytes).kinds
    is_gemm = np.array([k in GEMM_KINDS for k in kinds], dtype=bool)
    peaks_per_ns = np.array([(host.peak(k) or 0.0) / ns if k in GEMM_KINDS else 0.0 for k in kinds])
    capacity = cycles * peaks_per_ns
    utilization = np.divide(la.macs, capacity, out=np.zeros(len(kinds)), where=capacity > 0)
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
    zero = np.zeros(len(kinds), dtype=np.float64)
    return SimResult(
        graph_name=graph.name,
        accelerator_name=host.name,
        clock_mhz=1000.0,
        pes=max(1, int(round(dense_peak / ns))),
        names=la.names,
        ops=la.ops,
        dataflow=tuple("host" if g else "-" for g in is_gemm),
        bound=tuple(bound),
        macs=la.macs,
        params=la.params,
        gemm_m=np.where(is_gemm, la.gemm_m, 0),
        gemm_k=np.where(is_gemm, la.gemm_k, 0),
        gemm_n=np.where(is_gemm, la.gemm_n, 0),
        groups=la.groups,
        folds=np.zeros(len(kinds), dtype=np.int64),
        mapping_efficiency=zero,
        compute_cycles=compute_cycles,
        stall_cycles=stall_cycles,
        cycles=cycles,
        utilization=utilization,
        sram_read_bytes=zero,
        sram_write_bytes=zero,
        dram_ifmap_bytes=ifmap,
        dram_filter_bytes=filt,
        dram_ofmap_bytes=ofmap,
        dram_psum_read_bytes=zero,
        dram_bytes=dram,
        compulsory_bytes=dram,
        roofline_cycles=np.ceil(np.maximum(times.compute_s, times.memory_s) * ns),
        energy_mac_pj=zero,
        energy_rf_pj=zero,
        energy_sram_pj=zero,
        energy_dram_pj=zero,
        energy_vector_pj=zero,
        energy_leakage_pj=zero,
        energy_pj=zero,
        unsupported=graph.unsupported,
    )


def _kinds_array(kinds: Sequence[str]) -> np.ndarray:
    return np.asarray(kinds, dtype=object)


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
    """Fit the model of the module docstring to measured per-layer times (seconds) by NNLS.

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
