"""The file.py:factory source: a user's PyTorch model exported at the given input size and batch."""

from __future__ import annotations

import pytest

from hwsim.errors import ConfigError, GraphFileError
from hwsim.sources import load_graph

FACTORY = """
import torch.nn as nn

def make():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 6 * 6, 3))
"""


def test_a_factory_is_exported_at_the_input_size_and_batch(tmp_path):
    source = tmp_path / "net.py"
    source.write_text(FACTORY)
    with pytest.raises(ConfigError, match="a model factory needs an input size"):
        load_graph(f"{source}:make")
    # (C, H, W) sets the channels: 1 x 8 x 8, so the 3x3 conv makes 2 x 6 x 6 = 72 features
    graph = load_graph(f"{source}:make", input_size=(1, 8, 8), batch=2)
    conv, flatten, fc = graph.layers
    assert graph.name == "make" and graph.input_shape == (2, 1, 8, 8)
    assert (conv.op, conv.fused, flatten.op, fc.op, fc.n, fc.c) == ("conv", ("relu",), "reshape", "linear", 2, 72)
    # (H, W) means 3 input channels, which this factory's conv cannot take
    with pytest.raises(ConfigError, match=r"make: model does not run on input 2x3x8x8"):
        load_graph(f"{source}:make", input_size=(8, 8), batch=2)
    with pytest.raises(ConfigError, match=r"input size must be \(height, width\) or \(channels, height, width\)"):
        load_graph(f"{source}:make", input_size=(1, 1, 8, 8))


def test_a_python_file_without_a_factory_is_refused(tmp_path):
    source = tmp_path / "net.py"
    source.write_text(FACTORY)
    with pytest.raises(GraphFileError, match="expected a model factory as path/to/file.py:factory"):
        load_graph(str(source), input_size=(8, 8))
