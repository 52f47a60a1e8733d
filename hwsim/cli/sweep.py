"""``hwsim sweep`` (design-space sweeps over accelerator fields) and ``hwsim pareto`` (their Pareto front)."""

from __future__ import annotations

import argparse
import sys
import time

from hwsim.cli.common import FORMATS, emit, format_records, parse_input_size, positive_int, split_list
from hwsim.errors import ConfigError

SWEEP_EPILOG = """\
Each --set is FIELD=V1,V2,... or FIELD=range(START,STOP[,STEP]) (Python range, integers) over a dotted
accelerator field (array.rows, array.cols, dataflow, clock_mhz, word_bytes, buffers.ifmap_kib,
dram.bandwidth_bytes_per_cycle, dram.ports, vector.lanes, options.pack_groups, energy_pj.dram_byte, ...).
dataflow takes ws, os, is and best (best picks per layer among the base's choices, or all three).
The sweep is the cartesian product of all --set values, for every model: one row per (model,
configuration) with latency, cycles, energy, utilization, DRAM bytes, area proxies and the bottleneck.

Output: -o FILE.csv (appended chunk by chunk) or -o DIR.parquet (one file per chunk). An interrupted
sweep loses at most one chunk; run it again with --resume to compute only what is missing.

Examples:
  hwsim sweep squeezenext_23v5 --accel ws_32x32 --set array.rows=8,16,32,64 --set array.cols=8,16,32,64 \\
      --set dram.bandwidth_bytes_per_cycle=4,8,16,32 --set dataflow=ws,os,is,best -o sweep.parquet
  hwsim sweep squeezenext_23v5,mobilenet_v1 --accel best_32x32 --set buffers.ifmap_kib=range(16,256,16) \\
      -o buffers.csv --workers 2
  hwsim sweep alexnet --accel ws_32x32 --set array.rows=16,32 -o s.parquet --scheduler tcp://scheduler-host:8786
"""

PARETO_EPILOG = """\
All objectives are minimised; a configuration is on the front when no other is at least as good in
every objective and better in one. With several models in the file, each model gets its own front.

Examples:
  hwsim pareto sweep.parquet --x latency_ms --y energy_uj --plot front.png
  hwsim pareto sweep.parquet --x latency_ms --y energy_uj --z area_pes --format csv -o front.csv
"""


def add_parsers(sub: argparse._SubParsersAction) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(
        "sweep",
        help="sweep accelerator fields (cartesian product) for one or more models",
        description="Evaluate every model on every combination of the --set values over the base accelerator.",
        epilog=SWEEP_EPILOG,
        formatter_class=raw,
    )
    p.add_argument("models", metavar="MODEL[,MODEL...]", help="zoo names, graph .json files, SCALE-Sim topology .csv files")
    p.add_argument("--accel", required=True, metavar="BASE", help="the base accelerator (shipped name, YAML file or SCALE-Sim .cfg)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="FIELD=VALUES",
                   help="values of one accelerator field: FIELD=V1,V2,... or FIELD=range(START,STOP[,STEP]); repeatable")  # fmt: skip
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="FILE.csv or DIR.parquet (one row per model x configuration)")
    p.add_argument("--per-layer", metavar="FILE", help="also write one row per (model, configuration, layer) (.csv or .parquet)")
    p.add_argument("--resume", action="store_true", help="keep the rows already in the output and compute only the missing ones")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, default=1, metavar="N", help="local worker processes (default 1: this process)")
    where.add_argument("--scheduler", metavar="ADDRESS", help="run the chunks on this Dask scheduler (e.g. tcp://host:8786)")
    p.add_argument("--chunk-size", type=positive_int, metavar="N", help="configurations per written chunk (default 2048)")
    p.add_argument("--batch", type=positive_int, default=1, help="batch size (default 1)")
    p.add_argument("--input-size", metavar="HxW", help="input resolution (default: each model's own)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")  # fmt: skip
    p.add_argument("--top", type=positive_int, default=5, metavar="N", help="print the N fastest configurations per model (default 5)")
    p.set_defaults(run=run_sweep)

    p = sub.add_parser(
        "pareto",
        help="the Pareto front (minimised objectives) of a sweep's output, with an optional plot",
        description="Configurations of a sweep that no other configuration beats on every objective.",
        epilog=PARETO_EPILOG,
        formatter_class=raw,
    )
    p.add_argument("sweep_output", metavar="SWEEP", help="a sweep's output: FILE.csv or DIR.parquet")
    p.add_argument("--x", required=True, metavar="COLUMN", help="first objective (e.g. latency_ms)")
    p.add_argument("--y", required=True, metavar="COLUMN", help="second objective (e.g. energy_uj)")
    p.add_argument("--z", metavar="COLUMN", help="optional third objective (e.g. area_pes)")
    p.add_argument("--model", metavar="NAME", help="only this model's rows")
    p.add_argument("--plot", metavar="FILE.png", help="write a scatter plot with the front marked")
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the front to FILE instead of stdout")
    p.set_defaults(run=run_pareto)


def run_sweep(args: argparse.Namespace) -> int:
    from hwsim.cli.common import load_accel, load_model
    from hwsim.sweep import parse_sets, sweep

    grid = parse_sets(args.sets)
    models = split_list(args.models)
    if not models:
        raise ConfigError("sweep: expected at least one model")
    base = load_accel(args.accel)
    size = parse_input_size(args.input_size)
    graphs = [load_model(m, size, args.batch) for m in models]
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    start = time.perf_counter()
    frame = sweep(
        graphs,
        base,
        grid,
        output=args.output,
        per_layer=args.per_layer,
        resume=args.resume,
        chunk_size=args.chunk_size,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=progress,
    )
    seconds = time.perf_counter() - start
    configs = len(frame) // max(len(graphs), 1)
    print(f"wrote {args.output}: {len(frame)} rows ({len(graphs)} model(s) x {configs} configurations) in {seconds:.1f} s")
    shown = [*grid, "latency_ms", "energy_uj", "utilization", "bound", "bottleneck_layer"]
    for model, rows in frame.groupby("model", sort=False):
        best = rows.nsmallest(args.top, "latency_ms", keep="first")[shown]
        print(f"\nfastest {len(best)} of {len(rows)} configurations of {model} on {base.name}:")
        print(best.to_string(index=False))
    return 0


def run_pareto(args: argparse.Namespace) -> int:
    from hwsim.pareto import pareto_front, plot_front
    from hwsim.sweep import read_sweep, sweepable_paths

    frame = read_sweep(args.sweep_output)
    if args.model is not None:
        if "model" not in frame.columns or args.model not in set(frame["model"]):
            known = ", ".join(sorted(set(frame.get("model", [])))) or "none"
            raise ConfigError(f"pareto: model {args.model!r} is not in {args.sweep_output} (models: {known})")
        frame = frame[frame["model"] == args.model]
    objectives = [args.x, args.y] + ([args.z] if args.z else [])
    by = "model" if "model" in frame.columns else None
    front = pareto_front(frame, objectives, by=by)
    swept = [c for c in frame.columns if c in sweepable_paths()]
    extra = [c for c in ("latency_ms", "energy_uj", "area_pes", "utilization") if c in frame.columns]
    columns = list(dict.fromkeys([c for c in ("model", "config_id") if c in frame.columns] + swept + objectives + extra))
    records = front[columns].to_dict(orient="records")
    title = f"Pareto front of {args.sweep_output} ({', '.join(objectives)}, all minimised): {len(front)} of {len(frame)} configurations"
    emit(format_records(records, args.format, title=title), args.output)
    if args.plot:
        plot_front(frame, front, args.x, args.y, args.plot, z=args.z, by=by)
    return 0
