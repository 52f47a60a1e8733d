"""``hwsim correlate``: simulated (or host-model) against measured per-layer latency.

Per layer the share of the total time on each side, Spearman rank correlation over all layers and
over conv/linear layers, and a log-log scatter plot. The measurement itself and its options are
shared with ``hwsim measure`` (:mod:`hwsim.cli.measure`).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from hwsim.cli.common import FIGURE_SUFFIXES, FORMATS, check_output, emit, parse_input_size, resolve_format, simulate_on
from hwsim.cli.model_commands import warn_uncalibrated
from hwsim.cli.measure import (
    ACCEL_HELP,
    FORMAT_HELP,
    MODEL_HELP,
    _add_measure_options,
    _host_columns,
    _json,
    _progress,
    _settings,
    _table,
    _wrapped,
    measurement_header,
    wrap,
)
from hwsim.graph.layer_graph import GEMM_OPS


def add_parsers(sub: argparse._SubParsersAction) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(
        "correlate",
        help="compare simulated and measured per-layer latency (shares, Spearman rank correlation, plot)",
        description="Measure MODEL on this host and simulate it on ACCEL (or predict it with a host model); "
        "per layer: share of the total time on each side; Spearman rank correlation over all layers and "
        "over conv/linear layers; optionally a log-log scatter plot.",
        epilog="Examples:\n  hwsim correlate squeezenet1_1 --accel best_32x32 --plot sq.png\n"
        "  hwsim correlate mobilenet_v2 --accel host_cpu.yaml --threads 2",
        formatter_class=raw,
    )
    p.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    p.add_argument("--accel", required=True, metavar="ACCEL", help=ACCEL_HELP)
    p.add_argument("--input-size", metavar="HxW", help="input resolution (default: the model's own)")
    _add_measure_options(p, repeats=10)
    p.add_argument("--plot", metavar="FILE.png", help="write a log-log scatter of simulated vs measured latency")
    p.add_argument("--format", choices=FORMATS, help=FORMAT_HELP)
    p.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE instead of stdout")
    p.set_defaults(run=run_correlate)


def correlation_records(m, result) -> list[dict[str, Any]]:
    """Per layer: measured and simulated latency (us) and each one's share of its total."""
    measured = np.asarray(m.layer_seconds) * 1e6
    simulated = np.asarray(result.latency_us, dtype=np.float64)
    m_total, s_total = max(measured.sum(), 1e-30), max(simulated.sum(), 1e-30)
    return [
        {
            "layer": name,
            "op": op,
            "measured_us": float(mu),
            "measured_share": float(mu / m_total),
            "simulated_cycles": int(c),
            "simulated_us": float(su),
            "simulated_share": float(su / s_total),
        }
        for name, op, mu, c, su in zip(result.names, result.ops, measured, result.cycles, simulated)
    ]


#: Fewest layers a Spearman rank correlation is given for (with two it is always +1 or -1).
MIN_SPEARMAN_LAYERS = 3


def _spearman_rows(records: list[dict[str, Any]], gemm_only: bool) -> list[dict[str, Any]]:
    return [r for r in records if not gemm_only or r["op"] in GEMM_OPS]


def spearman(records: list[dict[str, Any]], gemm_only: bool = False) -> float:
    """Spearman rank correlation of measured vs simulated per-layer latency (nan if undefined:
    fewer than :data:`MIN_SPEARMAN_LAYERS` layers, or every time equal on one side)."""
    from scipy.stats import spearmanr

    rows = _spearman_rows(records, gemm_only)
    if len(rows) < MIN_SPEARMAN_LAYERS:
        return float("nan")
    a = [r["measured_us"] for r in rows]
    b = [r["simulated_us"] for r in rows]
    if len(set(a)) < 2 or len(set(b)) < 2:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def spearman_text(records: list[dict[str, Any]], gemm_only: bool = False) -> str:
    """:func:`spearman` for people: ``"0.912 over 25 layers"``, or ``"n/a (...)"`` saying why."""
    rows = _spearman_rows(records, gemm_only)
    kind = "conv/linear layer" if gemm_only else "layer"
    rho = spearman(records, gemm_only)
    if not math.isnan(rho):
        return f"{rho:.3f} over {len(rows)} {kind}s"
    if len(rows) < MIN_SPEARMAN_LAYERS:
        return f"n/a (fewer than {MIN_SPEARMAN_LAYERS} {kind}s)"
    return f"n/a (equal times on one side over {len(rows)} {kind}s)"


def plot_correlation(records: list[dict[str, Any]], path: str | Path, title: str, xlabel: str) -> None:
    """Log-log scatter of simulated (x) vs measured (y) per-layer latency in us, coloured by op."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hwsim.report.profile import write_figure

    rows = [r for r in records if r["measured_us"] > 0 and r["simulated_us"] > 0]
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    for op in sorted({r["op"] for r in rows}):
        pts = [r for r in rows if r["op"] == op]
        ax.scatter([r["simulated_us"] for r in pts], [r["measured_us"] for r in pts], s=14, alpha=0.75, label=op)
    if rows:
        lo = min(min(r["simulated_us"], r["measured_us"]) for r in rows)
        hi = max(max(r["simulated_us"], r["measured_us"]) for r in rows)
        ax.plot([lo, hi], [lo, hi], color="grey", linewidth=0.8, linestyle="--", label="y = x")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("measured latency on this host (us, median)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(True, which="both", linewidth=0.3, alpha=0.5)
    fig.tight_layout()
    write_figure(fig, path)


def run_correlate(args: argparse.Namespace) -> int:
    from hwsim.measure.profiler import check_device, measure_model

    check_output(args.output, "-o", inputs=[args.model, args.accel])  # before the (long) measurement
    check_output(args.plot, "--plot", FIGURE_SUFFIXES, inputs=[args.model, args.accel])
    fmt = resolve_format(args.format, args.output)
    settings = _settings(args)
    check_device(settings.device)  # before building anything
    simulate_on(None, args.accel)  # a bad ACCEL fails before the (long) measurement
    with _progress(f"measuring {args.model}", settings.total_passes) as callback:
        m = measure_model(args.model, settings, input_size=parse_input_size(args.input_size), progress=callback)
    result = simulate_on(m.graph, args.accel)
    warn_uncalibrated("correlate", m.graph, args.accel)
    records = correlation_records(m, result)
    rho_all, rho_gemm = spearman(records), spearman(records, gemm_only=True)
    summary = (
        f"Spearman rank correlation of per-layer latency, measured vs simulated: {spearman_text(records)}, "
        f"{spearman_text(records, gemm_only=True)}"
    )
    sim_line = f"simulated on {result.accelerator_name}: {result.latency_ms:.3f} ms at {result.clock_mhz:g} MHz"
    if fmt == "json":
        text = _json(
            {
                "model": m.model,
                "accelerator": result.accelerator_name,
                "host": m.info.to_dict(),
                "measured_end_to_end": m.end_to_end.summary(),
                "simulated_latency_ms": result.latency_ms,
                "spearman": rho_all,
                "spearman_conv_linear": rho_gemm,
                "layers": records,
            }
        )
    elif fmt == "csv":
        import pandas as pd

        host = _host_columns(m)
        text = pd.DataFrame([{**r, **host, "accelerator": result.accelerator_name} for r in records]).to_csv(index=False)
    else:
        table = _table(
            records,
            [("layer", "layer", "text"), ("op", "op", "text"), ("measured_us", "measured us", "number"),
             ("measured_share", "meas. share", "percent"), ("simulated_us", "simulated us", "number"),
             ("simulated_share", "sim. share", "percent")],
        )
        text = "\n".join([*measurement_header(m), *_wrapped([f"  {sim_line}", f"  {summary}"]), "", table])
    emit(text, args.output)
    if args.output is not None or fmt != "table":
        print("\n".join(wrap(summary)), file=sys.stderr)
    if args.plot:
        rho_text = "n/a" if math.isnan(rho_all) else f"{rho_all:.3f}"
        plot_correlation(
            records,
            args.plot,
            title=f"{m.model}: measured vs {result.accelerator_name}, Spearman {rho_text}\nmeasured on {m.info.describe()}",
            xlabel=f"simulated latency on {result.accelerator_name} (us)",
        )
    return 0
