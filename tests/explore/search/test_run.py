"""hwsim.explore.search.run on the SqueezeNext family: enumeration, exact totals, constraints, ranking,
Pareto front, CSV and resume (a family written in a test: test_toy_family.py)."""

from __future__ import annotations

import csv
import itertools
import math
from dataclasses import replace
from pathlib import Path

import pytest

from hwsim.errors import ConfigError
from hwsim.explore.search import run as search_module
from hwsim.explore.search.families.squeezenext import SQUEEZENEXT
from hwsim.explore.search.run import (
    Candidate,
    Constraints,
    SearchSpace,
    allocations,
    columns,
    count_allocations,
    format_report,
    pareto_mask,
    search,
)
from hwsim.hardware.load import load_accelerator
from hwsim.models.squeezenext_spec import VERSIONS

COLUMNS = columns(SQUEEZENEXT)


def _space(conv1: tuple[int, ...] = (5, 7), shortcut: tuple[str, ...] = ("v1", "v5"), **fields) -> SearchSpace:
    return SearchSpace(choices={"conv1": conv1, "shortcut": shortcut}, **fields)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.getbasetemp() / "hwsim-template-cache"  # shared with test_assemble
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def ws():
    return load_accelerator("ws_32x32")


# --------------------------------------------------------------------------- counting
@pytest.mark.parametrize("stages", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("min_blocks", [0, 1, 2])
def test_count_is_stars_and_bars_and_enumeration_is_complete(stages: int, min_blocks: int) -> None:
    for total in range(0, 13):
        brute = sorted(
            b for b in itertools.product(range(min_blocks, total + 1), repeat=stages) if sum(b) == total
        )
        listed = list(allocations(total, stages, min_blocks))
        assert listed == brute  # every allocation once, in lexicographic order
        free = total - stages * min_blocks
        closed = math.comb(free + stages - 1, stages - 1) if free >= 0 else 0
        assert count_allocations(total, stages, min_blocks) == closed == len(brute)


def test_count_of_the_issue() -> None:
    # 21 blocks over 4 stages, at least one each: C(20, 3) = 20*19*18/6 = 1140
    assert count_allocations(21, 4, 1) == 20 * 19 * 18 // 6 == 1140
    assert SearchSpace().count == 1140 * 2 * 2
    assert SearchSpace.from_depth(23).blocks_total == 21  # conv1 + 21 blocks + the final 1x1


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(family="resnet"),
        dict(blocks_total=3),  # < 4 stages x 1 block
        dict(blocks_total=7, min_blocks=2),  # < 4 x 2
        dict(choices={"conv1": (3,)}),
        dict(choices={"conv1": (5, 5)}),
        dict(choices={"conv1": ()}),
        dict(choices={"conv1": (5.0,)}),  # a float is not a kernel size
        dict(choices={"shortcut": ("v2",)}),
        dict(choices={"kernel": (3,)}),  # not a choice of squeezenext
        dict(settings={"width": 0.3}),
        dict(settings={"depth_multiplier": 2}),  # not a setting of squeezenext
        dict(settings={"input_size": 8}),
        dict(settings={"batch": 0}),
        dict(stages=0),
        dict(blocks_total=400, stages=8),  # far more candidates than the limit
    ],
)
def test_bad_spaces_raise_config_error(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        SearchSpace(**kwargs)


def test_space_defaults_come_from_the_family() -> None:
    space = SearchSpace()
    assert (space.blocks_total, space.stages, space.min_blocks) == (21, 4, 1)
    assert space.choice_pairs == (("conv1", (5, 7)), ("shortcut", ("v1", "v5")))
    assert space.setting("width") == 1.0 and space.setting("input_size") == 227
    assert space.describe() == "21 blocks over 4 stages (>= 1 each), width 1.0, conv1 5/7, shortcut v1/v5"
    wide = SearchSpace(settings={"width": 2, "grouped": True}, choices={"shortcut": ("v5",)})
    assert wide.setting("width") == 2.0 and isinstance(wide.setting("width"), float)
    assert wide.describe().endswith("width 2.0 grouped, conv1 5/7, shortcut v5")
    assert wide.count == 1140 * 2 * 1
    # the same space however its choices are spelled
    assert _space(conv1=(5,)) == SearchSpace(choices=(("conv1", (5,)), ("shortcut", ("v1", "v5"))))


def test_bad_depth_and_objective_raise_config_error(ws) -> None:
    with pytest.raises(ConfigError, match="depth 5 gives 3 blocks"):
        SearchSpace.from_depth(5)
    with pytest.raises(ConfigError, match="objective"):
        search(SearchSpace(blocks_total=4), ws, objective="speed")
    with pytest.raises(ConfigError, match=r"depth must be an integer >= 3 \(conv1 \+ blocks \+ final 1x1\)"):
        SearchSpace.from_depth(2)


def test_pareto_mask_by_hand() -> None:
    # (cost, gain): b is beaten by a (cheaper, same gain); d by c (same cost, more gain); e ties nobody
    cost = [1.0, 2.0, 3.0, 3.0, 0.5]
    gain = [5.0, 5.0, 9.0, 8.0, 1.0]
    assert pareto_mask(cost, gain).tolist() == [True, False, True, False, True]
    # a second gain can rescue a point
    assert pareto_mask(cost, gain, [0, 1, 0, 0, 0]).tolist() == [True, True, True, False, True]


# --------------------------------------------------------------------------- exactness
def _brute_force(space: SearchSpace, accel) -> dict:
    """simulate(export(build(...))) of every candidate: the slow reference."""
    from hwsim.export import export
    from hwsim.models import SqueezeNextSpec, build_squeezenext
    from hwsim.simulate import simulate

    out = {}
    for blocks in space.allocations():
        for conv1 in space.values("conv1"):
            for shortcut in space.values("shortcut"):
                spec = SqueezeNextSpec(blocks=blocks, conv1_kernel=conv1, shortcut=shortcut)
                out[Candidate(blocks, (conv1, shortcut))] = simulate(export(build_squeezenext(spec), (1, 3, 227, 227)), accel)
    return out


def test_search_finds_the_brute_force_optimum(ws, cache_dir: Path) -> None:
    pytest.importorskip("torch")
    space = _space((5,), ("v5",), blocks_total=6)  # C(5, 3) = 10 allocations
    truth = _brute_force(space, ws)
    assert len(truth) == 10
    latency = {c: r.latency_ms for c, r in truth.items()}
    energy = {c: r.total_energy_pj / 1e6 for c, r in truth.items()}
    for objective, value in (("latency", latency), ("energy", energy), ("edp", {c: latency[c] * energy[c] for c in truth})):
        result = search(space, ws, objective=objective, cache_dir=cache_dir)
        assert result.method == "units"
        assert [r.objective(objective) for r in result.ranked] == sorted(r.objective(objective) for r in result.ranked)
        best = min(truth, key=lambda c: value[c])
        assert result.ranked[0].candidate == best
        assert result.ranked[0].objective(objective) == pytest.approx(value[best], rel=1e-12)
    for r in result.ranked:
        sim = truth[r.candidate]
        assert (r.cycles, r.macs, r.params) == (sim.total_cycles, sim.total_macs, int(sim.params.sum()))
        assert r.latency_ms == sim.latency_ms
        assert r.energy_uj == pytest.approx(sim.total_energy_pj / 1e6, rel=1e-12)
        assert r.utilization == pytest.approx(sim.utilization_total, rel=1e-12)
        assert r.edp == pytest.approx(r.energy_uj * r.latency_ms, rel=1e-15)


def test_template_totals_equal_simulating_every_assembled_graph(cache_dir: Path) -> None:
    best = load_accelerator("best_32x32")
    space = SearchSpace(blocks_total=6)  # 10 allocations x 2 conv1 x 2 shortcuts
    units = search(space, best, method="units", cache_dir=cache_dir)
    graphs = search(space, best, method="graphs", cache_dir=cache_dir)
    assert graphs.method == "graphs" and len(units.ranked) == len(graphs.ranked) == 40
    for a, b in zip(units.ranked, graphs.ranked):
        assert (a.candidate, a.cycles, a.macs, a.params) == (b.candidate, b.cycles, b.macs, b.params)
        assert a.energy_uj == pytest.approx(b.energy_uj, rel=1e-12)


# --------------------------------------------------------------------------- constraints, versions
def test_constraints_filter_exactly(ws, cache_dir: Path) -> None:
    space = SearchSpace(blocks_total=9)
    every = search(space, ws, cache_dir=cache_dir).ranked
    macs = sorted(r.macs for r in every)
    params = sorted(r.params for r in every)
    bounds = Constraints(max_macs=macs[len(macs) // 2], max_params=params[2 * len(params) // 3])
    kept = search(space, ws, constraints=bounds, cache_dir=cache_dir)
    expected = [r for r in every if r.macs <= bounds.max_macs and r.params <= bounds.max_params]
    assert 0 < len(expected) < len(every)
    assert list(kept.ranked) == expected  # same order: ranking does not depend on the filter
    assert kept.filtered == len(every) - len(expected)
    with pytest.raises(ConfigError, match="no candidate"):
        search(space, ws, constraints=Constraints(max_params=1), cache_dir=cache_dir)


def test_versions_are_marked_in_the_full_space(ws, cache_dir: Path) -> None:
    result = search(SearchSpace(), ws, cache_dir=cache_dir)
    assert len(result.ranked) == 4560
    assert [v.label for v in result.versions] == [f"v{n}" for n in sorted(VERSIONS)]
    for v, n in zip(result.versions, sorted(VERSIONS)):
        blocks, conv1, shortcut = VERSIONS[n]
        assert v.in_space and v.feasible
        assert result.ranked[v.rank - 1] == v.result
        assert v.result.candidate == Candidate(blocks, (conv1, shortcut))
    v1, v2 = result.versions[0].result, result.versions[1].result
    assert v1.candidate.blocks == v2.candidate.blocks and v1.candidate.choices[0] != v2.candidate.choices[0]
    assert result.version_of(v1.candidate) == ("v1",)
    assert all(result.ranked[0].objective("latency") <= v.result.latency_ms for v in result.versions)
    # the front: nothing is faster with at least as many MACs and params
    for i in result.pareto:
        r = result.ranked[i]
        assert not any(o.latency_ms < r.latency_ms and o.macs >= r.macs and o.params >= r.params for o in result.ranked)
    text = format_report(result, top=5)
    assert "Top 5 of 4,560 by latency" in text and "v5" in text and "Pareto front" in text
    assert max(len(line) for line in text.splitlines()) <= 120
    best = result.ranked[0]
    for v in (result.versions[0], result.versions[4]):  # v1 and v5, both inside: compared with the best
        speed = v.result.latency_ms / best.latency_ms  # >= 1: the best is the fastest
        assert f"vs {v.label}: {speed:.3f}x faster, energy x{best.energy_uj / v.result.energy_uj:.3f}" in text
    conv1, shortcut = best.candidate.choices
    assert f"best {best.candidate.allocation} (conv1 {conv1}, {shortcut}) vs v1" in text
    assert f"  {conv1}x{conv1}  " in text.splitlines()[8]  # the table's first row: conv1 as a kernel
    assert "outside this search space" not in text and "~" not in text
    outside = search(SearchSpace(blocks_total=8), ws, cache_dir=cache_dir)
    assert not any(v.in_space for v in outside.versions)
    assert all(1 <= v.rank <= len(outside.ranked) + 1 for v in outside.versions)
    text = format_report(outside, top=5)
    assert "v1..v5 are outside this search space, so the best is not compared with them" in text
    assert " vs v" not in text and "faster" not in text
    assert f"~{outside.versions[0].rank}/{len(outside.ranked)}" in text
    assert max(len(line) for line in text.splitlines()) <= 120


def test_report_compares_only_versions_inside_the_space(ws, cache_dir: Path) -> None:
    # conv1 5 with shortcut v1 holds v2..v4 (21 blocks); v1 (conv1 7) and v5 (shortcut v5) are outside
    space = _space((5,), ("v1",))
    result = search(space, ws, objective="energy", constraints=Constraints(max_params=700_000), cache_dir=cache_dir)
    inside = {v.label: v for v in result.versions if v.in_space}
    assert sorted(inside) == ["v2", "v3", "v4"] and not any(v.feasible for v in inside.values())  # all over 700k params
    text = format_report(result)
    best = result.ranked[0]
    for v in inside.values():
        ratio = v.result.latency_ms / best.latency_ms
        speed = f"{ratio:.3f}x faster" if ratio >= 1 else f"{1 / ratio:.3f}x slower"
        assert f"vs {v.label} (fails the constraints): {speed}, energy x{best.energy_uj / v.result.energy_uj:.3f}" in text
    assert "v1, v5 are outside this search space, so the best is not compared with them" in text
    assert "~ marks the rank a version would take: v1, v5 outside the space" in text
    assert "v2..v4 fail the constraints" in text
    assert max(len(line) for line in text.splitlines()) <= 120


# --------------------------------------------------------------------------- the CSV, resume
def _rows(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_has_every_candidate_ranked(ws, cache_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "search.csv"
    result = search(SearchSpace(blocks_total=7), ws, objective="energy", output=out, cache_dir=cache_dir)
    rows = _rows(out)
    assert tuple(rows[0]) == COLUMNS
    assert COLUMNS[:4] == ("allocation", "conv1", "shortcut", "width")  # the family's choices, then its width
    assert len(rows) == result.space.count == 20 * 4  # C(6, 3) = 20 allocations
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    for row, r in zip(rows, result.ranked):
        assert row["allocation"] == r.candidate.allocation and int(row["cycles"]) == r.cycles
        assert (int(row["conv1"]), row["shortcut"], row["width"]) == (*r.candidate.choices, "1.0")
        assert float(row["energy_uj"]) == r.energy_uj and float(row["edp_uj_ms"]) == r.edp == r.energy_uj * r.latency_ms
        assert int(row["macs"]) == r.macs and int(row["params"]) == r.params and row["accel"] == "ws_32x32"


class _Interrupt(Exception):
    pass


class _StopAfterFirstChunk:
    """A progress stream that interrupts the search the first time the bar is drawn."""

    def write(self, text: str) -> None:
        raise _Interrupt

    def flush(self) -> None:
        pass


def test_rows_are_flushed_as_they_come_and_resume_skips_them(ws, cache_dir: Path, tmp_path: Path, monkeypatch) -> None:
    space = SearchSpace(blocks_total=7)
    out = tmp_path / "search.csv"
    monkeypatch.setattr(search_module, "_CHUNK", 6)
    with pytest.raises(_Interrupt):
        search(space, ws, output=out, progress=_StopAfterFirstChunk(), cache_dir=cache_dir)
    rows = _rows(out)
    assert len(rows) == 6 and all(r["rank"] == "" for r in rows)  # the first chunk, unranked
    with out.open("a") as handle:
        handle.write("2-2-2,5,v1")  # a torn last line: simulated again
    resumed = search(space, ws, output=out, resume=True, cache_dir=cache_dir)
    assert (resumed.resumed, resumed.simulated) == (6, space.count - 6)
    fresh = search(space, ws, output=tmp_path / "fresh.csv", cache_dir=cache_dir)
    assert _rows(out) == _rows(tmp_path / "fresh.csv")
    again = search(space, ws, output=out, resume=True, cache_dir=cache_dir)
    assert (again.resumed, again.simulated) == (space.count, 0)
    assert again.ranked == fresh.ranked
    with pytest.raises(ConfigError, match="simulated on"):
        search(space, load_accelerator("os_32x32"), output=out, resume=True, cache_dir=cache_dir)
    with pytest.raises(ConfigError, match="not in this search"):
        search(SearchSpace(blocks_total=8), ws, output=out, resume=True, cache_dir=cache_dir)
    with pytest.raises(ConfigError, match=r"line 2 \(.*, width 1.0\) is not in this search"):  # another width
        search(SearchSpace(blocks_total=7, settings={"width": 2.0}), ws, output=out, resume=True, cache_dir=cache_dir)
    with pytest.raises(ConfigError, match=r"line \d+ \(.*conv1 7.*\) is not in this search"):  # a conv1 not searched
        search(_space((5,), ("v1", "v5"), blocks_total=7), ws, output=out, resume=True, cache_dir=cache_dir)
    # a file written before the EDP column was named edp_uj_ms is still resumed
    legacy = tmp_path / "legacy.csv"
    legacy.write_text(out.read_text().replace("energy_uj,edp_uj_ms,", "energy_uj,edp,", 1))
    old = search(space, ws, output=legacy, resume=True, cache_dir=cache_dir)
    assert (old.resumed, old.simulated) == (space.count, 0) and tuple(_rows(legacy)[0]) == COLUMNS
    # ... and one written before rows carried the chip area (the accelerator's, 1.603 mm²)
    area = COLUMNS.index("area_mm2")
    lines = [line.split(",") for line in out.read_text().splitlines()]
    legacy.write_text("".join(",".join(cells[:area] + cells[area + 1:]) + "\n" for cells in lines))
    old = search(space, ws, output=legacy, resume=True, cache_dir=cache_dir)
    assert (old.resumed, old.simulated) == (space.count, 0) and _rows(legacy) == _rows(out)


@pytest.mark.parametrize("where", ["before-the-line-end", "in-the-accelerator-name", "in-the-latency"])
# (a row cut before its last cell has too few cells; one cut in its last cell, or just before its newline, has them all)
def test_a_last_row_cut_anywhere_is_dropped_and_scored_again(ws, cache_dir: Path, tmp_path: Path, where: str) -> None:
    space = SearchSpace(blocks_total=7)
    fresh = tmp_path / "fresh.csv"
    search(space, ws, output=fresh, cache_dir=cache_dir)
    data = fresh.read_bytes()
    start = data.rstrip(b"\r\n").rfind(b"\n") + 1  # the last row
    last = data[start:]
    cut = {"before-the-line-end": len(last.rstrip(b"\r\n")),  # every cell whole, but no newline: still torn
           "in-the-accelerator-name": len(last.rstrip(b"\r\n")) - 3,  # ws_32 of ws_32x32: would be refused
           "in-the-latency": last.index(b".") + 2}[where]  # too few cells
    out = tmp_path / "cut.csv"
    out.write_bytes(data[: start + cut])
    resumed = search(space, ws, output=out, resume=True, cache_dir=cache_dir)
    assert (resumed.resumed, resumed.simulated) == (space.count - 1, 1)
    floats = ("energy_uj", "edp_uj_ms")  # a pair scored alone sums its energy in another order: last-digit rounding
    got, want = _rows(out), _rows(fresh)
    assert [{k: v for k, v in r.items() if k not in floats} for r in got] == [{k: v for k, v in r.items() if k not in floats} for r in want]
    assert [float(r[k]) for r in got for k in floats] == pytest.approx([float(r[k]) for r in want for k in floats], rel=1e-12)


def test_resume_refuses_files_that_are_not_search_results(ws, cache_dir: Path, tmp_path: Path) -> None:
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x81" * 8)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    for path in (binary, other):
        with pytest.raises(ConfigError, match=f"{path.name}: not a search results file .*drop --resume") as info:
            search(SearchSpace(blocks_total=5), ws, output=path, resume=True, cache_dir=cache_dir)
        assert "\n" not in str(info.value)


def test_auto_falls_back_to_whole_graphs_when_layers_stop_adding_up(ws, cache_dir: Path, monkeypatch) -> None:
    # pretend the simulator charged something across layers: one extra cycle per whole graph
    real = search_module.graph_totals

    def with_extra_cycle(graph, configurations):
        totals = real(graph, configurations)
        return replace(totals, cycles=totals.cycles + 1)

    space = SearchSpace(blocks_total=5)
    plain = search(space, ws, cache_dir=cache_dir)
    monkeypatch.setattr(search_module, "graph_totals", with_extra_cycle)
    patched = search(space, ws, cache_dir=cache_dir)
    assert (plain.method, patched.method) == ("units", "graphs")
    assert sorted(r.cycles + 1 for r in plain.ranked) == sorted(r.cycles for r in patched.ranked)
