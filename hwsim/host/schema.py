"""The host-model file: host kinds, the pydantic schema of :class:`HostModel`, reading and writing YAML.

The kinds a layer can have on the host (:data:`GEMM_KINDS`, :data:`ELEMENT_KINDS`,
:data:`HOST_KINDS`, the :data:`FALLBACK` chain), the frozen pydantic specs (:class:`HostModel`
and its sections), :func:`host_model_from_dict` with one-line :class:`~hwsim.errors.ConfigError`
messages, :func:`load_host_model` (strict YAML, duplicate keys rejected) and
:func:`is_host_model_file`. What the numbers mean: :mod:`hwsim.host.model`. Never imports torch.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field

from hwsim.errors import ConfigError
from hwsim.hardware.validation import Expect, validate_model
from hwsim.hardware.yaml_reader import read_yaml

__all__ = [
    "COMPUTE_KINDS",
    "ELEMENT_KINDS",
    "FALLBACK",
    "FORM",
    "GEMM_KINDS",
    "HOST_KINDS",
    "ElementPeaks",
    "FitInfo",
    "HostModel",
    "KindOverheads",
    "KindPeaks",
    "LATER_KINDS",
    "host_model_from_dict",
    "is_host_model_file",
    "load_host_model",
]

#: Host kinds of GEMM layers (conv, linear, matmul), each with its own peak MACs per second.
GEMM_KINDS: tuple[str, ...] = ("conv", "conv1x1", "depthwise", "grouped", "linear", "matmul")
#: Kinds of non-GEMM layers with a compute term, each with its own peak elements per second.
ELEMENT_KINDS: tuple[str, ...] = ("pool", "vector", "norm")
#: Kinds added after the first host-model files were written: a file may lack them, and then
#: takes their parameters along :data:`FALLBACK` (and a prediction that uses them is flagged).
LATER_KINDS: tuple[str, ...] = ("matmul", "norm")
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
    "matmul": "linear",
    "pool": "vector",
    "reshape": "vector",
    "vector": "pool",
    "norm": "vector",
}

#: The fitted form, as written into the YAML file.
FORM = "t = overhead_s[kind] + work/peak[kind] + bytes/bandwidth_bytes_per_s"

# ---------------------------------------------------------------------------------------------
# Schema (pydantic v2): frozen, unknown keys rejected, strict numbers, every number bounded.
# The bounds keep a prediction inside int64 nanoseconds for any graph within the limits of
# hwsim.graph.limits (2^46 MACs, element operations and elements moved in total, 2^16 layers):
# at most 2^16 x 1 s of overheads + 2^46 / 1e6 s of compute + 2^49 bytes / 1e6 B/s of memory
# = 6.3e8 s = 6.3e17 ns < 2^63. A real host is many orders of magnitude inside them.
# ---------------------------------------------------------------------------------------------
#: Largest per-layer overhead, seconds.
MAX_OVERHEAD_S = 1.0
#: Range of peak rates (MACs or elements per second) and of the bandwidth (bytes per second).
MIN_RATE, MAX_RATE = 1e6, 1e18

Seconds = Annotated[
    float,
    Field(strict=True, ge=0, le=MAX_OVERHEAD_S, allow_inf_nan=False),
    Expect("a number of seconds >= 0 and <= 1"),
]
OptionalRate = Annotated[
    Optional[float],
    Field(strict=True, ge=MIN_RATE, le=MAX_RATE, allow_inf_nan=False),
    Expect("a number > 0, from 1e6 to 1e18 per second, or null"),
]
Ratio = Annotated[
    float, Field(strict=True, ge=1e-3, le=1e3, allow_inf_nan=False), Expect("a finite number > 0, from 0.001 to 1000")
]
OptionalError = Annotated[
    Optional[float],
    Field(strict=True, ge=0, le=1e6, allow_inf_nan=False),
    Expect("a finite number >= 0 and <= 1000000, or null"),
]
Text = Annotated[str, Field(strict=True, max_length=1000), Expect("a string (at most 1000 characters)")]
Texts = Annotated[tuple[str, ...], Field(max_length=1000), Expect("a list of strings")]


LayerCount = Annotated[int, Field(strict=True, ge=0, le=2**31), Expect("an integer >= 0 and <= 2,147,483,648")]
Batch = Annotated[int, Field(strict=True, gt=0, le=2**20), Expect("an integer > 0 and <= 1,048,576")]
Threads = Annotated[int, Field(strict=True, gt=0, le=2**16), Expect("an integer > 0 and <= 65,536")]
WordBytes = Annotated[int, Field(strict=True, gt=0, le=8), Expect("an integer > 0 and <= 8 (bytes per element)")]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KindOverheads(_Spec):
    """Fixed time per layer, in seconds, by host kind (a :data:`LATER_KINDS` one may be absent)."""

    conv: Seconds
    conv1x1: Seconds
    depthwise: Seconds
    grouped: Seconds
    linear: Seconds
    matmul: Optional[Seconds] = None
    pool: Seconds
    vector: Seconds
    norm: Optional[Seconds] = None
    reshape: Seconds


class KindPeaks(_Spec):
    """Peak MACs per second by GEMM kind; ``null``: no per-MAC cost was measurable."""

    conv: OptionalRate
    conv1x1: OptionalRate
    depthwise: OptionalRate
    grouped: OptionalRate
    linear: OptionalRate
    matmul: OptionalRate = None


class ElementPeaks(_Spec):
    """Peak element operations per second of pooling, other vector ops and normalisations
    (softmax, layer/group norm); ``null``: no per-element cost."""

    pool: OptionalRate
    vector: OptionalRate
    norm: OptionalRate = None


class FitInfo(_Spec):
    """How the parameters were fitted (informative; :func:`predict` does not read it)."""

    form: Text = FORM
    weighting: Annotated[Literal["relative", "sqrt", "absolute"], Expect("one of relative, sqrt, absolute")] = "sqrt"
    match_end_to_end: Annotated[bool, Field(strict=True), Expect("true or false")] = True
    end_to_end_factor: Ratio = 1.0  #: the final multiplier on every time term
    models: Texts = ()
    layers: LayerCount = 0  #: timed layers the fit used
    fitted_kinds: Texts = ()  #: kinds fitted from data; the others use FALLBACK
    median_abs_layer_error: OptionalError = None  #: |predicted/measured - 1| over layers
    median_abs_end_to_end_error: OptionalError = None  #: the same over models, end to end
    batch: Batch = 1


class HostModel(_Spec):
    """The host as an accelerator-like description (all rates per second, times in seconds)."""

    kind: Annotated[Literal["host"], Expect("'host'")]
    name: Text
    description: Text = ""
    device: Annotated[Literal["cpu", "cuda"], Expect("one of cpu, cuda")] = "cpu"
    device_model: Text = ""  #: CPU model (/proc/cpuinfo) or GPU name
    torch_version: Text = ""
    threads: Threads = 1  #: torch intra-op threads the calibration ran with
    date: Annotated[str, Field(strict=True, pattern=r"^\d{4}-\d{2}-\d{2}$"), Expect("a date YYYY-MM-DD")] = "1970-01-01"
    word_bytes: WordBytes = 4  #: bytes per tensor element (float32)
    overhead_s: KindOverheads
    peak_macs_per_s: KindPeaks
    peak_elements_per_s: ElementPeaks
    bandwidth_bytes_per_s: OptionalRate = None
    fit: Optional[FitInfo] = None

    # ---------------------------------------------------------------- accessors
    def in_file(self, kind: str) -> bool:
        """True when the file gives ``kind`` its own parameters (a :data:`LATER_KINDS` kind may be absent)."""
        return kind in self.overhead_s.model_fields_set

    def source_kind(self, kind: str) -> str:
        """The kind whose parameters ``kind`` uses: itself, or for a kind the file lacks, the first
        kind along :data:`FALLBACK` that it has."""
        while not self.in_file(kind):
            kind = FALLBACK[kind]
        return kind

    def overhead(self, kind: str) -> float:
        """Seconds per layer of ``kind``."""
        return float(getattr(self.overhead_s, self.source_kind(kind)))

    def peak(self, kind: str) -> float | None:
        """Work units per second of ``kind`` (MACs, or elements for pool/vector/norm); None = no compute term."""
        kind = self.source_kind(kind)
        if kind in ELEMENT_KINDS:
            return getattr(self.peak_elements_per_s, kind)
        if kind == "reshape":
            return None
        return getattr(self.peak_macs_per_s, kind)

    def calibrated_kinds(self) -> tuple[str, ...] | None:
        """The kinds fitted from measured layers (None when the file does not say)."""
        return None if self.fit is None else self.fit.fitted_kinds

    # ---------------------------------------------------------------- files
    def to_dict(self) -> dict[str, Any]:
        """Plain dict in file order (tuples as lists), ready for YAML."""
        data = self.model_dump(mode="json", exclude_unset=False)
        for section in ("overhead_s", "peak_macs_per_s", "peak_elements_per_s"):  # a kind the file lacks stays absent
            for kind in LATER_KINDS:
                if not self.in_file(kind) and kind in data[section]:
                    del data[section][kind]
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
            "#   peak_elements_per_s: element operations/s of pooling, of vector ops (add, concat, ...) and of\n"
            "#   normalisations (softmax, layer/group norm);\n"
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


def host_model_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> HostModel:
    """Validate a mapping (as read from YAML) into a :class:`HostModel`; ConfigError names ``source``,
    the field, the value and what was expected (:func:`hwsim.hardware.validation.validate_model`)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a mapping of host-model fields at the top level, got {type(data).__name__}")
    data = dict(data)
    if isinstance(data.get("date"), (_dt.date, _dt.datetime)):
        data["date"] = data["date"].isoformat()[:10]  # an unquoted YAML date
    return validate_model(HostModel, data, source)


def load_host_model(path: str | Path) -> HostModel:
    """Read and validate a host-model YAML file (duplicate keys rejected); ConfigError names the file and field."""
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
        data = read_yaml(path, str(path))  # the strict reader and its limits: the file is read again to load it
    except ConfigError:
        return False
    return isinstance(data, dict) and data.get("kind") == "host"

