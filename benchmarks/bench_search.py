"""Time ``hwsim search`` over every allocation of 1.0-SqNxt-23 (target: under 10 s on one core).

Each run is a fresh ``python -m hwsim search squeezenext --accel ACCEL --depth 23 -o FILE``
process pinned to one CPU core, timed from process start to exit: interpreter start, imports,
template loading, 4,560 candidates (1,140 allocations x conv1 5/7 x shortcut v1/v5), the CSV,
the ranked table. Two cases:

- cold: an empty template cache, so the first run imports torch and traces the four reference
  networks (one per conv1 x shortcut);
- warm: the cache that run left (the usual case: no torch at all).

Usage: ``python benchmarks/bench_search.py [--accel best_32x32] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def run_once(accel: str, cache_dir: Path, output: Path) -> float:
    """Wall-clock seconds of one fresh search process."""
    argv = [sys.executable, "-m", "hwsim", "search", "squeezenext", "--accel", accel, "--depth", "23", "-o", str(output)]
    env = {**os.environ, "HWSIM_CACHE_DIR": str(cache_dir), "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, preexec_fn=_one_core)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"bench_search: `{' '.join(argv[1:])}` failed ({done.returncode}): {done.stderr.strip()}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accel", default="best_32x32")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs (the median is reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        cache, output = Path(scratch) / "cache", Path(scratch) / "search.csv"
        cold = run_once(args.accel, cache, output)
        warm = [run_once(args.accel, cache, output) for _ in range(max(args.repeat, 1))]
        rows = sum(1 for _ in output.open()) - 1
    print(f"hwsim search squeezenext --accel {args.accel} --depth 23: {rows:,} candidates, one core, fresh process each")
    print(f"  warm template cache: {statistics.median(warm):.2f} s (median of {len(warm)}; min {min(warm):.2f} s)")
    print(f"  cold template cache: {cold:.2f} s (imports torch, traces 4 reference networks)")
    print(f"  target: under 10 s -> {'met' if max(cold, statistics.median(warm)) < 10 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
