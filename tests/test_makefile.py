"""The Makefile installs torch from TORCH_INDEX_URL when it is set (CPU wheels elsewhere), from pip's index when not."""

import os
import shutil
import subprocess

import pytest

from tests.paths import REPO

CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def install_commands(**variables):
    """The torch install line `make install` would run (dry run, nothing installed)."""
    env = {k: v for k, v in os.environ.items() if k != "TORCH_INDEX_URL"}
    args = ["make", "-n", "-B", "install", *(f"{k}={v}" for k, v in variables.items())]
    out = subprocess.run(args, cwd=REPO, capture_output=True, text=True, env=env, check=True).stdout
    return [line.split() for line in out.splitlines() if "pip install" in line and "torch==" in line]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_torch_index_url():
    [default] = install_commands()
    assert "--index-url" not in default and "torch==2.13.0" in default
    [cpu] = install_commands(TORCH_INDEX_URL=CPU_INDEX)
    assert cpu[cpu.index("--index-url") + 1] == CPU_INDEX and "torch==2.13.0" in cpu


def test_readme_says_how_to_install_cpu_torch_elsewhere():
    readme = (REPO / "README.md").read_text()
    assert f"TORCH_INDEX_URL={CPU_INDEX}" in readme
