"""hwsim.cli.common: outputs checked against the inputs (any spelling or link) and against --format."""

import os

import pytest

from hwsim.cli.common import check_output, input_file, resolve_format
from hwsim.errors import ConfigError


def test_input_file_of_each_kind_of_argument():
    assert str(input_file("nets/resnet.py:build")) == "nets/resnet.py"
    assert str(input_file("g.json")) == "g.json"
    assert input_file("alexnet") is None and input_file("ws_32x32") is None and input_file(None) is None


@pytest.mark.parametrize("link", ["hard", "symbolic", "spelling"])
def test_an_output_that_is_an_input_through_a_link_or_another_spelling_is_refused(tmp_path, link):
    source = tmp_path / "a.yaml"
    source.write_text("name: x\n")
    out = tmp_path / "out.yaml"
    if link == "hard":
        os.link(source, out)
    elif link == "symbolic":
        out.symlink_to(source)
    else:
        out = tmp_path / "sub" / ".." / "a.yaml"
        (tmp_path / "sub").mkdir()
    with pytest.raises(ConfigError, match=f"-o {out}: is the input {source} too"):
        check_output(str(out), "-o", inputs=["alexnet", str(source)])
    assert source.read_text() == "name: x\n"


def test_another_file_a_new_file_and_a_zoo_name_are_fine(tmp_path, monkeypatch):
    source = tmp_path / "a.yaml"
    source.write_text("name: x\n")
    (tmp_path / "b.yaml").write_text("name: y\n")
    check_output(str(tmp_path / "b.yaml"), "-o", inputs=[str(source)])
    check_output(str(tmp_path / "new.yaml"), "-o", inputs=[str(source), str(tmp_path / "missing.yaml")])
    monkeypatch.chdir(tmp_path)
    (tmp_path / "alexnet").write_text("a file named like a zoo model")
    check_output("alexnet", "-o", inputs=["alexnet"])  # the input is the zoo model, not this file


@pytest.mark.parametrize("fmt, output, expected", [(None, "p.csv", "csv"), (None, "p.json", "json"), (None, "p.txt", "table"),
                                                   ("csv", "p.csv", "csv"), ("table", "p.txt", "table"), ("json", None, "json")])
def test_the_format_follows_the_suffix_or_the_option(fmt, output, expected):
    assert resolve_format(fmt, output) == expected


@pytest.mark.parametrize("fmt, output", [("json", "p.csv"), ("table", "p.json"), ("csv", "P.JSON")])
def test_a_format_that_contradicts_the_suffix_is_refused(fmt, output):
    with pytest.raises(ConfigError, match=f"-o {output}: is a .* file name but --format is {fmt}"):
        resolve_format(fmt, output)
