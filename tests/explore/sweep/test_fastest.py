"""Fastest: a model's fastest rows kept chunk by chunk equal DataFrame.nsmallest(keep="first") over all rows."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.explore.sweep.fastest import Fastest


def by_hand():
    # latencies of model a (rows 0, 2, 4) and b (rows 1, 3, 5); a has a tie at 1.0 (rows 2 and 4)
    return pd.DataFrame({"model": ["a", "b", "a", "b", "a", "b"], "latency_ms": [3.0, 2.0, 1.0, 5.0, 1.0, 4.0],
                         "x": list("uvwxyz")})  # fmt: skip


def test_by_hand_in_two_chunks():
    ranked = Fastest(2)
    frame = by_hand()
    ranked.add(frame.iloc[:3])
    ranked.add(frame.iloc[3:])
    kept = ranked.frame(["model", "latency_ms", "x"])
    # a: the two 1.0s (w before y); b: 2.0 (v) and 4.0 (z); each model's rows in the order added
    assert kept.to_dict("list") == {"model": ["a", "a", "b", "b"], "latency_ms": [1.0, 1.0, 2.0, 4.0], "x": ["w", "y", "v", "z"]}


def test_nothing_added_and_bad_counts():
    assert list(Fastest(3).frame(["model", "latency_ms"]).columns) == ["model", "latency_ms"]
    with pytest.raises(ValueError):
        Fastest(0)


@settings(max_examples=100, deadline=None)
@given(
    latencies=st.lists(st.sampled_from([0.5, 1.0, 1.5, 2.0, 7.25]), min_size=1, max_size=40),
    models=st.data(),
    count=st.integers(min_value=1, max_value=6),
    chunk=st.integers(min_value=1, max_value=9),
)
def test_equals_nsmallest_over_everything(latencies, models, count, chunk):
    names = models.draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=len(latencies), max_size=len(latencies)))
    frame = pd.DataFrame({"model": names, "latency_ms": latencies, "row": range(len(latencies))})
    ranked = Fastest(count)
    for start in range(0, len(frame), chunk):
        ranked.add(frame.iloc[start : start + chunk])
    expected = pd.concat(
        [rows.nsmallest(count, "latency_ms", keep="first").sort_index() for _, rows in frame.groupby("model", sort=False)]
    ).reset_index(drop=True)
    pd.testing.assert_frame_equal(ranked.frame(["model", "latency_ms", "row"]), expected)
