"""``hwsim sweep`` and ``hwsim pareto`` end to end: outputs, a sweep killed mid-way and resumed, bad input."""

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from hwsim.cli import main
from hwsim.graph import Layer, LayerGraph
from hwsim.pareto import pareto_front
from hwsim.sweep import DELAY_ENV, SUMMARY_COLUMNS, read_sweep, sweep
from tests.cli_helpers import assert_clean_error

SETS = ["--set", "array.rows=4,8,16", "--set", "array.cols=8,16", "--set", "dataflow=ws,os"]  # 12 configurations


def hwsim(*args, env=None):
    return subprocess.run([sys.executable, "-m", "hwsim", *args], capture_output=True, text=True, timeout=120, env=env)


def rows_on_disk(path):
    """Summary rows a running sweep has written (CSV lines after the header; parquet parts of 2 rows)."""
    if path.suffix == ".csv":
        return max(len(path.read_bytes().splitlines()) - 1, 0) if path.exists() else 0
    return 2 * len(list(path.glob("part-*.parquet")))


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory):
    """A small hand-made network saved as graph JSON (no torch needed)."""
    layers = (
        Layer(name="conv1", op="conv", inputs=("input",), c=3, h=16, w=16, k=16, p=16, q=16, r=3, s=3, pad_h=1, pad_w=1, params=432),
        Layer(name="conv2", op="conv", inputs=("conv1",), c=16, h=16, w=16, k=32, p=8, q=8, r=3, s=3, stride_h=2, stride_w=2, pad_h=1, pad_w=1, params=4608),
        Layer(name="pool", op="global_pool", inputs=("conv2",), c=32, h=8, w=8, k=32),
        Layer(name="fc", op="linear", inputs=("pool",), c=32, k=10, params=320),
    )  # fmt: skip
    path = tmp_path_factory.mktemp("graph") / "tiny.json"
    LayerGraph(name="tiny", input_shape=(1, 3, 16, 16), layers=layers).save(path)
    return path


def test_sweep_writes_csv_and_prints_the_fastest(graph_file, tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert main(["sweep", str(graph_file), "--accel", "ws_32x32", *SETS, "-o", str(out), "--top", "2"]) == 0
    text = capsys.readouterr().out
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["model", "config_id", "array.rows", "array.cols", "dataflow", *SUMMARY_COLUMNS]
    assert len(frame) == 12 and frame["config_id"].is_unique
    expected = sweep([str(graph_file)], "ws_32x32", {"array.rows": [4, 8, 16], "array.cols": [8, 16], "dataflow": ["ws", "os"]})
    pd.testing.assert_frame_equal(read_sweep(out), expected)
    assert f"wrote {out}: 12 rows" in text
    fastest = expected.nsmallest(1, "latency_ms").iloc[0]
    assert "fastest 2 of 12 configurations of tiny" in text and str(fastest["bottleneck_layer"]) in text


def test_sweep_two_zoo_models_to_parquet_with_per_layer(tmp_path):
    out, layers = tmp_path / "s.parquet", tmp_path / "layers.parquet"
    args = ["sweep", "squeezenext_23v5,mobilenet_v1", "--accel", "best_32x32", "--set", "array.rows=16,32",
            "--set", "dram.bandwidth_bytes_per_cycle=8,16", "-o", str(out), "--per-layer", str(layers)]  # fmt: skip
    assert main(args) == 0
    frame = read_sweep(out)
    assert frame["model"].tolist() == ["squeezenext_23v5"] * 4 + ["mobilenet_v1"] * 4
    per_layer = read_sweep(layers)
    totals = per_layer.groupby(["model", "config_id"], sort=False)["cycles"].sum()
    assert totals.tolist() == frame["cycles"].tolist()


def test_pareto_table_csv_and_plot(graph_file, tmp_path, capsys):
    out = tmp_path / "s.parquet"
    assert main(["sweep", str(graph_file), "--accel", "ws_32x32", *SETS, "-o", str(out)]) == 0
    capsys.readouterr()
    front_csv, png = tmp_path / "front.csv", tmp_path / "front.png"
    args = ["pareto", str(out), "--x", "latency_ms", "--y", "energy_uj", "--z", "area_pes", "--format", "csv", "-o", str(front_csv), "--plot", str(png)]
    assert main(args) == 0
    written = pd.read_csv(front_csv, dtype={"config_id": str})
    expected = pareto_front(read_sweep(out), ["latency_ms", "energy_uj", "area_pes"], by="model")
    assert written["config_id"].tolist() == expected["config_id"].tolist()
    assert png.stat().st_size > 5000
    assert main(["pareto", str(out), "--x", "latency_ms", "--y", "energy_uj"]) == 0
    table = capsys.readouterr().out
    assert "Pareto front of" in table and "latency_ms" in table


def test_killed_sweep_resumes_to_the_rows_of_an_uninterrupted_run(graph_file, tmp_path):
    """Kill -9 a real `hwsim sweep` after its first chunks are on disk, then --resume."""
    for suffix in (".csv", ".parquet"):
        out, layers = tmp_path / f"killed{suffix}", tmp_path / f"killed_layers{suffix}"
        args = ["sweep", str(graph_file), "--accel", "ws_32x32", *SETS, "-o", str(out), "--per-layer", str(layers), "--chunk-size", "2"]
        env = {**os.environ, DELAY_ENV: "0.5"}  # 6 chunks, half a second after each
        proc = subprocess.Popen([sys.executable, "-m", "hwsim", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and rows_on_disk(out) < 2:
            time.sleep(0.05)
        assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.stderr.read()}"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        partial = len(read_sweep(out))
        assert 2 <= partial < 12
        assert main([*args, "--resume"]) == 0
        fresh, fresh_layers = tmp_path / f"fresh{suffix}", tmp_path / f"fresh_layers{suffix}"
        assert main(["sweep", str(graph_file), "--accel", "ws_32x32", *SETS, "-o", str(fresh), "--per-layer", str(fresh_layers)]) == 0
        keys = ["model", "config_id"]
        pd.testing.assert_frame_equal(
            read_sweep(out).sort_values(keys).reset_index(drop=True), read_sweep(fresh).sort_values(keys).reset_index(drop=True)
        )
        layer_keys = [*keys, "layer_index"]
        pd.testing.assert_frame_equal(
            read_sweep(layers).sort_values(layer_keys).reset_index(drop=True),
            read_sweep(fresh_layers).sort_values(layer_keys).reset_index(drop=True),
        )


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--set", "array.rowz=8,16"], ["hwsim sweep: error", "array.rowz", "did you mean array.rows"]),
        (["--set", "array.rows=8,sixteen"], ["array.rows", "'sixteen'", "integer"]),
        (["--set", "array.rows=8,-16"], ["array.rows", "-16", "integer > 0"]),
        (["--set", "dataflow=ws,fast"], ["dataflow", "'fast'", "one of ws, os, is, best"]),
        (["--set", "buffers.ifmap_kib=range(16,8)"], ["buffers.ifmap_kib", "empty"]),
    ],
)
def test_bad_set_is_one_line_exit_2(graph_file, tmp_path, args, fragments):
    proc = hwsim("sweep", str(graph_file), "--accel", "ws_32x32", *args, "-o", str(tmp_path / "s.csv"))
    assert_clean_error(proc, *fragments)


def test_bad_pareto_column_and_output_are_one_line(graph_file, tmp_path):
    out = tmp_path / "s.csv"
    assert main(["sweep", str(graph_file), "--accel", "ws_32x32", "--set", "array.rows=4,8", "-o", str(out)]) == 0
    assert_clean_error(hwsim("pareto", str(out), "--x", "latency", "--y", "energy_uj"), "hwsim pareto: error", "'latency'", "latency_ms")
    assert_clean_error(hwsim("pareto", str(tmp_path / "missing.csv"), "--x", "a", "--y", "b"), "missing.csv")
    assert_clean_error(hwsim("sweep", str(graph_file), "--accel", "ws_32x32", "-o", str(tmp_path / "s.txt")), "s.txt", ".csv")
