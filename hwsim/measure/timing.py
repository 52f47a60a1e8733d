"""Timing forward passes: pinned threads, progress counting, eager passes alternated with per-node timing.

:func:`_pinned_threads` (``torch.set_num_threads`` for the measurement, restored after),
:class:`_Ticker` (counts passes for the :data:`Progress` callback), :func:`_interleaved`
(one eager and one instrumented pass in turn) and :class:`_NodeTimer` (runs a traced
GraphModule node by node, ``perf_counter_ns`` on CPU, CUDA events on GPU). Times in seconds.
torch is imported only inside the functions.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from hwsim.measure.attribution import _input_nodes

__all__ = ["Progress"]

#: Progress callback: ``(passes done, passes in total)``.
Progress = Callable[[int, int], None]


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _pinned_threads(threads: int | None) -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class _Ticker:
    """Counts forward passes and calls the progress callback."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.done, self.total, self.progress = 0, total, progress

    def tick(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)


def _interleaved(
    eager: Callable[[], Any], instrumented: Callable[[], list[float]], warmup: int, repeats: int, cuda: bool, ticker: _Ticker
) -> tuple[tuple[float, ...], list[list[float]]]:
    """Alternate one eager and one instrumented pass, so both see the same load on a shared host.

    Returns the eager end-to-end seconds per pass and the per-slot seconds of each instrumented
    pass. CPU: ``perf_counter_ns`` around the eager pass. CUDA: a pair of CUDA events around it,
    read after the synchronize that ends each instrumented pass (untested here: no GPU).
    """
    import torch

    for _ in range(warmup):
        eager()
        instrumented()
        ticker.tick()
        ticker.tick()
    eager_s: list[float] = []
    per_pass: list[list[float]] = []
    for _ in range(repeats):
        if cuda:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize()
            start.record()
            eager()
            end.record()
            end.synchronize()
            eager_s.append(start.elapsed_time(end) * 1e-3)  # ms -> s
        else:
            t0 = time.perf_counter_ns()
            eager()
            eager_s.append((time.perf_counter_ns() - t0) * 1e-9)
        ticker.tick()
        per_pass.append(instrumented())
        ticker.tick()
    return tuple(eager_s), per_pass



class _NodeTimer:
    """Runs a traced GraphModule node by node, timing each call (CPU clock or CUDA events)."""

    def __init__(self, gm: Any, slots: Mapping[str, int], n_slots: int, cuda: bool) -> None:
        import torch.fx

        self.cuda = cuda
        self.n_slots = n_slots
        steps: list[tuple[Any, Callable[..., Any], Any, Any, int]] = []
        last_use: dict[Any, Any] = {}
        for node in gm.graph.nodes:
            for arg in _input_nodes(node):
                last_use[arg] = node
        self.free_after: dict[Any, list[Any]] = {}
        for value, user in last_use.items():
            self.free_after.setdefault(user, []).append(value)
        for node in gm.graph.nodes:
            if node.op == "placeholder":
                fn: Callable[..., Any] | None = None
            elif node.op == "get_attr":
                obj: Any = gm
                for part in str(node.target).split("."):
                    obj = getattr(obj, part)
                fn = (lambda value: lambda: value)(obj)
            elif node.op == "call_module":
                fn = gm.get_submodule(node.target)
            elif node.op == "call_function":
                fn = node.target
            elif node.op == "call_method":
                fn = (lambda method: lambda self_, *a, **k: getattr(self_, method)(*a, **k))(node.target)
            else:  # output
                fn = None
            slot = slots.get(node.name, -1)
            steps.append((node, fn, node.args, node.kwargs, slot))
        self.steps = steps
        self.map_arg = torch.fx.node.map_arg

    def run(self, example: Any) -> tuple[list[float], Any]:
        """One pass: (seconds per slot, output)."""
        import torch

        env: dict[Any, Any] = {}
        times = [0.0] * (self.n_slots + 1)  # last slot: unattributed
        events: list[tuple[int, Any, Any]] = []
        output = None
        for node, fn, args, kwargs, slot in self.steps:
            if node.op == "placeholder":
                env[node] = example
                continue
            if node.op == "output":
                output = self.map_arg(args, lambda n: env[n])
                break
            args_v = self.map_arg(args, lambda n: env[n])
            kwargs_v = self.map_arg(kwargs, lambda n: env[n])
            if node.op == "get_attr":
                env[node] = fn()
                continue
            if self.cuda:
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                env[node] = fn(*args_v, **kwargs_v)
                end.record()
                events.append((slot, start, end))
            else:
                t0 = time.perf_counter_ns()
                env[node] = fn(*args_v, **kwargs_v)
                times[slot] += (time.perf_counter_ns() - t0) * 1e-9
            for dead in self.free_after.get(node, ()):
                env.pop(dead, None)
        if self.cuda:
            torch.cuda.synchronize()
            for slot, start, end in events:
                times[slot] += start.elapsed_time(end) * 1e-3
        return times, output

