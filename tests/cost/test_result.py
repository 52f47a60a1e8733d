"""SimResult: built from the schema's held metrics (refusing missing, unknown or ragged ones), the
layer-sourced metrics of a graph and the zeros a predictor without a metric reports."""

import numpy as np
import pytest

from hwsim.cost.metrics import BY_NAME, HELD
from hwsim.cost.result import SimResult, layer_metrics, zero_metrics
from hwsim.simulate import layer_arrays, simulate
from tests.cost.test_evaluate import accel, vector_graph


def rebuilt(result, **metrics):
    return SimResult(result.graph_name, result.accelerator_name, result.clock_mhz, result.pes, {**result.metrics, **metrics})


def test_refuses_missing_unknown_and_ragged_metrics():
    result = simulate(vector_graph(), accel())
    without = {k: v for k, v in result.metrics.items() if k != "folds"}
    with pytest.raises(ValueError, match=r"missing \['folds'\]"):
        SimResult("g", "a", 100.0, 4, without)
    with pytest.raises(ValueError, match=r"not in the schema \['gb_bytes'\]"):
        rebuilt(result, gb_bytes=np.zeros(len(result)))
    with pytest.raises(ValueError, match="lengths differ"):
        rebuilt(result, cycles=result.cycles[:3])


def test_layer_metrics_of_a_graph():
    # vector_graph: conv c (1x1, 4 -> 4 channels on 4x4: M=16, K=4, N=4), then six vector-unit layers.
    la = layer_arrays(vector_graph())
    got = layer_metrics(la)
    assert set(got) == {n for n in HELD if BY_NAME[n].source == "layer"}
    assert got["layer"] == ("c", "pool", "pool2", "add", "cat", "shuffle", "flat")
    assert (got["gemm_m"].tolist(), got["gemm_k"].tolist(), got["gemm_n"].tolist()) == ([16] + [0] * 6, [4] + [0] * 6, [4] + [0] * 6)
    assert got["groups"].tolist() == [1] * 7  # the shuffle's 2 groups are not GEMM groups
    assert got["macs"].tolist() == [256] + [0] * 6


def test_zero_metrics_cover_every_held_evaluated_metric():
    zeros = zero_metrics(3)
    assert set(zeros) == {n for n in HELD if BY_NAME[n].source == "evaluated"}
    assert zeros["folds"].dtype == np.int64 and zeros["energy_pj"].dtype == np.float64
    assert all(v.tolist() == [0, 0, 0] for v in zeros.values())
