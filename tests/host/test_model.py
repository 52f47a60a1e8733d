"""The host model: layer kinds and terms, NNLS recovery of known parameters, YAML round trip and
validation errors, predict() as a SimResult. No torch needed (synthetic measurements)."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import yaml

from hwsim.report import profile as report
from hwsim.errors import ConfigError
from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.host.model import (
    GEMM_KINDS,
    HOST_KINDS,
    HostModel,
    fit_host_model,
    fit_parameters,
    host_kind,
    host_model_from_dict,
    is_host_model_file,
    layer_terms,
    load_host_model,
    predict,
    predict_seconds,
)
from hwsim.measure.profiler import HostInfo, LatencyStats, ModelMeasurement


# ------------------------------------------------------------------------------------ helpers
def conv(name, c, h, k, r=3, stride=1, groups=1, pad=None):
    pad = r // 2 if pad is None else pad
    p = (h + 2 * pad - r) // stride + 1
    return Layer(name=name, op="conv", c=c, h=h, w=h, k=k, p=p, q=p, r=r, s=r, stride_h=stride, stride_w=stride,
                 pad_h=pad, pad_w=pad, groups=groups)


def pool(name, c, h, r=3, stride=2):
    p = (h - r) // stride + 1
    return Layer(name=name, op="pool", mode="max", c=c, h=h, w=h, k=c, p=p, q=p, r=r, s=r, stride_h=stride, stride_w=stride)


def add(name, c, h):
    return Layer(name=name, op="add", c=c, h=h, w=h, k=c, p=h, q=h, operand_elements=(c * h * h, c * h * h))


def linear(name, c, k):
    return Layer(name=name, op="linear", c=c, k=k)


def reshape(name, c, h):
    return Layer(name=name, op="reshape", c=c, h=h, w=h, k=c * h * h)


def matmul(name, heads, m, k, n):
    """``heads`` products of an m x k by a k x n activation (attention's QK^T)."""
    return Layer(name=name, op="matmul", c=heads * k, h=m, k=heads * n, p=m, groups=heads)


def softmax(name, rows, cols):
    return Layer(name=name, op="softmax", c=rows, h=cols, k=rows, p=cols)


#: Known parameters for the synthetic host (seconds, MACs/s, elements/s, bytes/s).
TRUE = {
    "overhead_s": {"conv": 20e-6, "conv1x1": 12e-6, "depthwise": 8e-6, "grouped": 15e-6, "linear": 10e-6,
                   "matmul": 9e-6, "pool": 4e-6, "vector": 3e-6, "norm": 5e-6, "reshape": 1e-6},
    "peak_macs_per_s": {"conv": 50e9, "conv1x1": 40e9, "depthwise": 5e9, "grouped": 25e9, "linear": 30e9,
                        "matmul": 20e9},
    "peak_elements_per_s": {"pool": 0.5e9, "vector": 2e9, "norm": 0.25e9},
    "bandwidth_bytes_per_s": 16e9,
}


def true_host(**changes):
    data = {"kind": "host", "name": "synthetic", "threads": 2, "device_model": "Test CPU", "torch_version": "2.13.0",
            "date": "2025-01-02", **TRUE, **changes}
    return host_model_from_dict(data)


def closed_form_seconds(layer, params=TRUE, word=4):
    """t = overhead[kind] + work/peak[kind] + bytes/bandwidth, written out per op for the test."""
    kind = host_kind(layer)
    if layer.op in ("conv", "linear", "matmul"):  # a matmul's second operand counts as its weights
        work = layer.macs
        peak = params["peak_macs_per_s"][kind]
        data = (layer.input_elements + layer.weight_elements + layer.output_elements) * word
    elif layer.op == "reshape":
        return params["overhead_s"]["reshape"]
    else:
        work = layer.output_elements * layer.r * layer.s if layer.op == "pool" else layer.input_elements
        peak = params["peak_elements_per_s"][kind]
        data = (layer.input_elements + layer.output_elements) * word
    return params["overhead_s"][kind] + work / peak + data / params["bandwidth_bytes_per_s"]


def synthetic_layers(seed=0, kinds=HOST_KINDS):
    """Layers of every kind with sizes varied enough that work, bytes and count are independent."""
    rng = np.random.default_rng(seed)
    layers = []
    for i in range(12):
        c = int(rng.choice([4, 8, 16, 32, 64]))
        k = int(rng.choice([8, 16, 32, 64, 128]))
        h = int(rng.choice([7, 14, 28, 56]))
        candidates = {
            "conv": conv(f"c{i}", c, h, k, r=int(rng.choice([3, 5]))),
            "conv1x1": conv(f"p{i}", c, h, k, r=1, stride=int(rng.choice([1, 2]))),
            "depthwise": conv(f"d{i}", c, h, c * int(rng.choice([1, 2])), groups=c),
            "grouped": conv(f"g{i}", 2 * c, h, 2 * k, r=int(rng.choice([1, 3])), groups=2),
            "linear": linear(f"l{i}", c * h, k * int(rng.choice([1, 8]))),
            "pool": pool(f"m{i}", c, h, r=int(rng.choice([2, 3]))),
            "vector": add(f"a{i}", c, h) if i % 2 else Layer(name=f"x{i}", op="concat", c=c + k, h=h, w=h, k=c + k, p=h, q=h,
                                                            operand_elements=(c * h * h, k * h * h)),
            "matmul": matmul(f"mm{i}", int(rng.choice([1, 2, 4])), h, c, int(rng.choice([7, 14, 28]))),
            "norm": softmax(f"s{i}", c * h, k) if i % 2 else Layer(name=f"n{i}", op="norm", mode="layer", c=k, h=h, k=k, p=h),
            "reshape": reshape(f"r{i}", c, h),
        }
        layers.extend(candidates[kind] for kind in kinds)
    return layers


INFO = HostInfo(device="cpu", device_model="Test CPU", cpu_model="Test CPU", torch_version="2.13.0", threads=2)


def measurement(name, layers, seconds, end_to_end=None):
    graph = LayerGraph(name=name, input_shape=(1, 3, 8, 8), layers=tuple(layers))
    total = sum(seconds) if end_to_end is None else end_to_end
    return ModelMeasurement(model=name, graph=graph, info=INFO, batch=1, warmup=0, repeats=1,
                            end_to_end=LatencyStats((total,)), instrumented=LatencyStats((sum(seconds),)),
                            layer_seconds=tuple(seconds))


# ------------------------------------------------------------------------------------ kinds and terms
def test_host_kinds():
    assert host_kind(conv("a", 8, 8, 16, r=3)) == "conv"
    assert host_kind(conv("b", 8, 8, 16, r=1)) == "conv1x1"
    assert host_kind(conv("c", 8, 8, 8, groups=8)) == "depthwise"
    assert host_kind(conv("d", 8, 8, 16, groups=8)) == "depthwise"  # channel multiplier 2
    assert host_kind(conv("e", 8, 8, 16, groups=2)) == "grouped"
    assert host_kind(linear("f", 10, 4)) == "linear"
    assert host_kind(pool("g", 4, 8)) == "pool"
    assert host_kind(add("h", 4, 8)) == "vector"
    assert host_kind(Layer(name="i", op="global_pool", c=4, h=7, w=7, k=4, r=7, s=7)) == "vector"
    assert host_kind(reshape("j", 4, 2)) == "reshape"
    assert host_kind(matmul("k", 2, 5, 4, 5)) == "matmul"
    assert host_kind(softmax("l", 10, 5)) == host_kind(Layer(name="m", op="norm", c=4, k=4)) == "norm"
    assert host_kind(Layer(name="n", op="transpose", c=4, h=3, k=4, p=3)) == "vector"
    assert host_kind(Layer(name="o", op="conv_transpose", c=4, h=3, w=3, k=2, p=6, q=6, r=2, s=2)) == "conv"


def test_layer_terms_closed_form():
    # 3x3 conv, 4 -> 8 channels on 8x8 with padding 1: output 8x8
    c3 = conv("c", 4, 8, 8)
    mp = pool("p", 8, 8, r=2, stride=2)  # 4x4 output, window 4
    terms = layer_terms([c3, mp, reshape("r", 8, 4)], word_bytes=4)
    assert terms.kinds == ("conv", "pool", "reshape")
    assert terms.work[0] == 8 * 8 * (4 * 3 * 3) * 8  # output pixels x window x filters
    assert terms.bytes[0] == (4 * 8 * 8 + 8 * 4 * 3 * 3 + 8 * 8 * 8) * 4
    assert terms.work[1] == 8 * 4 * 4 * 2 * 2
    assert terms.bytes[1] == (8 * 8 * 8 + 8 * 4 * 4) * 4
    assert terms.work[2] == 0 and terms.bytes[2] == 0


def test_predict_seconds_matches_closed_form():
    layers = synthetic_layers(seed=3)
    expected = np.array([closed_form_seconds(layer) for layer in layers])
    times = predict_seconds(layers, true_host())
    np.testing.assert_allclose(times.total_s, expected, rtol=1e-12)


# ------------------------------------------------------------------------------------ fitting
@pytest.mark.parametrize("weighting", ["sqrt", "relative", "absolute"])
def test_fit_recovers_known_parameters(weighting):
    layers = synthetic_layers(seed=1)
    seconds = [closed_form_seconds(layer) for layer in layers]
    fitted = fit_parameters(layers, seconds, weighting=weighting)
    assert set(fitted.fitted_kinds) == set(HOST_KINDS)
    for kind in HOST_KINDS:
        assert fitted.overhead_s[kind] == pytest.approx(TRUE["overhead_s"][kind], rel=1e-6)
    for kind in GEMM_KINDS:
        assert fitted.peak_macs_per_s[kind] == pytest.approx(TRUE["peak_macs_per_s"][kind], rel=1e-6)
    for kind in ("pool", "vector"):
        assert fitted.peak_elements_per_s[kind] == pytest.approx(TRUE["peak_elements_per_s"][kind], rel=1e-6)
    assert fitted.bandwidth_bytes_per_s == pytest.approx(TRUE["bandwidth_bytes_per_s"], rel=1e-6)


def test_fit_host_model_from_measurements():
    layers = synthetic_layers(seed=2)
    half = len(layers) // 2
    ms = [measurement(f"m{i}", part, [closed_form_seconds(layer) for layer in part])
          for i, part in enumerate((layers[:half], layers[half:]))]
    host = fit_host_model(ms, name="fitted", date="2025-03-04")
    # exact data: end-to-end already matches, so the final factor is 1 and the parameters are the true ones
    assert host.fit.end_to_end_factor == pytest.approx(1.0, rel=1e-9)
    assert host.peak_macs_per_s.conv == pytest.approx(50e9, rel=1e-6)
    assert host.overhead_s.reshape == pytest.approx(1e-6, rel=1e-6)
    assert host.bandwidth_bytes_per_s == pytest.approx(16e9, rel=1e-6)
    assert (host.name, host.threads, host.device_model, host.torch_version, host.date) == ("fitted", 2, "Test CPU", "2.13.0", "2025-03-04")
    assert host.fit.models == ("m0", "m1") and host.fit.layers == len(layers)
    assert host.fit.median_abs_layer_error == pytest.approx(0.0, abs=1e-9)


def test_fit_matches_end_to_end():
    """Measured end to end 1.5x the layer sum: per-layer times are scaled, every predicted time with them."""
    layers = synthetic_layers(seed=4)
    seconds = [closed_form_seconds(layer) for layer in layers]
    m = measurement("m", layers, seconds, end_to_end=1.5 * sum(seconds))
    host = fit_host_model([m])
    assert predict_seconds(layers, host).total_s.sum() == pytest.approx(1.5 * sum(seconds), rel=1e-6)
    assert host.overhead_s.conv == pytest.approx(1.5 * 20e-6, rel=1e-6)
    assert host.peak_macs_per_s.conv == pytest.approx(50e9 / 1.5, rel=1e-6)
    raw = fit_host_model([m], match_end_to_end=False)
    assert raw.overhead_s.conv == pytest.approx(20e-6, rel=1e-6)


def test_fit_fallback_for_missing_kinds():
    kinds = ("conv", "conv1x1", "linear", "vector")
    layers = synthetic_layers(seed=5, kinds=kinds)
    fitted = fit_parameters(layers, [closed_form_seconds(layer) for layer in layers])
    assert fitted.fitted_kinds == kinds
    # grouped and depthwise take conv's parameters, pool and reshape take vector's
    for kind in ("grouped", "depthwise"):
        assert fitted.peak_macs_per_s[kind] == pytest.approx(50e9, rel=1e-6)
        assert fitted.overhead_s[kind] == pytest.approx(20e-6, rel=1e-6)
    assert fitted.peak_elements_per_s["pool"] == pytest.approx(2e9, rel=1e-6)
    assert fitted.overhead_s["reshape"] == pytest.approx(3e-6, rel=1e-6)


def test_a_prediction_on_an_uncalibrated_kind_is_flagged():
    from hwsim.host.terms import uncalibrated_kinds

    layers = [conv("c", 4, 8, 8), matmul("qk", 2, 5, 4, 5), matmul("av", 2, 5, 5, 4), softmax("s", 10, 5)]
    fitted = fit_host_model([measurement("cnn", [conv("c", 4, 8, 8), linear("l", 16, 8)], [2e-5, 1e-5])])
    # fitted on a conv and a linear only: the matmuls and the softmax (a norm) rest on fallbacks
    assert set(fitted.fit.fitted_kinds) == {"conv", "linear"}
    assert uncalibrated_kinds(layers, fitted) == (("matmul", 2), ("norm", 1))
    assert uncalibrated_kinds(layers, true_host()) == ()  # no fit record: nothing to say


def test_a_file_from_before_matmul_and_norm_uses_their_fallbacks(tmp_path):
    from hwsim.host.terms import uncalibrated_kinds

    old = {section: {k: v for k, v in TRUE[section].items() if k not in ("matmul", "norm")}
           for section in ("overhead_s", "peak_macs_per_s", "peak_elements_per_s")}
    host = true_host(**old, fit={"fitted_kinds": ["conv", "linear", "vector"]})
    mm, sm = matmul("qk", 2, 5, 4, 5), softmax("s", 10, 5)
    # a matmul takes linear's parameters, a softmax vector's (hwsim.host.schema.FALLBACK)
    linear_params = {**TRUE, "overhead_s": {**TRUE["overhead_s"], "matmul": TRUE["overhead_s"]["linear"]},
                     "peak_macs_per_s": {**TRUE["peak_macs_per_s"], "matmul": TRUE["peak_macs_per_s"]["linear"]}}
    vector_params = {**TRUE, "overhead_s": {**TRUE["overhead_s"], "norm": TRUE["overhead_s"]["vector"]},
                     "peak_elements_per_s": {**TRUE["peak_elements_per_s"], "norm": TRUE["peak_elements_per_s"]["vector"]}}
    times = predict_seconds([mm, sm], host).total_s
    assert times[0] == pytest.approx(closed_form_seconds(mm, linear_params), rel=1e-12)
    assert times[1] == pytest.approx(closed_form_seconds(sm, vector_params), rel=1e-12)
    assert uncalibrated_kinds([mm, sm], host) == (("matmul", 1), ("norm", 1))
    host.save(tmp_path / "old.yaml")  # written back, the file still lacks them
    data = yaml.safe_load((tmp_path / "old.yaml").read_text())
    assert "matmul" not in data["overhead_s"] and "norm" not in data["peak_elements_per_s"]
    assert load_host_model(tmp_path / "old.yaml") == host


def test_fit_errors():
    with pytest.raises(ConfigError, match="no timed conv/linear"):
        fit_parameters([add("a", 4, 4)], [1e-6])
    with pytest.raises(ConfigError, match="weighting"):
        fit_parameters([conv("c", 4, 4, 4)], [1e-6], weighting="log")
    with pytest.raises(ConfigError, match="no measurements"):
        fit_host_model([])
    other = HostInfo(device="cpu", device_model="Test CPU", cpu_model="Test CPU", torch_version="2.13.0", threads=4)
    a = measurement("a", [conv("c", 4, 4, 4)], [1e-5])
    b = ModelMeasurement(**{**a.__dict__, "model": "b", "info": other})
    with pytest.raises(ConfigError, match="4 threads"):
        fit_host_model([a, b])


# ------------------------------------------------------------------------------------ YAML
def test_yaml_round_trip(tmp_path):
    layers = synthetic_layers(seed=6)
    host = fit_host_model([measurement("m", layers, [closed_form_seconds(x) for x in layers])], name="host_cpu")
    path = tmp_path / "host_cpu.yaml"
    host.save(path)
    text = path.read_text()
    assert text.startswith("# host_cpu:") and "kind: host" in text
    assert load_host_model(path) == host == HostModel.load(path)
    assert is_host_model_file(path)


def test_is_host_model_file(tmp_path):
    accel = tmp_path / "a.yaml"
    accel.write_text("name: a\narray: {rows: 4, cols: 4}\n")
    broken = tmp_path / "b.yaml"
    broken.write_text("kind: host\n  - : [\n")
    other = tmp_path / "c.txt"
    other.write_text("kind: host\n")
    assert not is_host_model_file(accel)
    assert not is_host_model_file(broken)
    assert not is_host_model_file(other)
    assert not is_host_model_file(tmp_path / "missing.yaml")
    assert not is_host_model_file("ws_32x32")


def _write(tmp_path, data, text=None):
    path = tmp_path / "h.yaml"
    path.write_text(text if text is not None else yaml.safe_dump(data))
    return path


def _valid():
    return {"kind": "host", "name": "h", **{k: (dict(v) if isinstance(v, dict) else v) for k, v in TRUE.items()}}


@pytest.mark.parametrize(
    "change, fragments",
    [
        (lambda d: d["peak_macs_per_s"].update(conv=-1.0), ["peak_macs_per_s.conv", "-1.0", "from 1e6 to 1e18 per second, or null"]),
        # bounds that keep predictions inside int64 nanoseconds (hwsim/host/schema.py)
        (lambda d: d["peak_macs_per_s"].update(conv=1e-300), ["peak_macs_per_s.conv = 1e-300", "from 1e6 to 1e18"]),
        (lambda d: d["peak_elements_per_s"].update(pool=1e300), ["peak_elements_per_s.pool = 1e+300", "to 1e18"]),
        (lambda d: d.update(bandwidth_bytes_per_s=float("inf")), ["bandwidth_bytes_per_s = inf", "from 1e6"]),
        (lambda d: d["overhead_s"].update(conv=1e300), ["overhead_s.conv = 1e+300", ">= 0 and <= 1"]),
        (lambda d: d.update(threads=10**30), ["threads = 1000000000000000000000000000000", "<= 65,536"]),
        (lambda d: d.update(word_bytes=10**12), ["word_bytes = 1000000000000", "<= 8"]),
        (lambda d: d["overhead_s"].update(pool="fast"), ["overhead_s.pool", "'fast'", "a number"]),
        (lambda d: d["overhead_s"].pop("vector"), ["overhead_s.vector", "missing"]),
        (lambda d: d.update(bandwith_bytes_per_s=1e9), ["bandwith_bytes_per_s", "unknown key"]),
        (lambda d: d.update(kind="accelerator"), ["kind", "'accelerator'", "'host'"]),
        (lambda d: d.update(threads=0), ["threads", "> 0"]),
        (lambda d: d.update(date="yesterday"), ["date", "YYYY-MM-DD"]),
    ],
)
def test_validation_errors_name_file_and_field(tmp_path, change, fragments):
    data = _valid()
    change(data)
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError) as info:
        load_host_model(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message, message


def test_yaml_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="duplicate key"):
        load_host_model(_write(tmp_path, None, "kind: host\nname: a\nname: b\n"))
    with pytest.raises(ConfigError, match="empty"):
        load_host_model(_write(tmp_path, None, ""))
    with pytest.raises(ConfigError, match="cannot read"):
        load_host_model(tmp_path / "missing.yaml")
    # an unquoted YAML date is read as a date and accepted
    text = yaml.safe_dump(_valid()) + "date: 2024-05-06\n"
    assert load_host_model(_write(tmp_path, None, text)).date == "2024-05-06"


# ------------------------------------------------------------------------------------ predict
def test_predict_sim_result():
    c3, c1 = conv("conv", 8, 16, 16), conv("pw", 16, 16, 32, r=1)
    layers = (c3, c1, pool("pool", 32, 16, r=2, stride=2), add("add", 32, 8), reshape("flat", 32, 8), linear("fc", 2048, 10))
    graph = LayerGraph(name="net", input_shape=(1, 8, 16, 16), layers=layers)
    host = true_host(bandwidth_bytes_per_s=None)  # no memory term: stalls are 0
    result = predict(graph, host)
    expected_ns = np.array([closed_form_seconds(x, {**TRUE, "bandwidth_bytes_per_s": np.inf}) for x in layers]) * 1e9
    np.testing.assert_array_equal(result.cycles, np.rint(expected_ns).astype(np.int64))
    assert result.clock_mhz == 1000.0 and result.accelerator_name == "synthetic"
    assert result.latency_ms == pytest.approx(result.cycles.sum() / 1e6)
    assert np.all(result.stall_cycles == 0)
    assert result.dataflow == ("host", "host", "-", "-", "-", "host")
    # a 3x3 conv: achieved MACs per ns / (50 GMAC/s = 50 MAC per ns)
    assert result.utilization[0] == pytest.approx(c3.macs / (result.cycles[0] * 50.0))
    assert result.pes == 50
    assert result.energy_pj.sum() == 0 and result.folds.sum() == 0
    assert result.bound[4] == "overhead"
    assert result.dram_bytes[0] == (c3.input_elements + c3.weight_elements + c3.output_elements) * 4
    # with a memory term, cycles = compute + stall and roofline <= cycles
    with_memory = predict(graph, true_host())
    assert np.all(with_memory.compute_cycles + with_memory.stall_cycles == with_memory.cycles)
    assert np.all(with_memory.stall_cycles[:4] > 0)
    assert np.all(with_memory.roofline_cycles <= with_memory.cycles)
    assert set(with_memory.bound) <= {"compute", "vector", "memory", "overhead"}
    # the report understands it
    frame = report.to_frame(with_memory)
    assert list(frame["layer"]) == [x.name for x in layers]
    assert "latency" in report.format_table(with_memory)


def test_host_model_imports_without_torch():
    code = textwrap.dedent("""
        import sys
        import hwsim.host.model, hwsim.measure.profiler
        assert "torch" not in sys.modules, "torch imported"
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
