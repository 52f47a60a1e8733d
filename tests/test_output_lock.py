"""hwsim.output_lock: one writer per output; a second writer (a real, concurrent process) gets one
line naming the file and the first writer's pid, and changes nothing."""

import os
import subprocess
import sys
import time

import pytest

from hwsim.cli import main
from hwsim.errors import OutputBusyError
from hwsim.explore.sweep.run import DELAY_ENV, read_sweep
from hwsim.output_lock import lock_path, locked_output

from tests.cli_helpers import assert_clean_error, hwsim

#: Seconds a helper process may take to start and take the lock (a loaded machine is slow).
START_S = 60

HOLDER = """
import sys, time
from hwsim.output_lock import locked_output
with locked_output(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.readline()  # hold until the test closes our stdin
"""


def hold(path):
    """A separate process that holds the lock of ``path`` until its stdin is closed."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "held\n"
    return proc


def release(proc):
    proc.stdin.close()
    assert proc.wait(timeout=START_S) == 0


def test_a_second_writer_is_refused_with_the_first_ones_pid_and_the_lock_goes_with_the_first(tmp_path):
    out = tmp_path / "out.csv"
    proc = hold(out)
    try:
        with pytest.raises(OutputBusyError, match=rf"^{out} is being written by another hwsim process \(pid {proc.pid}\); "):
            with locked_output(out):
                pass
    finally:
        release(proc)
    assert not lock_path(out).exists()
    with locked_output(out):  # free again
        assert lock_path(out).read_text() == f"{os.getpid()}\n"


def test_a_writer_killed_while_holding_the_lock_does_not_block_the_next_one(tmp_path):
    out = tmp_path / "out.csv"
    proc = hold(out)
    proc.kill()
    proc.wait(timeout=START_S)
    assert lock_path(out).exists()  # left behind by the kill; the kernel dropped the lock itself
    with locked_output(out):
        pass
    assert not lock_path(out).exists()


def test_devices_and_none_are_not_locked(tmp_path):
    with locked_output(None), locked_output(os.devnull):
        pass
    assert not lock_path(os.devnull).exists()


def test_profile_to_a_file_another_process_writes_is_refused_untouched(tmp_path, capsys):
    out = tmp_path / "p.json"
    out.write_text("the other writer's\n")
    proc = hold(out)
    try:
        assert main(["profile", "alexnet", "--accel", "ws_8x8", "-o", str(out)]) == 2
    finally:
        release(proc)
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"hwsim profile: error: {out} is being written by another hwsim process (pid {proc.pid}); expected one "
                   "writer at a time: wait for it to finish, or write another file"]
    assert out.read_text() == "the other writer's\n"


@pytest.mark.parametrize("second", [[], ["--resume"]], ids=["fresh", "resume"])
def test_two_concurrent_sweeps_to_one_csv(tmp_path, second):
    """A real sweep runs (slowed down between chunks); a second sweep to its file, fresh or
    --resume, fails in one line while the first goes on to a complete file with no duplicate."""
    out = tmp_path / "s.csv"
    args = ["sweep", "alexnet", "--accel", "ws_8x8", "--set", "array.rows=4,8,16,32", "--set", "array.cols=8,16", "--chunk-size", "1", "-o", str(out)]
    env = {**os.environ, DELAY_ENV: "0.75"}  # 8 chunks, 0.75 s after each: time for the second to start
    first = subprocess.Popen([sys.executable, "-m", "hwsim", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline and first.poll() is None and not lock_path(out).exists():
        time.sleep(0.02)
    try:
        assert first.poll() is None, first.stderr.read()
        assert_clean_error(hwsim(*args, *second, timeout=START_S), f"{out} is being written by another hwsim process "
                           f"(pid {first.pid})")
    finally:
        assert first.wait(timeout=START_S) == 0, first.stderr.read()
    rows = read_sweep(out)
    assert len(rows) == 8 and not rows.duplicated(["model", "config_id"]).any()
    assert not lock_path(out).exists()
