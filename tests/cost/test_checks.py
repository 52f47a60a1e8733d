"""The output guard (hwsim/cost/checks.py): a result that breaks an invariant never leaves hwsim."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hwsim.cost.checks import check_result, check_totals
from hwsim.errors import InternalError
from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.hardware.load import load_accelerator
from hwsim.simulate import simulate


def with_metrics(result, **changed):
    """``result`` with some per-layer metrics replaced (a SimResult holds them in one mapping)."""
    return dataclasses.replace(result, metrics={**result.metrics, **changed})


@pytest.fixture(scope="module")
def result():
    layers = (Layer(name="fc", op="linear", inputs=("input",), n=2, c=64, k=32),
              Layer(name="act", op="activation", inputs=("fc",), c=32, k=32, mode="relu"))
    return simulate(LayerGraph("net", (2, 64), layers), load_accelerator("ws_8x8"))


def test_a_simulated_result_passes_unchanged(result):
    assert check_result(result) is result


@pytest.mark.parametrize(
    "field, values, message",
    [
        # the -9223372036854775808 cycles a bandwidth of 1e-300 used to give
        ("cycles", [np.iinfo(np.int64).min, 5], "net on ws_8x8: layer 'fc': cycles = -9223372036854775808: expected a whole number >= 0"),
        ("stall_cycles", [1, -1], "layer 'act': stall_cycles = -1"),
        ("utilization", [3.9e8, 0.0], "layer 'fc': utilization = 390000000.0: expected a number from 0 to 1"),
        ("utilization", [np.nan, 0.0], "utilization = nan"),
        ("energy_pj", [np.inf, 1.0], "layer 'fc': energy_pj = inf: expected a finite number >= 0"),
        ("dram_bytes", [1.0, -2.0], "layer 'act': dram_bytes = -2.0"),
    ],
)
def test_broken_invariants_are_internal_errors_in_one_line(result, field, values, message):
    old = getattr(result, field)
    broken = with_metrics(result, **{field: np.asarray(values, dtype=old.dtype)})
    with pytest.raises(InternalError) as info:
        check_result(broken)
    text = str(info.value)
    assert text.startswith("internal error: ") and message in text and "\n" not in text
    assert "please report it" in text


def test_cycles_must_add_up_and_the_network_fit_int64(result):
    broken = with_metrics(result, compute_cycles=result.compute_cycles + 1)
    with pytest.raises(InternalError, match="compute_cycles \\+ stall_cycles = .*: expected cycles"):
        check_result(broken)
    huge = np.array([2**62, 2**62], dtype=np.int64)  # each fits int64, their sum does not
    broken = with_metrics(result, cycles=huge, compute_cycles=huge, stall_cycles=np.zeros(2, dtype=np.int64))
    with pytest.raises(InternalError, match="network: total cycles = 9223372036854775808: expected at most"):
        check_result(broken)
    slow = dataclasses.replace(result, clock_mhz=0.0)  # latency = cycles / 0 MHz
    with np.errstate(divide="ignore"), pytest.raises(InternalError, match="latency_us = inf"):
        check_result(slow)


def test_sweep_totals():
    good = {"cycles": np.array([10, 20]), "utilization": np.array([0.5, 1.0]), "energy_uj": np.array([1.0, 2.0]),
            "latency_ms": np.array([0.1, 0.2])}
    check_totals("sweep of m", ["a", "b"], good)
    for key, values, message in [
        ("cycles", np.array([10, -3]), "sweep of m: configuration b: cycles = -3"),
        ("utilization", np.array([1.0000001, 0.5]), "sweep of m: configuration a: utilization = 1.0000001"),
        ("latency_ms", np.array([0.1, np.inf]), "configuration b: latency_ms = inf"),
        ("energy_uj", np.array([np.nan, 1.0]), "configuration a: energy_uj = nan"),
    ]:
        with pytest.raises(InternalError, match=message.replace("(", "\\(")):
            check_totals("sweep of m", ["a", "b"], {**good, key: values})


def test_host_predictions_may_exceed_the_dense_peak(result):
    # a host model's "utilization" is the share of its dense-conv peak: a faster kind goes past 1
    fast = with_metrics(result, utilization=np.array([1.07, 0.0]))
    assert check_result(fast, utilization_at_most_one=False) is fast
    with pytest.raises(InternalError, match="utilization = 1.07"):
        check_result(fast)
