"""End-to-end CLI tests: real subprocesses for every model command and format, and the bad inputs."""

import json
import textwrap

import pandas as pd
import pytest

from hwsim.report.profile import LAYER_COLUMNS
from tests.cli_helpers import assert_clean_error, hwsim


def test_profile_table():
    proc = hwsim("profile", "squeezenext_23v5", "--accel", "ws_32x32")
    assert proc.returncode == 0, proc.stderr
    assert "squeezenext_23v5 on ws_32x32" in proc.stdout
    assert "latency" in proc.stdout and "utilization" in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 120


def test_profile_csv_json_plot(tmp_path):
    csv_path, json_path, png = tmp_path / "p.csv", tmp_path / "p.json", tmp_path / "p.png"
    proc = hwsim("profile", "mobilenet_v1", "--accel", "best_32x32", "--format", "csv", "-o", str(csv_path), "--plot", str(png))
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_csv(csv_path)
    assert list(frame.columns) == list(LAYER_COLUMNS)
    assert set(frame["dataflow"]) - {"-"} <= {"ws", "os"}
    assert png.stat().st_size > 1000
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
    factory = tmp_path / "net.py"
    factory.write_text(textwrap.dedent("""
        import torch.nn as nn
        def build():
            return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))
    """))
    proc = hwsim("profile", f"{factory}:build", "--input-size", "32x32", "--accel", "ws_8x8", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["layers"]) >= 3


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
    assert {r["accelerator"] for r in rows} == {"ws_32x32", "best_32x32"}
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
