"""Totals: sums over layers on hand-written arrays, weighting, a + b, t * n, stack/combine
(template units x counts), latency and utilization in closed form, and a profile's totals."""

import dataclasses

import numpy as np
import pytest

from hwsim.cost.energy import COMPONENTS
from hwsim.cost.totals import Totals
from hwsim.simulate import simulate
from tests.cost.test_evaluate import accel, vector_graph

FIELDS = [f.name for f in dataclasses.fields(Totals)]


def layers(cycles, compute, macs, energy_pj, dram=(0.0,), sram=(0.0,), gbuf=(0.0,)):
    """Per-layer metrics of a few layers: 2 parameters each; the mac energy component holds all of
    ``energy_pj`` and the others 0, so component and total sums are easy to check."""
    n = len(cycles)
    zeros = np.zeros(n)
    return {
        "macs": np.array(macs, dtype=np.int64),
        "params": np.full(n, 2, dtype=np.int64),
        "cycles": np.array(cycles, dtype=np.int64),
        "compute_cycles": np.array(compute, dtype=np.int64),
        "dram_bytes": np.resize(np.array(dram, dtype=np.float64), n),
        "sram_read_bytes": np.resize(np.array(sram, dtype=np.float64), n),
        "sram_write_bytes": 2 * np.resize(np.array(sram, dtype=np.float64), n),
        "gbuf_read_bytes": np.resize(np.array(gbuf, dtype=np.float64), n),
        "gbuf_write_bytes": 3 * np.resize(np.array(gbuf, dtype=np.float64), n),
        "roofline_cycles": np.array(compute, dtype=np.float64),
        **{f"energy_{c}_pj": (np.array(energy_pj, dtype=np.float64) if c == "mac" else zeros) for c in COMPONENTS},
        "energy_pj": np.array(energy_pj, dtype=np.float64),
    }


def values(t):
    return {name: np.asarray(getattr(t, name)).tolist() for name in FIELDS}


def test_fields_sum_the_layers():
    # cycles 10 + 20 + 30 = 60, compute 6 + 14 + 30 = 50 -> stalls 10; params 3 x 2.
    t = Totals.from_layers(layers([10, 20, 30], [6, 14, 30], [100, 200, 0], [1.5, 2.25, 0.0], dram=(8.0, 4.0, 0.0), sram=(1.0,),
                                  gbuf=(2.0, 0.0, 1.0)))  # fmt: skip
    assert (t.cycles, t.compute_cycles, t.stall_cycles, t.macs, t.params) == (60, 50, 10, 300, 6)
    assert (t.dram_bytes, t.sram_read_bytes, t.sram_write_bytes, t.sram_bytes) == (12.0, 3.0, 6.0, 9.0)
    assert (t.gbuf_read_bytes, t.gbuf_write_bytes, t.gbuf_bytes) == (3.0, 9.0, 12.0)
    assert t.energy_pj == t.energy_mac_pj == 3.75 and t.energy_rf_pj == 0.0
    assert list(t.energy_by_component_pj()) == list(COMPONENTS)


def test_energy_fields_follow_the_components():
    assert [f for f in FIELDS if f.startswith("energy_") and f != "energy_pj"] == [f"energy_{c}_pj" for c in COMPONENTS]


def test_latency_and_utilization():
    # 60 cycles at 200 MHz = 0.3 us = 3e-4 ms; 300 MACs on 8 PEs over 60 cycles: 300 / (60 x 8).
    t = Totals.from_layers(layers([10, 20, 30], [6, 14, 30], [100, 200, 0], [1.0, 1.0, 1.0]))
    assert t.latency_ms(200.0) == pytest.approx(3e-4)
    assert t.utilization(8) == 300 / 480
    idle = Totals.from_layers(layers([0], [0], [0], [0.0]))
    assert idle.utilization(8) == 0.0  # no cycles: no division by zero


def test_counts_weight_the_layers():
    # Layer 0 stands for 3 layers, layer 1 for 1: the same as listing them.
    distinct = layers([10, 7], [4, 7], [40, 11], [0.5, 0.25])
    listed = layers([10, 10, 10, 7], [4, 4, 4, 7], [40, 40, 40, 11], [0.5, 0.5, 0.5, 0.25])
    weighted = Totals.from_layers(distinct, counts=np.array([3, 1]))
    assert weighted.cycles == 37 and weighted.energy_pj == 1.75
    assert values(weighted) == values(Totals.from_layers(listed))


def test_add_and_scale():
    a = Totals.from_layers(layers([10, 20], [6, 14], [100, 200], [1.5, 2.25]))
    b = Totals.from_layers(layers([5], [5], [7], [0.25]))
    both = Totals.from_layers(layers([10, 20, 5], [6, 14, 5], [100, 200, 7], [1.5, 2.25, 0.25]))
    assert values(a + b) == values(both)
    assert values(a * 3) == values(a + a + a) == values(3 * a)
    assert (a * 3).cycles == 90 and (a * 0).energy_pj == 0.0
    with pytest.raises(TypeError):
        a * 1.5  # scaling is by a count
    with pytest.raises(TypeError):
        a + 1


def test_configurations_on_rows():
    # (configs, layers) metrics: one total per configuration, the same as each row on its own.
    # Layer 0 counts twice: cycles 2x10 + 20 = 40 and 2x3 + 4 = 10; stalls 40 - (2x6 + 14) = 14, 10 - (2x3 + 1) = 3.
    rows = [layers([10, 20], [6, 14], [100, 200], [1.5, 2.25]), layers([3, 4], [3, 1], [100, 200], [0.5, 0.5])]
    stacked = {k: np.stack([r[k] for r in rows]) for k in rows[0]}
    t = Totals.from_layers(stacked, counts=np.array([2, 1]))
    assert t.cycles.tolist() == [40, 10] and t.stall_cycles.tolist() == [14, 3]
    assert t.latency_ms(np.array([100.0, 1000.0])).tolist() == [40 / 1e5, 10 / 1e6]
    for i, r in enumerate(rows):
        one = Totals.from_layers(r, counts=np.array([2, 1]))
        assert {k: v[i] for k, v in values(t).items()} == values(one)


def test_template_units_times_counts():
    # Units u0 (2 layers) and u1 (1 layer); candidate A = u0 + 2 u1, candidate B = 3 u0.
    u0 = layers([10, 20], [6, 14], [100, 200], [1.5, 2.25])
    u1 = layers([5], [5], [7], [0.25])
    units = Totals.stack([Totals.from_layers(u0), Totals.from_layers(u1)])
    assert units.cycles.tolist() == [30, 5]
    candidates = units.combine(np.array([[1, 2], [3, 0]]))
    assert candidates.cycles.tolist() == [40, 90] and candidates.macs.tolist() == [314, 900]
    assert candidates.energy_pj.tolist() == [3.75 + 0.5, 3 * 3.75]
    assert candidates.utilization(2).tolist() == [314 / 80, 900 / 180]
    with pytest.raises(TypeError, match="integer counts"):
        units.combine(np.array([[0.5, 1.0]]))


def test_a_profile_reports_the_totals_of_its_layers():
    # vector_graph on 4x4: the totals are sums of the per-layer columns; latency at 100 MHz.
    result = simulate(vector_graph(), accel(rows=4, cols=4, bw=16.0, lanes=4))
    t = result.totals
    assert t.cycles == sum(int(c) for c in result.cycles) == result.total_cycles
    assert t.macs == 4 * 16 * 4 == result.total_macs  # the only MACs: the 1x1 conv, 16 pixels x 4 x 4
    assert result.latency_ms == pytest.approx(result.total_cycles / 1e5)
    assert result.utilization_total == pytest.approx(256 / (result.total_cycles * 16))
