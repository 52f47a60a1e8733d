"""The shipped accelerators' snapshot: current, read only while a file is unchanged, no schema needed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from hwsim.hardware import shipped
from hwsim.hardware.load import accelerator_names, load_accelerator
from hwsim.hardware.shipped import SNAPSHOT, shipped_accelerator, shipped_accelerator_dir, stale_names
from tests.paths import REPO


def test_snapshot_holds_every_shipped_accelerator_as_a_fresh_validation_gives_it():
    """The guard that shipped_accelerators.json is current: `python -m hwsim.hardware.shipped --regenerate`
    (or `make graphs`) when this fails."""
    assert stale_names() == (), f"{SNAPSHOT} is stale: run `python -m hwsim.hardware.shipped --regenerate`"
    held = json.loads(SNAPSHOT.read_text())
    assert sorted(held) == sorted(accelerator_names())
    for name in accelerator_names():
        assert held[name]["accelerator"] == load_accelerator(name).model_dump(mode="json")


@pytest.mark.parametrize("name", accelerator_names())
def test_snapshot_reads_back_the_validated_accelerator(name):
    copy = shipped_accelerator(name)
    assert copy is not None
    assert copy.validated() == load_accelerator(name)


@pytest.fixture
def shipped_copy(tmp_path, monkeypatch):
    """The shipped folder copied to tmp_path and used instead of the real one."""
    folder = tmp_path / "accelerators"
    shutil.copytree(shipped_accelerator_dir(), folder)
    monkeypatch.setattr(shipped, "shipped_accelerator_dir", lambda: folder)
    return folder


def test_an_edited_file_is_not_read_from_the_snapshot(shipped_copy):
    assert shipped_accelerator("ws_32x32") is not None
    path = shipped_copy / "ws_32x32.yaml"
    path.write_text(path.read_text().replace("clock_mhz: 500", "clock_mhz: 400"))
    assert shipped_accelerator("ws_32x32") is None  # the caller validates the file instead
    path.write_text(path.read_text() + "# a comment\n")
    assert shipped_accelerator("ws_32x32") is None  # any byte counts: the check reads no YAML


def test_new_missing_and_unknown_files_are_not_in_the_snapshot(shipped_copy):
    shutil.copy(shipped_copy / "ws_32x32.yaml", shipped_copy / "mine.yaml")
    assert shipped_accelerator("mine") is None
    (shipped_copy / "ws_16x16.yaml").unlink()
    assert shipped_accelerator("ws_16x16") is None
    assert shipped_accelerator("no_such_accelerator") is None
    assert shipped_accelerator("accelerators/ws_32x32.yaml") is None  # paths are files, never names


def test_regenerate_and_check(shipped_copy, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(shipped, "SNAPSHOT", tmp_path / "snapshot.json")
    assert shipped.main(["--check"]) == 1  # no snapshot yet: every name is missing
    assert "stale or missing" in capsys.readouterr().out
    assert shipped_accelerator("ws_8x8") is None
    assert shipped.main(["--regenerate"]) == 0
    assert shipped.main(["--check"]) == 0
    path = shipped_copy / "ws_8x8.yaml"
    path.write_text(path.read_text().replace("clock_mhz: 500", "clock_mhz: 250"))
    assert shipped.stale_names() == ("ws_8x8",)
    assert shipped.main(["--regenerate"]) == 0
    assert shipped_accelerator("ws_8x8").clock_mhz == 250.0
    path.write_text("name: [oops\n")
    assert shipped.main(["--regenerate"]) == 2  # a bad file is its one-line error
    assert "invalid YAML" in capsys.readouterr().err


def test_reading_the_snapshot_needs_neither_pydantic_nor_yaml():
    code = textwrap.dedent(
        """
        import sys
        from hwsim.hardware.shipped import accelerator_names, shipped_accelerator
        assert all(shipped_accelerator(name) is not None for name in accelerator_names())
        print(sorted({"pydantic", "yaml"} & set(sys.modules)))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"
