"""What the benchmarks share: one line per figure against its target, and how a CLI run is timed.

:func:`check` prints ``target: <figure>: <value> <unit> (target < <bound>) -> met`` (or ``NOT met``);
``benchmarks/run.py`` collects these lines into a summary. :func:`cli_env` and :func:`timed_cli`
run ``python -m hwsim ...`` as an installed hwsim starts: a fresh process each time, bytecode
compiled once (into a temporary ``PYTHONPYCACHEPREFIX``, so the source tree stays clean, and
by a warm-up run the caller makes first).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Prefix of the lines ``benchmarks/run.py`` collects.
MARK = "target:"


def check(figure: str, value: float, target: float, unit: str, higher_is_better: bool = False, digits: int = 3) -> bool:
    """Print ``figure`` against ``target`` with met / NOT met; True when met."""
    met = value >= target if higher_is_better else value < target
    relation = ">=" if higher_is_better else "<"
    shown = f"{value:,.{digits}g}" if abs(value) < 1e4 else f"{value:,.0f}"
    bound = f"{target:,.{digits}g}" if abs(target) < 1e4 else f"{target:,.0f}"
    print(f"{MARK} {figure}: {shown} {unit} (target {relation} {bound} {unit}) -> {'met' if met else 'NOT met'}", flush=True)
    return met


def one_core() -> None:
    """Pin the calling process (and what it starts) to one CPU core."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def cli_env(pycache: Path, **extra: str) -> dict[str, str]:
    """Environment of a timed ``python -m hwsim`` run: this checkout first on the path, bytecode cached in ``pycache``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(pycache), **extra}


def timed_cli(argv: Sequence[str], env: dict[str, str], pin: bool = False,
              before: Callable[[], None] | None = None) -> tuple[float, float]:
    """(wall seconds, max resident MiB) of one fresh ``python -m hwsim ARGV`` process, from start to exit.

    ``before`` runs first, untimed (e.g. removing the previous output). A failed run exits this benchmark.
    The memory is the largest of this process's children so far: time the biggest run last, or alone.
    """
    if before is not None:
        before()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "hwsim", *argv], env=env, cwd=ROOT, capture_output=True, text=True,
                          preexec_fn=one_core if pin else None)  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"`hwsim {' '.join(argv)}` failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
