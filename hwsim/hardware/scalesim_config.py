"""SCALE-Sim ``.cfg`` files as accelerators (no SCALE-Sim needed).

Configs (``scale_config.py``): ``[architecture_presets]`` ArrayHeight, ArrayWidth,
IfmapSramSzkB, FilterSramSzkB, OfmapSramSzkB, Dataflow and Bandwidth map to an
:class:`~hwsim.hardware.load.Accelerator` with 1-byte words (SCALE-Sim's word size), buffers in
KiB (SCALE-Sim's kB are 1024 bytes) and ``dram.ports = per_operand`` (SCALE-Sim gives ifmap,
filter and ofmap their own port). ``[run_presets] InterfaceBandwidth`` picks the DRAM bandwidth:

- ``CALC`` (SCALE-Sim's default when the key is missing): ``dram.bandwidth_bytes_per_cycle =
  unlimited``. SCALE-Sim's CALC mode never stalls on DRAM (its reads always hit,
  ``read_buffer_estimate_bw.py``) and reports the bandwidth each layer needed; hwsim then gives
  every layer its stall-free compute cycles, as SCALE-Sim's "Total Cycles", and reports
  ``dram_bytes_per_cycle`` (docs/MODEL.md §3). ``Bandwidth`` is read and checked but not used.
- ``USER``: ``dram.bandwidth_bytes_per_cycle = Bandwidth`` (words per cycle; the first value of the
  list, the only one SCALE-Sim uses). SCALE-Sim 3.0.0 paces ifmap and filter DRAM *reads* at
  ``[layout] IfmapSRAMBankBandwidth`` / ``FilterSRAMBankBandwidth``; only ofmap writes use
  ``Bandwidth`` (``single_layer_sim.py:250-254``). hwsim uses ``Bandwidth`` for every port; when
  the three differ, the accelerator's description says so. Set them equal to reproduce SCALE-Sim.

``[sparsity] SparsitySupport: true`` is refused (:class:`ConfigError`, exit 2): hwsim models
every layer dense and cannot simulate SCALE-Sim's sparse mode; ``false`` or no ``[sparsity]``
section reads as dense, silently. (A topology's ``N:M`` sparsity column is a warning, not an
error: SCALE-Sim itself runs such a topology dense unless the config switches sparsity on; see
:mod:`hwsim.sources.scalesim_topology`.)

The clock is 1000 MHz unless given (SCALE-Sim counts cycles only); energy prices are hwsim's
defaults (:data:`hwsim.hardware.load.HOROWITZ_45NM`, the prices of ``accelerators/ws_32x32.yaml``).
Keys hwsim does not use (offsets, request buffers, the other sparsity keys, bank layout) are not checked.
"""

from __future__ import annotations

import configparser
from pathlib import Path

from hwsim.errors import ConfigError, read_text
from hwsim.hardware.fields import MAX_ARRAY_SIDE, MAX_BANDWIDTH, MAX_BUFFER_KIB, UNLIMITED
from hwsim.hardware.spec import Accelerator, accelerator_from_dict

__all__ = ["ASSUMPTIONS", "DEFAULT_CLOCK_MHZ", "load_scalesim_config", "load_scalesim_config_text"]

#: Clock given to accelerators read from a ``.cfg`` (SCALE-Sim has no clock), MHz.
DEFAULT_CLOCK_MHZ = 1000.0

#: What hwsim assumes when it reads a ``.cfg``, by dotted accelerator field (a trailing ``.``:
#: every field of that section), and why; ``hwsim show FILE.cfg`` prints them.
ASSUMPTIONS: dict[str, str] = {
    "clock_mhz": "SCALE-Sim counts cycles only; 1000 MHz makes a cycle one nanosecond",
    "word_bytes": "SCALE-Sim's words are 1 byte",
    "buffers.": "IfmapSramSzkB, FilterSramSzkB, OfmapSramSzkB: SCALE-Sim's kB are 1024 bytes",
    "dram.bandwidth_bytes_per_cycle": "InterfaceBandwidth USER: Bandwidth (the first value) in 1-byte words per "
    "cycle; CALC: unlimited (SCALE-Sim's CALC mode never stalls on DRAM; the profile's dram_bytes_per_cycle is the "
    "bandwidth each layer needs)",
    "dram.ports": "SCALE-Sim gives ifmap, filter and ofmap their own port of that bandwidth",
    "energy_pj.": "SCALE-Sim has no energy model: hwsim's default prices (those of accelerators/ws_32x32.yaml)",
}

# --------------------------------------------------------------------------------------------
# Config reading

_ARCH = "architecture_presets"


def _parse_cfg(text: str, source: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser()  # SCALE-Sim's parser: strict, case-insensitive keys
    try:
        parser.read_string(text, source=source)
    except configparser.MissingSectionHeaderError as exc:
        raise ConfigError(f"{source}: line {exc.lineno}: expected a [section] header before {_shown(exc.line.strip())}") from None
    except configparser.DuplicateSectionError as exc:
        raise ConfigError(f"{source}: line {exc.lineno}: [{exc.section}]: duplicate section") from None
    except configparser.DuplicateOptionError as exc:
        raise ConfigError(f"{source}: line {exc.lineno}: [{exc.section}] {exc.option}: duplicate key") from None
    except configparser.ParsingError as exc:
        lineno, line = exc.errors[0]
        raise ConfigError(f"{source}: line {lineno}: expected 'key: value' or '[section]', got {_shown(line.strip())}") from None
    except configparser.Error as exc:
        raise ConfigError(f"{source}: invalid config file: {str(exc).splitlines()[0][:200]}") from None
    return parser


def _get(parser: configparser.ConfigParser, source: str, section: str, key: str, expected: str) -> str:
    if not parser.has_section(section):
        raise ConfigError(f"{source}: [{section}]: missing section (needed for {key}): expected {expected}")
    if not parser.has_option(section, key):
        raise ConfigError(f"{source}: [{section}] {key}: missing key: expected {expected}")
    return parser.get(section, key, raw=True).strip()


#: Largest .cfg file read, bytes (SCALE-Sim's configs are under 1 KiB).
MAX_CFG_BYTES = 64 * 1024


def _shown(text: str) -> str:
    """A value as written, trimmed for an error message (a short plain integer unquoted)."""
    if len(text) <= 40 and text.lstrip("+-").isascii() and text.lstrip("+-").isdigit():
        return text
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _bounded_int(text: str, maximum: int) -> int | None:
    """``text`` as an integer from 1 to ``maximum`` (as Python's ``int`` reads it: ``+8``, ``1_024``),
    or None; the digits are counted before converting, so a thousand-digit value costs nothing."""
    digits = text.strip().lstrip("+").replace("_", "")
    if not (digits.isascii() and digits.isdigit()) or len(digits.lstrip("0")) > len(str(maximum)):
        return None
    try:
        value = int(text)
    except ValueError:  # misplaced underscores
        return None
    return value if 1 <= value <= maximum else None


def _positive_int(
    parser: configparser.ConfigParser, source: str, section: str, key: str, what: str, maximum: int
) -> int:
    expected = f"an integer > 0 and <= {maximum:,} ({what})"
    text = _get(parser, source, section, key, expected)
    value = _bounded_int(text, maximum)
    if value is None:
        raise ConfigError(f"{source}: [{section}] {key} = {_shown(text)}: expected {expected}")
    return value


def _refuse_sparsity(parser: configparser.ConfigParser, source: str) -> None:
    """:class:`ConfigError` when ``[sparsity] SparsitySupport`` switches SCALE-Sim's sparse mode on
    (``true`` in any case, as SCALE-Sim reads it, ``scale_config.py:133``)."""
    text = parser.get("sparsity", "SparsitySupport", raw=True, fallback="false").strip()
    if text.lower() == "true":
        raise ConfigError(f"{source}: [sparsity] SparsitySupport = {_shown(text)}: hwsim models every layer dense "
                          "and cannot simulate SCALE-Sim's sparse mode: expected false (set it to simulate the dense layers)")


def load_scalesim_config_text(
    text: str, source: str = "<scalesim cfg>", clock_mhz: float = DEFAULT_CLOCK_MHZ, name: str | None = None
) -> Accelerator:
    """Parse SCALE-Sim ``.cfg`` text into an :class:`Accelerator` (mapping in the module docstring).

    ``name`` defaults to ``[general] run_name``, else the stem of ``source``. Errors raise
    :class:`ConfigError` naming ``source``, the section and the key.
    """
    parser = _parse_cfg(text, source)
    rows = _positive_int(parser, source, _ARCH, "ArrayHeight", "PE rows", MAX_ARRAY_SIDE)
    cols = _positive_int(parser, source, _ARCH, "ArrayWidth", "PE columns", MAX_ARRAY_SIDE)
    sizes = {
        operand: _positive_int(parser, source, _ARCH, key, "kB, 1 kB = 1024 one-byte words", int(MAX_BUFFER_KIB))
        for operand, key in (("ifmap", "IfmapSramSzkB"), ("filter", "FilterSramSzkB"), ("ofmap", "OfmapSramSzkB"))
    }
    dataflow = _get(parser, source, _ARCH, "Dataflow", "os, ws or is")
    if dataflow not in ("os", "ws", "is"):
        raise ConfigError(f"{source}: [{_ARCH}] Dataflow = {_shown(dataflow)}: expected os, ws or is")
    bw_expected = (
        f"words per cycle per operand port: an integer > 0 and <= {int(MAX_BANDWIDTH):,}, or a comma-separated "
        "list of them (the first is used)"
    )
    bw_text = _get(parser, source, _ARCH, "Bandwidth", bw_expected)
    bandwidths = [_bounded_int(part, int(MAX_BANDWIDTH)) for part in bw_text.split(",")]
    if any(b is None for b in bandwidths):
        raise ConfigError(f"{source}: [{_ARCH}] Bandwidth = {_shown(bw_text)}: expected {bw_expected}")
    bandwidth = bandwidths[0]

    mode = "CALC"
    if parser.has_option("run_presets", "InterfaceBandwidth"):
        mode = parser.get("run_presets", "InterfaceBandwidth", raw=True).strip()
        if mode not in ("USER", "CALC"):
            raise ConfigError(f"{source}: [run_presets] InterfaceBandwidth = {_shown(mode)}: expected USER or CALC")
    note = ""
    if mode == "USER":
        read_bws = {}
        for key in ("IfmapSRAMBankBandwidth", "FilterSRAMBankBandwidth"):
            # SCALE-Sim's default for a missing [layout] value is 10 (scale_config.py:42,46).
            read_bws[key] = (
                _positive_int(parser, source, "layout", key, "words per cycle", int(MAX_BANDWIDTH))
                if parser.has_option("layout", key) else 10
            )
        if any(value != bandwidth for value in read_bws.values()):
            listed = ", ".join(f"{k} {v}" for k, v in read_bws.items())
            note = f"; SCALE-Sim paces reads at {listed}, hwsim uses Bandwidth {bandwidth} on every port"
    else:
        note = "; DRAM bandwidth unlimited, as in SCALE-Sim's CALC mode: no DRAM stalls (Bandwidth is not used)"
    _refuse_sparsity(parser, source)

    if name is None:
        run_name = parser.get("general", "run_name", raw=True, fallback="").strip()
        name = run_name or Path(source).stem or "scalesim"
    data = {
        "name": name,
        "description": f"SCALE-Sim config {Path(source).name}: {rows}x{cols} {dataflow}, InterfaceBandwidth {mode}{note}",
        "array": {"rows": rows, "cols": cols},
        "dataflow": dataflow,
        "clock_mhz": float(clock_mhz),
        "word_bytes": 1,
        "buffers": {f"{operand}_kib": float(kb) for operand, kb in sizes.items()},
        "dram": {"bandwidth_bytes_per_cycle": float(bandwidth) if mode == "USER" else UNLIMITED, "ports": "per_operand"},
    }
    return accelerator_from_dict(data, source)


def load_scalesim_config(path: str | Path, clock_mhz: float = DEFAULT_CLOCK_MHZ) -> Accelerator:
    """Read a SCALE-Sim ``.cfg`` into an :class:`Accelerator` (mapping in the module docstring).

    Raises :class:`ConfigError` naming the file, section and key of any problem.
    """
    path = Path(path)
    text = read_text(path, ConfigError, max_bytes=MAX_CFG_BYTES)
    return load_scalesim_config_text(text, source=str(path), clock_mhz=clock_mhz)
