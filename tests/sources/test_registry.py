"""The model-source table: dispatch by suffix, one entry per source, a new source is one loader + one entry."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hwsim.cli import main as cli_main
from hwsim.errors import ConfigError, GraphFileError
from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.sources import load_graph
from hwsim.sources.arguments import check_input_size
from hwsim.sources.registry import NAME, register, source_suffix, sources, unregister


def load_toy(source: str, input_size, batch: int) -> LayerGraph:
    """A made-up format: a file ``C K HW`` is one 1x1 conv of C -> K channels on an HW x HW map."""
    c, k, hw = (int(word) for word in Path(source).read_text().split())
    h, w = check_input_size(source, input_size) or (hw, hw)
    conv = Layer(name="toy.conv", op="conv", inputs=("input",), n=batch, c=c, h=h, w=w, k=k, p=h, q=w)
    return LayerGraph(name=Path(source).stem, input_shape=(batch, c, h, w), layers=(conv,))


@pytest.fixture
def toy_source():
    """``.toy`` registered for the test, removed after it."""
    register(".toy", load_toy)
    yield
    unregister(".toy")


def test_the_shipped_sources_in_registration_order():
    assert [(s.key, s.usage) for s in sources()] == [
        (".json", ".json"),
        (".onnx", ".onnx"),
        (".csv", ".csv"),
        (".py", "file.py:factory"),
        (NAME, "a zoo model name"),
    ]


def test_a_new_source_is_one_loader_and_one_entry(tmp_path, toy_source, capsys):
    path = tmp_path / "tiny.toy"
    path.write_text("4 8 6")
    graph = load_graph(str(path), batch=2)
    (conv,) = graph.layers
    assert (graph.name, graph.input_shape) == ("tiny", (2, 4, 6, 6))
    assert conv.macs == 2 * 6 * 6 * 4 * 8  # N * P * Q * C * K for a 1x1 conv
    assert load_graph(str(path), input_size=(3, 5)).input_shape == (1, 4, 3, 5)
    # the CLI's profile reads it through the same table
    assert cli_main(["profile", str(path), "--accel", "ws_8x8", "--batch", "2", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    (layer,) = out["layers"]
    assert (out["totals"]["model"], layer["layer"], layer["macs"]) == ("tiny", "toy.conv", conv.macs)
    assert (layer["gemm_m"], layer["gemm_k"], layer["gemm_n"]) == (2 * 6 * 6, 4, 8)


def test_the_unknown_file_type_message_lists_the_registered_sources(tmp_path, toy_source):
    other = tmp_path / "model.tflite"
    other.write_text("")
    with pytest.raises(GraphFileError, match=r"model.tflite: unknown graph file type; expected "
                       r"\.json, \.onnx, \.csv, file\.py:factory or \.toy$"):
        load_graph(str(other))


def test_a_taken_or_malformed_key_is_refused():
    with pytest.raises(ValueError, match="'.json' is already registered to hwsim.sources.graph_json.load_graph_json"):
        register(".json", load_toy)
    with pytest.raises(ValueError, match="'name' is already registered to hwsim.sources.zoo.load_zoo_graph"):
        register(NAME, load_toy)
    for key in ("toy", ".TOY", "", ".to y"):
        with pytest.raises(ValueError, match="expected a lower-case file suffix"):
            register(key, load_toy)
    assert ".toy" not in [s.key for s in sources()]


def test_the_suffix_a_source_dispatches_on():
    assert source_suffix("graphs/Net.JSON") == ".json"
    assert source_suffix("models/net.py:make") == ".py"  # a factory in a Python file
    assert source_suffix("squeezenext_23v5") == ""
    # a zoo name with a dot has an unregistered "suffix" and, being no file, goes to the zoo
    assert source_suffix("mobilenet_v1_0.25") == ".25"
    assert load_graph("mobilenet_v1_0.25").name == "mobilenet_v1_0.25"


def test_the_batch_is_checked_before_any_loader_runs(tmp_path, toy_source):
    path = tmp_path / "bad.toy"
    path.write_text("not numbers")  # the loader would fail on this
    for batch in (0, -1, True, 1.5):
        with pytest.raises(ConfigError, match=f"bad.toy: batch must be a positive integer, got {batch!r}"):
            load_graph(str(path), batch=batch)


def test_registering_the_sources_imports_nothing_heavy():
    code = textwrap.dedent(
        """
        import sys
        import hwsim.sources
        from hwsim.sources.registry import sources
        assert len(sources()) == 5
        heavy = sorted(m for m in ("torch", "onnx", "pandas", "scipy", "matplotlib", "pydantic") if m in sys.modules)
        print(",".join(heavy))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
