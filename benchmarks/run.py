"""Run every benchmark in this folder, one after another (`make bench`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
BENCHMARKS = ["bench_sim.py", "bench_sweep.py", "bench_search.py", "bench_codesign.py"]

if __name__ == "__main__":
    status = 0
    for name in BENCHMARKS:
        path = HERE / name
        if not path.exists():
            continue
        print(f"== {name}", flush=True)
        status |= subprocess.call([sys.executable, str(path)])
    sys.exit(status)
