"""Errors hwsim raises on bad input.

Every error a user can cause is an :class:`HwsimError`; the CLI turns it into one line on
stderr and exit code 2. Messages name the file, field or model and what was expected.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterable, Iterator
from pathlib import Path


class HwsimError(Exception):
    """Base class of every error caused by user input (files, names, options)."""


class ConfigError(HwsimError):
    """An accelerator file, option or value is invalid."""


class UnknownNameError(HwsimError):
    """A model or accelerator name is not known; the message suggests the closest names."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        known = sorted(known)
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        super().__init__(f"unknown {kind} '{name}'{hint} (see `hwsim list {kind}s`)")
        self.kind = kind
        self.name = name
        self.suggestions = tuple(close)


class UnsupportedOpError(HwsimError):
    """A model contains operations that hwsim cannot convert (raised only where asked to be strict)."""


class GraphFileError(HwsimError):
    """A graph, topology or other input file cannot be read or is malformed."""


#: Default largest input file :func:`read_text` reads (configuration files are a few KiB).
MAX_INPUT_BYTES = 1 << 20


def read_text(
    path: str | Path,
    error: type[HwsimError],
    what: str = "",
    source: str | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
) -> str:
    """The UTF-8 text of a user's file; a missing, unreadable, binary or oversized file raises
    ``error`` with one line: ``<source>: cannot read <what>: <reason>``.

    At most ``max_bytes`` bytes are read (so a device or a pipe that never ends cannot hang the
    reader); a larger file is refused, naming the limit. Line ends are read as text mode reads
    them (CR LF and CR become LF).
    """
    label = source or str(path)
    prefix = f"{label}: cannot read{' ' + what if what else ''}"
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise error(f"{prefix}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise error(f"{prefix}: larger than {max_bytes:,} bytes: expected a smaller file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{prefix}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")  # universal newlines, as open() in text mode


class SizeLimitError(HwsimError, ValueError):
    """A model or value is larger than hwsim can count exactly (the int64 limits of docs/MODEL.md §11).

    Also a ``ValueError``, so code that validates layers (``except ValueError``) reports it with
    the file it came from; anywhere else the CLI reports it as any other :class:`HwsimError`.
    """


class InternalError(HwsimError):
    """A result breaks the model's own invariants (negative cycles, utilization above 1, ...): a bug
    in hwsim, reported in one line instead of printing a wrong number."""


class OutputBusyError(HwsimError):
    """An output file is being written by another hwsim process (it holds the file's lock)."""


class UserCodeError(HwsimError):
    """A user's model code (a ``file.py:factory`` file, its factory or its ``forward``) stopped
    hwsim by raising :class:`SystemExit` (``sys.exit``, ``exit()``)."""


def exit_call(exc: SystemExit) -> str:
    """How the user's code exited, as the call that does it: ``sys.exit(3)``, ``sys.exit('msg')``, ``sys.exit()``."""
    return "sys.exit()" if exc.code is None else f"sys.exit({exc.code!r})"


@contextlib.contextmanager
def user_code(subject: str, during: str = "") -> Iterator[None]:
    """Run the user's code in this block: a :class:`SystemExit` it raises becomes a one-line
    :class:`UserCodeError` ``<subject> called sys.exit(3) <during>`` instead of ending hwsim
    silently with the user's exit code. ``KeyboardInterrupt`` (Ctrl-C) passes through."""
    try:
        yield
    except SystemExit as exc:
        raise UserCodeError(f"{subject} called {exit_call(exc)}{' ' + during if during else ''}; "
                            "expected it to return, not to exit") from None


class MissingExtraError(HwsimError):
    """An optional package a command needs is not installed; the message names the pip extra."""


#: Optional packages (top-level import name) -> (the name users know, the ``hwsim[...]`` extra
#: of pyproject.toml that installs it).
OPTIONAL_PACKAGES: dict[str, tuple[str, str]] = {
    "torch": ("PyTorch", "torch"),
    "scipy": ("SciPy", "torch"),
    "onnx": ("the onnx package", "onnx"),
    "pyarrow": ("pyarrow", "sweep"),
    "dask": ("Dask", "sweep"),
    "distributed": ("dask.distributed", "sweep"),
}


def missing_extra(exc: BaseException, what: str = "this command") -> MissingExtraError | None:
    """The one-line error for an :class:`ImportError` of an optional package (``what`` needs
    PyTorch ...: ``pip install 'hwsim[torch]'``), or None when ``exc`` is anything else."""
    if not isinstance(exc, ImportError) or not exc.name:
        return None
    package = OPTIONAL_PACKAGES.get(exc.name)  # the package itself: a module missing inside one is another problem
    if package is None:
        return None
    label, extra = package
    return MissingExtraError(f"{what} needs {label}, which is not installed (no module named {exc.name!r}); "
                             f"install it with: pip install 'hwsim[{extra}]'")
