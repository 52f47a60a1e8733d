"""End-to-end CLI tests: real subprocesses for every model command and format, and the bad inputs;
``main()`` in process where a test reads the saved figure back. Printed numbers are checked against
``simulate()`` or a closed form."""

import io
import json
import math
import subprocess
import sys
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
from tests.figure_helpers import saved_figures
from tests.paths import REPO


def test_profile_table():
    proc = hwsim("profile", "squeezenext_23v5", "--accel", "ws_32x32")
    assert proc.returncode == 0, proc.stderr
    assert "squeezenext_23v5 on ws_32x32" in proc.stdout
    assert "latency" in proc.stdout and "utilization" in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 120


def test_profile_csv_json_plot(tmp_path, monkeypatch):
    csv_path, json_path, png = tmp_path / "p.csv", tmp_path / "p.json", tmp_path / "p.png"
    figures = saved_figures(monkeypatch)
    assert main(["profile", "mobilenet_v1", "--accel", "best_32x32", "--format", "csv", "-o", str(csv_path),
                 "--plot", str(png), "--by", "layer"]) == 0
    frame = pd.read_csv(csv_path)
    assert list(frame.columns) == list(LAYER_COLUMNS)
    assert set(frame["dataflow"]) - {"-"} <= {"ws", "os"}
    # the figure shows the profile it was drawn with: one stacked horizontal bar per layer that
    # takes time, top to bottom in network order, as long as that layer's cycles in the CSV
    (fig,) = figures
    ax = fig.axes[0]
    timed = frame[frame["cycles"] > 0]
    assert [t.get_text() for t in ax.get_yticklabels()] == timed["layer"].tolist()
    lengths = [sum(bars[i].get_width() for bars in ax.containers) for i in range(len(timed))]
    np.testing.assert_array_equal(lengths, timed["cycles"].to_numpy())
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
    # the totals block starts with what is left out: sort's MACs are unknown, so no share is claimed
    totals = proc.stdout.split("Totals", 1)[1].splitlines()
    assert totals[1].split() == ["COVERAGE", "left", "out:", "getattr", "x1", "(MACs", "unknown),", "sort", "x1",
                                 "(MACs", "unknown);", "share", "of", "MACs", "simulated", "unknown"]
    strict = hwsim("profile", f"{factory}:Odd", "--input-size", "16x16", "--accel", "ws_8x8", "--strict")
    assert_clean_error(strict, "odd: --strict: left out: getattr x1 (MACs unknown), sort x1 (MACs unknown)")


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
    # both 32x32 with 3 x 64 KiB: 1,024 x 426.528 um² + 192 KiB x 119 mm² / 153 Mbit (docs/MODEL.md §10)
    assert [r["area_mm2"] for r in rows] == [pytest.approx(1024 * 426.528e-6 + 192 * 119 / (153 * 2**20) * 8192)] * 4
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


#: Libraries the model commands must not load for shipped or plain-file inputs (issue 17): data
#: frames, schema validation, figures, terminal styling, fitting, tracing.
HEAVY_MODULES = ("pandas", "pydantic", "matplotlib", "rich", "scipy", "torch")


def test_model_commands_import_only_what_they_need(tmp_path):
    """Each command in a fresh process; every heavy library it loaded is reported by name."""
    graph, topology = tmp_path / "g.json", tmp_path / "t.csv"
    commands = {
        "profile zoo model on a shipped accelerator": ["profile", "squeezenext_23v5", "--accel", "ws_32x32"],
        "profile --top": ["profile", "shufflenet_v1_g3", "--accel", "best_16x16", "--top", "5"],
        "profile json": ["profile", "mobilenet_v1", "--accel", "os_32x32", "--format", "json"],
        "profile, global buffer": ["profile", "mobilenet_v2", "--accel", "ws_32x32_gb1mib"],
        "profile gemmini": ["profile", "shufflenet_v2_1.0", "--accel", "gemmini_16x16", "--top", "3"],
        "profile tpu": ["profile", "squeezenet1_1", "--accel", "tpu_v1_256x256"],
        "compare": ["compare", "squeezenext_23,alexnet", "--accel", "ws_32x32,best_32x32"],
        "list models": ["list", "models"],
        "list accelerators": ["list", "accelerators"],
        "export json": ["export", "squeezenext_23v5", "-o", str(graph)],
        "export topology": ["export", "alexnet", "-o", str(topology)],
        "profile graph json": ["profile", str(graph), "--accel", "ws_16x16"],
        "profile SCALE-Sim topology": ["profile", str(topology), "--accel", "ws_32x32"],
        "profile csv": ["profile", "alexnet", "--accel", "is_32x32", "--format", "csv"],
        "sweep to parquet": ["sweep", "squeezenext_23v5", "--accel", "ws_32x32", "--set", "array.rows=8,16",
                             "--set", "dataflow=ws,best", "--set", "vector.lanes=4,8", "-o", str(tmp_path / "s.parquet")],
    }
    code = textwrap.dedent(
        """
        import contextlib, io, json, sys
        from hwsim.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            rc = main(json.loads(sys.argv[1]))
        print(json.dumps([rc, sorted(m for m in json.loads(sys.argv[2]) if m in sys.modules)]))
        """
    )
    loaded = {}
    for what, argv in commands.items():
        proc = subprocess.run([sys.executable, "-c", code, json.dumps(argv), json.dumps(HEAVY_MODULES)],
                              capture_output=True, text=True, cwd=REPO)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        rc, heavy = json.loads(proc.stdout)
        assert rc == 0, (what, proc.stderr)
        loaded[what] = heavy
    # CSV and JSON are written by pandas (``hwsim.report.profile.to_frame``): they may load it, nothing else.
    assert loaded.pop("profile json") == loaded.pop("profile csv") == ["pandas"]
    # a sweep validates its swept values with the schema (pydantic); Parquet is written by pyarrow alone
    assert loaded.pop("sweep to parquet") == ["pydantic"]
    assert loaded == {what: [] for what in loaded}


# ------------------------------------------------------------------ issue 18: what a new user stumbles on


def run_main(capsys, *argv, code=0):
    """Run the CLI in-process; returns (stdout, stderr)."""
    assert main(list(argv)) == code
    out = capsys.readouterr()
    return out.out, out.err


def test_profile_says_what_it_wrote(tmp_path, capsys):
    csv_path, png = tmp_path / "p.csv", tmp_path / "p.png"
    out, _ = run_main(capsys, "profile", "alexnet", "--accel", "ws_32x32", "-o", str(csv_path), "--plot", str(png))
    # alexnet: 12 layers, one of them free (flatten): 11 bars, one per layer (fewer than 40)
    assert out.splitlines() == [f"wrote {csv_path}: csv of 12 layers of alexnet on ws_32x32",
                                f"wrote {png}: 11 bars, one per layer"]
    assert png.stat().st_size > 0 and len(pd.read_csv(csv_path)) == 12
    out, err = run_main(capsys, "profile", "alexnet", "--accel", "ws_32x32", "--format", "json", "--plot", str(png),
                        "--by", "stage", "--top", "1")
    assert json.loads(out)["totals"]["model"] == "alexnet"  # stdout stays JSON: the note goes to stderr
    assert err == f"wrote {png}: 1 bars, one per stage\n"


def test_profile_title_names_the_dataflow_override(capsys):
    out, _ = run_main(capsys, "profile", "mobilenet_v1", "--accel", "best_32x32", "--dataflow", "os", "--top", "2")
    assert out.splitlines()[0] == "mobilenet_v1 on best_32x32[os]"


def test_compare_keeps_significant_digits(capsys):
    from hwsim.hardware.load import load_accelerator
    from hwsim.report.formatting import format_number
    from hwsim.simulate import simulate
    from hwsim.sources import load_graph

    out, _ = run_main(capsys, "compare", "squeezenext_23v5,alexnet", "--accel", "ws_8x8,ws_32x32")
    lines = out.splitlines()
    header = lines[1].split()
    row = next(line.split() for line in lines if line.startswith("squeezenext_23v5  ws_32x32"))
    latency = simulate(load_graph("squeezenext_23v5"), load_accelerator("ws_32x32")).latency_ms
    # 1.872 ms, as the profile totals print it; the old per-column decimals printed "1.9" once a
    # latency of the same column passed 100 ms... and 0.2 for 0.242
    assert row[header.index("latency_ms")] == format_number(latency) == "1.872"


def test_compare_takes_an_input_size_per_model(capsys):
    from hwsim.sources import load_graph

    out, _ = run_main(capsys, "compare", "squeezenet1_1,squeezenet1_1", "--input-size", "227", "--input-size", "113",
                      "--accel", "ws_32x32", "--format", "json")
    rows = json.loads(out)
    assert [r["macs"] for r in rows] == [load_graph("squeezenet1_1").macs, load_graph("squeezenet1_1", (113, 113)).macs]
    _, err = run_main(capsys, "compare", "alexnet,squeezenet1_1", "--input-size", "227", "--input-size", "227",
                      "--input-size", "227", "--accel", "ws_32x32", code=2)
    assert err.strip().endswith("--input-size: 3 values for 2 models; give one for every model or one per model")


@pytest.mark.parametrize("command", ["compare", "export"])
def test_batch_and_input_size_have_help(command):
    text = hwsim(command, "--help").stdout
    flat = " ".join(text.split())
    assert "--batch BATCH batch size (default 1)" in flat
    assert "--input-size HxW input resolution (default:" in flat


USER_NET = """
import torch, torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, 8, 4, stride=4)
        self.cls_token = nn.Parameter(torch.zeros(1, 8, 1))
        self.head = nn.Linear(8, 10)
    def forward(self, x):
        y = self.patch(x).flatten(2)
        y = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), y], dim=2)
        return self.head(y[:, :, 0])
def build():
    return Net()
"""


def test_user_models_are_named_after_their_files(tmp_path, capsys):
    (tmp_path / "vit_tiny.py").write_text(USER_NET)
    factory = f"{tmp_path / 'vit_tiny.py'}:build"
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    out, _ = run_main(capsys, "export", factory, "--input-size", "16", "-o", str(a))
    # the class token (1 x 8 x 1) is read by the forward through expand: it counts in the first layer
    # that reads it, never as unused: patch 8 x 3 x 4 x 4 + 8 = 392, token 8, head 8 x 10 + 10 = 90
    assert out.startswith(f"wrote {a}: vit_tiny: input 1x3x16x16")
    assert "490 params" in out and "unused" not in out
    run_main(capsys, "export", factory, "--input-size", "16", "-o", str(b), "--name", "other")
    assert json.loads(b.read_text())["name"] == "other"
    out, _ = run_main(capsys, "compare", f"{a},{b}", "--accel", "ws_8x8", "--format", "json")
    assert [r["model"] for r in json.loads(out)] == ["a", "b"]  # not two rows called "build"
    out, _ = run_main(capsys, "compare", f"{a},{b}", "--name", "x,y", "--accel", "ws_8x8", "--format", "json")
    assert [r["model"] for r in json.loads(out)] == ["x", "y"]
    out, _ = run_main(capsys, "profile", factory, "--input-size", "16", "--accel", "ws_8x8", "--top", "1")
    assert out.splitlines()[0] == "vit_tiny on ws_8x8"


def test_batch_rescales_a_saved_graph(tmp_path, capsys):
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    run_main(capsys, "export", "squeezenet1_1", "-o", str(one))
    run_main(capsys, "export", "squeezenet1_1", "-o", str(two), "--batch", "2")
    totals = {}
    for path, batch in ((one, "1"), (one, "2"), (two, "1"), (two, "4")):
        out, _ = run_main(capsys, "profile", str(path), "--accel", "ws_32x32", "--format", "json", "--batch", batch)
        totals[path.stem, batch] = json.loads(out)["totals"]["macs"]
    base = totals["one", "1"]
    # batch 1 keeps a graph's own batch; another batch rescales it exactly (N is the only dimension)
    assert (totals["one", "2"], totals["two", "1"], totals["two", "4"]) == (2 * base, 2 * base, 4 * base)
    _, err = run_main(capsys, "profile", str(two), "--accel", "ws_32x32", "--batch", "3", code=2)
    assert err == f"hwsim profile: error: {two}: the graph's batch is 2; --batch 3 must be a multiple of it\n"


def test_host_model_profile_speaks_in_time(tmp_path, capsys):
    host = tmp_path / "cpu.yaml"
    host.write_text("kind: host\nname: cpu\noverhead_s: {conv: 2.0e-5, conv1x1: 1.0e-5, depthwise: 1.0e-5, grouped: "
                    "1.0e-5, linear: 1.0e-5, pool: 4.0e-6, vector: 3.0e-6, reshape: 1.0e-6}\n"
                    "peak_macs_per_s: {conv: 5.0e+10, conv1x1: 4.0e+10, depthwise: 5.0e+9, grouped: 2.5e+10, "
                    "linear: 3.0e+10}\npeak_elements_per_s: {pool: 5.0e+8, vector: 2.0e+9}\n"
                    "bandwidth_bytes_per_s: 1.6e+10\n")
    out, _ = run_main(capsys, "profile", "squeezenet1_1", "--accel", str(host))
    totals = out.split("Totals")[1]
    assert out.splitlines()[0] == "squeezenet1_1 on cpu (host model)"
    for word in ("uJ", "PEs", "MHz", "stall"):
        assert word not in out, word
    from hwsim.host.model import host_kind
    from hwsim.report.formatting import format_number
    from hwsim.sources import load_graph

    overhead_us = {"conv": 20, "conv1x1": 10, "depthwise": 10, "grouped": 10, "linear": 10, "pool": 4, "vector": 3,
                   "reshape": 1}
    overhead_ms = sum(overhead_us[host_kind(layer)] for layer in load_graph("squeezenet1_1").layers) / 1e3
    assert f"  overhead           {format_number(overhead_ms)} ms = " in totals
    assert "predicted latency" in totals and "by kind" in totals


def test_interrupted_sweep_and_search_suggest_resume(tmp_path, capsys, monkeypatch):
    import hwsim.explore.search.run as search_run
    import hwsim.explore.sweep.run as sweep_run

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep_run, "sweep_rows", interrupt)
    monkeypatch.setattr(search_run, "search", interrupt)
    out = tmp_path / "s.csv"
    _, err = run_main(capsys, "sweep", "alexnet", "--accel", "ws_32x32", "--set", "array.rows=8,16", "-o", str(out),
                      code=130)
    assert err == (f"hwsim sweep: interrupted; what was written to {out} is kept: run the same command --resume to "
                   "compute only the rest\n")
    _, err = run_main(capsys, "search", "squeezenext", "--accel", "ws_32x32", "-o", str(out), "--resume", code=130)
    assert "run the same command to compute only the rest" in err


def left_out_onnx(path):
    """MatMul of the input by itself (2 x (4x4) @ (4x4)), then an op hwsim does not know (TopK)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes = [helper.make_node("MatMul", ["x", "x"], ["m"]), helper.make_node("TopK", ["m", "k"], ["v", "i"], axis=-1)]
    k = numpy_helper.from_array(np.asarray([2], dtype=np.int64), "k")
    graph = helper.make_graph(nodes, "odd", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4, 4])],
                              [helper.make_tensor_value_info("v", TensorProto.FLOAT, None)], initializer=[k])
    onnx.save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return str(path)


def test_left_out_ops_warn_and_strict_fails_in_every_model_command(tmp_path):
    model = left_out_onnx(tmp_path / "odd.onnx")
    expected = "odd: left out: TopK x1 (MACs unknown); share of MACs simulated unknown"
    proc = hwsim("profile", model, "--accel", "ws_8x8", "--format", "csv")
    assert proc.returncode == 0 and expected in proc.stderr
    frame = pd.read_csv(io.StringIO(proc.stdout))
    assert list(frame["op"]) == ["matmul", "left_out"] and frame["macs"][0] == 2 * 4 * 4 * 4
    proc = hwsim("compare", model, "--accel", "ws_8x8")
    assert proc.returncode == 0 and expected in proc.stderr
    for command in (("profile", model, "--accel", "ws_8x8"), ("compare", model, "--accel", "ws_8x8"),
                    ("export", model, "-o", str(tmp_path / "odd.json"))):
        assert_clean_error(hwsim(*command, "--strict"), "odd: --strict: left out: TopK x1")
    assert not (tmp_path / "odd.json").exists()


def test_a_host_model_flags_kinds_it_was_never_calibrated_on(tmp_path):
    import yaml

    host = {
        "kind": "host", "name": "cnn_host",
        "overhead_s": {k: 1e-5 for k in ("conv", "conv1x1", "depthwise", "grouped", "linear", "pool", "vector", "reshape")},
        "peak_macs_per_s": {k: 1e10 for k in ("conv", "conv1x1", "depthwise", "grouped", "linear")},
        "peak_elements_per_s": {"pool": 1e9, "vector": 1e9}, "bandwidth_bytes_per_s": 1e10,
        "fit": {"fitted_kinds": ["conv", "conv1x1", "linear", "vector"]},
    }
    (tmp_path / "host.yaml").write_text(yaml.safe_dump(host))
    proc = hwsim("profile", left_out_onnx(tmp_path / "odd.onnx"), "--accel", str(tmp_path / "host.yaml"))
    assert proc.returncode == 0, proc.stderr
    assert "host.yaml was never calibrated on matmul (1 layer): their latency is extrapolated" in proc.stderr
    proc = hwsim("profile", "squeezenet1_1", "--accel", str(tmp_path / "host.yaml"))
    assert "never calibrated on" in proc.stderr and "pool" in proc.stderr  # squeezenet's max pools


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


# ------------------------------------------------------------------ issue 15: SCALE-Sim's CALC mode


def test_profile_on_a_calc_cfg_never_stalls_and_reports_the_bandwidth_needed(capsys):
    """SCALE-Sim's scale.cfg (InterfaceBandwidth: CALC) is unlimited DRAM bandwidth: no layer stalls, and
    each reports dram_bytes / cycles, the bandwidth it needs; the totals give the largest."""
    from tests.paths import SCALESIM_DATA

    cfg = str(SCALESIM_DATA / "scale.cfg")
    out, err = run_main(capsys, "profile", "alexnet", "--accel", cfg, "--format", "json")
    assert err == ""
    data = json.loads(out)
    layers = pd.DataFrame(data["layers"])
    assert (layers["stall_cycles"] == 0).all() and (layers["cycles"] == layers["compute_cycles"]).all()
    assert "memory" not in set(layers["bound"])
    busy = layers["cycles"] > 0
    # (JSON layer rows carry 10 significant digits: pandas' to_json)
    np.testing.assert_allclose(layers["dram_bytes_per_cycle"][busy], layers["dram_bytes"][busy] / layers["cycles"][busy], rtol=1e-9)
    assert (layers["dram_bytes_per_cycle"][~busy] == 0).all()
    peak = layers["dram_bytes_per_cycle"].idxmax()
    assert data["totals"]["dram_bytes_per_cycle_peak"] == pytest.approx(layers["dram_bytes_per_cycle"][peak], rel=1e-9)
    assert data["totals"]["dram_bytes_per_cycle_peak_layer"] == layers["layer"][peak]
    assert data["totals"]["stall_cycles"] == 0
    # the same accelerator at Bandwidth 10 (USER mode) stalls on the same network: the limit mattered
    user = SCALESIM_DATA / "scale.cfg"
    limited = simulate(load_graph("alexnet"), load_accelerator(str(user)).with_overrides({"dram.bandwidth_bytes_per_cycle": 10}))
    assert limited.stall_cycles.sum() > 0 and limited.energy_pj.sum() == pytest.approx(layers["energy_pj"].sum(), rel=1e-9)
    table, _ = run_main(capsys, "profile", "alexnet", "--accel", cfg)
    dram_line = next(line for line in table.splitlines() if line.startswith("  DRAM traffic"))
    assert dram_line.endswith(f"B/cycle ({layers['layer'][peak]})") and ", at most " in dram_line
