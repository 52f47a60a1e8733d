"""Hand-worked DRAM traffic and stall cases for hwsim.cost.memory (numbers derived in each test)."""

import pytest

from hwsim.cost.mapping import map_gemm
from hwsim.cost.memory import Traffic, gemm_timing, gemm_traffic, vector_timing


def traffic(flow, m, k, n, rows, cols, i, f, o, buf_i, buf_f, buf_o, groups=1):
    return gemm_traffic(flow, map_gemm(flow, m, k, n, rows, cols), i, f, o, groups, buf_i, buf_f, buf_o)


def test_operands_that_fit_are_read_once():
    # Everything fits half of a 1 KiB buffer: compulsory traffic only.
    t = traffic("os", 16, 9, 8, 4, 4, i=100, f=72, o=128, buf_i=1024, buf_f=1024, buf_o=1024)
    assert (t.ifmap_bytes, t.filter_bytes, t.ofmap_bytes, t.psum_read_bytes) == (100, 72, 128, 0)


def test_os_restreams_both_operands():
    # OS, M=16 on 4 rows -> 4 row folds, N=8 on 4 cols -> 2 col folds.
    # ifmap 100 B > 64 B (half of 128): 64 B stay resident, the other 36 B are re-read by the
    # second column fold -> 100 + 36 = 136 B.
    # filter 72 B > 32 B (half of 64): 40 B overflow re-read by 3 more row folds -> 72 + 3*40 = 192 B.
    t = traffic("os", 16, 9, 8, 4, 4, i=100, f=72, o=128, buf_i=128, buf_f=64, buf_o=16)
    assert (t.ifmap_bytes, t.filter_bytes, t.ofmap_bytes) == (136, 192, 128)
    # With no room at all (tiny buffers), every pass reads the whole operand: 2 x 100, 4 x 72.
    t = traffic("os", 16, 9, 8, 4, 4, i=100, f=72, o=128, buf_i=0, buf_f=0, buf_o=16)
    assert (t.ifmap_bytes, t.filter_bytes) == (200, 288)


def test_ws_partial_sums_spill_when_tile_does_not_fit():
    # WS, K=9 on 4 rows -> 3 K-folds; N=8 on 4 cols -> 2 col folds; ofmap 128 B -> 64 B per col fold.
    # Ofmap half = 32 B < 64 B: partial sums go out: writes 3 x 128, reads back 2 x 128.
    t = traffic("ws", 16, 9, 8, 4, 4, i=100, f=72, o=128, buf_i=1024, buf_f=1024, buf_o=64)
    assert (t.ofmap_bytes, t.psum_read_bytes) == (384, 256)
    assert t.filter_bytes == 72  # stationary
    # With a 128 B ofmap buffer (half 64 B = one column fold's tile) they stay on chip.
    t = traffic("ws", 16, 9, 8, 4, 4, i=100, f=72, o=128, buf_i=1024, buf_f=1024, buf_o=128)
    assert (t.ofmap_bytes, t.psum_read_bytes) == (128, 0)


def test_is_restreams_filter_per_column_fold():
    # IS: Sc = M = 16 on 4 cols -> 4 column folds; filter 72 B, 32 B resident -> 72 + 3 * 40 = 192.
    t = traffic("is", 16, 9, 8, 4, 4, i=100, f=72, o=128, buf_i=16, buf_f=64, buf_o=1024)
    assert (t.ifmap_bytes, t.filter_bytes) == (100, 192)


def test_groups_multiply_per_group_traffic():
    t = traffic("ws", 16, 9, 1, 4, 4, i=16, f=9, o=16, buf_i=1024, buf_f=1024, buf_o=1024, groups=8)
    assert (t.ifmap_bytes, t.filter_bytes, t.ofmap_bytes) == (128, 72, 128)


def make_traffic(i, f, o, p=0.0):
    return Traffic(ifmap_bytes=i, filter_bytes=f, ofmap_bytes=o, psum_read_bytes=p)


def test_shared_port_timing():
    t = make_traffic(300.0, 100.0, 80.0)
    # bw 4: fill = 400/4 folds/4 = 25, drain = 80/4/4 = 5 -> 100 + 30 = 130 > (480/4 = 120).
    assert gemm_timing(100, 4, t, 4.0, False).cycles == 130
    # bw 2: fill 50, drain 10 -> 160 < 480/2 = 240: memory bound.
    timing = gemm_timing(100, 4, t, 2.0, False)
    assert timing.cycles == 240 and timing.memory_cycles == 240


def test_per_operand_ports_timing():
    t = make_traffic(300.0, 100.0, 80.0)
    # bw 2: ifmap 150, filter 50, ofmap 40 cycles; fill = max(150, 50)/4 = 37.5 (ports in
    # parallel: not the 50 a shared port would need), drain = 80/4/2 = 10.
    # max(100 + 37.5 + 10, 150 + 10, 50 + 10, 40 + 37.5) = 160.
    timing = gemm_timing(100, 4, t, 2.0, True)
    assert timing.cycles == 160 and timing.memory_cycles == 150
    # A fast ifmap port makes the fill the max of the two, not their sum: ifmap 300 B at
    # bw 8 = 37.5, filter 100 B = 12.5 -> fill = 37.5/4 = 9.375, drain 80/4/8 = 2.5 -> 111.875 -> 112.
    assert gemm_timing(100, 4, t, 8.0, True).cycles == 112


def test_vector_timing():
    # 64 element ops on 8 lanes = 8 cycles; 96 B read + 32 B written at 4 B/cycle = 32 cycles.
    assert vector_timing(8, 96, 32, 4.0, False).cycles == 32
    assert vector_timing(8, 96, 32, 4.0, True).cycles == 24  # reads and writes on separate ports
    assert vector_timing(8, 96, 32, 64.0, False).cycles == 8  # vector-unit bound


@pytest.mark.parametrize("flow", ["os", "ws", "is"])
def test_bigger_buffers_never_more_traffic(flow):
    small = traffic(flow, 64, 27, 16, 4, 4, i=3000, f=432, o=1024, buf_i=64, buf_f=64, buf_o=64)
    big = traffic(flow, 64, 27, 16, 4, 4, i=3000, f=432, o=1024, buf_i=8192, buf_f=8192, buf_o=8192)
    assert big.total_bytes <= small.total_bytes
    assert big.total_bytes == 3000 + 432 + 1024


def test_partial_sums_share_the_ofmap_port():
    # Per-operand ports, bw 2: ifmap 50, filter 25 cycles; the ofmap port carries 400 B of
    # writes and 300 B of partial-sum read-backs = 350 cycles; fill = max(50, 25)/4 = 12.5,
    # drain = 400/4/2 = 50 -> max(100 + 62.5, 100, 75, 350 + 12.5) = 362.5 -> 363.
    t = make_traffic(100.0, 50.0, 400.0, 300.0)
    timing = gemm_timing(100, 4, t, 2.0, True)
    assert timing.cycles == 363 and timing.memory_cycles == 350


def test_two_levels_share_each_port():
    # DRAM 4 B/cycle, global buffer 16 B/cycle, 4 folds, 100 compute cycles.
    # DRAM: ifmap 100, filter 100, ofmap 80; global buffer: ifmap 200 read, ofmap 0.
    # Shared port: fill = 200/4/4 + 200/4/16 = 12.5 + 3.125, drain = 80/4/4 = 5 -> 120.625;
    # memory = 280/4 + 200/16 = 70 + 12.5 = 82.5 -> 121 cycles; the global buffer's part 12.5.
    dram, gbuf = make_traffic(100.0, 100.0, 80.0), make_traffic(200.0, 0.0, 0.0)
    timing = gemm_timing(100, 4, dram, 4.0, False, gbuf, 16.0)
    assert timing.cycles == 121 and timing.memory_cycles == 82.5 and timing.gbuf_cycles == 12.5
    # Per-operand ports: ifmap 100/4 + 200/16 = 37.5, filter 25, ofmap 20; fill = 37.5/4, drain 5
    # -> max(100 + 9.375 + 5, 37.5 + 5, 25 + 5, 20 + 9.375) = 114.375 -> 115; binding port: the
    # ifmap's, 12.5 of its 37.5 cycles on the global buffer.
    timing = gemm_timing(100, 4, dram, 4.0, True, gbuf, 16.0)
    assert timing.cycles == 115 and timing.memory_cycles == 37.5 and timing.gbuf_cycles == 12.5
    # Without global-buffer traffic the result is the one-level model's.
    no_gbuf = gemm_timing(100, 4, dram, 4.0, False, make_traffic(0.0, 0.0, 0.0), 16.0)
    assert no_gbuf.cycles == gemm_timing(100, 4, dram, 4.0, False).cycles and no_gbuf.gbuf_cycles == 0


def test_vector_timing_on_two_levels():
    # 8 vector cycles; DRAM reads 32, global buffer reads 64 and writes 32, at 4 and 16 B/cycle.
    # Shared: 32/4 + 96/16 = 8 + 6 = 14 cycles. Per port: reads 8 + 4 = 12, writes 2 -> 12, the
    # global buffer's part of the reads port 4.
    assert vector_timing(8, 32, 0, 4.0, False, 64, 32, 16.0).cycles == 14
    timing = vector_timing(8, 32, 0, 4.0, True, 64, 32, 16.0)
    assert timing.cycles == 12 and timing.gbuf_cycles == 4
