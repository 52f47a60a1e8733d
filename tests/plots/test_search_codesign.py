"""plots.search_codesign and plots.tables.area_budget_table: the figures and the table of a joint
network x accelerator search (toy chain family on ws_8x8 with four configurations)."""

from __future__ import annotations

import numpy as np
import pytest

from hwsim.explore.search.families.registry import register, unregister
from hwsim.explore.search.results import area_front
from hwsim.explore.search.run import SearchSpace, search
from hwsim.hardware.load import load_accelerator
from hwsim.plots import area_budget_table, plot_area_budgets, plot_codesign
from tests.explore.search.toy_family import CHAIN


@pytest.fixture(scope="module")
def result():
    register(CHAIN)
    try:
        sets = {"array.rows": [4, 8], "buffers.ifmap_kib": [1, 16]}
        return search(SearchSpace(family="chain"), load_accelerator("ws_8x8"), sets=sets, cache_dir="")
    finally:
        unregister(CHAIN.name)


def test_area_budget_table_is_the_best_pair_within_each_budget(result) -> None:
    reference = result.on_base[-1].result  # c2 (the family's last published chain) on ws_8x8
    areas = sorted({r.area_mm2 for r in result.ranked})
    budgets = [areas[0] / 2, areas[1], areas[-1]]
    table = area_budget_table(result, budgets)
    assert list(table.index) == budgets
    assert np.isnan(table.loc[budgets[0], "rank"])  # no configuration is that small
    for budget in budgets[1:]:
        i, best = next((i, r) for i, r in enumerate(result.ranked) if r.area_mm2 <= budget)
        row = table.loc[budget]
        assert (row["rank"], row["allocation"], row["kernel"]) == (i + 1, best.candidate.allocation, best.candidate.choices[0])
        assert (row["array.rows"], row["buffers.ifmap_kib"]) == result.configurations.values(best.config)
        assert row["speedup"] == reference.latency_ms / best.latency_ms
        assert row["area_ratio"] == best.area_mm2 / reference.area_mm2
        assert row["energy_ratio"] == best.energy_uj / reference.energy_uj
    small = area_budget_table(result, budgets[1:], max_params=reference.params)
    assert (small["params"] <= reference.params).all()


def test_codesign_figure_draws_every_pair_the_front_and_the_budgets(result) -> None:
    budgets = [0.25, 0.3]
    ax = plot_codesign(result, budgets_mm2=budgets).axes[0]
    cloud = np.asarray(ax.collections[0].get_offsets())
    np.testing.assert_allclose(cloud, [(r.area_mm2, r.latency_ms) for r in result.ranked])
    steps = area_front(result.ranked, "latency")
    front = ax.get_lines()[0]
    np.testing.assert_allclose(front.get_xdata(), [result.ranked[i].area_mm2 for i in steps])
    np.testing.assert_allclose(front.get_ydata(), [result.ranked[i].latency_ms for i in steps])
    assert [line.get_xdata()[0] for line in ax.get_lines()[1:]] == budgets
    labels = [t.get_text() for t in ax.texts]
    assert labels.count("c1") == 2 and labels.count("c2") == 2  # on the best configuration and on ws_8x8
    assert "0.25 mm2" in labels and ax.get_xlabel().startswith("chip area (mm2")
    assert ax.get_ylabel() == "latency (ms)"


def test_budget_bars_are_the_speedups_of_the_table(result) -> None:
    budgets = [0.3, 1.0]
    ax = plot_area_budgets(result, budgets).axes[0]
    reference = result.on_base[-1].result
    any_size, same_size = ax.containers
    np.testing.assert_allclose([b.get_height() for b in any_size], area_budget_table(result, budgets)["speedup"])
    np.testing.assert_allclose([b.get_height() for b in same_size],
                               area_budget_table(result, budgets, reference.params)["speedup"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.3 mm2", "1 mm2"]
