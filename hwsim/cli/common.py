"""Pieces every subcommand shares: loading models and accelerators, parsing sizes, writing output."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from hwsim.errors import ConfigError, GraphFileError, HwsimError
from hwsim.report.formatting import text_table

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


#: A ``path/to/file.py:factory`` model argument.
_FACTORY = re.compile(r".+\.py:[A-Za-z_][A-Za-z0-9_]*")
#: Suffixes of model files; a model from a file is named after the file's stem.
_MODEL_FILE_SUFFIXES = (".py", ".json", ".csv")
#: Suffixes of saved graphs, whose shapes are fixed (no re-export): another batch rescales them.
_SAVED_GRAPH_SUFFIXES = (".json", ".csv")


def model_file(source: str) -> Path | None:
    """The file a MODEL argument names (``nets/resnet.py:build`` -> ``nets/resnet.py``), None for a zoo name."""
    path = Path(source.rpartition(":")[0] if _FACTORY.fullmatch(source) else source)
    return path if path.suffix.lower() in _MODEL_FILE_SUFFIXES else None


def load_model(source: str, input_size: tuple[int, int] | None = None, batch: int = 1, name: str | None = None):
    """A LayerGraph from a zoo name, graph JSON, SCALE-Sim topology CSV or ``file.py:factory``.

    The graph is named ``name``, else after the file it comes from (``resnet.py:build`` and
    ``resnet.json`` are ``resnet``), else the zoo name. ``batch`` rescales a saved graph (.json,
    .csv) from its own batch (exact: N is the only dimension it changes); batch 1 keeps it.
    """
    from hwsim.sources import load_graph

    path = model_file(source)
    saved = path is not None and path.suffix.lower() in _SAVED_GRAPH_SUFFIXES
    graph = load_graph(source, input_size=input_size, batch=1 if saved else batch)
    if saved and batch != 1:
        try:
            graph = graph.with_batch(batch)
        except (ValueError, GraphFileError):
            raise ConfigError(f"{source}: the graph's batch is {graph.input_shape[0]}; --batch {batch} must be a "
                              "multiple of it") from None
    if not graph.layers:
        from hwsim.graph.coverage import coverage_of

        left = coverage_of(graph).left_out_text()
        raise ConfigError(f"{source}: the model has no layers hwsim can simulate (expected at least one)"
                          + (f"; left out: {left}" if left else ""))
    name = name or (path.stem if path is not None else None)
    graph = graph if name is None or name == graph.name else replace(graph, name=name)
    from hwsim.sources.scalesim_topology import sparsity_warning  # light: the sources are loaded already

    warning = sparsity_warning(graph)  # SCALE-Sim N:M ratios, simulated dense
    if warning:
        print(f"hwsim: warning: {warning}", file=sys.stderr)
    return graph


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
    from hwsim.cost.checks import check_result  # the guard: no result leaves breaking the model's invariants

    if _is_host_model(accel):
        from hwsim.host.model import load_host_model, predict

        if dataflow is not None:
            raise ConfigError(f"--dataflow: {accel} is a host model (kind: host); dataflows do not apply to it "
                              "(expected no --dataflow)")
        host = load_host_model(accel)
        return None if graph is None else check_result(predict(graph, host), utilization_at_most_one=False)
    from hwsim.simulate import simulate

    hardware = read_accel(accel, dataflow)
    return None if graph is None else check_result(simulate(graph, hardware))


def host_terms(graph, accel: str):
    """:class:`~hwsim.report.host_profile.HostTerms` of ``graph`` when ``accel`` is a host model
    file (``kind: host``), else None: each layer's host kind and predicted overhead (ns)."""
    if not _is_host_model(accel):
        return None
    import numpy as np

    from hwsim.host.model import layer_terms, load_host_model, predict_seconds
    from hwsim.report.host_profile import HostTerms

    host = load_host_model(accel)
    times = predict_seconds(graph.layers, host)
    return HostTerms(layer_terms(graph.layers, host.word_bytes).kinds, np.rint(times.overhead_s * 1e9))


FIGURE_SUFFIXES = (".png", ".pdf", ".svg")


def input_file(source: str | None) -> Path | None:
    """The file an input argument names (a MODEL, ACCEL or data file; ``net.py:build`` ->
    ``net.py``), None for a name without a suffix (a zoo model, a shipped accelerator)."""
    if not source:
        return None
    path = Path(source.rpartition(":")[0] if _FACTORY.fullmatch(source) else source)
    return path if path.suffix else None


def check_not_input(path: str | None, option: str, inputs: Sequence[str | None]) -> None:
    """Refuse an output that is one of the ``inputs`` (the same file, through any link or
    spelling: writing it would destroy the input before, or while, it is read)."""
    if path is None or not os.path.exists(path):
        return
    for source in inputs:
        file = input_file(source)
        try:
            same = file is not None and file.exists() and os.path.samefile(path, file)
        except OSError:
            same = False
        if same:
            raise ConfigError(f"{option} {path}: is the input {source} too; expected another file name "
                              "(writing it would destroy the input)")


def check_output(path: str | None, option: str, suffixes: tuple[str, ...] | None = None,
                 inputs: Sequence[str | None] = ()) -> None:
    """Fail fast, before any long work, when ``path`` cannot be written: its folder must exist,
    it must not be a folder, its suffix must be one of ``suffixes`` (when given), and it must
    not be any of ``inputs`` (input arguments, see :func:`check_not_input`)."""
    if path is None:
        return
    check_not_input(path, option, inputs)
    target = Path(path)
    if suffixes is not None and target.suffix.lower() not in suffixes:
        raise ConfigError(f"{option} {path}: expected a file name ending in {' or '.join(suffixes)}")
    if target.is_dir():
        raise ConfigError(f"{option} {path}: is a folder; expected a file name")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise ConfigError(f"{option} {path}: folder {parent} does not exist (expected an existing folder)")


def resolve_format(fmt: str | None, output: str | None) -> str:
    """The output format: ``--format`` if given, else the ``-o`` file's suffix (.csv, .json), else table."""
    suffix = Path(output).suffix.lower().lstrip(".") if output else ""
    if fmt is not None:
        if suffix in ("csv", "json") and suffix != fmt:
            raise ConfigError(f"-o {output}: is a .{suffix} file name but --format is {fmt}; expected matching ones "
                              f"(or drop --format: the suffix chooses it)")
        return fmt
    return suffix if suffix in ("csv", "json") else "table"


def json_safe(value: float) -> float | None:
    """A number for JSON output: NaN and infinities become null."""
    return None if value != value or value in (float("inf"), float("-inf")) else value


def emit(text: str, output: str | None, detail: str = "") -> None:
    """Print ``text``, or write it to ``output`` (errors name the file) and say so on stdout
    (``wrote FILE: detail``)."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    from hwsim.output_lock import locked_output

    try:
        with locked_output(output):  # a second writer fails in one line, never interleaves
            Path(output).write_text(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise HwsimError(f"cannot write {output}: {exc.strerror or exc}") from None
    wrote(output, detail)


def wrote(path: str | Path, detail: str = "", data_on_stdout: bool = False) -> None:
    """Say that a file was written: ``wrote FILE: detail`` on stdout, or on stderr when stdout
    carries the command's data (CSV or JSON that a pipe reads)."""
    print(f"wrote {path}" + (f": {detail}" if detail else ""), file=sys.stderr if data_on_stdout else sys.stdout)


def format_records(records: list[dict], fmt: str, title: str = "") -> str:
    """Rows of plain values as a table, CSV or JSON."""
    import json

    if fmt == "csv":
        import pandas as pd

        return pd.DataFrame(records).to_csv(index=False)
    if fmt == "json":
        safe = [{key: json_safe(value) if isinstance(value, float) else value for key, value in row.items()} for row in records]
        return json.dumps(safe, indent=1, default=float)
    text = text_table(records)
    return f"{title}\n{text}" if title else text
