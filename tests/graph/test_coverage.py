"""Coverage of a layer graph: the share of MACs simulated, what is left out, every parameter counted."""

import json

import pytest

from hwsim.graph.coverage import UNACCOUNTED_PARAMS, UNSUPPORTED_MACS, UNSUPPORTED_PARAMS, Coverage, LeftOut, coverage_of
from hwsim.graph.layer_graph import Layer, LayerGraph


def graph(unsupported=(), **notes):
    fc = Layer(name="fc", op="linear", inputs=("input",), n=4, c=10, k=10, params=110)  # 400 MACs
    return LayerGraph(name="g", input_shape=(4, 10), layers=(fc,), unsupported=unsupported,
                      metadata=tuple((key, value) for key, value in notes.items()))


def test_a_complete_graph_says_nothing():
    cover = coverage_of(graph())
    assert cover.complete and cover.simulated_share == 1.0 and cover.summary() == ""
    assert cover.total_params == 110


def test_known_left_out_macs_give_the_exact_share():
    g = graph((("LSTM", 1),), **{UNSUPPORTED_MACS: json.dumps({"LSTM": 100}), UNSUPPORTED_PARAMS: "23056"})
    cover = coverage_of(g)
    # 400 simulated of 400 + 100 MACs = 80.0 %
    assert cover.simulated_share == pytest.approx(0.8) and cover.macs_known
    assert cover.summary() == "simulated 80.0% of MACs; left out: LSTM x1 (100 MACs)"
    # every parameter counts, simulated or not: 110 in the layer + 23,056 in the LSTM
    assert (cover.layer_params, cover.left_out_params, cover.total_params) == (110, 23056, 23166)


def test_an_unknown_left_out_op_makes_the_share_an_upper_bound():
    g = graph((("LSTM", 2), ("sort", 1)), **{UNSUPPORTED_MACS: json.dumps({"LSTM": 1600, "sort": None})})
    cover = coverage_of(g)
    assert cover.left_out == (LeftOut("LSTM", 2, 1600), LeftOut("sort", 1, None))
    # 400 / (400 + 1600) = 20 %, at most: sort's MACs are not known
    assert cover.summary() == "simulated at most 20.0% of MACs; left out: LSTM x2 (1,600 MACs), sort x1 (MACs unknown)"


def test_no_known_left_out_macs_claims_no_share():
    # a graph saved before left-out MACs were recorded: every left-out op is unknown
    cover = coverage_of(graph((("fft_fft2", 1),)))
    assert cover.summary() == "left out: fft_fft2 x1 (MACs unknown); share of MACs simulated unknown"


def test_unused_parameters_count_in_the_total():
    cover = coverage_of(graph(**{UNACCOUNTED_PARAMS: "50"}))
    assert cover.complete and cover.total_params == 160
    assert Coverage(400, (), 110, 0, 50).to_dict()["params"] == 160
