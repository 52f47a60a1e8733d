"""``hwsim profile``, ``compare``, ``list`` and ``export``: one network (or a few) on one accelerator (or a few)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hwsim.cli.common import (
    FIGURE_SUFFIXES,
    FORMATS,
    check_not_input,
    check_output,
    emit,
    format_records,
    host_terms,
    load_model,
    parse_input_size,
    positive_int,
    read_accel,
    resolve_format,
    simulate_on,
    split_list,
    wrote,
)
from hwsim.cost.dataflows import dataflow_names
from hwsim.errors import ConfigError
from hwsim.plots.profile_options import AUTO_MAX_BARS, BY_CHOICES

MODEL_HELP = (
    "a zoo name (see `hwsim list models`), an exported graph .json, a SCALE-Sim topology .csv, "
    "an ONNX file .onnx, or your own network as path/to/file.py:factory (with --input-size)"
)
STRICT_HELP = "fail (exit 2) when any op of the model is left out of the simulation, instead of warning"
ACCEL_HELP = (
    "a shipped accelerator name (see `hwsim list accelerators`), a YAML file, a SCALE-Sim .cfg, or a host "
    "model (kind: host, from `hwsim calibrate`)"
)
BATCH_HELP = (
    "batch size (default 1); a saved graph .json or topology .csv keeps its own batch unless given one, "
    "which must be a multiple of it"
)
NAME_HELP = "the model's name in the output (default: a zoo name, or the stem of the model's file)"


def dataflow_choices() -> tuple[str, ...]:
    """Values of ``--dataflow``: the registered dataflows and ``best`` (the accelerator schema's
    ``dataflow`` values, read from the registry without loading the schema: it needs pydantic)."""
    return (*dataflow_names(), "best")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    raw = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser(
        "profile",
        help="simulate a network layer by layer on an accelerator",
        description="Simulate every layer of MODEL on ACCEL: cycles, stalls, utilization, DRAM traffic, energy.",
        epilog="Examples:\n  hwsim profile squeezenext_23v5 --accel ws_32x32\n"
        "  hwsim profile mobilenet_v1 --accel best_32x32 --format csv -o mobilenet.csv --plot mobilenet.png\n"
        "  hwsim profile squeezenext_23v5 --accel ws_32x32 --plot sqnxt.png --by stage --log\n"
        "  hwsim profile my_net.py:build --input-size 224x224 --accel os_32x32",
        formatter_class=raw,
    )
    p.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    p.add_argument("--accel", required=True, metavar="ACCEL", help=ACCEL_HELP)
    p.add_argument("--dataflow", choices=dataflow_choices(), help="override the accelerator's dataflow")
    p.add_argument("--batch", type=positive_int, default=1, help=BATCH_HELP)
    p.add_argument("--input-size", metavar="HxW", help="input resolution (default: the model's own)")
    p.add_argument("--name", help=NAME_HELP)
    p.add_argument("--format", choices=FORMATS, help="output format (default: from the -o suffix .csv/.json, else table)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE instead of stdout")
    p.add_argument("--plot", metavar="FILE.png", help="also write a figure of the cycles and utilization (.png, .pdf or .svg)")
    p.add_argument("--by", choices=BY_CHOICES, default="auto",
                   help=f"--plot: one bar per layer, block or stage (default auto: per layer up to {AUTO_MAX_BARS} "
                   "layers, else per block, else per stage)")
    p.add_argument("--log", action="store_true", help="--plot: cycles on a log axis")
    p.add_argument("--top", type=positive_int, metavar="N",
                   help="only the N layers with the most cycles in the table, and the N bars with the most in --plot")
    p.add_argument("--strict", action="store_true", help=STRICT_HELP)
    p.set_defaults(run=run_profile)

    p = sub.add_parser(
        "compare",
        help="latency, energy and utilization of several models and/or accelerators side by side",
        description="One row per (model, accelerator) pair, with speed-up and energy ratio against the first row.",
        epilog="Examples:\n  hwsim compare squeezenext_23,squeezenext_23v5,squeezenet1_0,alexnet --accel best_32x32\n"
        "  hwsim compare squeezenext_23v5 --accel ws_16x16,ws_32x32,os_32x32,best_32x32\n"
        "  hwsim compare resnet.py:build,squeezenet1_1 --input-size 32x32 --input-size 227x227 --accel ws_32x32",
        formatter_class=raw,
    )
    p.add_argument("models", metavar="MODEL[,MODEL...]", help=MODEL_HELP)
    p.add_argument("--accel", required=True, metavar="ACCEL[,ACCEL...]", help=ACCEL_HELP)
    p.add_argument("--dataflow", choices=dataflow_choices(), help="override every accelerator's dataflow")
    p.add_argument("--batch", type=positive_int, default=1, help=BATCH_HELP)
    p.add_argument("--input-size", metavar="HxW", action="append",
                   help="input resolution (default: each model's own); give it once for every model, or once per "
                   "model in the order of MODEL[,MODEL...]")
    p.add_argument("--name", metavar="NAME[,NAME...]",
                   help="names of the models in the output, in the order of MODEL[,MODEL...] (default: a zoo name, "
                   "or a file's stem)")
    p.add_argument("--format", choices=FORMATS, help="output format (default: from the -o suffix .csv/.json, else table)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE instead of stdout")
    p.add_argument("--strict", action="store_true", help=STRICT_HELP)
    p.set_defaults(run=run_compare)

    p = sub.add_parser(
        "list",
        help="list the model zoo or the shipped accelerators",
        description="models: name, input, layers, MACs, params. accelerators: name, array, dataflow, buffers, bandwidth, clock.",
        epilog="Examples:\n  hwsim list models\n  hwsim list accelerators --format csv",
        formatter_class=raw,
    )
    p.add_argument("what", choices=("models", "accelerators"))
    p.add_argument("--format", choices=FORMATS, help="output format (default: from the -o suffix .csv/.json, else table)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE instead of stdout")
    p.set_defaults(run=run_list)

    p = sub.add_parser(
        "export",
        help="write a network's layer graph (.json) or a SCALE-Sim topology (.csv)",
        description="Export MODEL to an hwsim graph JSON (reusable anywhere a model is accepted, no torch needed) "
        "or to a SCALE-Sim topology CSV (conv and linear layers).",
        epilog="Examples:\n  hwsim export squeezenext_23v5 -o sqnxt.json\n  hwsim export alexnet -o alexnet_topology.csv",
        formatter_class=raw,
    )
    p.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="graph .json or topology .csv")
    p.add_argument("--batch", type=positive_int, default=1, help=BATCH_HELP)
    p.add_argument("--input-size", metavar="HxW", help="input resolution (default: the model's own)")
    p.add_argument("--name", help=NAME_HELP)
    p.add_argument("--strict", action="store_true", help=STRICT_HELP)
    p.set_defaults(run=run_export)


def run_profile(args: argparse.Namespace) -> int:
    from hwsim.graph.coverage import coverage_of
    from hwsim.report import profile as report

    check_output(args.output, "-o", inputs=[args.model, args.accel])
    check_output(args.plot, "--plot", FIGURE_SUFFIXES, inputs=[args.model, args.accel])
    fmt = resolve_format(args.format, args.output)
    graph = load_model(args.model, parse_input_size(args.input_size), args.batch, args.name)
    check_strict(graph, args.strict)
    result = simulate_on(graph, args.accel, args.dataflow)
    coverage = coverage_of(graph)
    if fmt == "table":
        terms = host_terms(graph, args.accel)
        if terms is None:
            text = report.format_table(result, top=args.top, coverage=coverage)
        else:
            from hwsim.report.host_profile import format_host_table

            text = format_host_table(result, terms, top=args.top)
    elif fmt == "csv":
        text = report.to_csv(result, coverage)
    else:
        text = report.to_json(result, coverage=coverage)
    emit(text, args.output, f"{fmt} of {len(result)} layers of {result.graph_name} on {result.accelerator_name}")
    if args.plot:
        from hwsim.plots.profile import plot_profile, profile_groups

        by, bars = profile_groups(result, args.by, args.top)
        report.write_figure(plot_profile(result, by, args.top, args.log), args.plot)
        wrote(args.plot, f"{len(bars)} bars, one per {by}", data_on_stdout=args.output is None and fmt != "table")
    if fmt != "table":  # the table says it at the start of its totals block
        warn_unsupported("profile", graph)
    warn_uncalibrated("profile", graph, args.accel)
    return 0


def check_strict(graph, strict: bool) -> None:
    """With ``--strict``, a graph with ops left out of the simulation is an error (exit 2)."""
    if strict and graph.unsupported:
        from hwsim.errors import UnsupportedOpError
        from hwsim.graph.coverage import coverage_of

        raise UnsupportedOpError(f"{graph.name}: --strict: {coverage_of(graph).summary()}")


def warn_unsupported(command: str, graph) -> None:
    """One stderr line when a graph has ops the simulation leaves out (with the share of MACs simulated)."""
    if graph.unsupported:
        from hwsim.graph.coverage import coverage_of

        print(f"hwsim {command}: warning: {graph.name}: {coverage_of(graph).summary()}", file=sys.stderr)


def warn_uncalibrated(command: str, graph, accel: str) -> None:
    """One stderr line when ``accel`` is a host model that predicts layers of a kind it was never
    calibrated on (their parameters come from a related kind: an extrapolation)."""
    if not str(accel).lower().endswith((".yaml", ".yml")):  # a shipped name or .cfg: no host model to load
        return
    from hwsim.host.model import is_host_model_file, load_host_model
    from hwsim.host.terms import uncalibrated_kinds

    if not is_host_model_file(accel):
        return
    missing = uncalibrated_kinds(graph.layers, load_host_model(accel))
    if missing:
        kinds = ", ".join(f"{kind} ({count} layer{'s' if count > 1 else ''})" for kind, count in missing)
        print(f"hwsim {command}: warning: {accel} was never calibrated on {kinds}: their latency is extrapolated "
              "from related kinds; calibrate on a model that has them", file=sys.stderr)


def per_model(option: str, values: list[str], models: list[str]) -> list[str | None]:
    """One value of ``option`` per model: none given (None each), one for all, or one per model."""
    if not values:
        return [None] * len(models)
    if len(values) == 1:
        return values * len(models)
    if len(values) != len(models):
        raise ConfigError(f"{option}: {len(values)} values for {len(models)} models; give one for every model "
                          "or one per model")
    return list(values)


def run_compare(args: argparse.Namespace) -> int:
    models = split_list(args.models)
    accels = split_list(args.accel)
    if not models or not accels:
        raise ConfigError("compare: expected at least one model and one accelerator")
    check_output(args.output, "-o", inputs=[*models, *accels])
    fmt = resolve_format(args.format, args.output)
    sizes = per_model("--input-size", args.input_size or [], models)
    names: list[str | None] = split_list(args.name) if args.name else [None] * len(models)
    if len(names) != len(models):
        raise ConfigError(f"--name {args.name!r}: {len(names)} names for {len(models)} models; give one per model")
    graphs = [load_model(m, parse_input_size(size), args.batch, name) for m, size, name in zip(models, sizes, names)]
    for graph in graphs:
        check_strict(graph, args.strict)
        warn_unsupported("compare", graph)
    for accel in accels:
        simulate_on(None, accel, args.dataflow)  # validate every accelerator before simulating
        for graph in graphs:
            warn_uncalibrated("compare", graph, accel)
    records = []
    for graph in graphs:
        for accel in accels:
            r = simulate_on(graph, accel, args.dataflow)
            records.append(
                {
                    "model": graph.name,
                    "accelerator": r.accelerator_name,
                    "macs": r.total_macs,
                    "cycles": r.total_cycles,
                    "latency_ms": r.latency_ms,
                    "energy_uj": r.total_energy_pj / 1e6,
                    "utilization": r.utilization_total,
                    "dram_mib": r.total_dram_bytes / 2**20,
                    "area_mm2": r.area_mm2,
                }
            )
    first = records[0]
    for rec in records:  # None (null / "-") where the first row has no latency or energy (a host model has none)
        rec["speedup"] = first["latency_ms"] / rec["latency_ms"] if rec["latency_ms"] else None
        rec["energy_ratio"] = rec["energy_uj"] / first["energy_uj"] if first["energy_uj"] else None
    title = f"speed-up and energy ratio against {first['model']} on {first['accelerator']}"
    emit(format_records(records, fmt, title=title), args.output, f"{len(records)} rows")
    return 0


def run_list(args: argparse.Namespace) -> int:
    if args.what == "models":
        from hwsim.models import model_names, resolve_model
        from hwsim.sources.zoo import load_zoo_graph

        records = []
        for name in model_names():
            spec = resolve_model(name)
            graph = load_zoo_graph(name)
            records.append(
                {
                    "name": name,
                    "input": "x".join(str(d) for d in spec.input_shape),
                    "layers": len(graph),
                    "macs": graph.macs,
                    "params": graph.params,
                }
            )
    else:
        from hwsim.hardware.shipped import accelerator_names

        records = []
        for name in accelerator_names():
            a = read_accel(name)
            records.append(
                {
                    "name": name,
                    "array": f"{a.array.rows}x{a.array.cols}",
                    "dataflow": a.dataflow if a.dataflow != "best" else "best(" + "/".join(a.candidate_dataflows) + ")",
                    "buffers_kib": f"{a.buffers.ifmap_kib:g}/{a.buffers.filter_kib:g}/{a.buffers.ofmap_kib:g}",
                    "global_buffer_kib": a.global_buffer.kib,
                    "bandwidth_bytes_per_cycle": a.dram.bandwidth_bytes_per_cycle,
                    "clock_mhz": a.clock_mhz,
                }
            )
    emit(format_records(records, resolve_format(args.format, args.output)), args.output, f"{len(records)} {args.what}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    check_not_input(args.output, "-o", [args.model])
    graph = load_model(args.model, parse_input_size(args.input_size), args.batch, args.name)
    check_strict(graph, args.strict)
    out = Path(args.output)
    suffix = out.suffix.lower()
    if suffix == ".json":
        try:
            graph.save(out)
        except OSError as exc:
            raise ConfigError(f"cannot write {out}: {exc.strerror or exc}") from None
        print(f"wrote {out}: {graph.summary()}")
    elif suffix == ".csv":
        from hwsim.sources.scalesim_topology import save_topology

        skipped = save_topology(graph, out)
        print(f"wrote {out}: SCALE-Sim topology of {len(graph.gemm_layers)} conv/linear layers of {graph.name}"
              + (f" ({len(skipped)} non-GEMM layers not representable were skipped)" if skipped else ""))
    else:
        raise ConfigError(f"-o {out}: expected a .json (hwsim graph) or .csv (SCALE-Sim topology) file name")
    return 0
