"""Shared helpers for the end-to-end CLI tests: run `python -m hwsim` and check clean errors."""

import subprocess
import sys


def hwsim(*args, cwd=None, timeout=300):
    """Run the CLI in a real subprocess; returns the CompletedProcess (text output)."""
    return subprocess.run([sys.executable, "-m", "hwsim", *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def assert_clean_error(proc, *fragments):
    """Exit code 2, one line on stderr naming the problem, no traceback."""
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
