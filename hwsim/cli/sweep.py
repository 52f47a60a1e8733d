"""``hwsim sweep`` (design-space sweeps over accelerator fields) and ``hwsim pareto`` (their Pareto front)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwsim.cli.common import (
    FIGURE_SUFFIXES,
    FORMATS,
    check_output,
    emit,
    json_safe,
    parse_input_size,
    positive_int,
    resolve_format,
    split_list,
    wrote,
)
from hwsim.errors import ConfigError
from hwsim.report.formatting import text_table

if TYPE_CHECKING:
    import pandas as pd

#: Terminal tables are kept within this many columns (CSV and JSON keep every column).
TABLE_WIDTH = 120
#: Suffixes of a sweep output: a CSV file or a Parquet dataset directory.
SWEEP_SUFFIXES = (".csv", ".parquet", ".pq")

SWEEP_EPILOG = """\
Each --set is FIELD=V1,V2,... or FIELD=range(START,STOP[,STEP]) (Python range, integers) over a dotted
accelerator field (array.rows, array.cols, dataflow, clock_mhz, word_bytes, buffers.ifmap_kib,
dram.bandwidth_bytes_per_cycle, dram.ports, vector.lanes, options.pack_groups, energy_pj.dram_byte, ...).
dataflow takes ws, os, is and best (best picks per layer among the base's choices, or all three).
dram.bandwidth_bytes_per_cycle also takes unlimited (no DRAM stalls, SCALE-Sim's CALC mode; output: inf).
The sweep is the cartesian product of all --set values, for every model: one row per (model,
configuration) with latency, cycles, energy, utilization, DRAM bytes, area proxies and the bottleneck.

Quote a range(...) value in the shell: --set 'clock_mhz=range(100,1001,100)'. A sweep has at most
10,000,000 rows (configurations x models); split larger design spaces into several sweeps.

Output: -o FILE.csv (appended chunk by chunk) or -o DIR.parquet (one file per chunk). An interrupted
sweep loses at most one chunk; run it again with --resume to compute only what is missing (the
same models, base accelerator and --set fields; an output of another sweep is refused).

Examples:
  hwsim sweep squeezenext_23v5 --accel ws_32x32 --set array.rows=8,16,32,64 --set array.cols=8,16,32,64 \\
      --set dram.bandwidth_bytes_per_cycle=4,8,16,32 --set dataflow=ws,os,is,best -o sweep.parquet
  hwsim sweep squeezenext_23v5,mobilenet_v1 --accel best_32x32 --set 'buffers.ifmap_kib=range(16,256,16)' \\
      -o buffers.csv --workers 2
  hwsim sweep alexnet --accel ws_32x32 --set array.rows=16,32 -o s.parquet --scheduler tcp://scheduler-host:8786
"""

PARETO_EPILOG = """\
All objectives are minimised; a configuration is on the front when no other is at least as good in
every objective and better in one. With several models in the file, each model gets its own front.
The table shows the swept fields and objectives (within 120 columns); CSV and JSON (chosen by
--format or by the -o suffix) hold every column of the front's rows.

Examples:
  hwsim pareto sweep.parquet --x latency_ms --y energy_uj --plot front.png
  hwsim pareto sweep.parquet --x latency_ms --y energy_uj --z area_pes -o front.csv
  hwsim pareto sweep.parquet --x latency_ms --y energy_uj --model mobilenet_v1 -o front.json
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
    p.add_argument("--chunk-size", type=positive_int, metavar="N", help="configurations per written chunk (default 16384)")
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
    p.add_argument("--plot", metavar="FILE.png", help="write a scatter plot with the front marked (.png, .pdf or .svg)")
    p.add_argument("--format", choices=FORMATS, help="output format (default: from the -o suffix .csv/.json, else table)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the front to FILE instead of stdout (FILE.csv, FILE.json: that format)")
    p.set_defaults(run=run_pareto)


def check_sweep_output(path: str | None, option: str, inputs: list[str]) -> None:
    """Fail fast when a sweep output cannot be written: like :func:`check_output`, except that an
    existing Parquet dataset directory (the sweep writes into it) is fine."""
    if path is None:
        return
    target = Path(path)
    if target.is_dir() and target.suffix.lower() != ".csv":
        return
    check_output(path, option, SWEEP_SUFFIXES, inputs)


def fit_table(rows: pd.DataFrame | list[dict[str, Any]], required: list[str], optional: list[str], width: int = TABLE_WIDTH,
              names: list[str] | None = None) -> str:
    """``rows`` (a DataFrame, or records with the columns ``names``) as a text table, one line per
    row: every ``required`` column, then each of ``optional`` (in order) that still fits within
    ``width`` columns; numbers as every table writes them
    (:func:`~hwsim.report.formatting.format_number`). When the required columns alone are too
    wide, swept fields are headed by the last part of their path (``dram.ports`` -> ``ports``,
    where that is unambiguous); the rows are never wrapped."""
    available = list(rows.columns) if names is None and hasattr(rows, "columns") else list(names or [])
    columns = list(dict.fromkeys(c for c in required if c in available))
    extra = [c for c in optional if c in available and c not in columns]
    if hasattr(rows, "to_dict"):
        records = rows[columns + extra].to_dict(orient="records")
    else:
        records = [{c: record[c] for c in columns + extra} for record in rows]
    text = text_table(records, columns, extra, width)
    if max(len(line) for line in text.splitlines()) <= width:
        return text
    leaves = [c.rsplit(".", 1)[-1] for c in columns + extra]
    short = {c: leaf for c, leaf in zip(columns + extra, leaves) if leaves.count(leaf) == 1 and leaf not in available}
    records = [{short.get(k, k): v for k, v in record.items()} for record in records]
    return text_table(records, [short.get(c, c) for c in columns], [short.get(c, c) for c in extra], width)


def _json_value(value: Any) -> Any:
    """A cell as a JSON value: NaN, infinities and missing values become null."""
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        value = value.item()
    return json_safe(value) if isinstance(value, float) else value


def run_sweep(args: argparse.Namespace) -> int:
    from hwsim.cli.common import load_accel, load_model
    from hwsim.explore.sweep.run import check_sweep_size, parse_sets, sweep_rows

    models = split_list(args.models)
    check_sweep_output(args.output, "-o", [*models, args.accel])
    check_sweep_output(args.per_layer, "--per-layer", [*models, args.accel])
    if args.per_layer is not None and Path(args.per_layer).resolve() == Path(args.output).resolve():
        raise ConfigError(f"--per-layer {args.per_layer}: is the summary output (-o) too: expected another file")
    grid = parse_sets(args.sets)
    if not models:
        raise ConfigError("sweep: expected at least one model")
    check_sweep_size([len(v) for v in grid.values()], len(models))
    base = load_accel(args.accel)
    size = parse_input_size(args.input_size)
    graphs = [load_model(m, size, args.batch) for m in models]
    for graph in graphs:
        if graph.unsupported:
            left = ", ".join(f"{op} x{n}" for op, n in graph.unsupported)
            print(f"hwsim sweep: warning: {graph.name}: unsupported ops left out of the sweep: {left}", file=sys.stderr)
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    start = time.perf_counter()
    result = sweep_rows(  # numpy columns: writing Parquet and printing the fastest rows need no pandas
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
        fastest=args.top,  # ranked as the chunks come: the output is not read back
    )
    seconds = time.perf_counter() - start
    rows = result.total
    configs = rows // max(len(graphs), 1)
    how = f"{result.kept} kept from the earlier run, {result.computed} computed; " if args.resume else ""
    print(f"wrote {args.output}: {rows} rows ({how}{len(graphs)} model(s) x {configs} configurations) in {seconds:.1f} s")
    required = [*grid, "latency_ms"]
    optional = ["energy_uj", "utilization", "bound", "bottleneck_layer"]
    for model in result.models():  # each model's --top fastest rows, ranked by the sweep
        best = sorted(result.records(model), key=lambda row: row["latency_ms"])  # stable: ties keep grid order
        print(f"\nfastest {len(best)} of {configs} configurations of {model} on {base.name}:")
        print(fit_table(best, required, optional, names=list(result.names)))
    return 0


def _check_rows(frame, objectives: list[str], source: str) -> None:
    """Every objective a number a sweep writes there (finite, >= 0, a share at most 1) and one row
    per (model, configuration): another value is a damaged or hand-edited file, not a point."""
    import numpy as np

    from hwsim.explore.sweep.kept_values import not_written_by_sweep

    for column in objectives:
        values = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
        mask, expected = not_written_by_sweep(column, values)
        bad = np.flatnonzero(mask)
        if len(bad):
            label = int(frame.index[bad[0]])  # the row's position in the file (kept through --model)
            where = f"line {label + 2}" if str(source).lower().endswith(".csv") else f"row {label + 1}"
            raise ConfigError(f"pareto: {source}: {where}: {column} = {float(values[bad[0]])!r}: expected {expected} "
                              f"(as `hwsim sweep` writes; {len(bad):,} such row(s))")
    keys = [c for c in ("model", "config_id") if c in frame.columns]
    if "config_id" in keys and frame.duplicated(keys).any():
        first = frame[frame.duplicated(keys)].iloc[0]
        raise ConfigError(f"pareto: {source}: {', '.join(f'{k} {first[k]}' for k in keys)} appears twice: "
                          "expected one row per configuration")


def run_pareto(args: argparse.Namespace) -> int:
    import json

    from hwsim.explore.pareto import pareto_front, plot_front
    from hwsim.explore.sweep.run import read_sweep, sweepable_paths

    check_output(args.output, "-o", inputs=[args.sweep_output])
    check_output(args.plot, "--plot", FIGURE_SUFFIXES, inputs=[args.sweep_output])
    fmt = resolve_format(args.format, args.output)
    frame = read_sweep(args.sweep_output)
    if "layer" in frame.columns:
        raise ConfigError(f"pareto: {args.sweep_output} has one row per layer (a per-layer profile or a sweep's "
                          "--per-layer output), not one per configuration: expected the -o output of `hwsim sweep`")
    if args.model is not None:
        if "model" not in frame.columns or args.model not in set(frame["model"]):
            known = ", ".join(sorted(set(frame.get("model", [])))) or "none"
            raise ConfigError(f"pareto: model {args.model!r} is not in {args.sweep_output}: expected one of its models ({known})")
        frame = frame[frame["model"] == args.model]
    objectives = [args.x, args.y] + ([args.z] if args.z else [])
    by = "model" if "model" in frame.columns else None
    front = pareto_front(frame, objectives, by=by)  # checks the objectives are numeric columns
    _check_rows(frame, objectives, args.sweep_output)
    swept = [c for c in frame.columns if c in sweepable_paths()]
    keys = [c for c in ("model", "config_id") if c in frame.columns]
    if fmt == "table":
        models = front["model"].unique().tolist() if by else []
        of = f"Pareto front of {models[0]}" if len(models) == 1 else "Pareto fronts (one per model)"
        title = (f"{of} in {args.sweep_output}: {len(front)} of {len(frame)} configurations\n"
                 f"({', '.join(objectives)}, all minimised)")  # fmt: skip
        required = [*(["model"] if len(models) > 1 else []), *swept, *objectives]
        optional = ["latency_ms", "energy_uj", "area_mm2", "area_pes", "utilization", "config_id"]
        text = f"{title}\n{fit_table(front, required, optional)}"
    else:
        ordered = list(dict.fromkeys([*keys, *swept, *objectives, *frame.columns]))
        rows = front[ordered]
        if fmt == "csv":
            text = rows.to_csv(index=False)
        else:
            records = [{k: _json_value(v) for k, v in record.items()} for record in rows.to_dict(orient="records")]
            text = json.dumps(records, indent=1, allow_nan=False)
    emit(text, args.output, f"{len(front)} rows")
    if args.plot:
        plot_front(frame, front, args.x, args.y, args.plot, z=args.z, by=by)
        wrote(args.plot, data_on_stdout=args.output is None and fmt != "table")
    return 0
