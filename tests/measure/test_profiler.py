"""Measurement on the CPU with tiny models and few passes: structure, positivity, layer names that
match the exported graph, attribution of fused/functional nodes, statistics, the cache file, and
the error paths. No thresholds on absolute time."""

import json
import sys

import pytest
import torch
from torch import nn

from hwsim.errors import ConfigError, HwsimError, UnknownNameError, UserCodeError
from hwsim.export import export
from hwsim.measure.profiler import (
    HostInfo,
    LatencyStats,
    MeasureSettings,
    ModelMeasurement,
    append_measurement,
    attribute_nodes,
    check_device,
    cpu_model_name,
    host_info_for,
    load_module,
    measure_model,
    measure_module,
    read_measurements,
    same_conditions,
)
from hwsim.sources import load_graph

FAST = MeasureSettings(threads=1, warmup=1, repeats=3)


class Tiny(nn.Module):
    """conv+BN+ReLU, max-pool, depthwise + pointwise, residual add, concat, channel shuffle,
    dropout, flatten, linear: every way a node can be attributed."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.pool = nn.MaxPool2d(2)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.pw = nn.Conv2d(8, 8, 1)
        self.drop = nn.Dropout(0.1)
        self.fc = nn.Linear(16 * 8 * 8, 10)

    def forward(self, x):
        x = self.pool(self.relu(self.bn1(self.conv1(x))))
        y = self.pw(self.dw(x))
        x = x + y
        x = torch.cat([x, y], 1)
        n, c, h, w = x.shape
        x = x.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, c, h, w)
        x = torch.flatten(self.drop(x), 1)
        return self.fc(x)


@pytest.fixture(scope="module")
def tiny_measurement():
    return measure_module(Tiny(), (3, 16, 16), "tiny", FAST)


def test_attribution_of_fused_and_functional_nodes():
    module = Tiny()
    graph = export(module, (1, 3, 16, 16), name="tiny")
    owners = attribute_nodes(torch.fx.symbolic_trace(module), graph)
    names = [layer.name for layer in graph.layers]
    shuffle = next(layer.name for layer in graph.layers if layer.op == "shuffle")
    assert owners["bn1"] == owners["relu"] == "conv1"  # fused into the conv
    assert owners["view"] == owners["transpose"] == owners["contiguous"] == shuffle  # steps of the shuffle
    assert owners["drop"] == "flatten"  # an identity goes to the layer that reads it
    assert set(owners.values()) == set(names)  # every layer gets time, nothing is unattributed


class Unit(nn.Module):
    """Two residual adds and a channel shuffle inside one module."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        y = self.conv(x) + x
        y = y + x
        n, c, h, w = y.shape
        return y.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, c, h, w)


def test_attribution_uses_the_module_qualified_names_of_functional_layers():
    module = nn.Sequential(Unit(), Unit())
    graph = export(module, (1, 4, 5, 5), name="units")
    owners = attribute_nodes(torch.fx.symbolic_trace(module), graph)
    # fx numbers functional nodes over the whole model; the graph names them per module
    assert (owners["add"], owners["add_1"], owners["add_2"], owners["add_3"]) == ("0.add", "0.add_1", "1.add", "1.add_1")
    assert owners["view"] == owners["transpose"] == owners["view_1"] == "0.shuffle"
    assert owners["view_3"] == "1.shuffle"
    assert set(owners.values()) == {layer.name for layer in graph.layers}


def test_measure_structure(tiny_measurement):
    m = tiny_measurement
    assert m.layer_names == tuple(layer.name for layer in export(Tiny(), (1, 3, 16, 16), name="tiny").layers)
    assert len(m.end_to_end.samples_s) == 3 and len(m.instrumented.samples_s) == 3
    assert all(s > 0 for s in m.layer_seconds)
    assert m.end_to_end.median_s > 0 and m.unattributed_s == 0
    # the per-layer sum is the same order of magnitude as the end-to-end time
    assert 0.2 < m.layer_sum_ratio < 5
    assert 0.2 < m.instrumentation_ratio < 5
    assert m.info.device == "cpu" and m.info.threads == 1
    assert m.info.torch_version == torch.__version__.split("+")[0]
    assert m.info.device_model == cpu_model_name() != ""
    assert m.graph_replay is None


def test_threads_pinned_and_restored():
    before = torch.get_num_threads()
    assert host_info_for("cpu", 1).threads == 1
    assert torch.get_num_threads() == before


def test_zoo_model_names_match_exported_graph():
    m = measure_model("mobilenet_v1_0.25", MeasureSettings(threads=1, warmup=0, repeats=2), input_size=(64, 64))
    graph = load_graph("mobilenet_v1_0.25", input_size=(64, 64))
    assert m.layer_names == tuple(layer.name for layer in graph.layers)
    assert m.graph.input_shape == (1, 3, 64, 64)
    assert all(s > 0 for s in m.layer_seconds)


def test_progress_callback_counts_passes():
    calls = []
    settings = MeasureSettings(threads=1, warmup=1, repeats=2)
    measure_module(Tiny(), (3, 16, 16), "tiny", settings, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, settings.total_passes) for i in range(1, settings.total_passes + 1)]
    assert settings.total_passes == 2 * (1 + 2)  # eager and instrumented passes, each warm-up + timed


def test_latency_stats_closed_form():
    stats = LatencyStats((5.0, 1.0, 4.0, 2.0, 3.0))
    # numpy's linear interpolation on the sorted samples 1..5: p = 1 + 4 q
    assert stats.median_s == 3.0
    assert stats.p10_s == pytest.approx(1.4)
    assert stats.p90_s == pytest.approx(4.6)
    assert stats.iqr_s == pytest.approx(4.0 - 2.0)
    assert stats.min_s == 1.0 and stats.mean_s == 3.0
    assert stats.summary()["median_ms"] == 3000.0
    with pytest.raises(ValueError):
        LatencyStats(())


def test_json_round_trip_and_cache(tmp_path, tiny_measurement):
    m = tiny_measurement
    again = ModelMeasurement.from_dict(json.loads(json.dumps(m.to_dict())))
    assert again == m
    cache = tmp_path / "c.jsonl"
    assert read_measurements(cache) == []
    append_measurement(cache, m)
    append_measurement(cache, m)
    with cache.open("a") as handle:
        handle.write('{"format": "hwsim.ModelMeas')  # interrupted mid-write
    assert read_measurements(cache) == [m, m]
    assert same_conditions(m, FAST, m.info)
    assert not same_conditions(m, MeasureSettings(threads=1, warmup=1, repeats=4), m.info)
    other = HostInfo(**{**m.info.to_dict(), "threads": 2})
    assert not same_conditions(m, FAST, other)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n" + json.dumps(m.to_dict()) + "\n")
    with pytest.raises(HwsimError, match="line 1"):
        read_measurements(bad)
    bad.write_text("42\n" + json.dumps(m.to_dict()) + "\n")  # JSON, but not an object
    with pytest.raises(HwsimError, match="line 1: not a measurement"):
        read_measurements(bad)


@pytest.mark.parametrize("cut", [1, 40, -1])
def test_an_append_after_a_cut_mid_line_drops_the_torn_line(tmp_path, tiny_measurement, cut):
    m = tiny_measurement
    cache = tmp_path / "c.measurements.jsonl"
    append_measurement(cache, m)
    line = cache.read_bytes()
    cache.write_bytes(line + line[:cut])  # a kill in the middle of the second entry
    assert read_measurements(cache) == [m]
    append_measurement(cache, m)  # the resumed run
    assert cache.read_bytes() == line + line
    assert read_measurements(cache) == [m, m]


def test_a_last_line_without_its_newline_is_torn_even_when_it_parses(tmp_path, tiny_measurement):
    cache = tmp_path / "c.measurements.jsonl"
    append_measurement(cache, tiny_measurement)
    cache.write_bytes(cache.read_bytes()[:-1])  # cut exactly before the newline
    assert read_measurements(cache) == []  # as the next append will cut it


def test_binary_cache_is_a_one_line_error(tmp_path):
    cache = tmp_path / "bin.measurements.jsonl"
    cache.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x81binary")
    with pytest.raises(HwsimError, match=r"bin.measurements.jsonl: not a measurement cache \(not UTF-8 text") as info:
        read_measurements(cache)
    assert "\n" not in str(info.value)


def test_settings_validation():
    with pytest.raises(ConfigError, match="--device 'tpu'"):
        MeasureSettings(device="tpu")
    with pytest.raises(ConfigError, match="--repeats 0"):
        MeasureSettings(repeats=0)
    with pytest.raises(ConfigError, match="--warmup -1"):
        MeasureSettings(warmup=-1)
    with pytest.raises(ConfigError, match="--threads 0"):
        MeasureSettings(threads=0)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU error")
def test_cuda_without_gpu_is_one_line_error():
    with pytest.raises(HwsimError) as info:
        check_device("cuda")
    assert "no CUDA GPU" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(HwsimError, match="no CUDA GPU"):
        measure_model("alexnet", MeasureSettings(device="cuda"))


def test_load_module_errors(tmp_path):
    with pytest.raises(UnknownNameError, match="unknown model 'squeezenet9'"):
        load_module("squeezenet9")
    with pytest.raises(ConfigError, match="cannot measure a graph"):
        load_module(str(tmp_path / "g.json"))
    with pytest.raises(ConfigError, match="needs --input-size"):
        load_module(str(tmp_path / "net.py") + ":build")
    module, chw, name = load_module("squeezenet1_1", (64, 64))
    assert chw == (3, 64, 64) and name == "squeezenet1_1" and isinstance(module, nn.Module)
    with pytest.raises(ConfigError, match="cannot measure a graph, topology or ONNX file"):
        load_module(str(tmp_path / "m.onnx"))
    # a reference network outside the zoo, by its ref_ name, at the size it is built for
    module, chw, name = load_module("ref_resnet_mini")
    assert chw == (3, 224, 224) and name == "ref_resnet_mini" and isinstance(module, nn.Module)
    with pytest.raises(ConfigError, match="ref_vit_tiny: a reference network is built for 224x224 inputs"):
        load_module("ref_vit_tiny", (64, 64))


def test_untraceable_model_is_reported():
    class Branchy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)

        def forward(self, x):
            if x.sum() > 0:  # data-dependent control flow: torch.fx cannot trace it
                return self.conv(x)
            return self.conv(-x)

    graph = export(nn.Sequential(nn.Conv2d(3, 4, 3)), (1, 3, 8, 8), name="stand-in")
    with pytest.raises(HwsimError, match="torch.fx-traceable"):
        measure_module(Branchy(), (3, 8, 8), "branchy", FAST, graph=graph)



def test_a_forward_that_exits_while_measured_is_a_one_line_error():
    class ExitsOnTheThirdCall(nn.Module):
        """Traces and exports (two calls: fx, then the recorder runs the traced copy), exits when timed."""

        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.calls = 0

        def forward(self, x):
            self.calls += 1
            if self.calls >= 3:
                sys.exit(7)
            return self.conv(x)

    with pytest.raises(UserCodeError) as info:
        measure_module(ExitsOnTheThirdCall(), (3, 8, 8), "exits", FAST)
    assert str(info.value) == "exits: the model's forward called sys.exit(7) while being measured; expected it to return, not to exit"
