"""Run every benchmark in this folder, one after another (`make bench`), then list every figure
against its target.

Each benchmark prints its figures as ``target: <figure>: <value> (target ...) -> met`` or
``-> NOT met`` (:func:`targets.check`); the summary at the end repeats those lines. Exit status:
0 when every target is met, 1 when one is not, 2 when a benchmark failed to run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from targets import MARK

HERE = Path(__file__).parent
BENCHMARKS = ["bench_profile.py", "bench_search.py", "bench_sweep.py", "bench_sim.py", "bench_codesign.py"]


def main() -> int:
    figures: list[str] = []
    failed: list[str] = []
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        proc = subprocess.Popen([sys.executable, str(HERE / name)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:  # shown as it comes, kept for the summary
            print(line, end="", flush=True)
            if line.startswith(MARK):
                figures.append(line[len(MARK):].strip())
        if proc.wait() != 0:
            failed.append(name)
    print("\n== targets")
    for figure in figures:
        print(f"  {figure}")
    for name in failed:
        print(f"  {name}: FAILED to run")
    if failed:
        return 2
    return 0 if all(figure.endswith("-> met") for figure in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
