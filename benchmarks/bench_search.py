"""Time ``hwsim search`` over every allocation of 1.0-SqNxt-23, cold and warm (target: under 1 s each).

Each run is a fresh ``python -m hwsim search squeezenext --accel ACCEL --depth 23 -o FILE``
process, timed from process start to exit: interpreter start, imports, template loading, 4,560
candidates (1,140 allocations x conv1 5/7 x shortcut v1/v5), the CSV, the ranked table; one
thread (numpy's BLAS and OpenMP), bytecode compiled by a warm-up run (in its own folder). Two cases:

- cold: an empty template cache (``HWSIM_CACHE_DIR``). The four reference networks of the default
  variants ship with hwsim (``hwsim/explore/search/families/shipped_templates/``), so nothing is
  traced and torch is never imported; the run must leave the cache empty;
- warm: the same with the cache that run left (the usual case).

Usage: ``python benchmarks/bench_search.py [--accel best_32x32] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from targets import check, cli_env, timed_cli

TARGET_S = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accel", default="best_32x32")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each case (the best is the figure)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        cache, output = Path(scratch) / "cache", Path(scratch) / "search.csv"
        argv = ["search", "squeezenext", "--accel", args.accel, "--depth", "23", "-o", str(output)]
        env = cli_env(Path(scratch) / "pycache", HWSIM_CACHE_DIR=str(cache), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        timed_cli(argv, {**env, "HWSIM_CACHE_DIR": str(Path(scratch) / "warm-up")})  # compiles the bytecode

        def empty_cache() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        cold = [timed_cli(argv, env, before=empty_cache)[0] for _ in range(max(args.repeat, 1))]
        traced = cache.exists() and any(cache.rglob("*.json"))
        warm = [timed_cli(argv, env)[0] for _ in range(max(args.repeat, 1))]
        rows = sum(1 for _ in output.open()) - 1
    print(f"hwsim search squeezenext --accel {args.accel} --depth 23: {rows:,} candidates, fresh process each")
    print(f"  cold template cache: best {min(cold):.2f} s, median {statistics.median(cold):.2f} s of {len(cold)}"
          f" ({'traced into the cache' if traced else 'nothing traced: shipped templates'})")
    print(f"  warm template cache: best {min(warm):.2f} s, median {statistics.median(warm):.2f} s of {len(warm)}")
    check("hwsim search squeezenext, cold template cache", min(cold), TARGET_S, "s")
    check("hwsim search squeezenext, warm template cache", min(warm), TARGET_S, "s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
