"""A family written outside hwsim (tests/explore/search/toy_family.py: one module, then ``register``)
is searched like SqueezeNext: ranked exactly as a brute-force loop of ``simulate`` over its
assembled graphs, its published networks marked, its CSV written and resumed, no torch imported."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hwsim.errors import ConfigError
from hwsim.explore.search.families.base import Family
from hwsim.explore.search.families.registry import register, unregister
from hwsim.explore.search.output import METRIC_COLUMNS
from hwsim.explore.search.run import OBJECTIVES, Candidate, SearchSpace, columns, format_report, search
from hwsim.hardware.load import load_accelerator
from hwsim.simulate import simulate
from tests.explore.search.toy_family import CHAIN, chain
from tests.paths import REPO


@pytest.fixture
def family() -> Iterator[Family]:
    register(CHAIN)
    yield CHAIN
    unregister(CHAIN.name)


@pytest.fixture(scope="module")
def accel():
    return load_accelerator("ws_8x8")


def _brute_force(space: SearchSpace, accel) -> dict:
    """simulate() of every candidate's whole graph, built by the toy module without templates."""
    return {
        Candidate(blocks, (kernel,)): simulate(chain(space.variant((kernel,)), blocks), accel)
        for kernel in space.values("kernel") for blocks in space.allocations()
    }


def _objective(r, objective: str) -> float:
    energy_uj = r.total_energy_pj / 1e6
    return {"latency": r.latency_ms, "energy": energy_uj, "edp": energy_uj * r.latency_ms}[objective]


# area (one value per configuration) and accuracy (measured) rank pairs of a joint search:
# tests/explore/search/test_codesign.py, test_accuracy.py
@pytest.mark.parametrize("objective", [o for o in OBJECTIVES if o not in ("area", "accuracy")])
def test_ranking_equals_brute_force_simulation(family: Family, accel, objective: str) -> None:
    space = SearchSpace(family="chain", blocks_total=6, stages=3)  # C(5, 2) = 10 allocations x 2 kernels
    truth = _brute_force(space, accel)
    assert len(truth) == space.count == 20
    result = search(space, accel, objective=objective, cache_dir="")
    assert result.method == "units"  # the unit totals agreed with a whole-graph simulation
    # best first; ties broken by cycles, energy, blocks, kernel (as the search documents)
    expected = sorted(truth, key=lambda c: (_objective(truth[c], objective), truth[c].total_cycles,
                                            truth[c].total_energy_pj, c.blocks, *c.choices))
    assert [r.candidate for r in result.ranked] == expected
    for r in result.ranked:
        sim = truth[r.candidate]
        assert (r.cycles, r.macs, r.params) == (sim.total_cycles, sim.total_macs, int(sim.params.sum()))
        assert r.objective(objective) == pytest.approx(_objective(sim, objective), rel=1e-12)
    # c3 is the only published chain with three stages; its three blocks are outside a six-block space
    (c3,) = result.versions
    assert (c3.label, c3.in_space, c3.feasible) == ("c3", False, True)
    sim = simulate(chain(space.variant((3,)), (1, 1, 1)), accel)
    assert (c3.result.cycles, c3.result.macs) == (sim.total_cycles, sim.total_macs)
    assert c3.rank == 1 + sum(_objective(s, objective) < _objective(sim, objective) for s in truth.values())


def test_published_networks_report_csv_and_resume(family: Family, accel, tmp_path: Path) -> None:
    space = SearchSpace(family="chain")  # the family's defaults: 5 blocks over 2 stages, kernels 1 and 3
    assert (space.blocks_total, space.stages, space.count) == (5, 2, 4 * 2)
    out = tmp_path / "chain.csv"
    result = search(space, accel, output=out)
    assert [v.label for v in result.versions] == ["c1", "c2"]  # c3 has three stages
    for v, blocks, kernel in zip(result.versions, [(1, 4), (3, 2)], [3, 1]):
        assert v.in_space and v.result.candidate == Candidate(blocks, (kernel,))
        assert result.ranked[v.rank - 1] == v.result and result.version_of(v.result.candidate) == (v.label,)
    text = format_report(result)
    assert "chain block-allocation search on ws_8x8" in text
    assert "space: 5 blocks over 2 stages (>= 1 each), kernel 1/3" in text
    assert "8 candidates (4 allocations x 2 kernel)" in text
    assert "Published chains and where they rank" in text
    best = result.ranked[0]
    assert f"best {best.candidate.allocation} (kernel {best.candidate.choices[0]}) vs c1: " in text
    assert f"best {best.candidate.allocation} (kernel {best.candidate.choices[0]}) vs c2: " in text
    header = next(line for line in text.splitlines() if line.lstrip().startswith("rank"))
    assert header.split()[:4] == ["rank", "allocation", "kernel", "latency_ms"]
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == columns(CHAIN) == ("allocation", "kernel", "channels", *METRIC_COLUMNS)
    assert [(r["allocation"], r["kernel"], r["channels"]) for r in rows] == [
        (r.candidate.allocation, str(r.candidate.choices[0]), "8") for r in result.ranked]
    again = search(space, accel, output=out, resume=True)
    assert (again.resumed, again.simulated, again.ranked) == (8, 0, result.ranked)
    with pytest.raises(ConfigError, match=r"line 2 \(.*, channels 8\) is not in this search's space"):
        search(SearchSpace(family="chain", settings={"channels": 16}), accel, output=out, resume=True)
    graphs = search(space, accel, method="graphs")
    assert [(r.candidate, r.cycles) for r in graphs.ranked] == [(r.candidate, r.cycles) for r in result.ranked]


def test_the_family_bounds_its_spaces(family: Family) -> None:
    with pytest.raises(ConfigError, match="at most 3"):
        SearchSpace(family="chain", stages=4, blocks_total=8)
    with pytest.raises(ConfigError, match="no choice 'conv1'"):
        SearchSpace(family="chain", choices={"conv1": (5,)})
    with pytest.raises(ConfigError, match="setting channels 8.0: expected int like 8"):  # written 8.0, read int
        SearchSpace(family="chain", settings={"channels": 8.0})
    with pytest.raises(ConfigError, match=r"depth must be an integer >= 3 \(stem \+ blocks \+ head\)"):
        SearchSpace.from_depth(2, family="chain")
    assert SearchSpace.from_depth(9, family="chain").blocks_total == 7


def test_searching_the_family_imports_no_torch() -> None:
    code = (
        "import sys\n"
        "from hwsim.explore.search.families.registry import register\n"
        "from hwsim.explore.search.run import SearchSpace, search\n"
        "from hwsim.hardware.load import load_accelerator\n"
        "from tests.explore.search.toy_family import CHAIN\n"
        "register(CHAIN)\n"
        "result = search(SearchSpace(family='chain'), load_accelerator('ws_8x8'))\n"
        "print(len(result.ranked), 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.stdout.split() == ["8", "False"]


def test_a_global_buffer_makes_the_search_simulate_every_candidate(family: Family, accel) -> None:
    # What a layer keeps on chip depends on its neighbours (docs/MODEL.md §9): unit totals no longer
    # add up, so auto simulates every assembled graph and units is refused.
    gb = accel.with_overrides({"global_buffer.kib": 8.0})
    space = SearchSpace(family="chain", blocks_total=6, stages=3)
    truth = _brute_force(space, gb)
    result = search(space, gb, cache_dir="")
    assert result.method == "graphs"
    assert {r.candidate: r.cycles for r in result.ranked} == {c: s.total_cycles for c, s in truth.items()}
    for r in result.ranked:
        assert r.energy_uj == pytest.approx(truth[r.candidate].total_energy_pj / 1e6, rel=1e-12)
    with pytest.raises(ConfigError, match="search method units .* ws_8x8 has a global buffer"):
        search(space, gb, method="units", cache_dir="")
