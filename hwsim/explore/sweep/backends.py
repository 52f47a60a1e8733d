"""Where a sweep's chunks run: in this process, in local processes, or on a Dask cluster.

Each backend takes the chunks (any iterable: the sweep plans them lazily) and the chunk function
``run`` (:func:`hwsim.explore.sweep.run.run_chunk`; the search's
:func:`hwsim.explore.search.configurations.run_unit_task` runs the same way) and yields
``(task, result)`` pairs in task order, whatever order they finish in, so the output is the same
either way. Tasks and results must be picklable for processes and Dask.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from hwsim.errors import ConfigError

Task = TypeVar("Task")
Result = TypeVar("Result")


def run_serial(tasks: Iterable[Task], run: Callable[[Task], Result]) -> Iterator[tuple[Task, Result]]:
    """Run the chunks one after another in this process."""
    for task in tasks:
        yield task, run(task)


def run_processes(tasks: Iterable[Task], workers: int, run: Callable[[Task], Result]) -> Iterator[tuple[Task, Result]]:
    """Run the chunks in ``workers`` spawned local processes (``run`` must be picklable by name)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from _windowed(tasks, lambda t: pool.submit(run, t), 2 * workers)


def run_dask(tasks: Iterable[Task], scheduler: Any, run: Callable[[Task], Result],
             timeout_s: float) -> Iterator[tuple[Task, Result]]:
    """Run on the Dask scheduler at address ``scheduler`` (or a ``Client``); ``timeout_s``: seconds to connect."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise ConfigError("--scheduler needs dask.distributed: pip install 'hwsim[sweep]'") from None
    own = not isinstance(scheduler, Client)
    if own:
        try:
            client = Client(scheduler, timeout=f"{timeout_s}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError(f"--scheduler {scheduler}: cannot connect: {exc}") from None
    else:
        client = scheduler
    try:
        threads = max(1, sum(client.nthreads().values()))
        yield from _windowed(tasks, lambda t: client.submit(run, t, pure=False), 2 * threads)
    finally:
        if own:
            client.close()


def _windowed(tasks: Iterable[Task], submit: Callable[[Task], Any], window: int) -> Iterator[tuple[Task, Any]]:
    """Keep up to ``window`` tasks in flight; yield ``(task, result)`` in task order."""
    pending: deque[tuple[Task, Any]] = deque()
    for task in tasks:
        pending.append((task, submit(task)))
        if len(pending) >= window:
            done, future = pending.popleft()
            yield done, future.result()
    while pending:
        done, future = pending.popleft()
        yield done, future.result()
