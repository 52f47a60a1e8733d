"""User model files: load_factory builds an nn.Module from path/to/file.py:factory, errors in one line."""

from __future__ import annotations

import pytest
from torch import nn

from hwsim.errors import GraphFileError, HwsimError
from hwsim.export import export, load_factory, source_of


FACTORY_FILE = """
import torch.nn as nn

def make():
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
    def forward(self, x):
        return self.fc(x)

def broken():
    raise RuntimeError("no weights here\\nsecond line")

def not_a_model():
    return 42

INSTANCE = nn.Linear(2, 2)
"""


def test_load_factory(tmp_path):
    path = tmp_path / "user_model.py"
    path.write_text(FACTORY_FILE)
    assert isinstance(load_factory(f"{path}:make"), nn.Sequential)
    assert isinstance(load_factory(f"{path}:Net"), nn.Module)
    assert isinstance(load_factory(f"{path}:INSTANCE"), nn.Linear)
    model = load_factory(f"{path}:make")
    assert source_of(model) == f"{path}:make" and source_of(nn.ReLU()) is None
    graph = export(model, (1, 3, 5, 5))
    assert graph.layers[0].fused == ("relu",)


@pytest.mark.parametrize(
    ("attr", "message"),
    [
        ("missing", r"no attribute 'missing' \(callables defined: .*make"),
        ("broken", r"factory raised RuntimeError: no weights here$"),
        ("not_a_model", r"factory returned int, expected a torch.nn.Module"),
    ],
)
def test_load_factory_errors(tmp_path, attr, message):
    path = tmp_path / "user_model.py"
    path.write_text(FACTORY_FILE)
    with pytest.raises(GraphFileError, match=message) as info:
        load_factory(f"{path}:{attr}")
    assert "\n" not in str(info.value)


def test_load_factory_file_errors(tmp_path):
    with pytest.raises(GraphFileError, match="model file not found"):
        load_factory(f"{tmp_path / 'nope.py'}:make")
    with pytest.raises(GraphFileError, match="expected a model factory as path/to/file.py:factory"):
        load_factory(str(tmp_path / "nope.py"))
    bad = tmp_path / "bad.py"
    bad.write_text("import not_a_module_anywhere_xyz\n")
    with pytest.raises(GraphFileError, match=r"bad.py: import failed: ModuleNotFoundError"):
        load_factory(f"{bad}:make")
    assert issubclass(GraphFileError, HwsimError)
