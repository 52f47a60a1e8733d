"""evaluate() on PE-array layers: hand-worked cases that a mutation sample of the cost model left
untested (partial sums spilling to DRAM, group packing on a non-square array, a grouped layer at
low bandwidth). Every expected number is derived in a comment from docs/MODEL.md §2-§5; the
layers run through the public pipeline (``simulate``), so the tests survive internal renames."""

import pytest

from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.simulate import simulate
from tests.cost.test_evaluate import accel, conv, graph


# ----------------------------------------------------------------------------- WS partial sums
def spill_layer(k=4):
    # conv 2x4x4 -> k filters 3x3, pad 1: P = Q = 4; GEMM M = 16, K = 2*3*3 = 18, N = k.
    return conv(c=2, h=4, w=4, k=k, r=3, s=3, pad=1)


def ws_4x4(ofmap_kib, bw=8.0):
    # ifmap and filter buffers (64 KiB) hold everything; only the ofmap buffer is squeezed.
    return accel(rows=4, cols=4, dataflow="ws", bw=bw, kib=64.0).with_overrides({"buffers.ofmap_kib": ofmap_kib})


def test_ws_partial_sums_spill_to_dram_when_the_ofmap_tile_does_not_fit():
    # WS on 4x4: Sr = K = 18 -> 5 K-folds, Sc = N = 4 -> 1 column fold, T = M = 16.
    # per fold 2*4 + 4 + 16 - 2 = 26 -> compute 5*26 - 1 = 129 cycles; MACs 16*18*4 = 1152.
    # Bytes (1 B words): ifmap 2*4*4 = 32, filter 4*2*9 = 72, ofmap 4*4*4 = 64.
    # Ofmap buffer 64 B -> half = 32 B < one column fold's tile (64 B / 1) -> partial sums spill:
    #   ofmap writes 64 x 5 K-folds = 320 B, read-backs 64 x 4 = 256 B; DRAM 32 + 72 + 320 + 256 = 680 B.
    # Shared port at 8 B/cycle, 5 folds: reads D_r = 32 + 72 + 256 = 360, writes D_w = 320;
    #   fill 360/5/8 = 9, drain 320/5/8 = 8 -> 129 + 17 = 146 > memory 680/8 = 85 -> 146 cycles.
    r = simulate(graph(spill_layer()), ws_4x4(ofmap_kib=0.0625))
    assert r.compute_cycles[0] == 129 and r.folds[0] == 5
    assert (r.dram_ifmap_bytes[0], r.dram_filter_bytes[0]) == (32, 72)
    assert (r.dram_ofmap_bytes[0], r.dram_psum_read_bytes[0]) == (320, 256)
    assert r.dram_bytes[0] == 680 and r.compulsory_bytes[0] == 32 + 72 + 64
    assert r.cycles[0] == 146 and r.stall_cycles[0] == 17
    assert r.roofline_cycles[0] == 85 and r.bound[0] == "compute"  # max(1152/16 = 72, 85); 85 < 129
    # SRAM (words = bytes): the array reads ifmap M*K*ceil(N/C_a) = 288, filter K*N = 72 and
    # re-reads partial sums M*N*(5 - 1) = 256; the drain to DRAM reads the 320 B written out:
    #   reads 288 + 72 + 256 + 320 = 936.
    # The array writes M*N*5 = 320 partial sums; DRAM fills write D_r = 360 B: writes 320 + 360 = 680.
    assert (r.sram_read_bytes[0], r.sram_write_bytes[0]) == (936, 680)
    # Energy: 1152 MACs x 1 + 3*1152 RF x 0.5 + (936 + 680) SRAM B x 2 + 680 DRAM B x 100.
    assert r.energy_pj[0] == pytest.approx(1152 + 1728 + 1616 * 2 + 680 * 100)


def test_ws_partial_sums_stay_on_chip_when_the_tile_fits():
    # The same layer with a 64 KiB ofmap buffer: nothing spills, ofmap written once (64 B).
    # DRAM 32 + 72 + 64 = 168 = compulsory. Reads D_r = 104, writes 64:
    #   fill 104/5/8 = 2.6, drain 64/5/8 = 1.6 -> 129 + 4.2 = 133.2 -> 134 cycles.
    # SRAM: reads 288 + 72 + 256 (on-chip partial sums) + 64 (drain) = 680; writes 320 + 104 = 424.
    r = simulate(graph(spill_layer()), ws_4x4(ofmap_kib=64.0))
    assert (r.dram_ofmap_bytes[0], r.dram_psum_read_bytes[0]) == (64, 0)
    assert r.dram_bytes[0] == 168 == r.compulsory_bytes[0]
    assert r.cycles[0] == 134
    assert (r.sram_read_bytes[0], r.sram_write_bytes[0]) == (680, 424)


def test_ofmap_tile_is_one_column_fold_and_exactly_half_the_buffer_fits():
    # k = 8: N = 8 -> 2 column folds x 5 K-folds = 10 folds; compute 10*26 - 1 = 259.
    # ofmap 8*16 = 128 B, one column fold's tile 128/2 = 64 B = half of a 128 B buffer: it fits
    # (<=), so the whole ofmap (128 B, twice the half) never spills.
    # DRAM: ifmap 32 (fits, read once for both column folds), filter 8*18 = 144, ofmap 128 -> 304.
    # fill 176/10/8 = 2.2, drain 128/10/8 = 1.6 -> 262.8 -> 263 cycles.
    r = simulate(graph(spill_layer(k=8)), ws_4x4(ofmap_kib=0.125))
    assert r.compute_cycles[0] == 259 and r.folds[0] == 10
    assert (r.dram_ofmap_bytes[0], r.dram_psum_read_bytes[0]) == (128, 0)
    assert r.dram_bytes[0] == 304 and r.cycles[0] == 263
    # One byte less of ofmap buffer (half = 63.5 B < 64 B): every K-fold spills,
    # writes 128 x 5 = 640, read-backs 128 x 4 = 512.
    r = simulate(graph(spill_layer(k=8)), ws_4x4(ofmap_kib=127 / 1024))
    assert (r.dram_ofmap_bytes[0], r.dram_psum_read_bytes[0]) == (640, 512)


# ----------------------------------------------------------------------------- group packing
def packing_case(rows, cols, c, k, groups, pack):
    # 1x1 grouped conv on a 2x2 input (M = 4 per group), WS, plenty of bandwidth.
    layer = conv(c=c, h=2, w=2, k=k, r=1, s=1, groups=groups)
    return simulate(graph(layer), accel(rows=rows, cols=cols, dataflow="ws", bw=1e6, pack_groups=pack))


def test_group_packing_on_a_tall_array_is_bound_by_the_rows():
    # 5 groups of C/g = 2 -> K/g = 1: WS Sr = K = 2, Sc = N = 1, T = M = 4 on 4 rows x 8 columns.
    # One group: 1 fold of 2*4 + 8 + 4 - 2 = 18 -> 17 cycles. Packing p = min(5, 4 // 2, 8 // 1) = 2
    # (the rows bind; rows // Sc = 4 or cols // Sr = 4 would be wrong) -> ceil(5/2) = 3 passes:
    # compute 3 * 17 = 51, folds 3, mapping efficiency g*Sr*Sc / (passes*folds*R*C) = 5*2 / (3*32).
    packed = packing_case(rows=4, cols=8, c=10, k=5, groups=5, pack=True)
    assert packed.macs[0] == 5 * 4 * 2 * 1
    assert packed.compute_cycles[0] == 51 and packed.folds[0] == 3
    assert packed.mapping_efficiency[0] == pytest.approx(10 / 96)
    assert packed.groups[0] == 5
    # Without packing: 5 passes, 85 cycles, 5 folds, efficiency 2*1 / 32.
    alone = packing_case(rows=4, cols=8, c=10, k=5, groups=5, pack=False)
    assert alone.compute_cycles[0] == 85 and alone.folds[0] == 5
    assert alone.mapping_efficiency[0] == pytest.approx(2 / 32)


def test_group_packing_on_a_wide_array_is_bound_by_the_columns():
    # 5 groups of C/g = 2 -> K/g = 3: WS Sr = 2, Sc = 3, T = 4 on 16 rows x 8 columns.
    # One group: 1 fold of 2*16 + 8 + 4 - 2 = 42 -> 41 cycles. p = min(5, 16 // 2 = 8, 8 // 3 = 2) = 2
    # (the columns bind) -> 3 passes: compute 123, folds 3, efficiency 5*2*3 / (3*128) = 30/384.
    packed = packing_case(rows=16, cols=8, c=10, k=15, groups=5, pack=True)
    assert packed.compute_cycles[0] == 123 and packed.folds[0] == 3
    assert packed.mapping_efficiency[0] == pytest.approx(30 / 384)
    # The same layer on the transposed array (8 rows x 16 columns): p = min(5, 8 // 2, 16 // 3) = 4
    # -> 2 passes of 2*8 + 16 + 4 - 2 = 34 per fold: compute 2 * 33 = 66, efficiency 30 / (2*128).
    transposed = packing_case(rows=8, cols=16, c=10, k=15, groups=5, pack=True)
    assert transposed.compute_cycles[0] == 66 and transposed.folds[0] == 2
    assert transposed.mapping_efficiency[0] == pytest.approx(30 / 256)


# ----------------------------------------------------------------------------- grouped, low bandwidth
def test_grouped_layer_at_low_bandwidth_stalls_on_the_traffic_of_every_group():
    # conv 4x4x4 -> 4 filters 3x3, pad 1, 2 groups: per group M = 16, K = 2*9 = 18, N = 2.
    # WS on 4x4: 5 K-folds x 1 column fold, per fold 26 -> one group 129; two groups 258 cycles,
    # 10 folds in all. Bytes: ifmap 64 (32 per group), filter 4*2*9 = 72, ofmap 64; all fit.
    # DRAM 64 + 72 + 64 = 200 B: reads 136, writes 64.
    layer = conv(c=4, h=4, w=4, k=4, r=3, s=3, pad=1, groups=2)
    # 1 B/cycle: fill 136/10 = 13.6, drain 64/10 = 6.4 -> 258 + 20 = 278 > memory 200 -> 20 stalls.
    r = simulate(graph(layer), accel(rows=4, cols=4, dataflow="ws", bw=1.0))
    assert r.compute_cycles[0] == 258 and r.folds[0] == 10
    assert (r.dram_ifmap_bytes[0], r.dram_filter_bytes[0], r.dram_ofmap_bytes[0]) == (64, 72, 64)
    assert r.cycles[0] == 278 and r.stall_cycles[0] == 20
    assert r.bound[0] == "compute"
    # 0.5 B/cycle: fill + drain = 40 -> 298 < memory 200 / 0.5 = 400 -> 400 cycles, 142 stalls.
    r = simulate(graph(layer), accel(rows=4, cols=4, dataflow="ws", bw=0.5))
    assert r.cycles[0] == 400 and r.stall_cycles[0] == 142
    assert r.roofline_cycles[0] == 400 and r.bound[0] == "memory"


# ----------------------------------------------------------------------------- matmul of two activations
def test_a_matmul_streams_both_activations_one_group_per_head():
    # 2 heads of (4 x 3) @ (3 x 5): per group M = 4, K = 3, N = 5; MACs 2*4*3*5 = 120.
    # WS on 2x2: Sr = K = 3 -> 2 row folds, Sc = N = 5 -> 3 column folds, T = M = 4;
    # per fold 2*2 + 2 + 4 - 2 = 8; one GEMM 6*8 - 1 = 47; the two groups run one after another: 94.
    # Bytes (1 B words, buffers hold everything): A 2*12 = 24 as ifmap, B 2*15 = 30 as filter,
    # output 2*20 = 40; compulsory 24 + 30 + 40 = 94.
    # Shared port at 4 B/cycle over 2*6 = 12 folds: fill 54/12/4 = 1.125, drain 40/12/4 = 0.833
    # -> 94 + 1.958 = 95.96 > 94/4 = 23.5 -> 96 cycles.
    qk = Layer(name="qk", op="matmul", inputs=("input",), c=2 * 3, h=4, k=2 * 5, p=4, groups=2)
    r = simulate(LayerGraph(name="mm", input_shape=(1, 2, 4, 3), layers=(qk,)), accel(rows=2, cols=2, bw=4.0))
    assert (r.macs[0], r.compute_cycles[0], r.folds[0], r.cycles[0]) == (120, 94, 12, 96)
    assert (r.dram_ifmap_bytes[0], r.dram_filter_bytes[0], r.dram_ofmap_bytes[0]) == (24, 30, 40)
    assert r.compulsory_bytes[0] == 94 and r.params[0] == 0
