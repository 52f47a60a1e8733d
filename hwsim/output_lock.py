"""An advisory lock on an output while it is written, so that two hwsim processes never write
one file (or Parquet folder) at once.

The lock is ``fcntl.flock`` on a sidecar file next to the output (``s.csv`` ->
``.s.csv.lock``), which holds the writer's process id for the message the second writer gets.
A lock on the output itself would not do: outputs are replaced atomically (a new file renamed
over the old one), and a Parquet dataset is a folder. The kernel drops the lock when its holder
exits, even when it is killed; the sidecar is removed on release (a killed writer leaves it,
harmless: the next writer takes it). Where ``fcntl`` does not exist (Windows), and for a device
or pipe (``-o /dev/stdout``), nothing is locked.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from hwsim.errors import HwsimError, OutputBusyError

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["lock_path", "locked_output", "locked_outputs"]


def lock_path(output: str | os.PathLike[str]) -> Path:
    """The sidecar lock file of ``output``: a hidden file beside it (``.NAME.lock``)."""
    path = Path(output)
    return path.with_name(f".{path.name}.lock")


def _special(output: str | os.PathLike[str]) -> bool:
    """Whether ``output`` is a device or a pipe (``/dev/stdout``): nothing to lock."""
    try:
        mode = os.stat(output).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _holder(lock: Path) -> str:
    try:
        text = lock.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return "unknown"
    return text if text.isdigit() else "unknown"


def _acquire(output: str | os.PathLike[str]) -> tuple[int, Path]:
    """Lock ``output`` (its sidecar): the locked descriptor and the sidecar's path."""
    lock = lock_path(output)
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise HwsimError(f"cannot write {output}: cannot create its lock file {lock}: {exc.strerror or exc} (expected a writable folder)") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputBusyError(f"{output} is being written by another hwsim process (pid {_holder(lock)}); "
                                  "expected one writer at a time: wait for it to finish, or write another file") from None
        try:  # the holder before us may have removed the file we opened: then lock the new one
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            return fd, lock
        os.close(fd)


@contextmanager
def locked_output(output: str | os.PathLike[str] | None) -> Iterator[None]:
    """Hold the lock of ``output`` (None: nothing to lock) for the ``with`` block.

    Raises :class:`~hwsim.errors.OutputBusyError` (one line naming the file and the holder's
    pid) at once when another process holds it; it never waits.
    """
    if output is None or fcntl is None or _special(output):
        yield
        return
    fd, lock = _acquire(output)
    try:
        yield
    finally:
        try:
            lock.unlink()
        except OSError:
            pass
        os.close(fd)  # closing releases the lock


@contextmanager
def locked_outputs(*outputs: str | os.PathLike[str] | None) -> Iterator[None]:
    """:func:`locked_output` on each of ``outputs`` (None ones skipped), all held for the block."""
    with ExitStack() as stack:
        for output in outputs:
            stack.enter_context(locked_output(output))
        yield
