"""Simulator speed: milliseconds per zoo network on ws_32x32, and vectorised evaluations per second.

Run: .venv/bin/python benchmarks/bench_sim.py   (or `make bench` for every benchmark)
Targets (issue 7): a whole network in under 2 ms; >= 1 million layer x configuration evaluations
per second on one core.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core

import numpy as np  # noqa: E402
from targets import check  # noqa: E402

from hwsim.hardware.load import load_accelerator  # noqa: E402
from hwsim.models import model_names  # noqa: E402
from hwsim.cost.evaluate import evaluate  # noqa: E402
from hwsim.simulate import hardware_arrays, layer_arrays, simulate  # noqa: E402
from hwsim.sources.zoo import load_zoo_graph  # noqa: E402


def best_time(fn, repeats: int = 20) -> float:
    """Best-of-``repeats`` wall time of ``fn()`` in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    accel = load_accelerator("ws_32x32")
    print("per-network simulate() on ws_32x32 (graph already loaded), best of 20:")
    print(f"  {'model':32s} {'layers':>6s} {'ms':>8s}")
    worst = 0.0
    for name in model_names():
        graph = load_zoo_graph(name)
        seconds = best_time(lambda: simulate(graph, accel))
        worst = max(worst, seconds)
        print(f"  {name:32s} {len(graph):6d} {1e3 * seconds:8.3f}")
    check("slowest zoo network, simulate() on ws_32x32", 1e3 * worst, 2.0, "ms")

    graph = load_zoo_graph("squeezenext_23v5")
    configs = [accel.with_overrides({"array.rows": r, "array.cols": c, "dram.bandwidth_bytes_per_cycle": b, "dataflow": d})
               for r in (8, 16, 32, 64) for c in (8, 16, 32, 64) for b in (4.0, 8.0, 16.0, 32.0) for d in ("ws", "os", "is", "best")]
    configs = configs * 4  # 1,024 configurations
    la = layer_arrays(graph)
    hw = hardware_arrays(configs)
    seconds = best_time(lambda: evaluate(la, hw), repeats=5)
    evals = len(configs) * len(la)
    print(f"vectorised evaluate(): {len(configs)} configurations x {len(la)} layers of squeezenext_23v5 "
          f"in {1e3 * seconds:.1f} ms [each evaluation covers all three dataflows]")
    check("vectorised evaluate() on one core", evals / seconds, 1_000_000, "layer evals/s", higher_is_better=True)
    print(f"torch imported: {'torch' in sys.modules}")
    assert np.isfinite(seconds)


if __name__ == "__main__":
    main()
