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


# ------------------------------------------------------------------ SCALE-Sim sparsity: simulated dense, said in one line


def test_a_topology_with_sparsity_ratios_is_simulated_dense_with_one_warning_line(tmp_path, capsys):
    from hwsim.cli import main
    from tests.paths import SCALESIM_DATA

    # SCALE-Sim's own sparsity/gemm.csv: GEMM_1 at 3:4 and 1:4
    assert main(["profile", str(SCALESIM_DATA / "sparsity_gemm.csv"), "--accel", "ws_8x8", "-o", str(tmp_path / "p.csv")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == ["hwsim: warning: sparsity_gemm: sparsity ratios are not modelled, every layer is simulated dense "
                   "(2 sparse layers: GEMM_1=3:4, GEMM_1#2=1:4)"]
    dense = tmp_path / "dense.csv"  # the same layers at 1:1, and without the column: no warning
    dense.write_text("Layer Name, M, N, K, Sparsity,\nGEMM_1, 3, 5, 16, 4:4,\nGEMM_2, 1, 5, 16,\n")
    assert main(["profile", str(dense), "--accel", "ws_8x8", "-o", str(tmp_path / "d.csv")]) == 0
    assert capsys.readouterr().err == ""


def test_a_cfg_that_switches_sparsity_on_is_refused_in_one_line(tmp_path):
    from tests.cli_helpers import assert_clean_error, hwsim
    from tests.paths import SCALESIM_DATA

    cfg = tmp_path / "sparse.cfg"
    cfg.write_text((SCALESIM_DATA / "scale.cfg").read_text().replace("SparsitySupport : false", "SparsitySupport : true"))
    assert_clean_error(hwsim("profile", "alexnet", "--accel", str(cfg)),
                       f"{cfg}: [sparsity] SparsitySupport = 'true': hwsim models every layer dense", "expected false")
