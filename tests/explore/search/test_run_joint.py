"""hwsim.explore.search.run on several accelerator configurations (``sets``, the sweep's ``--set``):
every (candidate, configuration) pair equals a loop of single profiles (``simulate()`` of the
candidate's whole graph on that configuration), constraints and the Pareto front equal brute
force, the published networks sit on their best configuration, the CSV resumes.

The toy ``chain`` family (tests/explore/search/toy_family.py) keeps the loop small and torch-free."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from hwsim.errors import ConfigError
from hwsim.explore.search import run as search_module
from hwsim.explore.search.families.base import Family
from hwsim.explore.search.families.registry import register, unregister
from hwsim.explore.search.run import Candidate, Configurations, Constraints, SearchSpace, columns, format_report, search
from hwsim.hardware.load import load_accelerator
from hwsim.simulate import simulate
from tests.explore.search.toy_family import CHAIN, chain

#: Array, dataflow, buffer and bandwidth fields: 2 x 3 x 2 x 2 = 24 configurations (unlimited:
#: SCALE-Sim's CALC mode, no DRAM stalls; held and written as inf).
SETS = {
    "array.rows": [4, 8],
    "dataflow": ["ws", "os", "best"],
    "buffers.ifmap_kib": [0.25, 16],
    "dram.bandwidth_bytes_per_cycle": [2, "unlimited"],
}


@pytest.fixture(autouse=True)
def family() -> Iterator[Family]:
    register(CHAIN)
    yield CHAIN
    unregister(CHAIN.name)


@pytest.fixture(scope="module")
def base():
    return load_accelerator("ws_8x8")


def _space() -> SearchSpace:
    return SearchSpace(family="chain", blocks_total=6, stages=3)  # C(5, 2) = 10 allocations x kernels 1, 3


def _truth(space: SearchSpace, base) -> dict:
    """(candidate, configuration) -> simulate() of the candidate's whole graph on that configuration,
    the configuration built as an accelerator (configurations in --set order, the last field fastest)."""
    configurations = Configurations.build(base, SETS)
    accels = [base.with_overrides(dict(zip(SETS, values))) for values in itertools.product(*SETS.values())]
    assert len(accels) == configurations.size == 24
    for k, accel in enumerate(accels):
        assert configurations.values(k) == tuple(accel.get(p) for p in SETS)
    return {(Candidate(blocks, (kernel,)), k): simulate(chain(space.variant((kernel,)), blocks), accel)
            for kernel in space.values("kernel") for blocks in space.allocations() for k, accel in enumerate(accels)}


@pytest.fixture(scope="module")
def truth(base) -> dict:
    register(CHAIN)
    try:
        return _truth(_space(), base)
    finally:
        unregister(CHAIN.name)


def _key(pair, sim, objective: str) -> tuple:
    candidate, k = pair
    energy_uj = sim.total_energy_pj / 1e6
    value = {"latency": sim.latency_ms, "energy": energy_uj, "edp": energy_uj * sim.latency_ms, "area": sim.area_mm2}
    return (value[objective], sim.total_cycles, sim.total_energy_pj, candidate.blocks, *candidate.choices, k)


@pytest.mark.parametrize("objective", ["latency", "energy", "area"])
def test_every_pair_equals_a_single_profile_and_ranks_like_brute_force(base, truth, objective: str) -> None:
    result = search(_space(), base, objective=objective, sets=SETS, cache_dir="")
    assert result.joint and result.method == "units" and len(result.ranked) == len(truth) == 20 * 24
    for r in result.ranked:
        sim = truth[r.key]
        assert (r.cycles, r.macs, r.params) == (sim.total_cycles, sim.total_macs, int(sim.params.sum()))
        assert r.latency_ms == sim.latency_ms and r.area_mm2 == sim.area_mm2
        assert r.energy_uj == pytest.approx(sim.total_energy_pj / 1e6, rel=1e-12)
        assert r.utilization == pytest.approx(sim.utilization_total, rel=1e-12)
    # best first, ties broken by cycles, energy, blocks, kernel, configuration (energies within rounding)
    expected = sorted(truth, key=lambda pair: _key(pair, truth[pair], objective))
    got = [r.key for r in result.ranked]
    assert [truth[p].total_cycles for p in got] == [truth[p].total_cycles for p in expected]
    assert got == expected


def test_constraints_keep_exactly_the_pairs_brute_force_keeps(base, truth) -> None:
    areas = sorted({sim.area_mm2 for sim in truth.values()})
    latencies = sorted(sim.latency_ms for sim in truth.values())
    constraints = Constraints(max_params=3000, max_area_mm2=areas[1], max_latency_ms=latencies[len(latencies) // 2])
    result = search(_space(), base, constraints=constraints, sets=SETS, cache_dir="")
    kept = {pair for pair, sim in truth.items() if int(sim.params.sum()) <= 3000 and sim.area_mm2 <= areas[1]
            and sim.latency_ms <= constraints.max_latency_ms}
    assert 0 < len(kept) < len(truth)
    assert {r.key for r in result.ranked} == kept
    assert result.filtered == len(truth) - len(kept) and result.simulated == len(kept)
    assert "area <= " in constraints.describe() and "latency <= " in constraints.describe()
    with pytest.raises(ConfigError, match="no pair meets the constraints"):
        search(_space(), base, constraints=Constraints(max_area_mm2=areas[0] / 2), sets=SETS, cache_dir="")


def test_pareto_front_over_latency_energy_and_area_equals_brute_force(base) -> None:
    result = search(_space(), base, sets=SETS, cache_dir="")
    ranked = result.ranked

    def dominates(a, b) -> bool:
        costs_a, costs_b = (a.latency_ms, a.energy_uj, a.area_mm2), (b.latency_ms, b.energy_uj, b.area_mm2)
        gains_a, gains_b = (a.macs, a.params), (b.macs, b.params)
        no_worse = all(x <= y for x, y in zip(costs_a, costs_b)) and all(x >= y for x, y in zip(gains_a, gains_b))
        return no_worse and (costs_a != costs_b or gains_a != gains_b)

    brute = [i for i, r in enumerate(ranked) if not any(dominates(o, r) for o in ranked)]
    assert list(result.pareto) == brute and 0 < len(brute) < len(ranked)


def test_the_best_within_each_area_is_the_front_of_area_and_objective(base, truth) -> None:
    result = search(_space(), base, sets=SETS, cache_dir="")
    text = format_report(result)
    assert "Best by area" in text
    for budget in sorted({sim.area_mm2 for sim in truth.values()}):
        best = result.best_within(budget)
        fastest = min(sim.latency_ms for sim in truth.values() if sim.area_mm2 <= budget)
        assert best is not None and best.latency_ms == fastest
    assert result.best_within(0.001) is None


def test_published_networks_sit_on_their_best_configuration(base, truth) -> None:
    space = SearchSpace(family="chain")  # 5 blocks over 2 stages: c1 = 1-4 kernel 3, c2 = 3-2 kernel 1
    result = search(space, base, sets=SETS, cache_dir="")
    accels = [base.with_overrides(dict(zip(SETS, values))) for values in itertools.product(*SETS.values())]
    for v, blocks, kernel in zip(result.versions, [(1, 4), (3, 2)], [3, 1]):
        sims = [simulate(chain(space.variant((kernel,)), blocks), accel) for accel in accels]
        best = min(range(len(sims)), key=lambda k: (sims[k].latency_ms, sims[k].total_cycles, sims[k].total_energy_pj, k))
        assert v.result.key == (Candidate(blocks, (kernel,)), best)
        assert result.ranked[v.rank - 1] == v.result
    for v, blocks, kernel in zip(result.on_base, [(1, 4), (3, 2)], [3, 1]):  # on ws_8x8 itself
        sim = simulate(chain(space.variant((kernel,)), blocks), base)
        assert v.result.config == -1 and (v.result.cycles, v.result.area_mm2) == (sim.total_cycles, sim.area_mm2)
        assert v.rank == 1 + sum(r.sort_key("latency") < v.result.sort_key("latency") for r in result.ranked)
    text = format_report(result)
    assert "chain co-design search: block allocations x 24 configurations of ws_8x8" in text
    assert "Published chains on their best configuration and where they rank" in text
    assert "Published chains on ws_8x8 (the base accelerator)" in text
    assert " vs c1 on ws_8x8: " in text and "area x" in text
    assert max(len(line) for line in text.splitlines()) <= 120


def test_csv_has_one_row_per_pair_with_the_swept_fields_and_resumes(base, tmp_path: Path, monkeypatch) -> None:
    # candidates are scored in chunks of 3 allocations (energies summed by the same BLAS calls in both runs)
    monkeypatch.setattr(search_module, "_CHUNK", 3)
    out = tmp_path / "joint.csv"
    result = search(_space(), base, sets=SETS, output=out, cache_dir="")
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == columns(CHAIN, tuple(SETS))
    assert columns(CHAIN, tuple(SETS))[3:7] == tuple(SETS)  # after allocation, kernel, channels
    assert len(rows) == len(result.ranked) == 480
    configurations = result.configurations
    for row, r in zip(rows, result.ranked):
        values = configurations.values(r.config)
        assert (row["array.rows"], row["dataflow"]) == (str(values[0]), values[1])
        assert (float(row["buffers.ifmap_kib"]), float(row["dram.bandwidth_bytes_per_cycle"])) == values[2:]
        assert float(row["area_mm2"]) == r.area_mm2 and int(row["cycles"]) == r.cycles
    again = search(_space(), base, sets=SETS, output=out, resume=True, cache_dir="")
    assert (again.resumed, again.simulated, again.ranked) == (480, 0, result.ranked)
    # a kill after the first chunk leaves its rows; --resume scores only the rest
    part = tmp_path / "part.csv"

    class Stop(Exception):
        pass

    class Interrupt:
        def write(self, text: str) -> None:
            raise Stop

        def flush(self) -> None:
            pass

    with pytest.raises(Stop):
        search(_space(), base, sets=SETS, output=part, progress=Interrupt(), cache_dir="")
    first = len(part.read_text().splitlines()) - 1
    assert first == 3 * 24  # three allocations on every configuration
    resumed = search(_space(), base, sets=SETS, output=part, resume=True, cache_dir="")
    assert (resumed.resumed, resumed.simulated) == (first, 480 - first)
    assert part.read_text() == out.read_text()
    other = {**SETS, "array.rows": [4, 16]}
    with pytest.raises(ConfigError, match="not in this search's space"):
        search(_space(), base, sets=other, output=out, resume=True, cache_dir="")
    with pytest.raises(ConfigError, match="not a search results file of this search"):
        search(_space(), base, sets={"array.rows": [4, 8]}, output=out, resume=True, cache_dir="")


def test_graphs_method_and_processes_agree_with_units(base) -> None:
    units = search(_space(), base, sets=SETS, cache_dir="")
    graphs = search(_space(), base, sets=SETS, method="graphs", cache_dir="")
    assert graphs.method == "graphs"
    assert [(r.key, r.cycles, r.area_mm2) for r in graphs.ranked] == [(r.key, r.cycles, r.area_mm2) for r in units.ranked]
    np.testing.assert_allclose([r.energy_uj for r in graphs.ranked], [r.energy_uj for r in units.ranked], rtol=1e-12)


def test_bad_grids_and_too_many_pairs_are_one_line_errors(base, monkeypatch) -> None:
    with pytest.raises(ConfigError, match="unknown sweep field 'array.row'; did you mean array.rows"):
        search(_space(), base, sets={"array.row": [4]}, cache_dir="")
    with pytest.raises(ConfigError, match="sweep field array.rows: value 0: expected an integer > 0"):
        search(_space(), base, sets={"array.rows": [0, 4]}, cache_dir="")
    monkeypatch.setattr(search_module, "MAX_PAIRS", 100)
    with pytest.raises(ConfigError, match=r"20 candidates x 24 configurations = 480 pairs exceed the limit of 100"):
        search(_space(), base, sets=SETS, cache_dir="")
