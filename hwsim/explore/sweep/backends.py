"""Where a sweep's chunks run: in this process, in local processes, or on a Dask cluster.

Each backend takes the chunks (any iterable: the sweep plans them lazily) and the chunk function
``run`` (:func:`hwsim.explore.sweep.run.run_chunk`; the search's
:func:`hwsim.explore.search.configurations.run_unit_task` runs the same way) and yields
``(task, result)`` pairs in task order, whatever order they finish in, so the output is the same
either way. Tasks and results must be picklable for processes and Dask.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
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
    """Run the chunks in ``workers`` spawned local processes (``run`` must be picklable by name).

    The workers stop with this process: each watches a pipe whose only writer end this process
    holds, and exits the moment it closes (this process ends, even by SIGKILL, or the run stops
    early: Ctrl-C, an error, the caller closing this generator). They ignore Ctrl-C (SIGINT,
    which a terminal sends to the whole process group), so the parent alone reports it, in one
    line, without a traceback from each worker.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    parent_alive, alive_writer = context.Pipe(duplex=False)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_setup,
                               initargs=(parent_alive,))
    finished = False
    try:
        with _sigint_ignored():  # the workers start with SIGINT ignored (kept across exec): no window for a traceback
            for _ in range(workers):
                pool.submit(os.getpid)  # the executor starts a worker per submission while none is idle
        yield from _windowed(tasks, lambda t: pool.submit(run, t), 2 * workers)
        finished = True
    finally:
        if not finished:
            alive_writer.close()  # stop the workers now: the results of their chunks would be thrown away
        pool.shutdown(wait=True, cancel_futures=True)
        alive_writer.close()
        parent_alive.close()


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT in this process for the block (in the main thread; elsewhere it cannot be
    changed, and the workers' :func:`_worker_setup` ignores it a moment later)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _worker_setup(parent_alive: Any) -> None:
    """A worker's first step: ignore SIGINT, and exit as soon as ``parent_alive`` (the read end of
    a pipe only the parent writes to) reaches its end: the parent has ended or stopped the run."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_alive,), name="hwsim-parent-watch", daemon=True).start()


def _exit_with_parent(parent_alive: Any) -> None:
    try:
        parent_alive.recv_bytes()  # blocks until the parent's end closes (nothing is ever sent)
    except (EOFError, OSError):
        pass
    os._exit(1)  # at once: no cleanup to do for a chunk whose result nobody will read


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
