"""Pieces every subcommand shares: loading models and accelerators, parsing sizes, writing output."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hwsim.errors import ConfigError, HwsimError

FORMATS = ("table", "csv", "json")
#: Largest integer option (2^31 - 1): counts beyond it are no use and would overflow int64 products.
MAX_INT_OPTION = 2**31 - 1
#: Largest --input-size side, pixels (an input of 16384 x 16384 x 3 float32 is already 3.2 GB).
MAX_INPUT_SIDE = 16384


def shown(text: str, limit: int = 40) -> str:
    """A value the user typed, quoted and trimmed for a one-line error message."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _bounded(text: str, maximum: int) -> int | None:
    """``text`` as an integer from 1 to ``maximum``, or None; digits are counted before converting."""
    digits = text.strip().lstrip("+").replace("_", "")
    if not (digits.isascii() and digits.isdigit()) or len(digits.lstrip("0")) > len(str(maximum)):
        return None
    try:
        value = int(text)
    except ValueError:
        return None
    return value if 1 <= value <= maximum else None


def parse_input_size(text: str | None) -> tuple[int, int] | None:
    """``"224x224"`` or ``"224"`` -> (224, 224), each side from 1 to :data:`MAX_INPUT_SIDE`; None stays None."""
    if text is None:
        return None
    parts = text.lower().replace(",", "x").split("x")
    sizes = tuple(_bounded(p, MAX_INPUT_SIDE) for p in parts)
    if len(sizes) == 1:
        sizes = (sizes[0], sizes[0])
    if len(sizes) != 2 or None in sizes:
        raise ConfigError(
            f"--input-size {shown(text)}: expected HxW with integers from 1 to {MAX_INPUT_SIDE}, e.g. 224x224"
        )
    return sizes[0], sizes[1]  # type: ignore[return-value]


def bounded_int(maximum: int):
    """argparse type: an integer from 1 to ``maximum``."""

    def parse(text: str) -> int:
        value = _bounded(text, maximum)
        if value is None:
            raise argparse.ArgumentTypeError(f"expected an integer from 1 to {maximum:,}, got {shown(text)}")
        return value

    return parse


#: argparse type: an integer from 1 to :data:`MAX_INT_OPTION`.
positive_int = bounded_int(MAX_INT_OPTION)


def nonnegative_int(text: str) -> int:
    """argparse type: an integer from 0 to :data:`MAX_INT_OPTION`."""
    zero = text.strip().lstrip("+-")
    value = 0 if zero and set(zero) == {"0"} else _bounded(text, MAX_INT_OPTION)
    if value is None:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to {MAX_INT_OPTION:,}, got {shown(text)}")
    return value


def split_list(text: str) -> list[str]:
    """``"a,b, c"`` -> ["a", "b", "c"] (empty items dropped)."""
    return [item.strip() for item in text.split(",") if item.strip()]


def load_model(source: str, input_size: tuple[int, int] | None = None, batch: int = 1):
    """A LayerGraph from a zoo name, graph JSON, SCALE-Sim topology CSV or ``file.py:factory``;
    a graph with no layers (nothing to simulate) is refused."""
    from hwsim.sources.zoo import load_graph

    graph = load_graph(source, input_size=input_size, batch=batch)
    if not graph.layers:
        raise ConfigError(f"{source}: the model has no layers hwsim can simulate (expected at least one)")
    return graph


def load_accel(source: str, dataflow: str | None = None):
    """An Accelerator from a shipped name, a YAML path or a SCALE-Sim .cfg, optionally re-flowed."""
    from hwsim.hardware.load import load_accelerator
    from hwsim.host.model import is_host_model_file

    if is_host_model_file(source):
        raise ConfigError(f"{source}: is a host model (kind: host, from `hwsim calibrate`); it predicts latency "
                          "with `hwsim profile` and `hwsim compare` only, not with this command")
    accel = load_accelerator(source)
    if dataflow is not None and dataflow != accel.dataflow:
        overrides: dict[str, object] = {"dataflow": dataflow, "name": f"{accel.name}[{dataflow}]"}
        if dataflow != "best":
            overrides["dataflow_choices"] = None
        accel = accel.with_overrides(overrides)
    return accel


def simulate_on(graph, accel: str, dataflow: str | None = None):
    """SimResult of ``graph`` on ``accel``: simulated on an accelerator, or predicted by a host
    model file (``kind: host``, written by ``hwsim calibrate``). ``graph=None`` only validates ``accel``."""
    from hwsim.cost.checks import check_result  # the guard: no result leaves breaking the model's invariants
    from hwsim.host.model import is_host_model_file, load_host_model, predict

    if is_host_model_file(accel):
        if dataflow is not None:
            raise ConfigError(f"--dataflow: {accel} is a host model (kind: host); dataflows do not apply to it")
        host = load_host_model(accel)
        return None if graph is None else check_result(predict(graph, host))
    from hwsim.simulate import simulate

    hardware = load_accel(accel, dataflow)
    return None if graph is None else check_result(simulate(graph, hardware))


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

    import pandas as pd

    frame = pd.DataFrame(records)
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "json":
        safe = [{key: json_safe(value) if isinstance(value, float) else value for key, value in row.items()} for row in records]
        return json.dumps(safe, indent=1, default=float)
    text = _text_table(records)
    return f"{title}\n{text}" if title else text
