"""plots.search_objective: `hwsim search --plot` draws the objective the search ranked by."""

from __future__ import annotations

import numpy as np
import pytest

from hwsim.explore.search.run import SearchSpace, search
from hwsim.hardware.load import load_accelerator
from hwsim.plots.search_objective import plot_search_objective


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    cache = tmp_path_factory.mktemp("templates")
    space = SearchSpace(blocks_total=6, choices={"conv1": (5,), "shortcut": ("v5",)})  # C(5, 3) = 10 allocations
    accel = load_accelerator("ws_16x16")
    return {objective: search(space, accel, objective=objective, cache_dir=cache) for objective in ("latency", "edp")}


@pytest.mark.parametrize(("objective", "label"), [("latency", "latency (ms)"), ("edp", "energy x latency (uJ x ms)")])
def test_plot_shows_the_objective_ranked_by(results, objective, label):
    result = results[objective]
    ax = plot_search_objective(result).axes[0]
    assert ax.get_ylabel() == label and f"ranked by {objective}" in ax.get_title()
    cloud = ax.collections[0].get_offsets()
    expected = {"latency": [r.latency_ms for r in result.ranked], "edp": [r.energy_uj * r.latency_ms for r in result.ranked]}
    assert np.allclose(np.asarray(cloud)[:, 1], expected[objective])  # edp = energy (uJ) x latency (ms)
    assert np.allclose(np.asarray(cloud)[:, 0], [r.macs / 1e6 for r in result.ranked])
