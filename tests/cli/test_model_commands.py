"""End-to-end CLI tests: real subprocesses for every model command and format, and the bad inputs;
``main()`` in process where a test reads the saved figure back. Printed numbers are checked against
``simulate()`` or a closed form."""

import io
import json
import math
import textwrap

import numpy as np
import pandas as pd
import pytest
import yaml

from hwsim.cli import main
from hwsim.graph.layer_graph import LayerGraph
from hwsim.hardware.load import load_accelerator
from hwsim.report.profile import LAYER_COLUMNS
from hwsim.simulate import simulate
from hwsim.sources import load_graph
from tests.cli_helpers import assert_clean_error, hwsim
from tests.figure_helpers import saved_figures, stacked_bar_heights


def test_profile_table():
    proc = hwsim("profile", "squeezenext_23v5", "--accel", "ws_32x32")
    assert proc.returncode == 0, proc.stderr
    assert "squeezenext_23v5 on ws_32x32" in proc.stdout
    assert "latency" in proc.stdout and "utilization" in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 120


def test_profile_csv_json_plot(tmp_path, monkeypatch):
    csv_path, json_path, png = tmp_path / "p.csv", tmp_path / "p.json", tmp_path / "p.png"
    figures = saved_figures(monkeypatch)
    assert main(["profile", "mobilenet_v1", "--accel", "best_32x32", "--format", "csv", "-o", str(csv_path), "--plot", str(png)]) == 0
    frame = pd.read_csv(csv_path)
    assert list(frame.columns) == list(LAYER_COLUMNS)
    assert set(frame["dataflow"]) - {"-"} <= {"ws", "os"}
    # the figure shows the profile it was drawn with: one stacked bar per layer that takes time,
    # as tall as that layer's cycles in the CSV
    (fig,) = figures
    ax = next(ax for ax in fig.axes if ax.get_ylabel() == "cycles")
    timed = frame[frame["cycles"] > 0]
    assert [t.get_text() for t in ax.get_xticklabels()] == timed["layer"].tolist()
    np.testing.assert_array_equal(list(stacked_bar_heights(ax).values()), timed["cycles"].to_numpy())
    proc = hwsim("profile", "alexnet", "--accel", "os_32x32", "--format", "json", "-o", str(json_path), "--batch", "2")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(json_path.read_text())
    assert data["totals"]["model"].startswith("alexnet") and len(data["layers"]) > 5
    proc = hwsim("profile", "alexnet", "--accel", "ws_32x32", "--top", "3", "--dataflow", "is")
    assert proc.returncode == 0 and " is " in proc.stdout


def test_profile_graph_json_and_user_module(tmp_path):
    graph_path = tmp_path / "g.json"
    proc = hwsim("export", "squeezenet1_1", "-o", str(graph_path))
    assert proc.returncode == 0, proc.stderr
    proc = hwsim("profile", str(graph_path), "--accel", "ws_16x16", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    printed = pd.read_csv(io.StringIO(proc.stdout))
    expected = simulate(LayerGraph.load(graph_path), load_accelerator("ws_16x16"))
    assert printed["layer"].tolist() == list(expected.names)
    assert printed["dataflow"].tolist() == list(expected.dataflow)
    for column in ("macs", "cycles", "stall_cycles", "dram_bytes", "sram_read_bytes"):
        np.testing.assert_array_equal(printed[column], getattr(expected, column), err_msg=column)
    np.testing.assert_allclose(printed["energy_pj"], expected.energy_pj, rtol=1e-12)
    factory = tmp_path / "net.py"
    factory.write_text(textwrap.dedent("""
        import torch.nn as nn
        def build():
            return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))
    """))
    proc = hwsim("profile", f"{factory}:build", "--input-size", "32x32", "--accel", "ws_8x8", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    layers = json.loads(proc.stdout)["layers"]
    assert [r["op"] for r in layers] == ["conv", "global_pool", "reshape", "linear"]  # ReLU fused into the conv
    # conv 3 -> 8, 3x3, pad 1 on 32x32: GEMM M = 1024, K = 27, N = 8; 221,184 MACs. WS on 8x8:
    # ceil(27/8) = 4 K-folds of 2*8 + 8 + 1024 - 2 = 1046 cycles -> 4*1046 - 1 = 4183 compute cycles.
    # global pool: 8 x 32 x 32 = 8192 elements on 8 lanes = 1024 cycles; flatten: free.
    # linear 8 -> 4: one fold of 2*8 + 8 + 1 - 2 = 23 -> 22 cycles.
    assert [r["macs"] for r in layers] == [221184, 0, 0, 32]
    assert [r["compute_cycles"] for r in layers] == [4183, 1024, 0, 22]
    assert layers[2]["cycles"] == 0 and layers[2]["bound"] == "free"


def test_unsupported_ops_are_listed_and_profile_still_runs(tmp_path):
    factory = tmp_path / "odd.py"
    factory.write_text(textwrap.dedent("""
        import torch, torch.nn as nn
        class Odd(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 4, 3)
            def forward(self, x):
                y = self.conv(x)
                return torch.sort(y, dim=1).values
    """))
    proc = hwsim("profile", f"{factory}:Odd", "--input-size", "16x16", "--accel", "ws_8x8")
    assert proc.returncode == 0, proc.stderr
    assert "sort" in proc.stdout and "unsupported" in proc.stdout


def test_compare():
    proc = hwsim("compare", "squeezenext_23,squeezenext_23v5", "--accel", "ws_32x32,best_32x32", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert len(rows) == 4 and rows[0]["speedup"] == 1.0
    assert [(r["model"], r["accelerator"]) for r in rows] == [
        (m, a) for m in ("squeezenext_23", "squeezenext_23v5") for a in ("ws_32x32", "best_32x32")]
    base = rows[0]
    for r in rows:  # 500 MHz, 1024 PEs; ratios against the first row (printed rounded)
        assert r["latency_ms"] == pytest.approx(r["cycles"] / 500e3, abs=1e-4)
        assert r["utilization"] == pytest.approx(r["macs"] / (r["cycles"] * 1024), abs=1e-4)
        assert r["speedup"] == pytest.approx(base["cycles"] / r["cycles"], abs=1e-3)
        assert r["energy_ratio"] == pytest.approx(r["energy_uj"] / base["energy_uj"], abs=1e-3)
    assert rows[0]["macs"] == rows[1]["macs"] != rows[2]["macs"] == rows[3]["macs"]  # MACs follow the model
    assert rows[1]["cycles"] <= rows[0]["cycles"] and rows[3]["cycles"] <= rows[2]["cycles"]  # best <= ws
    proc = hwsim("compare", "squeezenet1_0,alexnet", "--accel", "best_32x32")
    assert proc.returncode == 0 and "speedup" in proc.stdout


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_list(fmt):
    proc = hwsim("list", "models", "--format", fmt)
    assert proc.returncode == 0, proc.stderr
    assert "squeezenext_23v5" in proc.stdout and "mobilenet_v2" in proc.stdout
    proc = hwsim("list", "accelerators", "--format", fmt)
    assert proc.returncode == 0, proc.stderr
    assert "ws_32x32" in proc.stdout and "best_32x32" in proc.stdout
    if fmt == "csv":
        assert proc.stdout.splitlines()[0].startswith("name,array,dataflow")


def test_list_models_csv_columns_are_integers():
    proc = hwsim("list", "models", "--format", "json")
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert rows["squeezenext_23"]["input"] == "3x227x227"
    assert isinstance(rows["mobilenet_v1"]["macs"], int) and isinstance(rows["mobilenet_v1"]["params"], int)


def test_export_topology_csv(tmp_path):
    out = tmp_path / "topo.csv"
    proc = hwsim("export", "alexnet", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().splitlines()[0].lower().startswith("layer")
    proc = hwsim("profile", str(out), "--accel", "ws_32x32", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    printed = pd.read_csv(io.StringIO(proc.stdout))
    # every topology row is a conv with SCALE-Sim's output size P = ceil((H - R + s) / s):
    # gemm_m = P*Q, gemm_k = R*S*C, gemm_n = K, MACs = their product
    topology = pd.read_csv(out, skipinitialspace=True).dropna(axis=1, how="all")
    topology.columns = [c.strip() for c in topology.columns]
    assert printed["layer"].tolist() == topology["Layer name"].tolist()
    for (_, row), (_, layer) in zip(printed.iterrows(), topology.iterrows()):
        stride = layer["Strides"]
        p = math.ceil((layer["IFMAP Height"] - layer["Filter Height"] + stride) / stride)
        q = math.ceil((layer["IFMAP Width"] - layer["Filter Width"] + stride) / stride)
        gemm = (p * q, layer["Filter Height"] * layer["Filter Width"] * layer["Channels"], layer["Num Filter"])
        assert (row["gemm_m"], row["gemm_k"], row["gemm_n"]) == gemm, row["layer"]
        assert row["macs"] == gemm[0] * gemm[1] * gemm[2]


@pytest.mark.parametrize("command", ["profile", "compare", "list", "export"])
def test_help_has_an_example(command):
    proc = hwsim(command, "--help")
    assert proc.returncode == 0 and "Example" in proc.stdout


def test_bad_inputs(tmp_path):
    assert_clean_error(hwsim("profile", "squeezenext_23v9", "--accel", "ws_32x32"), "unknown model", "squeezenext_23v")
    assert_clean_error(hwsim("profile", "alexnet", "--accel", "ws_32x23"), "unknown accelerator", "ws_32x32")
    assert_clean_error(hwsim("profile", str(tmp_path / "none.json"), "--accel", "ws_32x32"), "none.json")
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("name: x\narray: {rows: -4, cols: 8}\ndataflow: ws\nclock_mhz: 1\nbuffers: {ifmap_kib: 1, filter_kib: 1, ofmap_kib: 1}\ndram: {bandwidth_bytes_per_cycle: 1}\n")
    assert_clean_error(hwsim("profile", "alexnet", "--accel", str(bad_yaml)), "bad.yaml", "array.rows", "-4")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert_clean_error(hwsim("profile", str(broken), "--accel", "ws_32x32"), "broken.json")
    assert_clean_error(hwsim("profile", "alexnet", "--accel", "ws_32x32", "--batch", "0"), "--batch")
    assert_clean_error(hwsim("profile", "alexnet", "--accel", "ws_32x32", "--input-size", "big"), "--input-size")
    assert_clean_error(hwsim("profile", "alexnet", "--accel", "ws_32x32", "--dataflow", "xs"), "--dataflow")
    assert_clean_error(hwsim("profile", "alexnet"), "--accel")
    assert_clean_error(hwsim("export", "alexnet", "-o", str(tmp_path / "x.txt")), "x.txt")
    assert_clean_error(hwsim("profile", f"{tmp_path / 'nofile.py'}:build", "--input-size", "8x8", "--accel", "ws_8x8"), "nofile.py")


def test_outputs_are_checked_before_work_and_format_follows_the_suffix(tmp_path):
    assert_clean_error(hwsim("profile", "alexnet", "--accel", "ws_32x32", "--plot", str(tmp_path / "x.txt")), "--plot", ".png")
    assert_clean_error(hwsim("profile", "alexnet", "--accel", "ws_32x32", "-o", str(tmp_path / "no" / "x.csv")), "does not exist")
    out = tmp_path / "p.json"
    assert hwsim("profile", "alexnet", "--accel", "ws_32x32", "-o", str(out)).returncode == 0
    assert json.loads(out.read_text())["totals"]["model"] == "alexnet"  # JSON, not the table


def test_dataflow_override_is_named_and_batch_rescales_without_torch(tmp_path):
    rows = json.loads(hwsim("compare", "alexnet", "--accel", "ws_32x32", "--dataflow", "os", "--format", "json").stdout)
    assert rows[0]["accelerator"] == "ws_32x32[os]"
    one = json.loads(hwsim("profile", "squeezenext_23v5", "--accel", "ws_32x32", "--format", "json").stdout)
    four = json.loads(hwsim("profile", "squeezenext_23v5", "--accel", "ws_32x32", "--format", "json", "--batch", "4").stdout)
    assert four["totals"]["macs"] == 4 * one["totals"]["macs"]


def test_profile_and_compare_with_a_global_buffer(tmp_path):
    # A shipped accelerator with a global buffer: its columns and totals appear and equal simulate().
    json_path = tmp_path / "p.json"
    proc = hwsim("profile", "squeezenext_23v5", "--accel", "ws_32x32_gb1mib", "--format", "json", "-o", str(json_path))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(json_path.read_text())
    expected = simulate(load_graph("squeezenext_23v5"), load_accelerator("ws_32x32_gb1mib"))
    assert data["totals"]["gbuf_peak_bytes"] == expected.gbuf_peak_bytes <= 1024 * 1024
    assert [row["gbuf_operands"] for row in data["layers"]] == list(expected.gbuf_operands)
    assert data["totals"]["dram_bytes"] == expected.total_dram_bytes
    proc = hwsim("compare", "squeezenext_23v5", "--accel", "ws_32x32,ws_32x32_gb1mib", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows[1]["cycles"] == expected.total_cycles < rows[0]["cycles"]
    # A bad section is one line naming the file and the field, exit 2.
    bad = tmp_path / "bad.yaml"
    data = load_accelerator("ws_32x32_gb1mib").to_dict()
    data["global_buffer"]["kib"] = -1
    bad.write_text(yaml.safe_dump(data))
    assert_clean_error(hwsim("profile", "alexnet", "--accel", str(bad)), str(bad), "global_buffer.kib = -1", "expected")
