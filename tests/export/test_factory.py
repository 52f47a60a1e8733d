"""User model files: load_factory builds an nn.Module from path/to/file.py:factory, errors in one line."""

from __future__ import annotations

import sys

import pytest
from torch import nn

from hwsim.errors import GraphFileError, HwsimError, UserCodeError
from hwsim.export import export, load_factory, source_of
from tests.cli_helpers import assert_clean_error, hwsim


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
        ("missing", r"no attribute 'missing': expected a function or class .*\(callables defined: .*make"),
        ("broken", r"factory raised RuntimeError: no weights here; expected it to return an nn.Module$"),
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


EXITING_FILE = """
import sys
import torch.nn as nn

class ExitsInForward(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
    def forward(self, x):
        sys.exit(4)

def exits_with_code():
    sys.exit(3)

def raises_system_exit():
    raise SystemExit("no model today")

def calls_exit():
    exit()

def interrupted():
    raise KeyboardInterrupt
"""


@pytest.mark.parametrize(
    ("attr", "call"),
    [("exits_with_code", "sys.exit(3)"), ("raises_system_exit", "sys.exit('no model today')"), ("calls_exit", "sys.exit()")],
)
def test_a_factory_that_exits_is_a_one_line_error_naming_it(tmp_path, attr, call):
    path = tmp_path / "exiting.py"
    path.write_text(EXITING_FILE)
    with pytest.raises(UserCodeError) as info:
        load_factory(f"{path}:{attr}")
    assert str(info.value) == f"{path}:{attr}: the factory called {call}; expected it to return, not to exit"


def test_a_model_file_that_exits_while_imported_is_a_one_line_error(tmp_path):
    path = tmp_path / "exits_on_import.py"
    path.write_text("import sys\nsys.exit(3)\ndef make():\n    pass\n")
    with pytest.raises(UserCodeError, match=r"exits_on_import.py: the model file called sys.exit\(3\) while being imported"):
        load_factory(f"{path}:make")
    assert not any(name.startswith("hwsim_user_model_") and getattr(module, "__file__", None) == str(path)
                   for name, module in sys.modules.items())  # the half-imported file is not kept


def test_a_forward_that_exits_while_traced_names_the_factory(tmp_path):
    path = tmp_path / "exiting.py"
    path.write_text(EXITING_FILE)
    model = load_factory(f"{path}:ExitsInForward")
    for tracer in ("fx", "export"):
        with pytest.raises(UserCodeError, match=rf"exiting.py:ExitsInForward: the model's forward called sys.exit\(4\) "
                                                 "while being traced"):
            export(model, (1, 3, 8, 8), tracer=tracer)


def test_ctrl_c_in_a_factory_is_not_turned_into_an_error(tmp_path):
    path = tmp_path / "exiting.py"
    path.write_text(EXITING_FILE)
    with pytest.raises(KeyboardInterrupt):
        load_factory(f"{path}:interrupted")


def test_the_cli_reports_an_exiting_model_file_in_one_line_with_exit_code_2(tmp_path):
    path = tmp_path / "exiting.py"
    path.write_text(EXITING_FILE)
    for attr, fragment in (("exits_with_code", "the factory called sys.exit(3)"),
                           ("ExitsInForward", "the model's forward called sys.exit(4) while being traced")):
        proc = hwsim("profile", f"{path}:{attr}", "--accel", "ws_32x32", "--input-size", "8")
        assert_clean_error(proc, f"hwsim profile: error: {path}:{attr}: {fragment}")
