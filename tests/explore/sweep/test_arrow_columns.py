"""numpy columns -> pyarrow arrays built from buffers: the values pyarrow's own conversion gives, no pandas."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.explore.sweep.arrow_columns import arrow_array, arrow_table
from tests.paths import REPO


def test_each_kind_by_hand():
    assert arrow_array(np.array([3, -1], dtype=np.int32)).to_pylist() == [3, -1]
    assert arrow_array(np.array([3, -1], dtype=np.int32)).type == pa.int64()
    assert arrow_array(np.array([0.5, np.inf])).to_pylist() == [0.5, np.inf]
    assert arrow_array(np.array([True, False, True] * 5)).to_pylist() == [True, False, True] * 5
    assert arrow_array(np.array(["ws", "bé", None, "ws"], dtype=object)).to_pylist() == ["ws", "bé", None, "ws"]
    assert arrow_array(np.array([4, None], dtype=object), "int").to_pylist() == [4, None]
    assert arrow_array(np.array([None, 2.5], dtype=object), "float").to_pylist() == [None, 2.5]
    table = arrow_table({"a": np.array([1, 2]), "b": np.array(["x", "y"], dtype=object)}, {})
    assert table.column_names == ["a", "b"] and table.to_pydict() == {"a": [1, 2], "b": ["x", "y"]}


@settings(max_examples=60, deadline=None)
@given(
    ints=st.lists(st.one_of(st.none(), st.integers(min_value=-(2**62), max_value=2**62)), min_size=0, max_size=40),
    texts=st.lists(st.one_of(st.none(), st.text(max_size=6)), min_size=0, max_size=40),
    flags=st.lists(st.booleans(), min_size=0, max_size=70),
)
def test_equals_pyarrows_own_conversion(ints, texts, flags):
    assert arrow_array(np.array(ints + [0], dtype=object), "int").to_pylist() == pa.array(ints + [0], type=pa.int64()).to_pylist()
    assert arrow_array(np.array(texts + ["x"], dtype=object)).to_pylist() == texts + ["x"]
    assert arrow_array(np.array(flags, dtype=bool)).to_pylist() == flags


def test_no_pandas_imported():
    code = ("import sys, numpy as np; from hwsim.explore.sweep.arrow_columns import arrow_table; "
            "arrow_table({'a': np.arange(3), 'b': np.array(['x', None, 'z'], dtype=object), 'c': np.array([1, None, 2], dtype=object)}, "
            "{'c': 'int'}); print('pandas' in sys.modules)")  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert proc.stdout.strip() == "False"
