"""Sweep backends: results in task order, and local worker processes that stop with their parent
(Ctrl-C to the process group: only the parent's one-line message; parent killed: no orphans)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from multiprocessing import resource_tracker
from pathlib import Path

import pandas as pd
import pytest

from hwsim.cli import main
from hwsim.explore.sweep.backends import run_processes, run_serial
from hwsim.explore.sweep.run import DELAY_ENV, read_sweep
from hwsim.graph.layer_graph import Layer, LayerGraph

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds processes through Linux /proc")

SETS = ["--set", "array.rows=4,8,16", "--set", "array.cols=8,16", "--set", "dataflow=ws,os"]  # 12 configurations


def worker_pid(task: int) -> tuple[int, int]:
    """A chunk function for the workers: the task and the pid of the process that ran it."""
    return task, os.getpid()


def slow_after_the_first(task: int) -> tuple[int, int]:
    """:func:`worker_pid`, but every task after the first takes 3 s."""
    if task > 0:
        time.sleep(3.0)
    return worker_pid(task)


def process_state(pid: int) -> str | None:
    """The /proc state letter of ``pid`` (``Z``: exited, not yet reaped), None when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def children(pid: int) -> list[int]:
    """Pids of the live processes whose parent is ``pid`` (a /proc scan)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def wait_until_gone(pids: list[int], timeout_s: float) -> list[int]:
    """The pids still running (not exited) after up to ``timeout_s`` seconds."""
    deadline = time.monotonic() + timeout_s
    running = list(pids)
    while running and time.monotonic() < deadline:
        time.sleep(0.05)
        running = [p for p in running if process_state(p) not in (None, "Z")]
    return running


def test_results_come_in_task_order_from_each_backend():
    assert [task for task, _ in run_serial(range(7), worker_pid)] == list(range(7))
    done = list(run_processes(range(7), 2, worker_pid))
    assert [task for task, _ in done] == list(range(7))
    assert os.getpid() not in {pid for _, pid in done}  # ran in the workers


def test_workers_stop_when_the_run_is_closed_early():
    resource_tracker.ensure_running()  # started once per process, kept: not one of this run's workers
    before = set(children(os.getpid()))
    results = run_processes(range(100), 2, slow_after_the_first)
    _, (_, first) = next(results)
    workers = sorted(set(children(os.getpid())) - before)
    assert first in workers and len(workers) == 2
    start = time.monotonic()
    results.close()  # what an error or Ctrl-C in the consumer does
    assert time.monotonic() - start < 2.0  # not waiting for the chunks in flight (3 s each)
    assert wait_until_gone(workers, 2.0) == []


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory):
    """A small hand-made network saved as graph JSON (no torch needed)."""
    layers = (
        Layer(name="conv1", op="conv", inputs=("input",), c=3, h=16, w=16, k=16, p=16, q=16, r=3, s=3, pad_h=1, pad_w=1, params=432),
        Layer(name="fc", op="linear", inputs=("conv1",), c=16 * 16 * 16, k=10, params=40960),
    )  # fmt: skip
    path = tmp_path_factory.mktemp("graph") / "tiny.json"
    LayerGraph(name="tiny", input_shape=(1, 3, 16, 16), layers=layers).save(path)
    return path


def start_sweep(graph_file: Path, out: Path, **popen) -> tuple[subprocess.Popen, list[str], list[int]]:
    """A real `hwsim sweep --workers 2` in its own process group, slowed (12 chunks of one
    configuration, 0.3 s after each), once 2 rows are on disk; with the pids of its children."""
    args = ["sweep", str(graph_file), "--accel", "ws_32x32", *SETS, "-o", str(out), "--chunk-size", "1", "--workers", "2"]
    env = {**os.environ, DELAY_ENV: "0.3"}
    proc = subprocess.Popen([sys.executable, "-m", "hwsim", *args], env=env, start_new_session=True, text=True, **popen)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and (not out.exists() or len(out.read_text().splitlines()) < 3):
        time.sleep(0.05)
    assert proc.poll() is None, "the sweep ended before it could be stopped"
    workers = children(proc.pid)
    assert len(workers) >= 2, workers  # two workers (and multiprocessing's resource tracker)
    return proc, args, workers


def test_ctrl_c_stops_the_workers_with_one_line_and_the_output_resumes(graph_file, tmp_path):
    out = tmp_path / "s.csv"
    proc, args, workers = start_sweep(graph_file, out, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err == (f"hwsim sweep: interrupted; what was written to {out} is kept: run the same command --resume "
                   "to compute only the rest\n")
    assert wait_until_gone(workers, 5.0) == []
    partial = len(read_sweep(out))
    assert 2 <= partial < 12
    assert main([*args, "--resume"]) == 0
    fresh = tmp_path / "fresh.csv"
    assert main(["sweep", str(graph_file), "--accel", "ws_32x32", *SETS, "-o", str(fresh)]) == 0
    keys = ["model", "config_id"]
    pd.testing.assert_frame_equal(read_sweep(out).sort_values(keys).reset_index(drop=True),
                                  read_sweep(fresh).sort_values(keys).reset_index(drop=True))


def test_workers_exit_when_their_parent_is_killed(graph_file, tmp_path):
    proc, _, workers = start_sweep(graph_file, tmp_path / "s.csv", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    try:
        assert wait_until_gone(workers, 5.0) == []
    finally:
        for pid in wait_until_gone(workers, 0):  # never leave an orphan behind a failed test
            os.kill(pid, signal.SIGKILL)
