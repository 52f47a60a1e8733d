"""SweepRows and frame_of: numpy columns -> DataFrame with nullable optional fields; records per model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hwsim.explore.sweep.rows import SweepRows, concat, frame_of, take


def columns():
    return {"model": np.array(["a", "b", "a"], dtype=object), "vector.lanes": np.array([4, None, 8], dtype=object),
            "latency_ms": np.array([1.0, 2.0, 0.5])}  # fmt: skip


def test_frame_of_makes_optional_fields_nullable():
    frame = frame_of(columns(), ["latency_ms", "vector.lanes"], {"vector.lanes": "Int64"})
    assert list(frame.columns) == ["latency_ms", "vector.lanes"]
    assert str(frame["vector.lanes"].dtype) == "Int64" and frame["vector.lanes"].isna().tolist() == [False, True, False]


def test_concat_and_take():
    both = concat([columns(), take(columns(), np.array([2]))], ["model", "latency_ms"])
    assert both["model"].tolist() == ["a", "b", "a", "a"] and both["latency_ms"].tolist() == [1.0, 2.0, 0.5, 0.5]


def test_sweep_rows_from_columns_and_from_a_frame():
    rows = SweepRows(("model", "vector.lanes", "latency_ms"), columns(), {"vector.lanes": "Int64"}, kept=1, computed=2, total=3)
    assert len(rows) == 3 and rows.models() == ["a", "b"]
    assert [r["latency_ms"] for r in rows.records("a")] == [1.0, 0.5]
    frame = rows.frame()
    assert frame.attrs == {"kept": 1, "computed": 2, "rows": 3} and str(frame["vector.lanes"].dtype) == "Int64"
    again = SweepRows(rows.names, frame, {}, 0, 3, 3)
    assert [r["latency_ms"] for r in again.records("a")] == [1.0, 0.5] and len(again) == 3
    pd.testing.assert_frame_equal(again.frame(), frame, check_flags=False)
