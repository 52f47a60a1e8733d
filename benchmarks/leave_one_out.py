"""Leave-one-out check of the calibrated host model on CPU.

Measures each model once (end to end and per layer; cached as JSON lines, so an interrupted run
resumes), then for every model fits the host model on all the others and predicts the held-out
model: its end-to-end latency (error = predicted / measured - 1) and the Spearman rank
correlation between its measured and predicted per-layer times.

    .venv/bin/python benchmarks/leave_one_out.py --threads 1
    .venv/bin/python benchmarks/leave_one_out.py --models alexnet,mobilenet_v2,squeezenet1_1 --repeats 5

Target (the issue): median absolute end-to-end error under 25 %.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from hwsim.cli.measure import DEFAULT_CALIBRATION_MODELS


def measure_all(models: list[str], settings, cache: Path) -> list:
    """One measurement per model, reusing matching entries of ``cache`` and appending new ones."""
    from hwsim.measure.profiler import append_measurement, host_info_for, measure_model, read_measurements, same_conditions

    info = host_info_for(settings)
    cached = {m.model: m for m in read_measurements(cache) if same_conditions(m, settings, info)}
    results = []
    for index, name in enumerate(models, start=1):
        if name in cached:
            print(f"[{index}/{len(models)}] {name}: cached", file=sys.stderr)
            results.append(cached[name])
            continue
        start = time.perf_counter()
        m = measure_model(name, settings)
        append_measurement(cache, m)
        print(
            f"[{index}/{len(models)}] {name}: {m.end_to_end.median_s * 1e3:.2f} ms end to end, "
            f"{len(m.graph.layers)} layers ({time.perf_counter() - start:.1f} s)",
            file=sys.stderr,
        )
        results.append(m)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(DEFAULT_CALIBRATION_MODELS), help="comma-separated zoo names")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--weighting", choices=("relative", "sqrt", "absolute"), default="sqrt")
    parser.add_argument("--no-match", action="store_true", help="fit raw per-layer medians (no end-to-end matching)")
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="measurement cache (JSON lines; default: hwsim_leave_one_out_<threads>t.jsonl in the temp dir)",
    )
    args = parser.parse_args(argv)

    from scipy.stats import spearmanr

    from hwsim.host.model import fit_host_model, predict_seconds
    from hwsim.measure.profiler import MeasureSettings

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if len(models) < 3:
        parser.error("--models: need at least 3 models")
    settings = MeasureSettings(device="cpu", threads=args.threads, warmup=args.warmup, repeats=args.repeats)
    cache = args.cache or Path(tempfile.gettempdir()) / f"hwsim_leave_one_out_{args.threads}t.jsonl"
    measurements = measure_all(models, settings, cache)
    info = measurements[0].info
    print(f"host: {info.describe()}; cache {cache}")
    print(f"{'held-out model':<20} {'measured ms':>12} {'p10-p90 ms':>15} {'predicted ms':>13} {'error':>8} {'spearman':>9} {'layers':>7}")
    errors, rhos = [], []
    for held in measurements:
        train = [m for m in measurements if m is not held]
        host = fit_host_model(train, weighting=args.weighting, match_end_to_end=not args.no_match)
        predicted_layers = predict_seconds(held.graph.layers, host).total_s
        predicted = float(predicted_layers.sum())
        measured = held.end_to_end.median_s
        error = predicted / measured - 1.0
        rho = float(spearmanr(np.asarray(held.layer_seconds), predicted_layers).statistic)
        errors.append(error)
        rhos.append(rho)
        spread = f"{held.end_to_end.p10_s * 1e3:.1f}-{held.end_to_end.p90_s * 1e3:.1f}"
        print(
            f"{held.model:<20} {measured * 1e3:>12.2f} {spread:>15} {predicted * 1e3:>13.2f} "
            f"{100 * error:>+7.1f}% {rho:>9.3f} {len(held.graph.layers):>7}"
        )
    abs_errors = np.abs(errors)
    print(
        f"median |error| {100 * np.median(abs_errors):.1f}% (max {100 * abs_errors.max():.1f}%), "
        f"median per-layer Spearman {np.median(rhos):.3f} (min {min(rhos):.3f}); "
        f"weighting {args.weighting}, {'raw per-layer fit' if args.no_match else 'matched to end to end'}, "
        f"{args.repeats} repeats, {args.threads} thread(s)"
    )
    full = fit_host_model(measurements, weighting=args.weighting, match_end_to_end=not args.no_match)
    print("fit on all models:", {k: f"{v * 1e6:.1f} us" for k, v in full.overhead_s.model_dump().items()})
    print(
        "  peak GMAC/s:",
        {k: (None if v is None else round(v / 1e9, 2)) for k, v in full.peak_macs_per_s.model_dump().items()},
        "Gelem/s:",
        {k: (None if v is None else round(v / 1e9, 3)) for k, v in full.peak_elements_per_s.model_dump().items()},
        "bandwidth GB/s:",
        None if full.bandwidth_bytes_per_s is None else round(full.bandwidth_bytes_per_s / 1e9, 2),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
