"""``hwsim measure``, ``calibrate``, ``correlate`` (and ``profile --accel host.yaml``) as real
subprocesses, with a tiny user network and few passes; the bad inputs give one line and exit 2."""

import json
import os
import textwrap

import pytest
import yaml

from hwsim.graph.layer_graph import LayerGraph
from hwsim.host.model import is_host_model_file, load_host_model
from hwsim.cli import main
from tests.cli_helpers import assert_clean_error, hwsim
from tests.figure_helpers import saved_figures

FAST = ("--threads", "1", "--warmup", "1", "--repeats", "2")

TINY = textwrap.dedent(
    """
    import torch
    from torch import nn


    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(8)
            self.relu = nn.ReLU(inplace=True)
            self.pool = nn.MaxPool2d(2)
            self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
            self.pw = nn.Conv2d(8, 8, 1)
            self.fc = nn.Linear(16 * 8 * 8, 10)

        def forward(self, x):
            x = self.pool(self.relu(self.bn1(self.conv1(x))))
            y = self.pw(self.dw(x))
            x = torch.cat([x + y, y], 1)
            return self.fc(torch.flatten(x, 1))


    def build():
        return Tiny()
    """
)


ONE_LAYER = textwrap.dedent(
    """
    from torch import nn


    def build():
        return nn.Conv2d(3, 4, 3)
    """
)


def strict_json(text):
    """json.loads that refuses NaN/Infinity (not JSON, though Python writes and reads them)."""

    def refuse(constant):
        raise AssertionError(f"{constant} in JSON output")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("net") / "tiny.py"
    path.write_text(TINY)
    return f"{path}:build"


def test_measure_table_and_json(tiny, tmp_path):
    proc = hwsim("measure", tiny, "--input-size", "16x16", *FAST)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "1 thread" in out and "torch 2.13" in out and "end to end (eager)" in out and "p90" in out
    assert "sum of per-layer medians" in out and "% of end to end" in out
    assert "overhead" not in out  # a negative "overhead" made no sense; the ratio reads either way
    assert max(len(line) for line in out.splitlines()) <= 120  # prose wrapped; the tiny table is narrow
    assert "conv1" in out and "GMAC/s" in out
    graph_path, json_path = tmp_path / "g.json", tmp_path / "m.json"
    assert hwsim("export", tiny, "--input-size", "16x16", "-o", str(graph_path)).returncode == 0
    proc = hwsim("measure", tiny, "--input-size", "16x16", *FAST, "-o", str(json_path))  # JSON from the suffix
    assert proc.returncode == 0, proc.stderr
    data = strict_json(json_path.read_text())
    graph = LayerGraph.load(graph_path)
    assert [r["layer"] for r in data["layers"]] == [layer.name for layer in graph.layers]
    assert data["layers"][0]["fused"] == "batchnorm+relu"
    assert all(r["latency_us"] > 0 for r in data["layers"])
    assert sum(r["share"] for r in data["layers"]) == pytest.approx(1.0)
    assert data["host"]["threads"] == 1 and data["host"]["cpu_model"]
    assert data["end_to_end"]["samples"] == 2 and data["end_to_end"]["median_ms"] > 0


def test_measure_csv_has_host_columns(tiny):
    proc = hwsim("measure", tiny, "--input-size", "16x16", *FAST, "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    header = proc.stdout.splitlines()[0].split(",")
    for column in ("layer", "latency_us", "share", "threads", "torch_version", "device_model", "end_to_end_median_us"):
        assert column in header


def test_measure_csv_from_the_suffix_and_too_many_threads(tiny, tmp_path):
    out, threads = tmp_path / "m.csv", (os.cpu_count() or 1) + 1
    proc = hwsim("measure", tiny, "--input-size", "16x16", "--threads", str(threads), "--warmup", "0", "--repeats", "1",
                 "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().splitlines()[0].startswith("layer,op,kind,")
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and f"--threads {threads} is more than the {threads - 1} CPUs" in warnings[0]


def test_outputs_are_checked_before_any_work(tmp_path):
    # the model name is unknown too: the -o / --plot error coming first shows they are checked first
    nodir = str(tmp_path / "nodir" / "x.csv")
    assert_clean_error(hwsim("measure", "squeezenet9", "-o", nodir), f"-o {nodir}", "does not exist")
    assert_clean_error(hwsim("correlate", "squeezenet9", "--accel", "ws_8x8", "-o", nodir), f"-o {nodir}", "does not exist")
    plot = str(tmp_path / "s.txt")
    assert_clean_error(hwsim("correlate", "squeezenet9", "--accel", "ws_8x8", "--plot", plot), f"--plot {plot}", ".png")


def test_measure_errors(tiny, tmp_path):
    assert_clean_error(hwsim("measure", "squeezenet9", *FAST), "unknown model 'squeezenet9'")
    assert_clean_error(hwsim("measure", tiny, *FAST), "--input-size")
    assert_clean_error(hwsim("measure", str(tmp_path / "g.json")), "cannot measure a graph")
    assert_clean_error(hwsim("measure", "alexnet", "--repeats", "0"), "--repeats")


def test_cuda_without_gpu_exits_2():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert_clean_error(hwsim("measure", "alexnet", "--device", "cuda"), "no CUDA GPU")


def test_calibrate_resume_and_use(tiny, tmp_path):
    out = tmp_path / "host_cpu.yaml"
    models = "mobilenet_v1_0.25,shufflenet_v2_0.5"
    proc = hwsim("calibrate", "--models", models, *FAST, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {out}" in proc.stdout
    cache = tmp_path / "host_cpu.measurements.jsonl"
    assert len(cache.read_text().splitlines()) == 2
    host = load_host_model(out)
    assert is_host_model_file(out)
    assert host.threads == 1 and host.fit.models == ("mobilenet_v1_0.25", "shufflenet_v2_0.5")
    data = yaml.safe_load(out.read_text())
    assert data["kind"] == "host" and data["torch_version"].startswith("2.13")
    # a rerun resumes from the cache: nothing is measured again
    proc = hwsim("calibrate", "--models", models, *FAST, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count(": cached") == 2
    assert len(cache.read_text().splitlines()) == 2
    # the host model predicts through correlate, and through profile (wired in hwsim.cli)
    proc = hwsim("correlate", tiny, "--input-size", "16x16", "--accel", str(out), *FAST, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["accelerator"] == "host_cpu" and -1 <= data["spearman"] <= 1
    proc = hwsim("profile", "squeezenet1_1", "--accel", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("squeezenet1_1 on host_cpu (host model)") and "predicted latency" in proc.stdout


def test_the_default_calibration_set_covers_every_host_kind():
    """Every kind the host model predicts is fitted from data by default: the zoo's CNNs, a small
    transformer (matmul, norm) and a ResNet-style network."""
    from hwsim.cli.measure import DEFAULT_CALIBRATION_MODELS
    from hwsim.export import export
    from hwsim.host.model import HOST_KINDS, host_kind
    from hwsim.models.reference_specs import build_reference, reference_spec
    from hwsim.sources.zoo import load_zoo_graph

    kinds = set()
    for name in DEFAULT_CALIBRATION_MODELS:
        spec = reference_spec(name)
        graph = load_zoo_graph(name) if spec is None else export(build_reference(spec), (1, *spec.input_shape))
        kinds.update(host_kind(layer) for layer in graph.layers)
    assert kinds == set(HOST_KINDS)
    assert {"ref_vit_tiny", "ref_resnet_mini"} <= set(DEFAULT_CALIBRATION_MODELS)


def test_calibrate_errors(tmp_path):
    assert_clean_error(hwsim("calibrate", "--models", "alexnet,nonet", "-o", str(tmp_path / "h.yaml")), "unknown model 'nonet'")
    assert_clean_error(hwsim("calibrate", "-o", str(tmp_path / "h.txt")), "expected a .yaml")
    assert_clean_error(hwsim("calibrate", "-o", str(tmp_path / "missing" / "h.yaml")), "does not exist")
    (tmp_path / "bin.measurements.jsonl").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x81")  # not text
    assert_clean_error(hwsim("calibrate", "--models", "alexnet", *FAST, "-o", str(tmp_path / "bin.yaml")),
                       "bin.measurements.jsonl: not a measurement cache (not UTF-8 text", "--fresh")


def test_correlate_with_accelerator_and_plot(tiny, tmp_path, monkeypatch):
    proc = hwsim("correlate", tiny, "--input-size", "16x16", "--accel", "ws_8x8", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert "Spearman rank correlation" in proc.stdout and "simulated on ws_8x8" in proc.stdout
    # in process, to read the figure back: one point per layer timed on both sides, at
    # (simulated, measured) as the JSON records them, on log-log axes
    figures = saved_figures(monkeypatch)
    out, png = tmp_path / "c.json", tmp_path / "c.png"
    assert main(["correlate", tiny, "--input-size", "16x16", "--accel", "ws_8x8", *FAST, "-o", str(out), "--plot", str(png)]) == 0
    records = [r for r in strict_json(out.read_text())["layers"] if r["measured_us"] > 0 and r["simulated_us"] > 0]
    (fig,) = figures
    (ax,) = fig.axes
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert "ws_8x8" in ax.get_xlabel() and "measured" in ax.get_ylabel()
    points = {tuple(xy) for c in ax.collections for xy in c.get_offsets()}
    assert len(records) >= 4  # conv1, pool, dw, pw, ... take time on both sides
    assert points == {(r["simulated_us"], r["measured_us"]) for r in records}
    assert_clean_error(hwsim("correlate", tiny, "--input-size", "16x16", "--accel", "nope_4x4", *FAST), "unknown accelerator")


def test_correlate_one_layer_has_no_spearman(tmp_path):
    model = tmp_path / "one.py"
    model.write_text(ONE_LAYER)
    out = tmp_path / "c.json"
    proc = hwsim("correlate", f"{model}:build", "--input-size", "8x8", "--accel", "ws_8x8", *FAST, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    data = strict_json(out.read_text())  # JSON from the suffix, and valid JSON: no NaN
    assert len(data["layers"]) == 1 and data["spearman"] is None and data["spearman_conv_linear"] is None
    summary = " ".join(line.strip() for line in proc.stderr.splitlines())
    assert "n/a (fewer than 3 layers)" in summary and "nan" not in summary.lower()


def test_measure_warns_once_on_noisy_numbers_and_a_busy_machine(monkeypatch, capsys):
    # the measurement and the machine are stand-ins: a 60x spread on a machine with no free core
    import hwsim.cli.measure as cli_measure
    import hwsim.measure.profiler as profiler
    from hwsim.graph.layer_graph import Layer
    from hwsim.measure.noise import MachineLoad
    from hwsim.measure.results import LatencyStats, ModelMeasurement

    graph = LayerGraph("m", (1, 4), (Layer(name="fc", op="linear", inputs=("input",), c=4, k=2),))
    stats = LatencyStats((0.010, 0.012, 0.020, 0.060, 0.600))  # IQR 48 ms, median 20 ms: 240 %
    info = profiler.HostInfo(device="cpu", device_model="Test CPU", cpu_model="Test CPU", torch_version="2.0", threads=2)
    noisy = ModelMeasurement(model="m", graph=graph, info=info, batch=1, warmup=0, repeats=5, end_to_end=stats,
                             instrumented=stats, layer_seconds=(stats.median_s,))
    monkeypatch.setattr(profiler, "measure_model", lambda *args, **kwargs: noisy)
    monkeypatch.setattr(cli_measure, "machine_load", lambda: MachineLoad(cpus=8, load_1min=8.0, threads=1))
    assert main(["measure", "m", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["end_to_end_spread"] == pytest.approx(2.4)
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert warnings == [
        "hwsim measure: warning: the times of m may not be trustworthy: end-to-end times spread by 240% of the median "
        "(IQR; above 10%); 2 threads but only 0.0 of 8 cores free (load average 8.00); for clean numbers measure on a "
        "quiet machine with --threads 1"
    ]
