"""The harness of the hostile corpus (tests/test_hostile_*.py): one case = files to write, a
command, the fragments its one stderr line must hold; :func:`check_case` runs it in-process.

Every case must give exit code 2 and one stderr line ``hwsim CMD: error: ...`` naming the file,
field or option (its fragments) and what was expected, with no traceback, within seconds, and
must leave its input files unchanged. :func:`quick` is the fuzzers' check: a value or one
:class:`~hwsim.errors.HwsimError` line, within seconds.
"""

from __future__ import annotations

import io
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

from hwsim.cli import main
from hwsim.errors import HwsimError

#: Seconds one hostile input may take (most take milliseconds).
MAX_SECONDS = 5.0
#: Words of which the error line must hold one: it says what was expected.
EXPECTATION_WORDS = ("expected", "cannot read", "duplicate", "unknown", "missing", "twice", "choose from")


@dataclass(frozen=True)
class Case:
    """One hostile input: files to write, the command (``{d}`` = their folder), what stderr must name."""

    id: str
    argv: tuple[str, ...]
    fragments: tuple[str, ...]
    files: dict[str, str | bytes] = field(default_factory=dict)


def run_cli(argv: list[str]) -> tuple[int, str, str, float]:
    """Exit code, stdout, stderr and seconds of ``hwsim.cli.main(argv)``."""
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue(), time.perf_counter() - start


def write_files(folder: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)


def check_case(tmp_path: Path, case: Case) -> None:
    """Run ``case`` in ``tmp_path`` and check everything the module docstring promises."""
    write_files(tmp_path, case.files)
    before = {name: (tmp_path / name).read_bytes() for name in case.files}
    argv = [arg.replace("{d}", str(tmp_path)) for arg in case.argv]
    code, _, err, seconds = run_cli(argv)
    assert {name: (tmp_path / name).read_bytes() for name in case.files} == before  # inputs are never changed
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"hwsim {argv[0]}: error: "), lines[0]
    assert any(word in lines[0] for word in EXPECTATION_WORDS), lines[0]
    for fragment in case.fragments:
        assert fragment.replace("{d}", str(tmp_path)) in lines[0], lines[0]
    assert seconds < MAX_SECONDS


def quick(function, *args):
    """``function(*args)`` gives a value or one HwsimError line, within :data:`MAX_SECONDS`."""
    start = time.perf_counter()
    try:
        result = function(*args)
    except HwsimError as exc:
        assert "\n" not in str(exc), str(exc)
        result = None
    assert time.perf_counter() - start < MAX_SECONDS
    return result
