"""Accelerator specifications: a validated, immutable description of one systolic-array accelerator.

An accelerator is one YAML file (``accelerators/<name>.yaml``; the file stem is its CLI name)::

    name: ws_32x32
    array: {rows: 32, cols: 32}          # PEs
    dataflow: ws                         # ws | os | is | best
    clock_mhz: 500                       # MHz
    word_bytes: 1                        # bytes per ifmap/filter/ofmap word
    buffers: {ifmap_kib: 64, filter_kib: 64, ofmap_kib: 64}    # KiB per operand buffer
    dram: {bandwidth_bytes_per_cycle: 16, ports: shared}       # bytes per cycle
    vector: {lanes: 32}                  # elements per cycle for non-GEMM ops
    options: {pack_groups: false, concat_in_place: true, shuffle_in_addressing: true}
    energy_pj: {mac: 0.23, rf_access: 0.23, sram_byte: 1.25, dram_byte: 160, source: "..."}
    area: {pe_um2: 426.5, source: "..."}  # optional: area figures replacing the 45 nm defaults

Validation happens here, at the boundary (pydantic v2, strict types): unknown keys, duplicate
YAML keys, wrong types and non-positive sizes are rejected with a one-line
:class:`~hwsim.errors.ConfigError` that names the file, the dotted field, the value and what was
expected. Inside the simulator the values are trusted. This module never imports torch.

The code: :mod:`hwsim.hardware.spec` (the pydantic specs, field types, dotted paths),
:mod:`hwsim.hardware.validation` (validation errors -> one line) and :mod:`hwsim.hardware.yaml_reader`
(strict YAML reading, duplicate keys); this module validates mappings, reads files, looks up the
shipped accelerators by name and re-exports the public names.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hwsim.hardware.spec import (
    HOROWITZ_45NM,
    OPERANDS,
    Accelerator,
    AreaSpec,
    ArraySpec,
    BufferSpec,
    DramSpec,
    EnergySpec,
    OptionsSpec,
    VectorSpec,
    accelerator_from_dict,
)
from hwsim.hardware.shipped import accelerator_names, shipped_accelerator_dir, shipped_files
from hwsim.hardware.yaml_reader import read_yaml
from hwsim.errors import ConfigError, UnknownNameError

__all__ = [
    "ACCELERATOR_SUFFIXES",
    "HOROWITZ_45NM",
    "OPERANDS",
    "Accelerator",
    "AreaSpec",
    "ArraySpec",
    "BufferSpec",
    "DramSpec",
    "EnergySpec",
    "OptionsSpec",
    "VectorSpec",
    "accelerator_from_dict",
    "accelerator_names",
    "load_accelerator",
    "shipped_accelerator_dir",
]

#: File suffixes :func:`load_accelerator` reads (``.cfg`` = SCALE-Sim's format).
ACCELERATOR_SUFFIXES: tuple[str, ...] = (".yaml", ".yml", ".cfg")


# --------------------------------------------------------------------------------------------
# Mappings and files -> Accelerator


def _load_yaml_file(path: Path) -> Accelerator:
    source = str(path)
    data = read_yaml(path, source)
    if data is None:
        raise ConfigError(f"{source}: file is empty: expected a mapping of accelerator fields")
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: top level is a {_yaml_kind(data)}: expected a mapping of accelerator fields"
        )
    return accelerator_from_dict(data, source, default_name=path.stem)


def _yaml_kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


# --------------------------------------------------------------------------------------------
# Lookup by name (the shipped files: :mod:`hwsim.hardware.shipped`)


def _looks_like_path(name: str) -> bool:
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return any(s in name for s in separators) or name.lower().endswith(ACCELERATOR_SUFFIXES)


def load_accelerator(name_or_path: str | os.PathLike[str]) -> Accelerator:
    """Load an accelerator by shipped name (``ws_32x32``) or from a file.

    A ``.yaml``/``.yml`` path is read and validated (a missing ``name`` defaults to the file stem);
    a ``.cfg`` path is read as a SCALE-Sim config by :func:`hwsim.hardware.scalesim_config.load_scalesim_config`.
    Raises :class:`ConfigError` for bad files and :class:`UnknownNameError` for unknown names.
    """
    if isinstance(name_or_path, os.PathLike) or _looks_like_path(str(name_or_path)):
        path = Path(name_or_path)
        suffix = path.suffix.lower()
        if suffix in (".yaml", ".yml"):
            return _load_yaml_file(path)
        if suffix == ".cfg":
            return _load_scalesim(path)
        raise ConfigError(
            f"{path}: unsupported accelerator file type {suffix or '(none)'!r}: expected "
            f"{', '.join(ACCELERATOR_SUFFIXES)}"
        )
    name = str(name_or_path)
    files = shipped_files()
    if name not in files:
        raise UnknownNameError("accelerator", name, files)
    return _load_yaml_file(files[name])


def _load_scalesim(path: Path) -> Accelerator:
    from hwsim.hardware.scalesim_config import load_scalesim_config

    return load_scalesim_config(path)

