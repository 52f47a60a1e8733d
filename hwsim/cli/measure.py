"""``hwsim measure`` and ``calibrate``: real latency on this host and the calibrated host model.

The measurement options and output helpers here are shared with ``hwsim correlate``
(:mod:`hwsim.cli.correlate`).

torch is imported only when a command runs (through :mod:`hwsim.measure.profiler`).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hwsim.cli.common import (
    FORMATS,
    check_output,
    emit,
    json_safe,
    nonnegative_int,
    parse_input_size,
    positive_int,
    resolve_format,
    split_list,
)
from hwsim.errors import ConfigError, GraphFileError
from hwsim.report.formatting import format_number, format_percent
from hwsim.measure.noise import MachineLoad, calibration_reasons, machine_load, noise_reasons, relative_spread, warning_line

MODEL_HELP = ("a zoo name (see `hwsim list models`), a reference network (ref_vit_tiny, ref_resnet_mini, ref_vit_small, "
              "ref_resnet18, ref_efficientnet_se) or your own network as path/to/file.py:factory (with --input-size)")
ACCEL_HELP = (
    "a shipped accelerator name, an accelerator YAML or SCALE-Sim .cfg, or a host model YAML "
    "(kind: host, from `hwsim calibrate`)"
)
#: Models `hwsim calibrate` measures by default: every family and layer kind of the zoo, and two
#: reference networks (hwsim.models.reference, not zoo models) for the kinds the zoo lacks: a small
#: vision transformer (matmul, norm: softmax and LayerNorm) and a ResNet (dense 3x3 convs with
#: residual adds at ResNet widths).
DEFAULT_CALIBRATION_MODELS = (
    "alexnet",
    "squeezenet1_0",
    "squeezenet1_1",
    "squeezenext_23",
    "squeezenext_23v5",
    "mobilenet_v1",
    "mobilenet_v2",
    "shufflenet_v1_g3",
    "shufflenet_v2_1.0",
    "ref_vit_tiny",
    "ref_resnet_mini",
)
#: Prose lines are wrapped to this many columns (tables are not).
WIDTH = 120
FORMAT_HELP = "output format (default: from the -o suffix, .csv or .json, else table)"


def _add_measure_options(p: argparse.ArgumentParser, repeats: int) -> None:
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where to run (default cpu)")
    p.add_argument("--batch", type=positive_int, default=1, help="batch size (default 1)")
    p.add_argument("--threads", type=positive_int, metavar="T", help="torch intra-op threads (default: torch's own)")
    p.add_argument("--warmup", type=nonnegative_int, default=3, metavar="W", help="untimed passes first (default 3)")
    p.add_argument("--repeats", type=positive_int, default=repeats, metavar="R", help=f"timed passes (default {repeats})")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    raw = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser(
        "measure",
        help="measure a network's real latency on this host, end to end and per layer",
        description="Run MODEL in PyTorch on this host: end-to-end latency (median, p10/p90, IQR) and the "
        "median time of each hwsim layer (names as in `hwsim export`; a conv's time includes its fused "
        "batch-norm and activation). Per-layer times come from timing each torch.fx node on its own; the "
        "output compares their sum with the end-to-end time. Threads, torch version and CPU/GPU model are "
        "printed with every result. On CUDA the end-to-end time is also measured replayed from a CUDA graph.",
        epilog="Examples:\n  hwsim measure squeezenet1_1 --threads 2\n"
        "  hwsim measure mobilenet_v2 --repeats 50 -o mobilenet_v2_cpu.csv\n"
        "  hwsim measure my_net.py:build --input-size 224x224 --device cuda",
        formatter_class=raw,
    )
    p.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    p.add_argument("--input-size", metavar="HxW", help="input resolution (default: the model's own)")
    _add_measure_options(p, repeats=20)
    p.add_argument("--format", choices=FORMATS, help=FORMAT_HELP)
    p.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE instead of stdout")
    p.set_defaults(run=run_measure)

    p = sub.add_parser(
        "calibrate",
        help="fit a latency model of this host (host YAML for `hwsim profile --accel`)",
        description="Measure several models layer by layer on this host and fit t = overhead[kind] + "
        "work/peak[kind] + bytes/bandwidth by non-negative least squares (see hwsim.host.model). "
        "Measurements are written as they are taken to OUTPUT's stem + .measurements.jsonl, and a "
        "rerun with the same settings resumes from there.",
        epilog="Examples:\n  hwsim calibrate --threads 2 -o host_cpu.yaml\n"
        "  hwsim profile squeezenext_23v5 --accel host_cpu.yaml\n"
        "  hwsim calibrate --models alexnet,mobilenet_v2,shufflenet_v2_1.0 --repeats 10 -o quick.yaml",
        formatter_class=raw,
    )
    p.add_argument("--models", metavar="A,B,...", default=",".join(DEFAULT_CALIBRATION_MODELS),
                   help="zoo models or reference networks (ref_*) to measure (default: one or two of each zoo "
                   "family, ref_vit_tiny and ref_resnet_mini)")
    _add_measure_options(p, repeats=20)
    p.add_argument("--weighting", choices=("sqrt", "relative", "absolute"), default="sqrt",
                   help="least-squares row weights 1/sqrt(t), 1/t or 1 (default sqrt)")
    p.add_argument("--name", help="name of the host model (default: the output file's stem)")
    p.add_argument("--fresh", action="store_true", help="ignore and replace the measurement cache")
    p.add_argument("-o", "--output", required=True, metavar="FILE.yaml", help="host model to write")
    p.set_defaults(run=run_calibrate)


# ---------------------------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------------------------
def _settings(args: argparse.Namespace):
    """MeasureSettings from the shared options."""
    from hwsim.measure.profiler import MeasureSettings

    if args.warmup < 0:
        raise ConfigError(f"--warmup {args.warmup}: expected an integer >= 0")
    cpus = os.cpu_count()
    if args.threads is not None and cpus is not None and args.threads > cpus:
        print(f"hwsim {getattr(args, 'command', 'measure')}: warning: --threads {args.threads} is more than the "
              f"{cpus} CPUs of this machine; threads will share cores and slow each other down", file=sys.stderr)
    return MeasureSettings(
        device=args.device, batch=args.batch, threads=args.threads, warmup=args.warmup, repeats=args.repeats
    )


def _load_with(load: MachineLoad | None, threads: int) -> MachineLoad | None:
    """``load`` with the measurement's threads; None when --threads already got its own warning
    (more threads than CPUs) or the load average is unknown."""
    if load is None or threads > load.cpus:
        return None
    return dataclasses.replace(load, threads=threads)


def _warn_noise(command: str, what: str, reasons: list[str], threads: int, extra: str = "") -> None:
    """One stderr line when the numbers may not be trustworthy (:mod:`hwsim.measure.noise`)."""
    line = warning_line(what, reasons, threads, extra)
    if line is not None:
        print(f"hwsim {command}: warning: {line}", file=sys.stderr)


@contextlib.contextmanager
def _progress(description: str, total: int) -> Iterator[Any]:
    """A progress bar on stderr when it is a terminal; yields ``callback(done, total)`` or None."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=Console(stderr=True), transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)

        def update(done: int, _total: int) -> None:
            bar.update(task, completed=done)

        yield update


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms"


def wrap(line: str, width: int = WIDTH) -> list[str]:
    """A prose line as lines of at most ``width`` columns; continuation lines are indented two
    more spaces than the first."""
    indent = line[: len(line) - len(line.lstrip(" "))]
    return textwrap.wrap(line, width=width, initial_indent="", subsequent_indent=indent + "  ",
                         break_on_hyphens=False, break_long_words=False, drop_whitespace=True) or [line]


def _wrapped(lines: list[str]) -> list[str]:
    return [part for line in lines for part in (wrap(line) if line else [line])]


def _finite(value: Any) -> Any:
    """``value`` (dicts, lists, numbers) with NaN and infinities as None, ready for strict JSON."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float):
        return json_safe(value)
    return value


def _json(payload: Any) -> str:
    return json.dumps(_finite(payload), indent=1, allow_nan=False)


def measurement_header(m) -> list[str]:
    """Lines describing where and how a measurement was taken, and its end-to-end figures
    (prose wrapped to :data:`WIDTH` columns)."""
    return _wrapped(_header_lines(m))


def _header_lines(m) -> list[str]:
    """:func:`measurement_header` before wrapping: where, how, end to end, per-layer sum."""
    e2e = m.end_to_end
    lines = [
        f"{m.model}: measured on {m.info.describe()} (batch {m.batch}, {m.warmup} warm-up + {m.repeats} timed passes)",
        f"  end to end (eager)   median {_ms(e2e.median_s)}, p10 {_ms(e2e.p10_s)}, p90 {_ms(e2e.p90_s)}, IQR {_ms(e2e.iqr_s)} "
        f"(spread {100 * relative_spread(e2e):.1f}% of the median)",
    ]
    if m.graph_replay is not None:
        g = m.graph_replay
        lines.append(f"  end to end (CUDA graph replay) median {_ms(g.median_s)}, p10 {_ms(g.p10_s)}, p90 {_ms(g.p90_s)}")
    lines += [
        f"  per layer: {m.method}",
        f"  sum of per-layer medians {_ms(m.layer_sum_s)} = {100 * m.layer_sum_ratio:.0f}% of end to end",
        f"  instrumented pass (per-node timing) median {_ms(m.instrumented.median_s)} = "
        f"{100 * m.instrumentation_ratio:.0f}% of end to end",
    ]
    if m.unattributed_s > 0:
        lines.append(f"  time attributed to no layer: {_ms(m.unattributed_s)}")
    return lines


def _layer_records(m) -> list[dict[str, Any]]:
    from hwsim.host.model import host_kind

    total = max(sum(m.layer_seconds), 1e-30)
    records = []
    for layer, seconds in zip(m.graph.layers, m.layer_seconds):
        records.append(
            {
                "layer": layer.name,
                "op": layer.op,
                "kind": host_kind(layer),
                "fused": "+".join(layer.fused),
                "macs": layer.macs,
                "latency_us": seconds * 1e6,
                "share": seconds / total,
                "gmacs_per_s": layer.macs / seconds / 1e9 if seconds > 0 and layer.is_gemm else None,
            }
        )
    return records


def _host_columns(m) -> dict[str, Any]:
    return {
        "model": m.model,
        "device": m.info.device,
        "device_model": m.info.device_model,
        "threads": m.info.threads,
        "torch_version": m.info.torch_version,
        "batch": m.batch,
        "end_to_end_median_us": m.end_to_end.median_s * 1e6,
    }


def _measurement_json(m, records: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "model": m.model,
        "host": m.info.to_dict(),
        "settings": {"batch": m.batch, "warmup": m.warmup, "repeats": m.repeats},
        "date": m.date,
        "method": m.method,
        "end_to_end": m.end_to_end.summary(),
        "end_to_end_spread": relative_spread(m.end_to_end),  # IQR / median
        "cuda_graph_replay": None if m.graph_replay is None else m.graph_replay.summary(),
        "instrumented": m.instrumented.summary(),
        "layer_sum_ms": m.layer_sum_s * 1e3,
        "layer_sum_ratio": m.layer_sum_ratio,
        "instrumentation_ratio": m.instrumentation_ratio,
        "unattributed_ms": m.unattributed_s * 1e3,
        "layers": records,
    }


def _table(records: list[dict[str, Any]], columns: list[tuple[str, str, str]]) -> str:
    """Plain fixed-width table: columns are (key, header, kind) with kind ``text`` (left-aligned),
    ``number`` (:func:`~hwsim.report.formatting.format_number`) or ``percent`` (a share, one
    decimal); None as '-'."""
    def cell(value: Any, kind: str) -> str:
        if value is None:
            return "-"
        if kind == "percent":
            return format_percent(value) + "%"
        return format_number(value) if kind == "number" else str(value)

    rows = [[cell(r[key], kind) for key, _, kind in columns] for r in records]
    headers = [h for _, h, _ in columns]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)]
    left = {i for i, (_, _, kind) in enumerate(columns) if kind == "text"}

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(headers), *(line(row) for row in rows)])


# ---------------------------------------------------------------------------------------------
# hwsim measure
# ---------------------------------------------------------------------------------------------
def run_measure(args: argparse.Namespace) -> int:
    from hwsim.measure.profiler import check_device, measure_model

    check_output(args.output, "-o", inputs=[args.model])  # before the (long) measurement
    fmt = resolve_format(args.format, args.output)
    settings = _settings(args)
    check_device(settings.device)  # before building anything
    load = machine_load()  # before the measurement's own threads add to it
    with _progress(f"measuring {args.model}", settings.total_passes) as callback:
        m = measure_model(args.model, settings, input_size=parse_input_size(args.input_size), progress=callback)
    _warn_noise("measure", f"the times of {m.model}", noise_reasons(m, _load_with(load, m.info.threads)), m.info.threads)
    records = _layer_records(m)
    if fmt == "json":
        text = _json(_measurement_json(m, records))
    elif fmt == "csv":
        import pandas as pd

        host = _host_columns(m)
        text = pd.DataFrame([{**r, **host} for r in records]).to_csv(index=False)
    else:
        table = _table(
            records,
            [("layer", "layer", "text"), ("op", "op", "text"), ("kind", "kind", "text"), ("macs", "MACs", "number"),
             ("latency_us", "median us", "number"), ("share", "share", "percent"),
             ("gmacs_per_s", "GMAC/s", "number")],
        )
        text = "\n".join(measurement_header(m)) + "\n\n" + table
    emit(text, args.output)
    if args.output is not None:
        print("\n".join(_wrapped(_header_lines(m)[:2])), file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------------------------
# hwsim calibrate
# ---------------------------------------------------------------------------------------------
def cache_path(output: str | Path) -> Path:
    """Where calibrate keeps its measurements: ``host_cpu.yaml`` -> ``host_cpu.measurements.jsonl``."""
    output = Path(output)
    return output.with_name(output.stem + ".measurements.jsonl")


def run_calibrate(args: argparse.Namespace) -> int:
    from hwsim.output_lock import locked_output

    if Path(args.output).suffix.lower() not in (".yaml", ".yml"):
        raise ConfigError(f"-o {args.output}: expected a .yaml file name for the host model")
    check_output(args.output, "-o")
    with locked_output(args.output):  # the host model and its cache of measurements: one writer at a time
        return _calibrate(args)


def _calibrate(args: argparse.Namespace) -> int:
    from hwsim.host.model import fit_host_model
    from hwsim.measure.profiler import append_measurement, check_device, host_info_for, measure_model, read_measurements, same_conditions
    from hwsim.models import resolve_model
    from hwsim.models.reference_specs import reference_spec

    output = Path(args.output)
    settings = _settings(args)
    check_device(settings.device)  # before building anything
    # unknown names fail here
    models = [name if reference_spec(name) else resolve_model(name).name for name in split_list(args.models)]
    if not models:
        raise ConfigError("--models: expected at least one model name")
    cache = cache_path(output)
    if args.fresh and cache.exists():
        cache.unlink()
    info = host_info_for(settings.device, settings.threads)
    try:
        stored = read_measurements(cache)
    except GraphFileError as exc:
        raise GraphFileError(f"{exc}; rerun with --fresh to replace it") from None
    cached = {m.model: m for m in stored if same_conditions(m, settings, info)}
    load = _load_with(machine_load(), info.threads)  # before measuring: the others' load
    measurements = []
    print(f"calibrating {info.describe()}; measurements go to {cache}", file=sys.stderr)
    for index, name in enumerate(models, start=1):
        if name in cached:
            print(f"[{index}/{len(models)}] {name}: cached", file=sys.stderr)
            measurements.append(cached[name])
            continue
        with _progress(f"[{index}/{len(models)}] {name}", settings.total_passes) as callback:
            m = measure_model(name, settings, progress=callback)
        append_measurement(cache, m)
        measurements.append(m)
        print(f"[{index}/{len(models)}] {name}: {_ms(m.end_to_end.median_s)} end to end, {len(m.graph.layers)} layers",
              file=sys.stderr)
    host = fit_host_model(measurements, name=args.name or output.stem, weighting=args.weighting)
    host.save(output)
    fit = host.fit
    assert fit is not None
    fresh = [m for m in measurements if m.model not in cached]
    reasons = calibration_reasons(measurements, load if fresh else None, fit.median_abs_layer_error)
    _warn_noise("calibrate", f"the fit of {output}", reasons, info.threads, " and --fresh (cached measurements are reused)")
    print(f"wrote {output}: {host.description}")
    print(f"  fit: {fit.layers} layers, median |error| per layer {100 * (fit.median_abs_layer_error or 0):.1f}%, "
          f"end to end {100 * (fit.median_abs_end_to_end_error or 0):.1f}% (on the calibration models)")
    print("  overhead us: " + ", ".join(f"{k} {v * 1e6:.1f}" for k, v in host.overhead_s.model_dump().items()))
    print("  peak GMAC/s: " + ", ".join(f"{k} {'-' if v is None else f'{v / 1e9:.2f}'}" for k, v in host.peak_macs_per_s.model_dump().items()))
    print("  peak Gelem/s: " + ", ".join(f"{k} {'-' if v is None else f'{v / 1e9:.3f}'}" for k, v in host.peak_elements_per_s.model_dump().items())
          + f"; bandwidth {'-' if host.bandwidth_bytes_per_s is None else f'{host.bandwidth_bytes_per_s / 1e9:.2f} GB/s'}")
    print(f"  use: hwsim profile MODEL --accel {output}")
    return 0


# ---------------------------------------------------------------------------------------------
# hwsim correlate
# ---------------------------------------------------------------------------------------------
