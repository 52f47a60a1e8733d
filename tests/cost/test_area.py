"""Chip area (docs/MODEL.md §10) by closed form: the cited figures, a PE at each word size,
buffers per KiB, vectorised over configurations, and the ``area`` section replacing figures."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwsim.cost.area import Area, AreaFigures, adder_um2, area, multiplier_um2, pe_um2
from hwsim.hardware.load import load_accelerator
from hwsim.simulate import hardware_arrays

#: Intel's 45 nm SRAM test chip: 119 mm² for 153 x 2^20 bits, per KiB (8192 bits).
SRAM_KIB_MM2 = 119 / (153 * 2**20) * 8192


def test_published_points_are_reproduced_exactly() -> None:
    # Horowitz, ISSCC 2014, 45 nm: 8-bit / 32-bit multiply 282 / 3495 um², add 36 / 137 um²
    assert multiplier_um2(1) == pytest.approx(282.0, rel=1e-12)
    assert multiplier_um2(4) == pytest.approx(3495.0, rel=1e-12)
    assert adder_um2(1) == pytest.approx(36.0, rel=1e-12)
    assert adder_um2(4) == pytest.approx(137.0, rel=1e-12)
    # a PE: multiplier + adder + 3 registers (input, weight, partial sum) of 4.522 um² per bit
    assert pe_um2(1) == pytest.approx(282 + 36 + 3 * 8 * 4.522, rel=1e-12) == pytest.approx(426.528)
    assert pe_um2(4) == pytest.approx(3495 + 137 + 3 * 32 * 4.522, rel=1e-12)


def test_other_word_sizes_follow_the_power_law_through_the_two_points() -> None:
    mult_exp = math.log(3495 / 282) / math.log(4)  # about 1.816
    add_exp = math.log(137 / 36) / math.log(4)  # about 0.964
    for word_bytes in (2, 3, 8):
        bits = 8 * word_bytes
        assert multiplier_um2(word_bytes) == pytest.approx(282 * (bits / 8) ** mult_exp, rel=1e-12)
        assert adder_um2(word_bytes) == pytest.approx(36 * (bits / 8) ** add_exp, rel=1e-12)
    # 16-bit: between the 8- and 32-bit points, and the multiplier grows faster than linearly
    assert 282 * 2 < multiplier_um2(2) < 3495 and 36 < adder_um2(2) < 137


def test_ws_32x32_by_hand() -> None:
    """1,024 PEs of 1-byte words and 3 x 64 KiB of buffers: 0.4368 + 1.167 mm²."""
    accel = load_accelerator("ws_32x32")
    got = hardware_arrays([accel]).area().at(0)
    assert got.pe_mm2 == pytest.approx(1024 * 426.528 / 1e6, rel=1e-12)
    assert got.buffer_mm2 == pytest.approx(192 * SRAM_KIB_MM2, rel=1e-12)
    assert got.global_buffer_mm2 == 0
    assert got.total_mm2 == pytest.approx(0.436764672 + 192 * SRAM_KIB_MM2, rel=1e-12)
    assert round(got.total_mm2, 3) == 1.603  # the number docs/MODEL.md §10 quotes


def test_global_buffer_uses_its_own_figure_else_the_buffers() -> None:
    default = AreaFigures.resolve(word_bytes=1)
    parts = area(pes=4, buffer_bytes=2048, global_buffer_bytes=4096, figures=default)
    assert parts.pe_mm2 == pytest.approx(4 * 426.528 / 1e6)
    assert parts.buffer_mm2 == pytest.approx(2 * SRAM_KIB_MM2)
    assert parts.global_buffer_mm2 == pytest.approx(4 * SRAM_KIB_MM2)
    own = AreaFigures.resolve(word_bytes=1, pe=100.0, buffer=0.01, global_buffer=0.02)
    parts = area(pes=4, buffer_bytes=2048, global_buffer_bytes=4096, figures=own)
    assert (parts.pe_mm2, parts.buffer_mm2, parts.global_buffer_mm2) == pytest.approx((4e-4, 0.02, 0.08))
    assert parts.total_mm2 == pytest.approx(4e-4 + 0.02 + 0.08)
    follows = AreaFigures.resolve(word_bytes=1, buffer=0.01)  # no global-buffer figure: the buffers'
    assert float(follows.global_buffer_mm2_per_kib) == 0.01


@given(st.lists(st.tuples(st.integers(1, 64), st.integers(1, 64), st.integers(1, 4), st.integers(1, 4096)),
                min_size=1, max_size=6))
def test_vectorised_over_configurations_equals_one_at_a_time(configs: list[tuple[int, int, int, int]]) -> None:
    rows, cols, word, kib = (np.array(c).reshape(-1, 1) for c in zip(*configs))
    together = area(rows * cols, 3 * kib * 1024, 0, AreaFigures.resolve(word))
    for i, (r, c, w, k) in enumerate(configs):
        alone = area(r * c, 3 * k * 1024, 0, AreaFigures.resolve(w))
        assert float(together.total_mm2[i, 0]) == float(alone.total_mm2)
        assert float(alone.total_mm2) == pytest.approx(r * c * float(pe_um2(w)) / 1e6 + 3 * k * SRAM_KIB_MM2, rel=1e-12)


def test_more_pes_or_buffer_never_shrink_the_area() -> None:
    small = area(64, 1024, 0, AreaFigures.resolve(1)).total_mm2
    assert area(128, 1024, 0, AreaFigures.resolve(1)).total_mm2 > small
    assert area(64, 2048, 0, AreaFigures.resolve(1)).total_mm2 > small
    assert area(64, 1024, 0, AreaFigures.resolve(2)).total_mm2 > small  # wider words, bigger PEs


def test_area_section_overrides_the_default_figures() -> None:
    base = load_accelerator("ws_8x8")
    own = base.with_overrides({"area.pe_um2": 1000.0, "area.buffer_mm2_per_kib": 0.5, "area.source": "a test"})
    kib = base.buffers.ifmap_kib + base.buffers.filter_kib + base.buffers.ofmap_kib
    got = hardware_arrays([own]).area().at(0)
    assert got == Area(pe_mm2=pytest.approx(64 * 1000 / 1e6), buffer_mm2=pytest.approx(kib * 0.5), global_buffer_mm2=0.0)
