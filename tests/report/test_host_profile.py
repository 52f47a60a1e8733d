"""report.host_profile: a host-model prediction speaks in time, by kind, with its overhead share."""

import numpy as np
import pytest

from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.host.model import host_model_from_dict, layer_terms, predict, predict_seconds
from hwsim.report.host_profile import HostTerms, format_host_table, kind_records

#: Overheads in seconds by kind (the only term these tests need in closed form).
OVERHEAD_S = {"conv": 20e-6, "conv1x1": 12e-6, "depthwise": 8e-6, "grouped": 15e-6, "linear": 10e-6,
              "pool": 4e-6, "vector": 3e-6, "reshape": 1e-6}


@pytest.fixture(scope="module")
def prediction():
    host = host_model_from_dict({
        "kind": "host", "name": "cpu", "overhead_s": OVERHEAD_S,
        "peak_macs_per_s": {"conv": 50e9, "conv1x1": 40e9, "depthwise": 5e9, "grouped": 25e9, "linear": 30e9},
        "peak_elements_per_s": {"pool": 0.5e9, "vector": 2e9}, "bandwidth_bytes_per_s": 16e9,
    })
    layers = (
        Layer(name="conv", op="conv", inputs=("input",), c=3, h=8, w=8, k=8, p=8, q=8, r=3, s=3, pad_h=1, pad_w=1,
              params=8 * 27),
        Layer(name="pool", op="pool", inputs=("conv",), c=8, h=8, w=8, k=8, p=4, q=4, r=2, s=2, stride_h=2,
              stride_w=2, mode="max"),
        Layer(name="add", op="add", inputs=("pool", "pool"), c=8, h=4, w=4, k=8, p=4, q=4, operand_elements=(128, 128)),
        Layer(name="flat", op="reshape", inputs=("add",), c=8, h=4, w=4, k=128, p=1, q=1),
        Layer(name="fc", op="linear", inputs=("flat",), c=128, k=10, params=1280),
    )
    graph = LayerGraph(name="tiny", input_shape=(1, 3, 8, 8), layers=layers)
    result = predict(graph, host)
    terms = HostTerms(layer_terms(layers, host.word_bytes).kinds, np.rint(predict_seconds(layers, host).overhead_s * 1e9))
    return result, terms


def test_host_table_has_no_accelerator_words(prediction):
    result, terms = prediction
    text = format_host_table(result, terms)
    for word in ("uJ", "PEs", "cycles", "MHz", "stall", "energy"):
        assert word not in text, word
    assert text.splitlines()[0] == "tiny on cpu (host model)"
    assert "predicted latency" in text


def test_host_totals_overhead_share_and_kinds(prediction):
    result, terms = prediction
    # overheads: conv 20 + pool 4 + add (vector) 3 + reshape 1 + linear 10 = 38 us = 0.038 ms
    total_ms = result.latency_ms
    text = format_host_table(result, terms)
    assert f"overhead           0.038 ms = {100 * 0.038 / total_ms:.1f}%" in text
    records = {r["kind"]: r for r in kind_records(result, terms)}
    assert list(records) == ["conv", "pool", "vector", "reshape", "linear"]  # network order
    assert records["conv"]["overhead_ms"] == pytest.approx(0.020)
    assert records["conv"]["time_ms"] == pytest.approx(result.latency_us[0] / 1e3)
    assert sum(r["time_ms"] for r in records.values()) == pytest.approx(total_ms)
    assert [r["layers"] for r in records.values()] == [1, 1, 1, 1, 1]


def test_host_totals_list_the_slowest_layers(prediction):
    result, terms = prediction
    text = format_host_table(result, terms, slowest=2)
    slowest = sorted(range(len(result)), key=lambda i: -result.cycles[i])[:2]
    block = text.split("slowest")[1].splitlines()
    assert [line.split()[0] for line in block[1:3]] == [result.names[i] for i in slowest]


def test_host_terms_must_match_the_result(prediction):
    result, terms = prediction
    with pytest.raises(ValueError, match="5 layers"):
        format_host_table(result, HostTerms(terms.kinds[:2], terms.overhead_ns[:2]))
