"""Size limits of graphs (hwsim/graph/limits.py): what is refused, what the limits guarantee."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.cost.arrays import vector_ops as cost_vector_ops
from hwsim.errors import GraphFileError, HwsimError, SizeLimitError
from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.graph.limits import MAX_LAYERS, MAX_SIZE, layer_work, vector_ops
from hwsim.hardware.load import load_accelerator
from hwsim.hardware.fields import MAX_ARRAY_SIDE, MAX_WORD_BYTES, MIN_BANDWIDTH
from hwsim.simulate import simulate


def linear(name="fc", n=1, c=4, k=4, **extra):
    return Layer(name=name, op="linear", inputs=("input",), n=n, c=c, k=k, **extra)


def test_limit_errors_are_user_errors_and_value_errors():
    # a HwsimError for the CLI (one line, exit 2), a ValueError for code that validates layers
    with pytest.raises(SizeLimitError) as info:
        linear(c=MAX_SIZE + 1)
    assert isinstance(info.value, HwsimError) and isinstance(info.value, ValueError)
    assert str(info.value) == f"layer 'fc': c = {MAX_SIZE + 1:,}: expected at most 2^31 - 1 = {MAX_SIZE:,}"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"params": -1}, "params = -1: expected an integer from 0 to 2^40"),
        ({"params": 2**40 + 1}, "params = 1,099,511,627,777"),
        ({"n": 2**21, "c": 2**20}, "input of 2,199,023,255,552 elements: expected at most 2^40 = 1,099,511,627,776"),
        ({"n": 2**21, "c": 1, "k": 2**20}, "output of 2,199,023,255,552 elements"),
        ({"c": 2**21, "k": 2**20}, "weights of 2,199,023,255,552 elements"),
        ({"n": 2**700}, "n = an integer of about 211 digits"),
    ],
)
def test_layer_limits(fields, message):
    with pytest.raises(SizeLimitError, match=re.escape(message)):
        linear(**fields)


def test_negative_operand_counts_are_refused():
    with pytest.raises(SizeLimitError, match="operand_elements has a negative count"):
        Layer(name="a", op="add", c=2, k=2, operand_elements=(2, -1))


def test_graph_layer_count_and_work():
    layer = linear(n=2**20, c=2**19, k=2**7)  # 2^46 MACs: at the limit with nothing else
    assert layer.macs == 2**46
    with pytest.raises(SizeLimitError, match=r"graph 'g': more than 2\^46 = 70,368,744,177,664 MACs"):
        LayerGraph("g", (2**20, 2**19), (layer,))
    # work counts MACs + input x filters + weights + outputs: 2^40 + 2^40 x 2^4 + ... for this one
    small = linear(n=2**20, c=2**20, k=2**4)
    assert layer_work(small) == 2**44 + 2**40 * 2**4 + 2**24 + 2**24
    LayerGraph("g", (2**20, 2**20), (small,))
    many = tuple(Layer(name=f"r{i}", op="reshape", inputs=("input",)) for i in range(MAX_LAYERS + 1))
    with pytest.raises(SizeLimitError, match=re.escape("65,537 layers: expected at most 2^16 = 65,536")):
        LayerGraph("g", (1,), many)


def test_with_batch_over_the_limits_is_a_one_line_error():
    graph = LayerGraph("g", (1, 4), (linear(n=1, c=2**20, k=2**10),))
    with pytest.raises(GraphFileError, match=r"^g at batch 2097152: layer 'fc': input of 2,199,023,255,552 elements"):
        graph.with_batch(2**21)
    with pytest.raises(GraphFileError, match="cannot rescale it to batch 0"):
        graph.with_batch(0)


@pytest.mark.parametrize("op, window, expected", [("pool", 9, 3 * 9), ("lrn", 5, 7 * 5), ("add", 4, 7), ("concat", 1, 7)])
def test_vector_ops_match_the_cost_model(op, window, expected):
    # inputs 7, outputs 3: pools count window x outputs, LRN window x inputs, the rest inputs
    assert vector_ops(op, 7, 3, window) == cost_vector_ops(op, 7, 3, window) == expected


# ------------------------------------------------------------------ what the limits guarantee
@settings(max_examples=25, deadline=None)
@given(
    share=st.sampled_from([(2**20, 2**20, 2**4), (1, 2**30, 2**10), (2**30, 2**10, 1), (2**10, 1, 2**30), (1, 1, 1)]),
    rows=st.sampled_from([1, 7, MAX_ARRAY_SIDE]),
    cols=st.sampled_from([1, 5, MAX_ARRAY_SIDE]),
    flow=st.sampled_from(["ws", "os", "is"]),
    ports=st.sampled_from(["shared", "per_operand"]),
)
def test_a_layer_at_the_limits_on_an_extreme_accelerator_gives_sane_counts(share, rows, cols, flow, ports):
    # m x k x n near the largest a graph allows (2^44 MACs; 2^40-element tensors), on the smallest bandwidth, the
    # smallest buffers and the widest words: every count stays a whole number >= 0, utilization in (0, 1]
    m, k, n = share
    layer = Layer(name="fc", op="linear", inputs=("input",), n=m, c=k, k=n)
    graph = LayerGraph("g", (m, k), (layer,))
    accel = load_accelerator("ws_32x32").with_overrides(
        {"array.rows": rows, "array.cols": cols, "dataflow": flow, "word_bytes": MAX_WORD_BYTES,
         "dram.bandwidth_bytes_per_cycle": MIN_BANDWIDTH, "dram.ports": ports,
         "buffers.ifmap_kib": 1 / 1024, "buffers.filter_kib": 1 / 1024, "buffers.ofmap_kib": 1 / 1024}
    )
    r = simulate(graph, accel)
    assert r.cycles[0] >= r.compute_cycles[0] >= -(-layer.macs // (rows * cols)) > 0
    assert r.stall_cycles[0] == r.cycles[0] - r.compute_cycles[0] >= 0
    assert 0 < r.utilization[0] <= 1 and 0 < r.utilization_total <= 1
    # the memory time alone: at least the compulsory bytes / bandwidth
    compulsory = (layer.input_elements + layer.weight_elements + layer.output_elements) * MAX_WORD_BYTES
    assert r.cycles[0] >= compulsory / MIN_BANDWIDTH / (3 if ports == "per_operand" else 1)
    assert r.cycles[0] < 2**63 and np.isfinite(r.latency_ms) and np.isfinite(r.total_energy_pj)
