"""Strict JSON reading (hwsim/graph/json_reader.py): one line naming the file for every bad input."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.errors import ConfigError, GraphFileError
from hwsim.graph.json_reader import parse_json, read_json
from hwsim.graph.layer_graph import LayerGraph


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"a": 1, "a": 2}', "g.json: invalid JSON: duplicate key 'a' in one object"),
        ('{"a": {"b": 1, "b": 1}}', "g.json: invalid JSON: duplicate key 'b'"),
        ('{"a": NaN}', "g.json: invalid JSON: NaN is not a JSON number"),
        ('[-Infinity]', "g.json: invalid JSON: -Infinity is not a JSON number"),
        ('{"a": 1,}', "g.json: invalid JSON at line 1, column 9: Expecting property name enclosed in double quotes"),
        ("[" * 100_000 + "]" * 100_000, "g.json: invalid JSON: nested too deeply"),
        ("[" + "9" * 5000 + "]", "g.json: invalid JSON: Exceeds the limit (4300 digits) for integer string conversion: "
                                 "expected numbers of at most 4300 digits"),
        ("", "g.json: invalid JSON at line 1, column 1: Expecting value"),
    ],
)
def test_bad_json_is_one_line(text, message):
    with pytest.raises(GraphFileError) as info:
        parse_json(text, "g.json")
    assert str(info.value).startswith(message) and "\n" not in str(info.value), str(info.value)


def test_the_error_class_can_be_chosen():
    with pytest.raises(ConfigError, match="c.json: invalid JSON"):
        parse_json("{", "c.json", ConfigError)


def test_file_size_limit_and_unreadable_files(tmp_path):
    path = tmp_path / "g.json"
    path.write_text('{"a": [' + "1," * 50 + "1]}")
    assert read_json(path)["a"][-1] == 1
    with pytest.raises(GraphFileError, match=r"g.json: cannot read graph file: larger than 64 bytes: expected a smaller file"):
        read_json(path, max_bytes=64)
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(GraphFileError, match="not UTF-8 text"):
        read_json(path)
    with pytest.raises(GraphFileError, match="No such file"):
        read_json(tmp_path / "missing.json")


def test_graph_files_with_duplicate_keys_are_refused(tmp_path):
    path = tmp_path / "g.json"
    path.write_text('{"format": "hwsim.LayerGraph", "version": 1, "name": "a", "name": "b", "input_shape": [1], "layers": []}')
    with pytest.raises(GraphFileError, match=r"g.json: invalid JSON: duplicate key 'name'"):
        LayerGraph.load(path)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200) | json_values.map(json.dumps))
def test_any_text_is_a_value_or_one_line(text):
    # fuzz: never a traceback, never a hang; a graph from any JSON is a graph or one line
    start = time.perf_counter()
    try:
        data = parse_json(text, "f.json")
    except GraphFileError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("f.json: ")
        return
    try:
        LayerGraph.from_json(text, "f.json")
    except GraphFileError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("f.json: invalid hwsim graph JSON: ")
    assert time.perf_counter() - start < 2
    del data
