"""Sweep speed: configurations x layers evaluated per second, and peak memory, on one core.

    .venv/bin/python benchmarks/bench_sweep.py [--models squeezenext_23v5,mobilenet_v1] [--repeat 3]

The grid has 10,000 configurations (array rows and cols 8..80 step 8, DRAM bandwidth 1..25 bytes
per cycle, dataflows ws/os/is/best) over ws_32x32. Each model is swept in this process, no
output file (``sweep()`` returns the DataFrame), then once more to a Parquet dataset to show the
cost of writing. "layer evals/s" counts every (configuration, layer) pair of the network;
"distinct evals/s" counts the pairs actually computed (identical layers are evaluated once).
Peak memory: Python heap peak by tracemalloc during a separate run (numpy reports its buffers
to tracemalloc), and the process's maximum resident set size at the end.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import resource  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

from hwsim.explore.sweep.run import ModelArrays, sweep  # noqa: E402
from hwsim.sources import load_graph  # noqa: E402

GRID = {
    "array.rows": list(range(8, 88, 8)),
    "array.cols": list(range(8, 88, 8)),
    "dram.bandwidth_bytes_per_cycle": list(range(1, 26)),
    "dataflow": ["ws", "os", "is", "best"],
}
TARGET = 1_000_000  # layer evaluations per second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="squeezenext_23v5,mobilenet_v1")
    parser.add_argument("--accel", default="ws_32x32")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per model (best is reported)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    configs = 1
    for values in GRID.values():
        configs *= len(values)
    print(f"grid: {configs:,} configurations over {args.accel} ({', '.join(f'{k} x{len(v)}' for k, v in GRID.items())}); one core")
    header = f"{'model':<18}{'layers':>7}{'distinct':>9}{'seconds':>9}{'configs/s':>11}{'layer evals/s':>15}{'distinct evals/s':>18}{'to parquet s':>14}{'heap peak MiB':>15}"
    print(header)
    print("-" * len(header))
    for name in args.models.split(","):
        graph = load_graph(name)
        model = ModelArrays.from_graph(graph)
        sweep(graph, args.accel, {"array.rows": [8, 16]})  # warm-up (imports, caches)
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            frame = sweep(graph, args.accel, GRID)
            best = min(best, time.perf_counter() - start)
        assert len(frame) == configs
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            sweep(graph, args.accel, GRID, output=Path(folder) / "s.parquet")
            written = time.perf_counter() - start
        tracemalloc.start()
        sweep(graph, args.accel, GRID)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        evals = configs * len(model) / best
        print(
            f"{name:<18}{len(model):>7}{len(model.unique):>9}{best:>9.3f}{configs / best:>11,.0f}{evals:>15,.0f}"
            f"{configs * len(model.unique) / best:>18,.0f}{written:>14.3f}{peak / 2**20:>15.1f}"
        )
        print(f"{'':<18}target {TARGET:,} layer evals/s: {'met' if evals >= TARGET else 'NOT met'}")
    print(f"max resident set size of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
