"""Tests of hwsim.hardware.load: shipped files, validation errors, overrides, round trips."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import textwrap
import tomllib
import types
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import hwsim.hardware.load as acc
import hwsim.hardware.spec as spec_module
import hwsim.hardware.yaml_reader as yaml_reader
from hwsim.hardware.load import (
    Accelerator,
    accelerator_from_dict,
    accelerator_names,
    load_accelerator,
    shipped_accelerator_dir,
)
from hwsim.errors import ConfigError, HwsimError, UnknownNameError
from hwsim.hardware.fields import MAX_ARRAY_SIDE

from tests.paths import REPO

REQUIRED_FILES = (
    "ws_8x8",
    "ws_16x16",
    "ws_32x32",
    "os_32x32",
    "is_32x32",
    "best_32x32",
    "best_16x16",
    "ws_256x256",
)

# A minimal valid accelerator as YAML text; tests below edit one field at a time.
GOOD_YAML = """\
name: tiny
array: {rows: 4, cols: 2}
dataflow: ws
clock_mhz: 100
buffers: {ifmap_kib: 1, filter_kib: 2, ofmap_kib: 0.5}
dram: {bandwidth_bytes_per_cycle: 4}
"""


def good_dict() -> dict:
    return yaml.safe_load(GOOD_YAML)


def write(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def config_error(path: Path) -> str:
    """Load a file that must fail; return the one-line message."""
    with pytest.raises(ConfigError) as info:
        load_accelerator(path)
    message = str(info.value)
    assert "\n" not in message, message
    assert isinstance(info.value, HwsimError)
    return message


# ------------------------------------------------------------------ shipped files


def test_required_files_are_shipped():
    names = accelerator_names()
    assert names == tuple(sorted(names))
    assert set(REQUIRED_FILES) <= set(names)
    assert shipped_accelerator_dir() == REPO / "accelerators"  # editable development install


def test_wheel_ships_the_folder_where_lookup_expects_it():
    # load_accelerator looks in hwsim/accelerators first: the wheel must put the files there.
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    force = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert force["accelerators"] == "hwsim/accelerators"


@pytest.mark.parametrize("name", accelerator_names())
def test_shipped_file_loads_by_name_and_by_path(name):
    by_name = load_accelerator(name)
    path = shipped_accelerator_dir() / f"{name}.yaml"
    assert load_accelerator(path) == by_name
    assert load_accelerator(str(path)) == by_name
    assert by_name.name == name  # the name field matches the file stem (the CLI name)
    assert by_name.description
    assert by_name.energy_pj.source
    text = path.read_text()
    assert text.startswith("#"), "each shipped file starts with a comment saying what it stands for"
    assert "come from" in text, "each shipped file says where its numbers come from"
    # every shipped file writes its fields out instead of relying on defaults
    raw = yaml.safe_load(text)
    for key in ("name", "description", "array", "dataflow", "clock_mhz", "word_bytes", "buffers",
                "dram", "vector", "options", "energy_pj"):
        assert key in raw, f"{name}: {key} not written out"


def test_shipped_energy_prices_follow_horowitz():
    # Horowitz ISSCC 2014, 45 nm: 8-bit mult 0.2 pJ + 8-bit add 0.03 pJ; 32-bit SRAM read (8 KB)
    # 5 pJ; 32-bit DRAM read 640 pJ. RF access = 1x MAC (Eyeriss ratio).
    mac = 0.2 + 0.03
    for name in REQUIRED_FILES:
        energy = load_accelerator(name).energy_pj
        assert energy.mac == pytest.approx(mac)
        assert energy.rf_access == pytest.approx(mac)
        assert energy.sram_byte == pytest.approx(5 / 4)
        assert energy.dram_byte == pytest.approx(640 / 4)
        assert energy.resolved_vector_op == energy.mac  # vector_op unset: costs one MAC
        assert energy.leakage_per_cycle == 0
        assert "Horowitz" in energy.source
    assert acc.HOROWITZ_45NM == load_accelerator("ws_32x32").energy_pj.model_copy(
        update={"source": acc.HOROWITZ_45NM.source}
    )


def test_shipped_files_cite_their_area_and_state_it_right():
    """The comment block of every shipped file cites the area figures (docs/MODEL.md §10) and its
    area line adds up: PEs x 426.5 um² + buffer and global-buffer KiB x 119 mm² / (153 x 2^20 bits) x 8192 bits."""
    sram_kib_mm2 = 119 / (153 * 2**20) * 8192
    for name in accelerator_names():
        text = (shipped_accelerator_dir() / f"{name}.yaml").read_text()
        for source in ("Horowitz, ISSCC 2014", "NanGate FreePDK45", "DFF_X1", "Intel's 45 nm SRAM test chip"):
            assert source in text, (name, source)
        a = load_accelerator(name)
        assert a.area == acc.AreaSpec()  # no area section: the defaults
        lines = text.splitlines()
        (index,) = [i for i, line in enumerate(lines) if line.startswith("#   area = ")]
        following = lines[index + 1] if index + 1 < len(lines) else ""
        stated_line = following if following.startswith("#        = ") else lines[index]
        stated = float(stated_line.split(" = ")[-1].removesuffix(" mm²").replace(",", ""))
        kib = a.buffers.ifmap_kib + a.buffers.filter_kib + a.buffers.ofmap_kib + a.global_buffer.kib
        expected = a.pes * (282 + 36 + 3 * 8 * 4.522) / 1e6 + kib * sram_kib_mm2
        assert stated == pytest.approx(expected, rel=5e-4), name  # the comment's 4 significant digits


def test_shipped_family_values():
    for name, dataflow in (("ws_32x32", "ws"), ("os_32x32", "os"), ("is_32x32", "is")):
        a = load_accelerator(name)
        assert (a.array.rows, a.array.cols, a.dataflow) == (32, 32, dataflow)
        assert a.candidate_dataflows == (dataflow,)
        assert a.clock_mhz == 500 and a.word_bytes == 1
        assert [a.buffer_bytes(op) for op in acc.OPERANDS] == [64 * 1024] * 3
        assert a.dram.bandwidth_bytes_per_cycle == 16 and a.dram.ports == "shared"
        assert a.vector_lanes == 32
    for name, edge in (("best_32x32", 32), ("best_16x16", 16)):
        a = load_accelerator(name)
        assert a.dataflow == "best" and a.candidate_dataflows == ("ws", "os")
        assert a.pes == edge * edge
    # smaller arrays: buffers scaled with the array edge from 64 KiB at 32x32
    for name, edge in (("ws_16x16", 16), ("ws_8x8", 8)):
        a = load_accelerator(name)
        assert a.buffers.ifmap_kib == 64 * edge / 32
        assert a.vector_lanes == edge


def test_tpu_like_file_follows_jouppi_2017():
    a = load_accelerator("ws_256x256")
    assert (a.array.rows, a.array.cols, a.dataflow, a.clock_mhz) == (256, 256, "ws", 700)
    assert a.pes == 65536
    # ~30 GB/s DDR3 at 700 MHz -> bytes per cycle
    assert a.dram.bandwidth_bytes_per_cycle == round(30e9 / 700e6)
    assert a.buffer_bytes("ifmap") == 24 * 2**20  # 24 MiB Unified Buffer
    assert a.buffer_bytes("ofmap") == 4096 * 256 * 4  # 4 MiB of 32-bit accumulators
    assert a.buffer_bytes("filter") == 4 * 256 * 256  # Weight FIFO, four 256x256-byte tiles
    assert a.cycle_time_ns == pytest.approx(1000 / 700)


def test_dataflow_names_come_from_the_cost_registry():
    from hwsim.cost.dataflows import dataflow_names
    from hwsim.hardware import spec

    assert dataflow_names() == ("ws", "os", "is")  # the built-ins, in tie-break order
    assert spec.gemm_dataflows() == dataflow_names()
    assert spec.dataflow_names() == ("ws", "os", "is", "best")


# ------------------------------------------------------------------ derived values and defaults


def test_defaults_and_properties():
    a = accelerator_from_dict(good_dict())
    assert a.pes == 4 * 2
    assert a.vector.lanes is None and a.vector_lanes == 2  # defaults to the array width
    assert a.word_bytes == 1 and a.description == ""
    assert a.options == acc.OptionsSpec(pack_groups=False, concat_in_place=True, shuffle_in_addressing=True)
    assert a.dram.ports == "shared"
    assert a.energy_pj == acc.HOROWITZ_45NM
    assert [a.buffer_bytes(op) for op in acc.OPERANDS] == [1024, 2048, 512]
    assert a.buffer_kib("ofmap") == 0.5
    assert a.buffer_words("filter") == 2048
    assert a.with_overrides({"word_bytes": 2}).buffer_words("filter") == 1024
    assert a.cycle_time_ns == pytest.approx(10.0)
    with pytest.raises(ValueError, match="psum"):
        a.buffer_bytes("psum")


def test_best_without_choices_picks_from_all_three():
    a = accelerator_from_dict({**good_dict(), "dataflow": "best"})
    assert a.dataflow_choices is None
    assert a.candidate_dataflows == ("ws", "os", "is")


def test_choices_are_kept_in_canonical_order():
    a = accelerator_from_dict({**good_dict(), "dataflow": "best", "dataflow_choices": ["is", "ws"]})
    assert a.dataflow_choices == ("ws", "is")
    assert a.candidate_dataflows == ("ws", "is")


def test_vector_op_price_defaults_to_mac():
    energy = {"mac": 1.5, "rf_access": 1, "sram_byte": 2, "dram_byte": 3, "source": "test"}
    a = accelerator_from_dict({**good_dict(), "energy_pj": energy})
    assert a.energy_pj.vector_op is None and a.energy_pj.resolved_vector_op == 1.5
    b = a.with_overrides({"energy_pj.vector_op": 0.5})
    assert b.energy_pj.resolved_vector_op == 0.5


def test_name_defaults_to_file_stem(tmp_path):
    text = "\n".join(line for line in GOOD_YAML.splitlines() if not line.startswith("name:"))
    assert load_accelerator(write(tmp_path, text, "my_accel.yml")).name == "my_accel"
    assert load_accelerator(write(tmp_path, GOOD_YAML, "other.yaml")).name == "tiny"
    with pytest.raises(ConfigError, match=r"<dict>: name: missing"):
        accelerator_from_dict(yaml.safe_load(text))


def test_yaml_12_booleans_and_exponent_floats(tmp_path):
    text = GOOD_YAML.replace("clock_mhz: 100", "clock_mhz: 1e3") + "options: {pack_groups: true, concat_in_place: False}\n"
    a = load_accelerator(write(tmp_path, text, "ok.yaml"))
    assert a.clock_mhz == 1000.0
    assert a.options.pack_groups is True and a.options.concat_in_place is False


def test_frozen():
    a = load_accelerator("ws_32x32")
    with pytest.raises(ValidationError):
        a.clock_mhz = 1.0  # type: ignore[misc]
    with pytest.raises(ValidationError):
        a.array.rows = 1  # type: ignore[misc]
    assert hash(a) == hash(load_accelerator("ws_32x32"))


# ------------------------------------------------------------------ validation errors


BAD_VALUES = [
    # (YAML fragment appended to / replacing GOOD_YAML fields, field path, value text, expected text)
    ("array: {rows: -4, cols: 2}", "array.rows", "-4", "an integer > 0"),
    ("array: {rows: 0, cols: 2}", "array.rows", "0", "an integer > 0"),
    ("array: {rows: 1.5, cols: 2}", "array.rows", "1.5", "an integer > 0"),
    ("array: {rows: 4, cols: '2'}", "array.cols", "'2'", "an integer > 0"),
    ("array: {rows: 4, cols: true}", "array.cols", "true", "an integer > 0"),
    ("array: 32", "array", "32", "a mapping with keys rows, cols"),
    ("clock_mhz: '16'", "clock_mhz", "'16'", "a finite number > 0"),
    ("clock_mhz: -500", "clock_mhz", "-500", "a finite number > 0"),
    ("clock_mhz: .inf", "clock_mhz", "inf", "finite"),
    ("word_bytes: 0", "word_bytes", "0", "an integer > 0"),
    ("word_bytes: 2.0", "word_bytes", "2.0", "an integer > 0"),
    ("dataflow: wss", "dataflow", "'wss'", "one of ws, os, is, best"),
    ("dataflow: best\ndataflow_choices: []", "dataflow_choices", "[]", "non-empty"),
    ("dataflow: best\ndataflow_choices: [ws, ws]", "dataflow_choices", "['ws', 'ws']", "distinct"),
    ("dataflow: best\ndataflow_choices: [ws, best]", "dataflow_choices[1]", "'best'", "one of ws, os, is"),
    ("dataflow: best\ndataflow_choices: ws", "dataflow_choices", "'ws'", "list"),
    ("dataflow: os\ndataflow_choices: [ws, os]", "dataflow_choices", "['ws', 'os']", "dataflow: best"),
    ("buffers: {ifmap_kib: 0, filter_kib: 1, ofmap_kib: 1}", "buffers.ifmap_kib", "0", "> 0"),
    ("buffers: {ifmap_kib: 1, filter_kib: -2, ofmap_kib: 1}", "buffers.filter_kib", "-2", "> 0"),
    ("buffers: {ifmap_kib: 1, filter_kib: 1, ofmap_kib: 0.1}", "buffers.ofmap_kib", "0.1", "whole number of bytes"),
    ("dram: {bandwidth_bytes_per_cycle: 0}", "dram.bandwidth_bytes_per_cycle", "0", "> 0"),
    ("dram: {bandwidth_bytes_per_cycle: .nan}", "dram.bandwidth_bytes_per_cycle", "nan", "finite"),
    # unlimited is the word, not YAML's infinity nor another spelling
    ("dram: {bandwidth_bytes_per_cycle: .inf}", "dram.bandwidth_bytes_per_cycle", "inf", "or unlimited"),
    ("dram: {bandwidth_bytes_per_cycle: Unlimited}", "dram.bandwidth_bytes_per_cycle", "'Unlimited'", "or unlimited"),
    ("dram: {bandwidth_bytes_per_cycle: calc}", "dram.bandwidth_bytes_per_cycle", "'calc'", "or unlimited"),
    ("dram: {bandwidth_bytes_per_cycle: 4, ports: both}", "dram.ports", "'both'", "shared or per_operand"),
    ("vector: {lanes: 0}", "vector.lanes", "0", "an integer > 0 and <= 2^24 or null"),
    ("options: {pack_groups: yes}", "options.pack_groups", "'yes'", "true or false"),
    ("options: {pack_groups: 'yes'}", "options.pack_groups", "'yes'", "true or false"),
    ("options: {concat_in_place: 1}", "options.concat_in_place", "1", "true or false"),
    ("options: {shuffle_in_addressing: on}", "options.shuffle_in_addressing", "'on'", "true or false"),
    ("name: ''", "name", "''", "non-empty string"),
    ("name: 7", "name", "7", "string"),
    ("energy_pj: {mac: -1, rf_access: 0, sram_byte: 0, dram_byte: 0, source: x}", "energy_pj.mac", "-1", ">= 0"),
    ("energy_pj: {mac: 1, rf_access: 0, sram_byte: 0, dram_byte: 0, vector_op: '2', source: x}",
     "energy_pj.vector_op", "'2'", ">= 0 and <= 1000000 (pJ) or null"),
    # bounds that keep every count of the cost core inside int64 (docs/MODEL.md §11)
    ("array: {rows: 4097, cols: 2}", "array.rows", "4097", "an integer > 0 and <= 4096"),
    ("array: {rows: 4, cols: 1000000000000}", "array.cols", "1000000000000", "<= 4096"),
    ("word_bytes: 1000000000000", "word_bytes", "1000000000000", "an integer > 0 and <= 8 (bytes)"),
    ("clock_mhz: 1e-320", "clock_mhz", "1e-320", "from 0.001 to 1000000 (MHz)"),
    ("clock_mhz: 1e7", "clock_mhz", "10000000.0", "from 0.001 to 1000000 (MHz)"),
    ("dram: {bandwidth_bytes_per_cycle: 1e-300}", "dram.bandwidth_bytes_per_cycle", "1e-300", "from 2^-10"),
    ("dram: {bandwidth_bytes_per_cycle: 1.0e-10}", "dram.bandwidth_bytes_per_cycle", "1e-10", "from 2^-10"),
    ("dram: {bandwidth_bytes_per_cycle: 1e7}", "dram.bandwidth_bytes_per_cycle", "10000000.0", "to 2^20 = 1048576"),
    ("buffers: {ifmap_kib: 1e300, filter_kib: 1, ofmap_kib: 1}", "buffers.ifmap_kib", "1e+300", "<= 2^30"),
    ("vector: {lanes: 16777217}", "vector.lanes", "16777217", "<= 2^24"),
    ("energy_pj: {mac: 1e300, rf_access: 0, sram_byte: 0, dram_byte: 0, source: x}", "energy_pj.mac", "1e+300",
     "<= 1000000 (pJ)"),
    ("area: {pe_um2: 0}", "area.pe_um2", "0", "a finite number > 0 or null"),
    ("area: {buffer_mm2_per_kib: -0.01}", "area.buffer_mm2_per_kib", "-0.01", "> 0 or null"),
    ("area: {global_buffer_mm2_per_kib: .inf}", "area.global_buffer_mm2_per_kib", "inf", "finite"),
    ("area: {pe_um2: 400, source: ''}", "area.source", "''", "a non-empty string citing the figures"),
]


def with_fields(fragment: str) -> str:
    """GOOD_YAML with the top-level keys of ``fragment`` replaced by the fragment's lines."""
    replaced = {line.split(":")[0] for line in fragment.splitlines()}
    kept = [line for line in GOOD_YAML.splitlines() if line.split(":")[0] not in replaced]
    return "\n".join(kept + fragment.splitlines()) + "\n"


@pytest.mark.parametrize(("fragment", "field", "value", "expected"), BAD_VALUES)
def test_bad_value_names_file_field_value_and_expectation(tmp_path, fragment, field, value, expected):
    path = write(tmp_path, with_fields(fragment), "broken_accel.yaml")
    message = config_error(path)
    assert message.startswith(f"{path}: {field} = {value}: expected "), message
    assert expected in message
    # the same check through accelerator_from_dict, with its own source label
    with pytest.raises(ConfigError, match=rf"^my source: {re.escape(field)} = "):
        accelerator_from_dict(yaml.load(with_fields(fragment), Loader=yaml_reader._StrictLoader), source="my source")


def test_missing_required_field(tmp_path):
    text = "\n".join(line for line in GOOD_YAML.splitlines() if not line.startswith("clock_mhz"))
    message = config_error(write(tmp_path, text, "noclock.yaml"))
    assert "noclock.yaml: clock_mhz: missing required field: expected a finite number > 0" in message
    message = config_error(write(tmp_path, GOOD_YAML.replace("ofmap_kib: 0.5", "ofmap: 1"), "x.yaml"))
    # the unknown key is reported first (it explains the missing one), with a suggestion
    assert "x.yaml: buffers.ofmap = 1: unknown key; did you mean ofmap_kib?" in message
    assert "(and 1 more problem: buffers.ofmap_kib missing)" in message


@pytest.mark.parametrize(
    ("fragment", "field", "suggestion"),
    [
        ("arrays: {rows: 4, cols: 2}", "arrays", "array"),
        ("array: {rows: 4, cols: 2, rws: 3}", "array.rws", "rows"),
        ("dram: {bandwidth_bytes_per_cycle: 4, port: shared}", "dram.port", "ports"),
        ("energy_pj: {mac: 1, rf_access: 1, sram_byte: 1, dram_bytes: 1, source: s}", "energy_pj.dram_bytes", "dram_byte"),
        ("clock_mhz: 100\nclock: 100", "clock", "clock_mhz"),
        ("area: {pe_mm2: 400}", "area.pe_mm2", "pe_um2"),
    ],
)
def test_unknown_keys_are_named_with_suggestions(tmp_path, fragment, field, suggestion):
    message = config_error(write(tmp_path, with_fields(fragment), "keys.yaml"))
    assert message.startswith(f"{tmp_path / 'keys.yaml'}: {field} = "), message
    assert f"unknown key; did you mean {suggestion}" in message
    assert "valid keys here:" in message


def test_unknown_key_without_close_match_lists_valid_keys(tmp_path):
    message = config_error(write(tmp_path, GOOD_YAML + "zzzz: 1\n", "keys.yaml"))
    assert "keys.yaml: zzzz = 1: unknown key (valid keys here: name, description, array," in message


def test_non_string_key(tmp_path):
    message = config_error(write(tmp_path, GOOD_YAML + "1: 2\n", "intkey.yaml"))
    assert "intkey.yaml: top level: key 1 is not a string" in message


def test_duplicate_top_level_key(tmp_path):
    text = GOOD_YAML + "dataflow: os\n"
    message = config_error(write(tmp_path, text, "dup.yaml"))
    line = text.splitlines().index("dataflow: os") + 1
    first = text.splitlines().index("dataflow: ws") + 1
    assert message == f"{tmp_path / 'dup.yaml'}: dataflow: duplicate key at line {line} (first given at line {first})"


def test_duplicate_nested_key(tmp_path):
    text = """\
    name: tiny
    array:
      rows: 4
      cols: 2
      rows: 8
    dataflow: ws
    """
    message = config_error(write(tmp_path, text, "dupnest.yaml"))
    assert "dupnest.yaml: array.rows: duplicate key at line 5 (first given at line 3)" in message


def test_duplicate_key_in_flow_mapping(tmp_path):
    message = config_error(write(tmp_path, "buffers: {ifmap_kib: 1, ifmap_kib: 2}\n", "dupflow.yaml"))
    assert "dupflow.yaml: buffers.ifmap_kib: duplicate key at line 1" in message


def test_merge_keys_are_not_duplicates(tmp_path):
    text = GOOD_YAML.replace("array: {rows: 4, cols: 2}", "array:\n  <<: {rows: 4, cols: 2}\n  rows: 8")
    assert load_accelerator(write(tmp_path, text, "merge.yaml")).array.rows == 8


def test_invalid_yaml_reports_line(tmp_path):
    text = GOOD_YAML + "dram: {bandwidth_bytes_per_cycle: 4\n"
    message = config_error(write(tmp_path, text, "syntax.yaml"))
    assert message.startswith(f"{tmp_path / 'syntax.yaml'}: invalid YAML at line ")
    line = int(message.split("at line ")[1].split(",")[0])
    assert line == len(text.splitlines()) + 1  # the flow mapping is still open at the end of the file


def test_unsafe_tag_rejected(tmp_path):
    message = config_error(write(tmp_path, "name: !!python/object/apply:os.system [echo]\n", "tag.yaml"))
    assert "tag.yaml: invalid YAML at line 1" in message


@pytest.mark.parametrize(
    ("text", "what"),
    [("- 1\n- 2\n", "top level is a list"), ("just a string\n", "top level is a string"),
     ("", "file is empty"), ("# only a comment\n", "file is empty")],
)
def test_non_mapping_yaml(tmp_path, text, what):
    message = config_error(write(tmp_path, text, "shape.yaml"))
    assert message.startswith(f"{tmp_path / 'shape.yaml'}: {what}")
    assert "expected a mapping" in message


def test_accelerator_from_dict_rejects_non_mapping():
    with pytest.raises(ConfigError, match=r"^src: expected a mapping .* got list"):
        accelerator_from_dict([1, 2], source="src")  # type: ignore[arg-type]


def test_unreadable_files(tmp_path):
    missing = tmp_path / "missing.yaml"
    assert config_error(missing).startswith(f"{missing}: cannot read")
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    assert config_error(folder).startswith(f"{folder}: cannot read")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"name: \xff\xfe\n")
    assert config_error(binary).startswith(f"{binary}: cannot read: not UTF-8")


def test_unsupported_suffix(tmp_path):
    path = write(tmp_path, GOOD_YAML, "accel.json")
    message = config_error(path)
    assert message.startswith(f"{path}: unsupported accelerator file type '.json'")


def test_unknown_name_suggests_close_names():
    with pytest.raises(UnknownNameError) as info:
        load_accelerator("ws_32x31")
    assert "ws_32x32" in info.value.suggestions
    assert "unknown accelerator 'ws_32x31'" in str(info.value)
    with pytest.raises(UnknownNameError):
        load_accelerator("no_such_accelerator_at_all")


def test_cfg_dispatches_to_scalesim_importer(monkeypatch, tmp_path):
    calls = []
    fake = types.ModuleType("hwsim.hardware.scalesim_config")

    def load_scalesim_config(path):
        calls.append(path)
        return load_accelerator("os_32x32")

    fake.load_scalesim_config = load_scalesim_config
    monkeypatch.setitem(sys.modules, "hwsim.hardware.scalesim_config", fake)
    cfg = tmp_path / "scale.cfg"
    assert load_accelerator(str(cfg)).name == "os_32x32"
    assert calls == [cfg]


# ------------------------------------------------------------------ overrides and dotted paths


def test_with_overrides_replaces_values_and_keeps_the_original():
    base = load_accelerator("ws_32x32")
    new = base.with_overrides(
        {"array.rows": 64, "dram.bandwidth_bytes_per_cycle": 8.5, "buffers.ifmap_kib": 128, "dataflow": "os",
         "options.pack_groups": True, "vector.lanes": 4}
    )
    assert (new.array.rows, new.array.cols) == (64, 32)
    assert new.dram.bandwidth_bytes_per_cycle == 8.5
    assert new.buffer_bytes("ifmap") == 128 * 1024
    assert new.dataflow == "os" and new.candidate_dataflows == ("os",)
    assert new.options.pack_groups is True and new.vector_lanes == 4
    assert base.array.rows == 32 and base.dataflow == "ws"  # immutable input
    assert base.with_overrides({}) is base


def test_with_overrides_accepts_numpy_scalars_and_sections():
    base = load_accelerator("ws_32x32")
    new = base.with_overrides(
        {"array.cols": np.int64(16), "clock_mhz": np.float64(250.0), "options.concat_in_place": np.bool_(False)}
    )
    assert new.array.cols == 16 and type(new.array.cols) is int
    assert new.clock_mhz == 250.0 and new.options.concat_in_place is False
    assert base.with_overrides({"array": {"rows": 2, "cols": 3}}).pes == 6


def test_dataflow_override_on_best_drops_choices():
    best = load_accelerator("best_32x32")
    ws = best.with_overrides({"dataflow": "ws"})
    assert ws.dataflow_choices is None and ws.candidate_dataflows == ("ws",)
    assert best.with_overrides({"dataflow": "best"}).candidate_dataflows == ("ws", "os")
    assert best.with_overrides({"dataflow_choices": ["is"]}).candidate_dataflows == ("is",)
    with pytest.raises(ConfigError, match=r"dataflow_choices = \['ws'\]: expected no dataflow_choices"):
        best.with_overrides({"dataflow": "ws", "dataflow_choices": ["ws"]})


def test_with_overrides_rejects_unknown_paths():
    base = load_accelerator("ws_32x32")
    with pytest.raises(ConfigError, match=r"^ws_32x32: unknown accelerator field path 'array.rws'; did you mean array.rows"):
        base.with_overrides({"array.rws": 3})
    with pytest.raises(ConfigError, match=r"'array.rows.x'"):
        base.with_overrides({"array.rows.x": 3})
    with pytest.raises(ConfigError, match=r"'pes'"):
        base.with_overrides({"pes": 3})


@pytest.mark.parametrize(
    ("path", "value", "shown"),
    [("array.rows", -4, "-4"), ("array.rows", 2.5, "2.5"), ("dram.bandwidth_bytes_per_cycle", "16", "'16'"),
     ("options.pack_groups", "yes", "'yes'"), ("dataflow", "fast", "'fast'"), ("buffers.filter_kib", 0, "0"),
     ("dram.ports", "many", "'many'")],
)
def test_with_overrides_rejects_bad_values(path, value, shown):
    with pytest.raises(ConfigError) as info:
        load_accelerator("ws_32x32").with_overrides({path: value})
    assert str(info.value).startswith(f"ws_32x32 with overrides: {path} = {shown}: expected ")


def test_get_reads_dotted_paths():
    a = load_accelerator("best_32x32")
    assert a.get("array.rows") == 32
    assert a.get("dram.bandwidth_bytes_per_cycle") == 16
    assert a.get("dataflow_choices") == ("ws", "os")
    assert a.get("energy_pj.mac") == a.energy_pj.mac
    assert a.get("buffers") == a.buffers
    for path in Accelerator.field_paths():
        head, *rest = path.split(".")
        expected = getattr(a, head)
        for part in rest:
            expected = getattr(expected, part)
        assert a.get(path) == expected
    with pytest.raises(ConfigError, match=r"unknown accelerator field path 'arr.rows'"):
        a.get("arr.rows")


def test_field_paths_cover_the_documented_fields():
    paths = set(Accelerator.field_paths())
    for path in ("name", "description", "array.rows", "array.cols", "dataflow", "dataflow_choices", "clock_mhz",
                 "word_bytes", "buffers.ifmap_kib", "buffers.filter_kib", "buffers.ofmap_kib",
                 "dram.bandwidth_bytes_per_cycle", "dram.ports", "vector.lanes", "options.pack_groups",
                 "options.concat_in_place", "options.shuffle_in_addressing", "energy_pj.mac",
                 "energy_pj.rf_access", "energy_pj.sram_byte", "energy_pj.dram_byte", "energy_pj.vector_op",
                 "energy_pj.leakage_per_cycle", "energy_pj.source", "area.pe_um2", "area.buffer_mm2_per_kib",
                 "area.global_buffer_mm2_per_kib", "area.source"):
        assert path in paths


# ------------------------------------------------------------------ round trips


def test_unlimited_bandwidth_loads_and_round_trips(tmp_path):
    path = write(tmp_path, GOOD_YAML.replace("bandwidth_bytes_per_cycle: 4", "bandwidth_bytes_per_cycle: unlimited"), "calc.yaml")
    a = load_accelerator(path)
    assert a.dram.bandwidth_bytes_per_cycle == math.inf == a.get("dram.bandwidth_bytes_per_cycle")
    assert a.to_dict()["dram"] == {"bandwidth_bytes_per_cycle": "unlimited", "ports": "shared"}
    assert accelerator_from_dict(json.loads(json.dumps(a.to_dict()))) == a  # valid JSON: no Infinity
    copy = tmp_path / "copy.yaml"
    copy.write_text(yaml.safe_dump(a.to_dict(), sort_keys=False))
    assert load_accelerator(copy) == a
    # overrides keep it, set it from a finite value, and take back what get() returned
    assert a.with_overrides({"array.rows": 8}).dram.bandwidth_bytes_per_cycle == math.inf
    assert a.with_overrides({"dram.bandwidth_bytes_per_cycle": a.get("dram.bandwidth_bytes_per_cycle")}) == a
    finite = a.with_overrides({"dram.bandwidth_bytes_per_cycle": 4})
    assert finite.dram.bandwidth_bytes_per_cycle == 4 and finite.with_overrides({"dram.bandwidth_bytes_per_cycle": "unlimited"}) == a


@pytest.mark.parametrize("name", accelerator_names())
def test_to_dict_round_trips(tmp_path, name):
    a = load_accelerator(name)
    data = a.to_dict()
    assert accelerator_from_dict(data) == a
    assert accelerator_from_dict(json.loads(json.dumps(data))) == a
    path = tmp_path / f"{name}_copy.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert load_accelerator(path) == a


positive_kib = st.integers(min_value=1, max_value=2**24).map(lambda b: b / 1024)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(min_value=1, max_value=MAX_ARRAY_SIDE),
    cols=st.integers(min_value=1, max_value=MAX_ARRAY_SIDE),
    kib=positive_kib,
    bandwidth=st.floats(min_value=2.0**-10, max_value=2.0**20, allow_nan=False),
    dataflow=st.sampled_from(spec_module.dataflow_names()),
    lanes=st.none() | st.integers(min_value=1, max_value=4096),
)
def test_any_valid_accelerator_round_trips(rows, cols, kib, bandwidth, dataflow, lanes):
    a = load_accelerator("ws_32x32").with_overrides(
        {"array.rows": rows, "array.cols": cols, "buffers.filter_kib": kib,
         "dram.bandwidth_bytes_per_cycle": bandwidth, "dataflow": dataflow, "vector.lanes": lanes}
    )
    assert a.pes == rows * cols
    assert a.buffer_bytes("filter") == round(kib * 1024)
    assert a.vector_lanes == (cols if lanes is None else lanes)
    assert set(a.candidate_dataflows) <= set(spec_module.gemm_dataflows())
    assert accelerator_from_dict(a.to_dict()) == a
    assert accelerator_from_dict(json.loads(json.dumps(a.to_dict()))) == a


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(max_value=0), field=st.sampled_from(["array.rows", "array.cols", "word_bytes", "vector.lanes"]))
def test_non_positive_integers_are_rejected(rows, field):
    with pytest.raises(ConfigError, match=rf"{field} = {rows}: expected an integer > 0"):
        load_accelerator("ws_32x32").with_overrides({field: rows})


# ------------------------------------------------------------------ dependencies


def test_import_does_not_pull_in_torch():
    code = (
        "import sys, hwsim.hardware.load as a\n"
        "[a.load_accelerator(n).to_dict() for n in a.accelerator_names()]\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
