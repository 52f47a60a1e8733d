"""hwsim.errors: one-line messages for user code that exits and for optional packages not installed."""

from __future__ import annotations

import sys

import pytest

from hwsim.errors import HwsimError, MissingExtraError, UserCodeError, exit_call, missing_extra, user_code


@pytest.mark.parametrize(("code", "call"), [(3, "sys.exit(3)"), ("msg", "sys.exit('msg')"), (None, "sys.exit()")])
def test_exit_call_spells_the_call_that_raised(code, call):
    assert exit_call(SystemExit(code)) == call
    assert exit_call(SystemExit()) == "sys.exit()"


def test_user_code_turns_an_exit_into_one_line_and_lets_ctrl_c_through():
    with pytest.raises(UserCodeError) as info:
        with user_code("m.py:build: the factory", "while being built"):
            sys.exit(3)
    assert str(info.value) == "m.py:build: the factory called sys.exit(3) while being built; expected it to return, not to exit"
    assert isinstance(info.value, HwsimError) and info.value.__cause__ is None
    with pytest.raises(KeyboardInterrupt), user_code("m.py"):
        raise KeyboardInterrupt
    with pytest.raises(ValueError), user_code("m.py"):
        raise ValueError("other errors are the caller's to report")


def test_missing_extra_names_the_pip_extra_of_pyproject():
    error = missing_extra(ModuleNotFoundError("No module named 'torch'", name="torch"), "hwsim measure")
    assert isinstance(error, MissingExtraError)
    assert str(error) == ("hwsim measure needs PyTorch, which is not installed (no module named 'torch'); "
                          "install it with: pip install 'hwsim[torch]'")
    assert "pip install 'hwsim[torch]'" in str(missing_extra(ModuleNotFoundError(name="scipy")))
    assert "pip install 'hwsim[sweep]'" in str(missing_extra(ModuleNotFoundError(name="pyarrow")))


@pytest.mark.parametrize(
    "exc",
    [ModuleNotFoundError(name="timm"), ModuleNotFoundError(name="torch.not_a_module"), ImportError("no name"),
     ValueError("torch")],
)
def test_missing_extra_leaves_other_errors_alone(exc):
    assert missing_extra(exc) is None


def test_the_extras_named_exist_in_pyproject():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    from hwsim.errors import OPTIONAL_PACKAGES
    from tests.paths import REPO

    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for package, (_label, extra) in OPTIONAL_PACKAGES.items():
        assert any(dep.startswith(package) or dep.startswith(f"dask[{package}]") for dep in extras[extra]), package
