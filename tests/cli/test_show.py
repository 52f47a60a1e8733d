"""`hwsim show ACCEL`: every field with its origin (file, default, assumed), in-process through `main`."""

from __future__ import annotations

import json

import pytest

from hwsim.cli import main
from hwsim.hardware.load import load_accelerator
from hwsim.hardware.scalesim_config import ASSUMPTIONS
from tests.cli_helpers import assert_clean_error, hwsim
from tests.paths import SCALESIM_DATA

CFG = str(SCALESIM_DATA / "scale.cfg")


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def rows(text):
    """field -> (value, origin) from the table of `hwsim show`."""
    table = text.split("\n\n")[1].splitlines()
    assert table[0].split() == ["field", "value", "from"]
    found = {}
    for line in table[1:]:
        field, *value, origin = line.split()
        found[field] = (" ".join(value), origin)
    return found


def test_show_cfg_marks_what_the_importer_assumed(capsys):
    text = run(capsys, "show", CFG)
    fields = rows(text)
    # a .cfg has no clock, word size, ports or energy prices: hwsim assumes them
    for path in ("clock_mhz", "word_bytes", "dram.ports", "energy_pj.mac", "energy_pj.source"):
        assert fields[path][1] == "assumed", path
    assert fields["clock_mhz"][0] == "1,000" and fields["dram.ports"][0] == "per_operand"
    assert fields["array.rows"] == ("32", "file") and fields["dataflow"] == ("ws", "file")
    assert fields["vector.lanes"] == ("null -> 32", "default")  # null: the array's 32 columns
    assert "Assumed by hwsim (the file does not say):" in text
    assert f"clock_mhz = 1,000: {ASSUMPTIONS['clock_mhz']}" in text
    # the importer's note on the bandwidth mode is the description, shown at the top; CALC: unlimited
    assert "InterfaceBandwidth CALC" in text.splitlines()[0]
    assert fields["dram.bandwidth_bytes_per_cycle"] == ("unlimited", "assumed")
    assert text.splitlines()[-1].endswith("DRAM bandwidth unlimited (no DRAM stalls)")
    assert max(len(line) for line in text.splitlines()) <= 120


def test_show_yaml_marks_defaults(capsys):
    fields = rows(run(capsys, "show", "ws_32x32"))
    # ws_32x32.yaml gives every field but energy_pj.vector_op, dataflow_choices and the area figures
    assert fields["energy_pj.vector_op"] == ("null -> 0.23", "default")  # null: one mac's price
    assert fields["dataflow_choices"] == ("null", "default")
    assert fields["vector.lanes"] == ("32", "file")
    # null area figures: a 45 nm PE of 1-byte words, 282 + 36 + 3 x 8 x 4.522 um² (docs/MODEL.md §10)
    assert fields["area.pe_um2"] == ("null -> 426.5", "default")
    # everything else comes from the file, but the optional area figures and global buffer
    defaults = ("energy_pj.vector_op", "dataflow_choices", "area.pe_um2", "area.buffer_mm2_per_kib",
                "area.global_buffer_mm2_per_kib", "area.source")
    optional = {path for path in fields if path in defaults or path.startswith("global_buffer.")}
    assert {origin for path, (_, origin) in fields.items() if path not in optional} == {"file"}
    assert {fields[path][1] for path in optional} == {"default"}


def test_show_minimal_yaml(tmp_path, capsys):
    path = tmp_path / "mini.yaml"
    path.write_text("array: {rows: 4, cols: 8}\ndataflow: os\nclock_mhz: 200\n"
                    "buffers: {ifmap_kib: 1, filter_kib: 1, ofmap_kib: 1}\ndram: {bandwidth_bytes_per_cycle: 2}\n")
    text = run(capsys, "show", str(path))
    fields = rows(text)
    assert text.splitlines()[0] == "mini"  # the name defaults to the file stem
    assert fields["word_bytes"] == ("1", "default") and fields["dram.ports"] == ("shared", "default")
    assert fields["energy_pj.dram_byte"] == ("160", "default")
    assert "Derived: 32 PEs, peak 6.4 GMAC/s at 200 MHz; DRAM 0.4 GB/s shared by the operands" in text  # 32 x 200 MHz


def test_show_yaml_output_is_an_accelerator_file(tmp_path, capsys):
    out = tmp_path / "from_cfg.yaml"
    assert main(["show", CFG, "--format", "yaml", "-o", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}")
    assert load_accelerator(out) == load_accelerator(CFG)
    data = json.loads(run(capsys, "show", "best_16x16", "--format", "json"))
    assert data["dataflow_choices"] == ["ws", "os"] and data["array"] == {"rows": 16, "cols": 16}


def test_show_host_model(tmp_path, capsys):
    path = tmp_path / "cpu.yaml"
    path.write_text("kind: host\nname: cpu\noverhead_s: {conv: 1.0e-5, conv1x1: 1.0e-5, depthwise: 1.0e-5, grouped: "
                    "1.0e-5, linear: 1.0e-5, pool: 1.0e-5, vector: 1.0e-5, reshape: 1.0e-5}\n"
                    "peak_macs_per_s: {conv: 1.0e+9, conv1x1: null, depthwise: null, grouped: null, linear: null}\n"
                    "peak_elements_per_s: {pool: null, vector: null}\n")
    fields = rows(run(capsys, "show", str(path)))
    assert fields["peak_macs_per_s.conv"] == ("1,000,000,000", "file")
    assert fields["threads"] == ("1", "default")


@pytest.mark.parametrize("bad", ["ws_32x23", "missing.cfg"])
def test_show_bad_accelerator(bad):
    assert_clean_error(hwsim("show", bad), bad.split(".")[0])
