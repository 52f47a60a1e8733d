"""hwsim.cli: one parser; `hwsim COMMAND` builds only the module of COMMAND, and the table saying which is complete."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from hwsim.cli import COMMAND_MODULES, MODULES, build_parser, main
from tests.paths import REPO


def commands(parser: argparse.ArgumentParser) -> list[str]:
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(sub.choices)


def test_every_command_is_in_the_table_under_the_module_that_defines_it():
    assert sorted(commands(build_parser())) == sorted(COMMAND_MODULES)
    for module in MODULES:
        own = [c for c, m in COMMAND_MODULES.items() if m == module]
        assert own, f"hwsim.cli.{module} defines no command in COMMAND_MODULES"
        for command in own:
            assert commands(build_parser(command)) == own


def test_unknown_or_no_command_builds_every_module(capsys):
    assert commands(build_parser(None)) == commands(build_parser("profil")) == commands(build_parser())
    with pytest.raises(SystemExit):
        main(["profil", "x"])
    assert "choose from 'profile', 'compare'" in capsys.readouterr().err


def test_a_profile_imports_no_other_command_module():
    code = (
        "import contextlib, io, sys\n"
        "from hwsim.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['profile', 'alexnet', '--accel', 'ws_32x32'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('hwsim.cli.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "['hwsim.cli.common', 'hwsim.cli.model_commands']"


@pytest.mark.parametrize("argv", [["--version"], ["search", "--help"], ["sweep", "--help"]])
def test_top_level_options_and_command_help_still_work(argv, capsys):
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith(("hwsim ", "usage: hwsim"))
