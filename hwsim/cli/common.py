"""Pieces every subcommand shares: loading models and accelerators, parsing sizes, writing output."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hwsim.errors import ConfigError, HwsimError

FORMATS = ("table", "csv", "json")


def parse_input_size(text: str | None) -> tuple[int, int] | None:
    """``"224x224"`` or ``"224"`` -> (224, 224); None stays None."""
    if text is None:
        return None
    parts = text.lower().replace(",", "x").split("x")
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        raise ConfigError(f"--input-size {text!r}: expected HxW with positive integers, e.g. 224x224") from None
    if len(sizes) == 1:
        sizes = (sizes[0], sizes[0])
    if len(sizes) != 2 or min(sizes) < 1:
        raise ConfigError(f"--input-size {text!r}: expected HxW with positive integers, e.g. 224x224")
    return sizes[0], sizes[1]


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def split_list(text: str) -> list[str]:
    """``"a,b, c"`` -> ["a", "b", "c"] (empty items dropped)."""
    return [item.strip() for item in text.split(",") if item.strip()]


def load_model(source: str, input_size: tuple[int, int] | None = None, batch: int = 1):
    """A LayerGraph from a zoo name, graph JSON, SCALE-Sim topology CSV or ``file.py:factory``."""
    from hwsim.sources import load_graph

    return load_graph(source, input_size=input_size, batch=batch)


def _is_host_model(source: str) -> bool:
    """Whether ``source`` is a host model file (``kind: host``); only YAML files can be one, so
    anything else is answered without importing the host model (and its schema)."""
    if not source.lower().endswith((".yaml", ".yml")):
        return False
    from hwsim.host.model import is_host_model_file

    return is_host_model_file(source)


def load_accel(source: str, dataflow: str | None = None):
    """An Accelerator from a shipped name, a YAML path or a SCALE-Sim .cfg, optionally re-flowed."""
    from hwsim.hardware.load import load_accelerator

    if _is_host_model(source):
        raise ConfigError(f"{source}: is a host model (kind: host, from `hwsim calibrate`); it predicts latency "
                          "with `hwsim profile` and `hwsim compare` only, not with this command")
    accel = load_accelerator(source)
    if dataflow is not None and dataflow != accel.dataflow:
        overrides: dict[str, object] = {"dataflow": dataflow, "name": f"{accel.name}[{dataflow}]"}
        if dataflow != "best":
            overrides["dataflow_choices"] = None
        accel = accel.with_overrides(overrides)
    return accel


def read_accel(source: str, dataflow: str | None = None):
    """The accelerator to simulate on or list, as :func:`load_accel` gives it, but a shipped one
    whose file is unchanged and that ``dataflow`` leaves as it is comes from the snapshot taken
    when the package was built (:mod:`hwsim.hardware.shipped`: no schema, no pydantic, no YAML)."""
    from hwsim.hardware.shipped import shipped_accelerator

    frozen = shipped_accelerator(source)
    if frozen is not None and dataflow in (None, frozen.dataflow):
        return frozen
    return load_accel(source, dataflow)


def simulate_on(graph, accel: str, dataflow: str | None = None):
    """SimResult of ``graph`` on ``accel``: simulated on an accelerator, or predicted by a host
    model file (``kind: host``, written by ``hwsim calibrate``). ``graph=None`` only validates ``accel``."""
    if _is_host_model(accel):
        from hwsim.host.model import load_host_model, predict

        if dataflow is not None:
            raise ConfigError(f"--dataflow: {accel} is a host model (kind: host); dataflows do not apply to it")
        host = load_host_model(accel)
        return None if graph is None else predict(graph, host)
    from hwsim.simulate import simulate

    hardware = read_accel(accel, dataflow)
    return None if graph is None else simulate(graph, hardware)


FIGURE_SUFFIXES = (".png", ".pdf", ".svg")


def check_output(path: str | None, option: str, suffixes: tuple[str, ...] | None = None) -> None:
    """Fail fast, before any long work, when ``path`` cannot be written: its folder must exist,
    it must not be a folder, and its suffix must be one of ``suffixes`` (when given)."""
    if path is None:
        return
    target = Path(path)
    if suffixes is not None and target.suffix.lower() not in suffixes:
        raise ConfigError(f"{option} {path}: expected a file name ending in {' or '.join(suffixes)}")
    if target.is_dir():
        raise ConfigError(f"{option} {path}: is a folder; expected a file name")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise ConfigError(f"{option} {path}: folder {parent} does not exist")


def resolve_format(fmt: str | None, output: str | None) -> str:
    """The output format: ``--format`` if given, else the ``-o`` file's suffix (.csv, .json), else table."""
    if fmt is not None:
        return fmt
    suffix = Path(output).suffix.lower().lstrip(".") if output else ""
    return suffix if suffix in ("csv", "json") else "table"


def json_safe(value: float) -> float | None:
    """A number for JSON output: NaN and infinities become null."""
    return None if value != value or value in (float("inf"), float("-inf")) else value


def emit(text: str, output: str | None) -> None:
    """Print ``text`` or write it to ``output`` (errors name the file)."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        Path(output).write_text(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise HwsimError(f"cannot write {output}: {exc.strerror or exc}") from None


def _text_table(records: list[dict]) -> str:
    """Rows as an aligned text table: text left; numbers right, with thousands separators and
    one number of decimals per column (3 below 100, 1 below 10,000, else 0); None as '-'."""
    columns = list(records[0]) if records else []

    def is_number(value: object) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool)

    def decimals(column: str) -> int:
        floats = [abs(r[column]) for r in records if isinstance(r.get(column), float) and r[column] == r[column]]
        if not floats:
            return 0
        return 3 if max(floats) < 100 else 1 if max(floats) < 10_000 else 0

    places = {c: decimals(c) for c in columns}

    def cell(column: str, value: object) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return "-"
        if not is_number(value):
            return str(value)
        return f"{value:,}" if isinstance(value, int) else f"{value:,.{places[column]}f}"

    cells = [[cell(c, row.get(c)) for c in columns] for row in records]
    numeric = [all(is_number(row.get(c)) or row.get(c) is None for row in records) for c in columns]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    return "\n".join([line(columns)] + [line(r) for r in cells])


def format_records(records: list[dict], fmt: str, title: str = "") -> str:
    """Rows of plain values as a table, CSV or JSON."""
    import json

    if fmt == "csv":
        import pandas as pd

        return pd.DataFrame(records).to_csv(index=False)
    if fmt == "json":
        safe = [{key: json_safe(value) if isinstance(value, float) else value for key, value in row.items()} for row in records]
        return json.dumps(safe, indent=1, default=float)
    text = _text_table(records)
    return f"{title}\n{text}" if title else text
