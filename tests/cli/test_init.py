"""hwsim.cli: one parser; `hwsim COMMAND` builds only the module of COMMAND, and the table saying which is complete."""

from __future__ import annotations

import argparse
import json
import os
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


#: Runs each argv (JSON on stdin) through main() with torch and scipy made impossible to import, as
#: in a base install (`pip install hwsim`); prints [exit code, stderr] of each as JSON.
WITHOUT_TORCH = """
import contextlib, importlib.abc, io, json, sys, traceback

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] in ("torch", "scipy"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
from hwsim.cli import main
results = []
for argv in json.load(sys.stdin):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except BaseException:
            traceback.print_exc()
            code = None
    results.append([code, err.getvalue()])
print(json.dumps(results))
"""


def test_without_torch_every_command_that_needs_it_says_how_to_install_it(tmp_path):
    model = tmp_path / "net.py"
    model.write_text("import torch.nn as nn\ndef build():\n    return nn.Conv2d(3, 4, 3)\n")
    out = str(tmp_path / "out")
    runs = {
        "--input-size (a model re-exported at another size)": [
            ["profile", "alexnet", "--accel", "ws_32x32", "--input-size", "64"],
            ["compare", "alexnet,squeezenet1_0", "--accel", "ws_32x32", "--input-size", "64"],
            ["export", "alexnet", "--input-size", "64", "-o", f"{out}.json"],
            ["sweep", "alexnet", "--accel", "ws_32x32", "--input-size", "64", "--set", "array.rows=8,16", "-o", f"{out}.csv"],
        ],
        f"the model {model}:build": [
            ["profile", f"{model}:build", "--accel", "ws_32x32", "--input-size", "8"],
            ["export", f"{model}:build", "--input-size", "8", "-o", f"{out}.json"],
            ["measure", f"{model}:build", "--input-size", "8"],
        ],
        "this command": [
            ["measure", "alexnet"],
            ["calibrate", "-o", f"{out}.yaml"],
            ["correlate", "alexnet", "--accel", "ws_32x32"],
            ["search", "squeezenext", "--accel", "ws_32x32", "--depth", "6", "--width", "0.5", "-o", f"{out}.csv"],
        ],
    }
    argvs = [argv for group in runs.values() for argv in group]
    env = {**os.environ, "HWSIM_CACHE_DIR": str(tmp_path / "cache")}  # the search must trace its networks
    proc = subprocess.run([sys.executable, "-c", WITHOUT_TORCH], input=json.dumps(argvs + [["profile", "alexnet",
                          "--accel", "ws_32x32"]]), capture_output=True, text=True, check=True, cwd=REPO, env=env)
    *results, (zoo_code, zoo_err) = json.loads(proc.stdout)
    assert zoo_code == 0 and zoo_err == ""  # a zoo model at its own size needs no torch
    expected = [what for what, group in runs.items() for _ in group]
    for argv, what, (code, err) in zip(argvs, expected, results):
        assert code == 2 and "Traceback" not in err, (argv, err)
        assert err == (f"hwsim {argv[0]}: error: {what} needs PyTorch, which is not installed (no module named "
                       "'torch'); install it with: pip install 'hwsim[torch]'\n"), argv
