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
    from hwsim.zoo import load_graph

    return load_graph(source, input_size=input_size, batch=batch)


def load_accel(source: str, dataflow: str | None = None):
    """An Accelerator from a shipped name, a YAML path or a SCALE-Sim .cfg, optionally re-flowed."""
    from hwsim.accelerator import load_accelerator

    accel = load_accelerator(source)
    if dataflow is not None:
        overrides: dict[str, object] = {"dataflow": dataflow}
        if dataflow != "best":
            overrides["dataflow_choices"] = None
        accel = accel.with_overrides(overrides)
    return accel


def simulate_on(graph, accel: str, dataflow: str | None = None):
    """SimResult of ``graph`` on ``accel``: simulated on an accelerator, or predicted by a host
    model file (``kind: host``, written by ``hwsim calibrate``). ``graph=None`` only validates ``accel``."""
    from hwsim.host_model import is_host_model_file, load_host_model, predict

    if is_host_model_file(accel):
        if dataflow is not None:
            raise ConfigError(f"--dataflow: {accel} is a host model (kind: host); dataflows do not apply to it")
        host = load_host_model(accel)
        return None if graph is None else predict(graph, host)
    from hwsim.sim import simulate

    hardware = load_accel(accel, dataflow)
    return None if graph is None else simulate(graph, hardware)


def emit(text: str, output: str | None) -> None:
    """Print ``text`` or write it to ``output`` (errors name the file)."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        Path(output).write_text(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise HwsimError(f"cannot write {output}: {exc.strerror or exc}") from None


def format_records(records: list[dict], fmt: str, title: str = "") -> str:
    """Rows of plain values as a table, CSV or JSON."""
    import json

    import pandas as pd

    frame = pd.DataFrame(records)
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "json":
        return json.dumps(records, indent=1, default=float)
    text = frame.to_string(index=False)
    return f"{title}\n{text}" if title else text
