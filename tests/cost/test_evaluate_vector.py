"""evaluate() on vector-unit layers: hand-worked cases that a mutation sample of the cost model left
untested (LRN, element counts that are not a multiple of the lanes, what ``groups`` is for a
vector layer). Expected numbers come from docs/MODEL.md §4 and are derived in each test."""

import pytest

from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.simulate import simulate
from tests.cost.test_evaluate import accel, conv


def vector_net(*layers):
    return LayerGraph(name="v", input_shape=(1, 1, 1, 1), layers=tuple(layers))


def test_lrn_costs_input_elements_times_its_size():
    # LRN over 5 channels on 8x4x4: 128 input elements x size 5 = 640 element ops; 4 lanes -> 160 cycles.
    # DRAM: 128 B in + 128 B out at 16 B/cycle = 16 cycles < 160 -> 160 cycles, vector-bound.
    # A stand-alone activation of the same shape costs its 128 input elements: 32 cycles.
    lrn = Layer(name="lrn", op="lrn", c=8, h=4, w=4, k=8, p=4, q=4, r=5)
    act = Layer(name="relu", op="activation", c=8, h=4, w=4, k=8, p=4, q=4)
    r = simulate(vector_net(lrn, act), accel(rows=4, cols=4, bw=16.0, lanes=4))
    assert list(r.compute_cycles) == [160, 32] and list(r.cycles) == [160, 32]
    assert r.bound == ("vector", "vector")
    # Energy: 640 ops x 0.25 + 256 DRAM B x 100 + 2 x 256 SRAM B x 2.
    assert r.energy_vector_pj[0] == pytest.approx(640 * 0.25)
    assert r.energy_pj[0] == pytest.approx(160 + 25600 + 1024)


def test_vector_cycles_round_up_to_whole_lane_passes():
    # 4 lanes, 1000 B/cycle (DRAM time below one cycle): cycles = ceil(ops / 4).
    layers = (
        # add of two 15-element tensors: 30 ops -> ceil(7.5) = 8
        Layer(name="add", op="add", c=15, k=15, operand_elements=(15, 15)),
        # max pool 3x3, stride 1 on 1x5x5 -> 3x3 outputs: 9 x 9 = 81 ops -> ceil(20.25) = 21
        Layer(name="pool", op="pool", c=1, h=5, w=5, k=1, p=3, q=3, r=3, s=3, mode="max"),
        # global pool of 1x5x5: 25 input elements -> ceil(6.25) = 7
        Layer(name="gap", op="global_pool", c=1, h=5, w=5, k=1, r=5, s=5),
        # activation on 7 elements -> ceil(1.75) = 2
        Layer(name="act", op="activation", c=7, k=7),
    )
    r = simulate(vector_net(*layers), accel(rows=4, cols=4, bw=1000.0, lanes=4))
    assert list(r.compute_cycles) == [8, 21, 7, 2]
    assert list(r.cycles) == [8, 21, 7, 2] and list(r.stall_cycles) == [0, 0, 0, 0]
    assert list(r.roofline_cycles) == [8, 21, 7, 2]  # the vector side of the roofline, rounded up too


def test_vector_dram_time_rounds_up_and_overlaps_on_per_operand_ports():
    # add of two 15-element tensors, 2 B words: 60 B read + 30 B written; 8 vector cycles on 4 lanes.
    # Shared port at 4 B/cycle: 90 / 4 = 22.5 -> 23 cycles (15 stalls).
    # Per-operand ports: reads and writes overlap, max(60, 30) / 4 = 15 cycles (7 stalls).
    add = Layer(name="add", op="add", c=15, k=15, operand_elements=(15, 15))
    shared = simulate(vector_net(add), accel(rows=4, cols=4, bw=4.0, lanes=4, word=2))
    assert (shared.compute_cycles[0], shared.cycles[0], shared.stall_cycles[0]) == (8, 23, 15)
    assert (shared.dram_ifmap_bytes[0], shared.dram_ofmap_bytes[0]) == (60, 30)
    assert shared.bound[0] == "memory"
    ports = simulate(vector_net(add), accel(rows=4, cols=4, bw=4.0, lanes=4, word=2, ports="per_operand"))
    assert (ports.cycles[0], ports.stall_cycles[0]) == (15, 7)


def test_vector_layers_report_one_group_and_an_idle_array():
    # A grouped 1x1 conv (4 groups) feeding a channel shuffle of 4 groups: the conv keeps its
    # groups; the shuffle is a vector op, so its `groups` is 1 and its array columns are zero
    # (docs/MODEL.md §4), whatever the layer's own group count.
    grouped = conv(name="g", c=8, h=2, w=2, k=8, r=1, s=1, groups=4)
    shuffles = [Layer(name="shuffle", op="shuffle", inputs=("g",), c=8, h=2, w=2, k=8, p=2, q=2, groups=g) for g in (2, 4)]
    hw = accel(rows=4, cols=4, bw=16.0, lanes=4, shuffle_in_addressing=False)
    two, four = (simulate(LayerGraph(name="s", input_shape=(1, 8, 2, 2), layers=(grouped, s)), hw) for s in shuffles)
    assert list(four.groups) == [4, 1] and list(two.groups) == [4, 1]
    assert four.dataflow[1] == "-"
    assert (four.gemm_m[1], four.gemm_k[1], four.gemm_n[1], four.folds[1]) == (0, 0, 0, 0)
    assert (four.mapping_efficiency[1], four.utilization[1]) == (0.0, 0.0)
    # the copy costs its 32 input elements on 4 lanes = 8 cycles, whatever the group count
    assert two.cycles[1] == four.cycles[1] == 8


def test_softmax_and_norms_cost_five_ops_per_element_resize_and_pad_one_per_output():
    # docs/MODEL.md §4 on 4 lanes, 1000 B/cycle (DRAM time below a cycle), 1 B words:
    # softmax over 2x3x4 = 24 elements: 5 x 24 = 120 ops -> 30 cycles; layer norm the same;
    # GELU (a stand-alone activation): 24 ops -> 6 cycles; a transpose copies 24 -> 6 cycles;
    # nearest resize 1x2x2 -> 1x4x4: 16 outputs -> 4 cycles; pad 1x3x3 -> 1x5x5: 25 outputs -> 7 cycles.
    layers = (
        Layer(name="softmax", op="softmax", n=2, c=3, h=4, k=3, p=4),
        Layer(name="norm", op="norm", mode="layer", n=2, c=3, h=4, k=3, p=4),
        Layer(name="gelu", op="activation", mode="gelu", n=2, c=3, h=4, k=3, p=4),
        Layer(name="t", op="transpose", n=2, c=3, h=4, k=4, p=3),
        Layer(name="up", op="resize", c=1, h=2, w=2, k=1, p=4, q=4),
        Layer(name="pad", op="pad", c=1, h=3, w=3, k=1, p=5, q=5),
    )
    r = simulate(vector_net(*layers), accel(rows=4, cols=4, bw=1000.0, lanes=4))
    assert list(r.compute_cycles) == [30, 30, 6, 6, 4, 7]
    assert list(r.cycles) == [30, 30, 6, 6, 4, 7]
    assert r.energy_vector_pj[0] == pytest.approx(120 * 0.25)
    # the resize reads its 4 input bytes and writes 16; the pad reads 9 and writes 25
    assert (r.dram_ifmap_bytes[4], r.dram_ofmap_bytes[4]) == (4, 16)
    assert (r.dram_ifmap_bytes[5], r.dram_ofmap_bytes[5]) == (9, 25)
