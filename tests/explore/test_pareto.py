"""hwsim.explore.pareto: hand-made fronts (ties, duplicates, NaN), and a brute-force O(n^2) check with hypothesis."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hwsim.explore.pareto as pareto_module
from hwsim.errors import ConfigError
from hwsim.explore.pareto import pareto_front, pareto_mask, plot_front
from tests.figure_helpers import saved_figures


def brute_force(points):
    """The definition: on the front unless some point is <= everywhere and < somewhere (NaN rows never)."""
    p = np.asarray(points, dtype=float)
    valid = ~np.isnan(p).any(axis=1)
    out = []
    for i in range(len(p)):
        dominated = any(
            valid[j] and (p[j] <= p[i]).all() and (p[j] < p[i]).any() for j in range(len(p)) if j != i
        )
        out.append(bool(valid[i]) and not dominated)
    return np.array(out, dtype=bool)


def test_two_objectives_by_hand():
    points = [
        (1, 5),  # front: least x
        (2, 3),  # front
        (2, 3),  # duplicate of a front point: also on the front
        (2, 4),  # same x as (2, 3), worse y: dominated
        (3, 3),  # same y as (2, 3), worse x: dominated
        (4, 1),  # front: least y
        (5, 1),  # tie in y with (4, 1), worse x: dominated
        (0.5, 9),  # front: smallest x of all
        (6, 0.5),  # front
    ]
    assert pareto_mask(points).tolist() == [True, True, True, False, False, True, False, True, True]


def test_three_objectives_by_hand():
    points = [
        (1, 1, 9),  # front
        (1, 1, 9),  # duplicate: front
        (1, 2, 9),  # dominated by (1, 1, 9)
        (9, 9, 1),  # front: least z
        (2, 2, 2),  # front: nothing is <= in all three
        (2, 2, 3),  # dominated by (2, 2, 2)
        (3, 0, 5),  # front: least y
    ]
    assert pareto_mask(points).tolist() == [True, True, False, True, True, False, True]


def test_one_objective_is_the_minimum_with_ties():
    assert pareto_mask([3, 1, 2, 1]).tolist() == [False, True, False, True]


def test_nan_rows_are_never_on_the_front_and_dominate_nothing():
    points = [(np.nan, 0), (1, 1), (2, np.nan), (0.5, 2)]
    assert pareto_mask(points).tolist() == [False, True, False, True]
    assert pareto_mask(np.full((2, 3), np.nan)).tolist() == [False, False]


def test_infinite_values_are_ordinary_values():
    assert pareto_mask([(np.inf, 1), (1, np.inf)]).tolist() == [True, True]
    assert pareto_mask([(1, np.inf), (2, np.inf)]).tolist() == [True, False]


def test_empty_input():
    assert pareto_mask(np.zeros((0, 2))).tolist() == []


coordinates = st.integers(min_value=0, max_value=4)  # few distinct values: many ties and duplicates


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 4).flatmap(lambda d: st.lists(st.tuples(*[coordinates] * d), min_size=1, max_size=40)))
def test_matches_brute_force(points):
    assert pareto_mask(points).tolist() == brute_force(points).tolist()


@settings(max_examples=60, deadline=None)
@given(
    st.integers(3, 4).flatmap(lambda d: st.lists(st.tuples(*[coordinates] * d), min_size=1, max_size=60)),
    st.integers(1, 7),
)
def test_block_algorithm_matches_brute_force_with_tiny_blocks(points, block):
    old = pareto_module._BLOCK, pareto_module._FRONT_SLICE
    pareto_module._BLOCK, pareto_module._FRONT_SLICE = block, 3  # many blocks, front compared in slices
    try:
        assert pareto_mask(points).tolist() == brute_force(points).tolist()
    finally:
        pareto_module._BLOCK, pareto_module._FRONT_SLICE = old


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.floats(-3, 3), st.just(np.nan)), st.floats(-3, 3)), min_size=1, max_size=30))
def test_two_objectives_with_floats_and_nan_match_brute_force(points):
    assert pareto_mask(points).tolist() == brute_force(points).tolist()


@pytest.mark.parametrize("d", [2, 3])
def test_large_random_front_is_exact(d):
    """50,000 points: no front point dominates another, every other point is dominated by a front point."""
    rng = np.random.default_rng(d)
    points = rng.integers(0, 400, size=(50_000, d)).astype(float)
    mask = pareto_mask(points)
    front, rest = points[mask], points[~mask]
    assert 0 < len(front) < 2000
    for i, f in enumerate(front):
        others = np.delete(front, i, axis=0)
        assert not ((others <= f).all(axis=1) & (others < f).any(axis=1)).any()
    dominated = np.zeros(len(rest), dtype=bool)
    for f in front:
        dominated |= (f <= rest).all(axis=1) & (f < rest).any(axis=1)
    assert dominated.all()


def test_pareto_front_frame_keeps_index_sorts_and_groups():
    frame = pd.DataFrame(
        {
            "model": ["a", "a", "a", "b", "b"],
            "latency_ms": [2.0, 1.0, 3.0, 5.0, 5.0],
            "energy_uj": [1.0, 3.0, 4.0, 1.0, 2.0],
        },
        index=[10, 11, 12, 13, 14],
    )
    front = pareto_front(frame, ["latency_ms", "energy_uj"])
    assert front.index.tolist() == [11, 10]  # (5, 1) of model b is dominated by (2, 1) across models
    grouped = pareto_front(frame, ["latency_ms", "energy_uj"], by="model")
    assert grouped.index.tolist() == [11, 10, 13]
    with pytest.raises(ConfigError, match="no column 'latency'"):
        pareto_front(frame, ["latency", "energy_uj"])
    with pytest.raises(ConfigError, match="not a numeric column 'model'"):
        pareto_front(frame, ["model", "energy_uj"])


@pytest.mark.parametrize("z", [None, "area_pes"])
def test_plot_front_draws_every_configuration_and_marks_the_front(tmp_path, z, monkeypatch):
    figures = saved_figures(monkeypatch)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"model": "m", "latency_ms": rng.random(50), "energy_uj": rng.random(50), "area_pes": rng.integers(1, 9, 50)})
    objectives = ["latency_ms", "energy_uj"] + ([z] if z else [])
    front = pareto_front(frame, objectives, by="model")
    path = tmp_path / "front.png"
    plot_front(frame, front, "latency_ms", "energy_uj", path, z=z, by="model")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (fig,) = figures
    ax = next(ax for ax in fig.axes if ax.get_xlabel() == "latency_ms")
    assert ax.get_ylabel() == "energy_uj"
    everything, marked = ax.collections  # all configurations, then the front of model m
    np.testing.assert_allclose(everything.get_offsets(), frame[["latency_ms", "energy_uj"]].to_numpy())
    np.testing.assert_allclose(marked.get_offsets(), front[["latency_ms", "energy_uj"]].to_numpy())
    if z is None:
        # the 2-D front is a staircase through its points, in latency order; 50 random points
        # have a front of a few points, each lower in energy than every faster one
        (step,) = ax.get_lines()
        np.testing.assert_allclose(step.get_xdata(), np.sort(front["latency_ms"].to_numpy()))
        assert (np.diff(front.sort_values("latency_ms")["energy_uj"].to_numpy()) < 0).all()
        assert 1 <= len(front) < len(frame)
    else:  # points coloured by z, with a colour bar naming it
        np.testing.assert_array_equal(everything.get_array(), frame[z].to_numpy())
        (bar,) = [other for other in fig.axes if other is not ax]
        assert bar.get_ylabel() == z


def test_a_frame_without_rows_has_an_empty_front():
    """A header-only CSV reads back as text columns: no rows is an empty front, not a dtype error."""
    empty = pd.DataFrame({"model": [], "latency_ms": [], "energy_uj": []}, dtype=object)
    front = pareto_front(empty, ["latency_ms", "energy_uj"], by="model")
    assert front.empty and list(front.columns) == ["model", "latency_ms", "energy_uj"]
    with pytest.raises(ConfigError, match="no column 'area'"):
        pareto_front(empty, ["latency_ms", "area"])


@pytest.mark.parametrize("z", [None, "area_pes"])
def test_two_models_get_their_own_colours(z):
    """Two models' fronts were identical red circles over one grey cloud; each model now has its colour."""
    from matplotlib.colors import to_hex

    from hwsim.explore.pareto import front_figure

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"model": ["a"] * 30 + ["b"] * 30, "latency_ms": rng.random(60), "energy_uj": rng.random(60),
                          "area_pes": rng.integers(1, 9, 60)})
    objectives = ["latency_ms", "energy_uj"] + ([z] if z else [])
    front = pareto_front(frame, objectives, by="model")
    ax = front_figure(frame, front, "latency_ms", "energy_uj", z=z, by="model").axes[0]
    clouds, fronts = ax.collections[0::2], ax.collections[1::2]
    assert [c.get_label() for c in clouds] == ["a: 30 configurations", "b: 30 configurations"]
    assert [f.get_label() for f in fronts] == [f"{m}: Pareto front ({(front['model'] == m).sum()})" for m in "ab"]
    assert [len(c.get_offsets()) for c in clouds] == [30, 30]  # one cloud per model, not one for all
    edges = [{to_hex(color) for color in f.get_edgecolor()} for f in fronts]
    faces = [{to_hex(color) for color in f.get_facecolor()} for f in fronts]
    marks = edges if z else faces  # with z the clouds are coloured by z and the fronts outlined
    assert len(marks[0]) == len(marks[1]) == 1 and marks[0] != marks[1]
