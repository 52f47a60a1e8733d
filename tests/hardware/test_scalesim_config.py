"""SCALE-Sim .cfg files as accelerators (no SCALE-Sim needed; see tests/cost/test_scalesim_crosscheck.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from hwsim.errors import ConfigError, HwsimError
from hwsim.hardware.load import load_accelerator
from hwsim.hardware.scalesim_config import load_scalesim_config, load_scalesim_config_text
from tests.paths import SCALESIM_DATA as DATA


# ------------------------------------------------------------------------------------ configs
CFG = """[general]
run_name = tiny

[architecture_presets]
ArrayHeight: 8
ArrayWidth: 4
IfmapSramSzkB: 2
FilterSramSzkB: 16
OfmapSramSzkB: 8
Bandwidth : 4
Dataflow : is

[layout]
IfmapSRAMBankBandwidth: 4
FilterSRAMBankBandwidth: 4

[run_presets]
InterfaceBandwidth: USER
"""


def test_config_maps_to_accelerator() -> None:
    accel = load_scalesim_config_text(CFG, "tiny.cfg")
    assert accel.name == "tiny"
    assert (accel.array.rows, accel.array.cols, accel.dataflow) == (8, 4, "is")
    assert (accel.buffers.ifmap_kib, accel.buffers.filter_kib, accel.buffers.ofmap_kib) == (2, 16, 8)
    assert accel.buffer_bytes("ifmap") == 2048  # SCALE-Sim: kB x 1024 one-byte words
    assert accel.word_bytes == 1
    assert accel.dram.bandwidth_bytes_per_cycle == 4
    assert accel.dram.ports == "per_operand"
    assert accel.clock_mhz == 1000
    assert "differ" not in accel.description and "CALC" not in accel.description


def test_shipped_cfg_and_load_accelerator_dispatch() -> None:
    accel = load_scalesim_config(DATA / "scale.cfg")
    assert accel.name == "scale_example_run_32x32_ws"
    assert (accel.array.rows, accel.array.cols, accel.dataflow) == (32, 32, "ws")
    assert accel.buffers.ifmap_kib == accel.buffers.filter_kib == accel.buffers.ofmap_kib == 64
    # InterfaceBandwidth: CALC: SCALE-Sim does not limit DRAM bandwidth (Bandwidth : 10 is not used)
    assert accel.dram.bandwidth_bytes_per_cycle == math.inf
    assert accel.to_dict()["dram"] == {"bandwidth_bytes_per_cycle": "unlimited", "ports": "per_operand"}
    assert "CALC" in accel.description and "unlimited" in accel.description
    assert load_accelerator(str(DATA / "scale.cfg")) == accel
    # Energy prices: those of the shipped ws_32x32 accelerator.
    assert accel.energy_pj.model_dump(exclude={"source"}) == load_accelerator("ws_32x32").energy_pj.model_dump(exclude={"source"})
    assert load_scalesim_config(DATA / "scale.cfg", clock_mhz=500).clock_mhz == 500


def test_config_bandwidth_list_and_layout_mismatch() -> None:
    text = CFG.replace("Bandwidth : 4", "Bandwidth : 6, 2").replace("FilterSRAMBankBandwidth: 4", "FilterSRAMBankBandwidth: 64")
    accel = load_scalesim_config_text(text, "x.cfg")
    assert accel.dram.bandwidth_bytes_per_cycle == 6  # SCALE-Sim uses the first value only
    assert "FilterSRAMBankBandwidth 64" in accel.description


@pytest.mark.parametrize(
    "old,new,message",
    [
        ("ArrayHeight: 8", "", r"\[architecture_presets\] ArrayHeight: missing key"),
        ("ArrayWidth: 4", "ArrayWidth: four", r"\[architecture_presets\] ArrayWidth = 'four': expected an integer > 0"),
        ("IfmapSramSzkB: 2", "IfmapSramSzkB: 0", r"\[architecture_presets\] IfmapSramSzkB = 0: expected an integer > 0"),
        ("Dataflow : is", "Dataflow : rs", r"\[architecture_presets\] Dataflow = 'rs': expected os, ws or is"),
        ("Bandwidth : 4", "Bandwidth : 4, x", r"\[architecture_presets\] Bandwidth = '4, x'"),
        ("InterfaceBandwidth: USER", "InterfaceBandwidth: AUTO", r"\[run_presets\] InterfaceBandwidth = 'AUTO'"),
        ("ArrayWidth: 4", "ArrayWidth: 4\narraywidth: 5", r"line 7: \[architecture_presets\] arraywidth: duplicate key"),
        ("[architecture_presets]", "[general]", r"line 4: \[general\]: duplicate section"),
        ("[architecture_presets]", "[arch]", r"\[architecture_presets\]: missing section"),
        # bounds (docs/MODEL.md §11): the accelerator's limits, named with the .cfg key
        ("ArrayHeight: 8", "ArrayHeight: 1000000000000", r"\[architecture_presets\] ArrayHeight = 1000000000000: "
         r"expected an integer > 0 and <= 4,096 \(PE rows\)"),
        ("ArrayWidth: 4", "ArrayWidth: 4097", r"\[architecture_presets\] ArrayWidth = 4097: expected an integer > 0 and <= 4,096"),
        ("ArrayWidth: 4", "ArrayWidth: 1e3", r"\[architecture_presets\] ArrayWidth = '1e3': expected an integer"),
        ("ArrayWidth: 4", "ArrayWidth: " + "9" * 5000, r"\[architecture_presets\] ArrayWidth = '9{37}\.\.\.': expected"),
        ("IfmapSramSzkB: 2", "IfmapSramSzkB: 1073741825", r"\[architecture_presets\] IfmapSramSzkB = 1073741825: "
         r"expected an integer > 0 and <= 1,073,741,824"),
        ("Bandwidth : 4", "Bandwidth : 10000000000000000000", r"\[architecture_presets\] Bandwidth = 10000000000000000000: "
         r"expected words per cycle per operand port: an integer > 0 and <= 1,048,576"),
        ("Bandwidth : 4", "Bandwidth : -4", r"\[architecture_presets\] Bandwidth = -4: expected words"),
    ],
)
def test_config_errors_name_file_section_and_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = tmp_path / "bad.cfg"
    path.write_text(CFG.replace(old, new))
    with pytest.raises(ConfigError, match=rf"^{str(path)}: {message}"):
        load_scalesim_config(path)


def test_config_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_scalesim_config(tmp_path / "missing.cfg")
    (tmp_path / "nosection.cfg").write_text("ArrayHeight: 8\n")
    with pytest.raises(ConfigError, match=r"line 1: expected a \[section\] header"):
        load_scalesim_config(tmp_path / "nosection.cfg")
    with pytest.raises(ConfigError, match=r"clock_mhz"):
        load_scalesim_config(DATA / "scale.cfg", clock_mhz=0)


def test_calc_mode_is_unlimited_bandwidth_and_user_mode_applies_it() -> None:
    calc = load_scalesim_config_text(CFG.replace("InterfaceBandwidth: USER", "InterfaceBandwidth: CALC"), "c.cfg")
    assert calc.dram.bandwidth_bytes_per_cycle == math.inf and calc.dram.ports == "per_operand"
    # SCALE-Sim's default mode (no [run_presets] key) is CALC as well
    missing = load_scalesim_config_text(CFG.replace("InterfaceBandwidth: USER", ""), "m.cfg")
    assert missing.dram == calc.dram
    # everything else is read as in USER mode
    user = load_scalesim_config_text(CFG, "u.cfg")
    assert calc.with_overrides({"dram.bandwidth_bytes_per_cycle": 4.0, "description": user.description, "name": "tiny"}) == user


@pytest.mark.parametrize("value", ["true", "True", "TRUE"])
def test_sparsity_support_on_is_refused_in_one_line(tmp_path: Path, value: str) -> None:
    """hwsim models layers dense: a config that switches SCALE-Sim's sparse mode on is refused (SCALE-Sim
    reads the key with .lower() == 'true', scale_config.py:133)."""
    path = tmp_path / "sparse.cfg"
    path.write_text(CFG + f"\n[sparsity]\nSparsitySupport : {value}\nSparseRep : ellpack_block\n")
    with pytest.raises(ConfigError) as info:
        load_scalesim_config(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: [sparsity] SparsitySupport = '{value}': hwsim models every layer dense")
    assert "expected false" in message


@pytest.mark.parametrize("section", ["", "\n[sparsity]\nSparsitySupport : false\n", "\n[sparsity]\nSparseRep : csr\n"])
def test_sparsity_off_or_absent_reads_silently(section: str) -> None:
    assert load_scalesim_config_text(CFG + section, "tiny.cfg") == load_scalesim_config_text(CFG, "tiny.cfg")
