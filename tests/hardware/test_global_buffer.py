"""The optional ``global_buffer`` section of accelerator files (docs/MODEL.md §9): defaults, one-line
errors, dotted paths, and the shipped files that have one (their numbers from their cited sources)."""

import json

import pytest
import yaml

from hwsim.errors import ConfigError
from hwsim.hardware.load import Accelerator, accelerator_from_dict, accelerator_names, load_accelerator
from tests.hardware.test_load import config_error, good_dict, write

WITH_GLOBAL_BUFFER = ("gemmini_16x16", "tpu_v1_256x256", "ws_32x32_gb1mib")


def test_absent_section_is_no_global_buffer():
    a = accelerator_from_dict(good_dict())
    assert (a.global_buffer.kib, a.global_buffer.bandwidth_bytes_per_cycle, a.global_buffer.energy_pj_per_byte) == (0, None, None)
    for path in ("global_buffer.kib", "global_buffer.bandwidth_bytes_per_cycle", "global_buffer.energy_pj_per_byte"):
        assert path in Accelerator.field_paths()
    assert a.with_overrides({"global_buffer.kib": 512}).global_buffer.kib == 512.0


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"kib": -1}, "global_buffer.kib = -1: expected a finite number of KiB >= 0"),
        ({"kib": 0.0001}, "global_buffer.kib = 0.0001: expected a finite number of KiB >= 0 that is a whole number of bytes"),
        ({"kib": "1 MiB"}, "global_buffer.kib = '1 MiB': expected a finite number of KiB"),
        ({"kib": 64, "bandwidth_bytes_per_cycle": 0}, "global_buffer.bandwidth_bytes_per_cycle = 0: expected a finite number > 0 or null"),
        ({"kib": 64, "energy_pj_per_byte": -1.5}, "global_buffer.energy_pj_per_byte = -1.5: expected a finite number >= 0 or null"),
        ({"kib": 64, "size": 3}, "global_buffer.size = 3: unknown key (valid keys here: kib, bandwidth_bytes_per_cycle, energy_pj_per_byte)"),
    ],
)
def test_bad_values_are_one_line_errors(tmp_path, section, message):
    data = {**good_dict(), "global_buffer": section}
    path = write(tmp_path, yaml.safe_dump(data))
    assert config_error(path).startswith(f"{path}: {message}")


@pytest.mark.parametrize("name", WITH_GLOBAL_BUFFER)
def test_shipped_files_with_a_global_buffer_round_trip(tmp_path, name):
    a = load_accelerator(name)
    assert name in accelerator_names() and a.global_buffer.kib > 0
    data = a.to_dict()
    assert accelerator_from_dict(json.loads(json.dumps(data))) == a
    copy = tmp_path / "copy.yaml"
    copy.write_text(yaml.safe_dump(data, sort_keys=False))
    assert load_accelerator(copy) == a


def test_shipped_global_buffer_values_follow_their_sources():
    # Gemmini's default configuration: 16x16, WS or OS, 256 KiB scratchpad (224 + 2 x 16 KiB here),
    # 64 KiB of 32-bit accumulators = 16 KiB of 1-byte outputs, 128-bit DMA bus, 4 banks x 16 B.
    g = load_accelerator("gemmini_16x16")
    assert (g.array.rows, g.array.cols, g.candidate_dataflows) == (16, 16, ("ws", "os"))
    assert g.global_buffer.kib + g.buffers.ifmap_kib + g.buffers.filter_kib == 256
    assert g.buffers.ofmap_kib == 64 / 4 and g.dram.bandwidth_bytes_per_cycle == 128 / 8
    assert g.global_buffer.bandwidth_bytes_per_cycle == 4 * 16
    # TPU v1: 24 MiB Unified Buffer = 64 KiB ifmap buffer + the global buffer; 256 B in + 256 B out per cycle.
    t = load_accelerator("tpu_v1_256x256")
    assert t.global_buffer.kib + t.buffers.ifmap_kib == 24 * 1024
    assert t.global_buffer.bandwidth_bytes_per_cycle == 2 * 256
    tpu = load_accelerator("ws_256x256")
    assert (t.array, t.clock_mhz, t.dram, t.buffers.filter_kib, t.buffers.ofmap_kib) == (
        tpu.array, tpu.clock_mhz, tpu.dram, tpu.buffers.filter_kib, tpu.buffers.ofmap_kib)
    # ws_32x32 plus 1 MiB with the default bandwidth and price.
    e, base = load_accelerator("ws_32x32_gb1mib"), load_accelerator("ws_32x32")
    assert e.global_buffer.kib == 1024 and e.global_buffer.bandwidth_bytes_per_cycle is None
    assert e.with_overrides({"global_buffer.kib": 0, "name": "ws_32x32", "description": base.description}) == base


def test_override_errors_name_the_path():
    with pytest.raises(ConfigError, match=r"global_buffer.kib = -2.0: expected"):
        load_accelerator("ws_32x32").with_overrides({"global_buffer.kib": -2.0})
