"""Sweep speed: configurations x layers evaluated per second, and peak memory, on one core.

    .venv/bin/python benchmarks/bench_sweep.py [--models squeezenext_23v5,mobilenet_v1] [--repeat 3] [--cli-repeat 3]

1. The CLI sweep of issue 17, end to end: ``python -m hwsim sweep squeezenext_23v5 --accel
   ws_32x32`` over 98,304 configurations (:data:`CLI_SETS`) writing a Parquet dataset, a fresh
   process from start to exit (imports, grid, evaluation, writing, the table of the fastest),
   bytecode compiled by a warm-up run. It computes on one core (one thread: numpy's BLAS and
   OpenMP are set to one thread here) but is not pinned to a fixed one, so on this shared
   machine the scheduler may move it to the idler core. Figure: the best of ``--cli-repeat`` runs;
   "layer evals/s" counts every layer of the network (136) for every configuration. Peak memory:
   the largest resident set of those processes. Target: 10 million layer evaluations per second.
2. ``sweep()`` in this process over 10,000 configurations (array rows and cols 8..80 step 8, DRAM
   bandwidth 1..25 bytes per cycle, dataflows ws/os/is/best) of each model, no output file (the
   DataFrame is returned), then once more to a Parquet dataset to show the cost of writing.
   "distinct evals/s" counts the pairs actually computed (identical layers are evaluated once).
   Peak memory: Python heap peak by tracemalloc during a separate run (numpy reports its buffers
   to tracemalloc), and the process's maximum resident set size at the end. Target (issue 7):
   one million layer evaluations per second.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

from targets import check, cli_env, one_core, timed_cli  # noqa: E402

from hwsim.explore.sweep.run import ModelArrays, sweep  # noqa: E402
from hwsim.sources import load_graph  # noqa: E402

GRID = {
    "array.rows": list(range(8, 88, 8)),
    "array.cols": list(range(8, 88, 8)),
    "dram.bandwidth_bytes_per_cycle": list(range(1, 26)),
    "dataflow": ["ws", "os", "is", "best"],
}
TARGET = 1_000_000  # layer evaluations per second

#: The CLI sweep: 16 x 16 x 4 x 8 x 3 x 4 = 98,304 configurations of squeezenext_23v5 (136 layers).
CLI_MODEL = "squeezenext_23v5"
CLI_SETS = {
    "array.rows": list(range(8, 136, 8)),
    "array.cols": list(range(8, 136, 8)),
    "dataflow": ["ws", "os", "is", "best"],
    "dram.bandwidth_bytes_per_cycle": [1, 2, 4, 8, 12, 16, 24, 32],
    "buffers.ifmap_kib": [16, 64, 256],
    "buffers.filter_kib": [16, 32, 64, 128],
}
CLI_TARGET = 10_000_000  # layer evaluations per second, end to end


def cli_sweep(repeat: int) -> None:
    """The CLI sweep of issue 17 in fresh processes (module docstring, part 1)."""
    configs = math.prod(len(values) for values in CLI_SETS.values())
    layers = len(load_graph(CLI_MODEL))
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "sweep.parquet"
        sets = [a for k, values in CLI_SETS.items() for a in ("--set", f"{k}={','.join(map(str, values))}")]
        argv = ["sweep", CLI_MODEL, "--accel", "ws_32x32", *sets, "-o", str(output), "--no-progress"]
        env = cli_env(Path(scratch) / "pycache")  # one thread each for numpy's BLAS and OpenMP (set above)

        def fresh() -> None:
            shutil.rmtree(output, ignore_errors=True)

        timed_cli(["sweep", CLI_MODEL, "--accel", "ws_32x32", "--set", "array.rows=8", "-o", str(output), "--no-progress"],
                  env, before=fresh)  # warm-up: compiles the bytecode  # fmt: skip
        runs = [timed_cli(argv, env, before=fresh) for _ in range(max(repeat, 1))]
    best = min(seconds for seconds, _ in runs)
    peak = max(mib for _, mib in runs)
    rate = configs * layers / best
    print(f"hwsim sweep {CLI_MODEL} ({layers} layers) x {configs:,} configurations -> Parquet, one thread, fresh process: "
          f"best {best:.2f} s of {len(runs)} = {configs / best:,.0f} configurations/s, peak resident memory {peak:.0f} MiB")  # fmt: skip
    check(f"CLI sweep of {configs:,} configurations of {CLI_MODEL}, end to end", rate, CLI_TARGET, "layer evals/s",
          higher_is_better=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="squeezenext_23v5,mobilenet_v1")
    parser.add_argument("--accel", default="ws_32x32")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per model (best is reported)")
    parser.add_argument("--cli-repeat", type=int, default=3, help="timed CLI sweeps (best is reported); 0 skips them")
    args = parser.parse_args()
    if args.cli_repeat > 0:
        cli_sweep(args.cli_repeat)
    one_core()
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
        check(f"sweep() of {name} in this process", evals, TARGET, "layer evals/s", higher_is_better=True)
    print(f"max resident set size of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
