"""simulate(): hand-worked layers on 2x2/4x4 arrays and the invariants of docs/MODEL.md §7 on mixed graphs."""

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.hardware.load import accelerator_from_dict
from hwsim.cost.dataflows import dataflow_names
from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.cost.evaluate import METRICS, evaluate
from hwsim.simulate import hardware_arrays, layer_arrays, simulate

PRICES = {"mac": 1.0, "rf_access": 0.5, "sram_byte": 2.0, "dram_byte": 100.0, "vector_op": 0.25, "source": "test prices"}


def accel(rows=2, cols=2, dataflow="ws", bw=1.0, kib=64.0, ports="shared", lanes=None, word=1, leakage=0.0, global_buffer=None,
          **options):  # fmt: skip
    """A test accelerator; ``global_buffer``: the optional section (None: left out)."""
    return accelerator_from_dict(
        {
            "name": f"test_{dataflow}_{rows}x{cols}",
            "array": {"rows": rows, "cols": cols},
            "dataflow": dataflow,
            "clock_mhz": 100.0,
            "word_bytes": word,
            "buffers": {"ifmap_kib": kib, "filter_kib": kib, "ofmap_kib": kib},
            "dram": {"bandwidth_bytes_per_cycle": bw, "ports": ports},
            "vector": {"lanes": lanes},
            "options": options,
            "energy_pj": {**PRICES, "leakage_per_cycle": leakage},
            **({} if global_buffer is None else {"global_buffer": global_buffer}),
        },
        source="<test>",
    )


def conv(name="conv", n=1, c=1, h=3, w=3, k=2, r=2, s=2, stride=1, pad=0, groups=1):
    p = (h + 2 * pad - r) // stride + 1
    q = (w + 2 * pad - s) // stride + 1
    return Layer(name=name, op="conv", inputs=("input",), n=n, c=c, h=h, w=w, k=k, p=p, q=q, r=r, s=s,
                 stride_h=stride, stride_w=stride, pad_h=pad, pad_w=pad, groups=groups,
                 params=k * (c // groups) * r * s)


def graph(*layers):
    return LayerGraph(name="g", input_shape=(1, layers[0].c, layers[0].h, layers[0].w), layers=tuple(layers))


def test_hand_worked_ws_conv_on_2x2():
    # conv 1x3x3 -> 2 filters 2x2: P=Q=2; GEMM M=4, K=4, N=2, MACs = 32.
    # WS: Sr=K=4 -> 2 row folds, Sc=N=2 -> 1 col fold, T=M=4; per fold 2*2+2+4-2 = 8; compute 2*8-1 = 15.
    # DRAM (1 B words): ifmap 9 + filter 8 + ofmap 8 = 25 B, all fit -> compulsory only.
    # Shared port at 1 B/cycle: fill = 17 B / 2 folds = 8.5, drain = 8 / 2 = 4 -> 15 + 12.5 = 27.5;
    # memory = 25 cycles; total = ceil(max(27.5, 25)) = 28, stalls 13.
    result = simulate(graph(conv()), accel(dataflow="ws", bw=1.0))
    assert result.compute_cycles[0] == 15
    assert result.cycles[0] == 28 and result.stall_cycles[0] == 13
    assert result.dram_bytes[0] == 25 == result.compulsory_bytes[0]
    assert result.utilization[0] == pytest.approx(32 / (28 * 4))
    assert result.mapping_efficiency[0] == pytest.approx(4 * 2 / (2 * 4))
    assert result.roofline_cycles[0] == 25  # max(32 MACs / 4 PEs = 8, 25 B / 1 B per cycle)
    assert result.bound[0] == "memory"  # 25 memory cycles > 15 compute cycles
    # Energy: 32 MACs x 1 + 96 RF accesses x 0.5 + SRAM bytes x 2 + 25 DRAM B x 100.
    # SRAM (words): ifmap reads M*K*ceil(N/C) = 16, filter reads K*N = 8, ofmap writes M*N*ceil(K/R) = 16,
    # partial-sum re-reads 16 - 8 = 8, plus DRAM fills 17 and drains 8 -> reads 16+8+8+8 = 40, writes 16+17 = 33.
    assert (result.sram_read_bytes[0], result.sram_write_bytes[0]) == (40, 33)
    assert result.energy_pj[0] == pytest.approx(32 * 1 + 96 * 0.5 + 73 * 2 + 25 * 100)


@pytest.mark.parametrize("ports", ["shared", "per_operand"])
def test_hand_worked_unlimited_bandwidth(ports):
    # The layer of test_hand_worked_ws_conv_on_2x2 with dram.bandwidth_bytes_per_cycle: unlimited
    # (SCALE-Sim's CALC mode): fill, drain and the DRAM time are 0 B / inf = 0, so cycles = compute
    # = 15 on either port model and nothing stalls. The traffic is the same 25 B, so every energy
    # component is the same as at 1 B/cycle (leakage 0 here). The bandwidth the layer needs:
    # 25 B / 15 cycles = 5/3 B per cycle (at 1 B/cycle it uses 25 B over its 28 cycles on average).
    limited = simulate(graph(conv()), accel(dataflow="ws", bw=1.0, ports=ports))
    result = simulate(graph(conv()), accel(dataflow="ws", bw="unlimited", ports=ports))
    assert result.cycles[0] == result.compute_cycles[0] == 15 and result.stall_cycles[0] == 0
    assert result.roofline_cycles[0] == 8  # 32 MACs / 4 PEs; the DRAM side takes no time
    assert result.bound[0] == "compute"
    assert result.dram_bytes[0] == limited.dram_bytes[0] == 25
    assert result.dram_bytes_per_cycle[0] == pytest.approx(5 / 3) == result.dram_bytes_per_cycle_peak
    assert limited.cycles[0] == {"shared": 28, "per_operand": 24}[ports]  # per port: 15 + max(9, 8)/2 + 8/2 = 23.5
    assert limited.dram_bytes_per_cycle[0] == pytest.approx(25 / limited.cycles[0])
    assert result.energy_pj[0] == limited.energy_pj[0] == pytest.approx(32 * 1 + 96 * 0.5 + 73 * 2 + 25 * 100)
    assert result.utilization[0] == pytest.approx(32 / (15 * 4))


def test_unlimited_bandwidth_vector_ops_and_peak():
    # vector_graph()'s pool: 64 ops on 4 lanes = 16 cycles however many bytes it moves (64 in + 16
    # out = 80 B: 5 B per cycle needed); the network's peak is its largest dram_bytes / cycles
    # (free layers, 0 cycles, count 0).
    result = simulate(vector_graph(), accel(rows=4, cols=4, bw="unlimited"))
    assert (result.stall_cycles == 0).all() and "memory" not in result.bound
    i = result.names.index("pool")
    assert result.cycles[i] == 16
    assert result.dram_bytes[i] == 80 and result.dram_bytes_per_cycle[i] == 5
    busy = result.cycles > 0
    assert result.dram_bytes_per_cycle_peak == max(result.dram_bytes[busy] / result.cycles[busy])
    assert (result.dram_bytes_per_cycle[~busy] == 0).all()


def test_hand_worked_os_and_is_conv_on_2x2():
    # Same layer, lots of bandwidth. OS: Sr=M=4 -> 2, Sc=N=2 -> 1, T=K=4: per fold 4+2+2-2 = 6 -> 11.
    # IS: Sr=K=4 -> 2, Sc=M=4 -> 2, T=N=2: per fold 4+2+2-2 = 6 -> 4 folds -> 23.
    os_ = simulate(graph(conv()), accel(dataflow="os", bw=1000.0))
    is_ = simulate(graph(conv()), accel(dataflow="is", bw=1000.0))
    assert os_.compute_cycles[0] == 11 and is_.compute_cycles[0] == 23
    # Fill + drain of 25 B at 1000 B/cycle are a fraction of a cycle: one cycle once rounded up.
    assert os_.cycles[0] == 12 and is_.cycles[0] == 24
    best = simulate(graph(conv()), accel(dataflow="best", bw=1000.0))
    assert best.dataflow[0] == "os" and best.cycles[0] == 12


def test_depthwise_runs_groups_one_after_another():
    # Depthwise 3x3, C=K=4, 4x4 input, pad 1: per group M=16, K=9, N=1.
    # WS on 4x4: Sr=9 -> 3 row folds, Sc=1 -> 1, T=16: per fold 8+4+16-2 = 26; one group 3*26-1 = 77.
    # Four groups in sequence: 308 cycles; MACs 4*16*9 = 576; mapping efficiency 4*9*1/(12*16).
    layer = conv(c=4, h=4, w=4, k=4, r=3, s=3, pad=1, groups=4)
    result = simulate(graph(layer), accel(rows=4, cols=4, dataflow="ws", bw=1000.0))
    assert result.macs[0] == 576 and result.compute_cycles[0] == 308
    assert result.mapping_efficiency[0] == pytest.approx(36 / (12 * 16))
    # With diagonal packing, 4 rows // 9 = 0 groups fit: no packing possible on 4x4 -> unchanged.
    packed = simulate(graph(layer), accel(rows=4, cols=4, dataflow="ws", bw=1000.0, pack_groups=True))
    assert packed.compute_cycles[0] == 308
    # On 32x32 three 9x1 groups fit side by side (32 // 9 = 3): ceil(4/3) = 2 passes of 1 fold each,
    # per fold 64+32+16-2 = 110 -> 2 * (110 - 1) = 218 instead of 4 * 109 = 436.
    big = accel(rows=32, cols=32, dataflow="ws", bw=1000.0)
    assert simulate(graph(layer), big).compute_cycles[0] == 436
    assert simulate(graph(layer), accel(rows=32, cols=32, dataflow="ws", bw=1000.0, pack_groups=True)).compute_cycles[0] == 218


def vector_graph():
    # conv producing 1x4x4x4, then maxpool 2x2/2, a second branch, add, concat, shuffle, flatten.
    c = conv(name="c", c=4, h=4, w=4, k=4, r=1, s=1)
    pool = Layer(name="pool", op="pool", inputs=("c",), c=4, h=4, w=4, k=4, p=2, q=2, r=2, s=2, stride_h=2, stride_w=2, mode="max")
    pool2 = Layer(name="pool2", op="pool", inputs=("c",), c=4, h=4, w=4, k=4, p=2, q=2, r=2, s=2, stride_h=2, stride_w=2, mode="avg")
    add = Layer(name="add", op="add", inputs=("pool", "pool2"), c=4, h=2, w=2, k=4, p=2, q=2, operand_elements=(16, 16))
    cat = Layer(name="cat", op="concat", inputs=("pool", "add"), c=8, h=2, w=2, k=8, p=2, q=2, operand_elements=(16, 16))
    shuffle = Layer(name="shuffle", op="shuffle", inputs=("cat",), c=8, h=2, w=2, k=8, p=2, q=2, groups=2)
    flat = Layer(name="flat", op="reshape", inputs=("shuffle",), c=8, h=2, w=2, k=32, p=1, q=1)
    return graph(c, pool, pool2, add, cat, shuffle, flat)


def test_vector_ops_hand_worked():
    # 4 lanes, 16 B/cycle shared.
    # pool: 16 outputs x 4 window = 64 ops / 4 lanes = 16 cycles; DRAM 64 + 16 = 80 B / 16 = 5 -> 16.
    # add: 32 input elements / 4 = 8 cycles; DRAM 32 + 16 = 48 B -> 3 -> 8.
    # concat in place and shuffle in addressing and flatten: free.
    result = simulate(vector_graph(), accel(rows=4, cols=4, bw=16.0, lanes=4))
    cycles = dict(zip(result.names, result.cycles))
    assert (cycles["pool"], cycles["add"], cycles["cat"], cycles["shuffle"], cycles["flat"]) == (16, 8, 0, 0, 0)
    assert result.bound[result.names.index("cat")] == "free"
    assert result.utilization[result.names.index("pool")] == 0.0
    # Without the options, concat and shuffle copy their 32 input elements: 8 cycles each;
    # DRAM 32 + 32 = 64 B / 16 = 4 cycles < 8.
    copy = simulate(vector_graph(), accel(rows=4, cols=4, bw=16.0, lanes=4, concat_in_place=False, shuffle_in_addressing=False))
    cycles = dict(zip(copy.names, copy.cycles))
    assert (cycles["cat"], cycles["shuffle"]) == (8, 8)
    # Energy of the pool: 64 vector ops x 0.25 + DRAM 80 B x 100 + SRAM 2 x 80 B x 2.
    i = result.names.index("pool")
    assert result.energy_pj[i] == pytest.approx(64 * 0.25 + 80 * 100 + 160 * 2)


def test_totals():
    # vector_graph() on 4x4 at 16 B/cycle, 4 lanes, 100 MHz, layer by layer:
    # conv c (1x1, 4 -> 4 on 4x4): WS M = 16, K = 4, N = 4, one fold of 2*4 + 4 + 16 - 2 = 26 -> 25;
    #   DRAM 64 + 16 + 64 = 144 B: fill 80/16 = 5, drain 64/16 = 4 -> 34 cycles; 256 MACs.
    # pool 16, pool2 16, add 8 (test_vector_ops_hand_worked); concat, shuffle, flatten free.
    # Totals: 34 + 16 + 16 + 8 = 74 cycles -> 74 / 100 MHz = 0.74 us = 0.00074 ms;
    # utilization 256 / (74 x 16 PEs); DRAM 144 + 80 + 80 + 48 = 352 B.
    # Energy: conv 256 + 3*256*0.5 + (144 + 144) SRAM B x 2 + 144 x 100 = 15616 pJ;
    #   each pool 8336 pJ (test_vector_ops_hand_worked); add 32 x 0.25 + 48 x 100 + 96 x 2 = 5000 pJ.
    result = simulate(vector_graph(), accel(rows=4, cols=4, bw=16.0, lanes=4))
    assert list(result.cycles) == [34, 16, 16, 8, 0, 0, 0]
    assert result.total_cycles == 74 and result.total_macs == 256
    assert result.latency_ms == pytest.approx(0.00074)
    assert result.utilization_total == pytest.approx(256 / (74 * 16))
    assert result.total_dram_bytes == 352
    assert result.total_energy_pj == pytest.approx(15616 + 2 * 8336 + 5000)


def test_larger_array_can_be_slower():
    # A small layer on a bigger array pays more fill/drain: M=4, K=4, N=2 on WS.
    # 2x2: 15 cycles (see above); 8x8: 1 fold, 2*8+8+4-2 = 26 -> 25 cycles.
    assert simulate(graph(conv()), accel(rows=8, cols=8, bw=1000.0)).compute_cycles[0] == 25


# ----------------------------------------------------------------------------- invariants
@st.composite
def conv_layers(draw):
    groups = draw(st.sampled_from([1, 1, 2, 4]))
    c = groups * draw(st.integers(1, 8))
    k = groups * draw(st.integers(1, 8))
    r = draw(st.integers(1, 3))
    s = draw(st.integers(1, 3))
    h = draw(st.integers(r, 12))
    w = draw(st.integers(s, 12))
    stride = draw(st.integers(1, 2))
    return conv(n=draw(st.integers(1, 2)), c=c, h=h, w=w, k=k, r=r, s=s, stride=stride, groups=groups)


@st.composite
def linear_layers(draw):
    n, c, k = draw(st.integers(1, 8)), draw(st.integers(1, 64)), draw(st.integers(1, 64))
    return Layer(name="fc", op="linear", inputs=("input",), n=n, c=c, k=k, params=c * k)


@st.composite
def vector_layers(draw):
    """Every non-GEMM op kind, with sizes drawn so that element counts vary (docs/MODEL.md §4)."""
    op = draw(st.sampled_from(["pool", "global_pool", "add", "mul", "concat", "shuffle", "activation", "batchnorm", "lrn", "reshape"]))
    n, c, h, w = draw(st.integers(1, 2)), draw(st.integers(1, 8)), draw(st.integers(1, 9)), draw(st.integers(1, 9))
    size = dict(n=n, c=c, h=h, w=w, k=c, p=h, q=w)
    if op == "pool":
        r, s, stride = draw(st.integers(1, h)), draw(st.integers(1, w)), draw(st.integers(1, 2))
        size.update(r=r, s=s, p=(h - r) // stride + 1, q=(w - s) // stride + 1, stride_h=stride, stride_w=stride)
    elif op == "global_pool":
        size.update(p=1, q=1, r=h, s=w)
    elif op in ("add", "mul"):
        size.update(operand_elements=(n * c * h * w,) * draw(st.integers(2, 3)))
    elif op == "concat":
        other = draw(st.integers(1, 8))
        size.update(c=c + other, k=c + other, operand_elements=(n * c * h * w, n * other * h * w))
    elif op == "shuffle":
        groups = draw(st.sampled_from([2, 4]))
        size.update(c=groups * c, k=groups * c, groups=groups)
    elif op == "lrn":
        size.update(r=draw(st.integers(1, 5)))
    elif op == "reshape":
        size.update(k=c * h * w, p=1, q=1)
    return Layer(name=op, op=op, **size)


any_layer = st.one_of(conv_layers(), conv_layers(), linear_layers(), vector_layers(), vector_layers())
#: A mixed network of 1-5 layers (names made unique; each reads the graph input).
mixed_graphs = st.lists(any_layer, min_size=1, max_size=5).map(
    lambda layers: LayerGraph(name="mixed", input_shape=(1, 1, 1, 1),
                              layers=tuple(replace(layer, name=f"l{i}", inputs=()) for i, layer in enumerate(layers)))
)


@st.composite
def accels(draw, unlimited=True):
    """Random test accelerators; ``unlimited``: the DRAM bandwidth may be unlimited (SCALE-Sim's CALC mode)."""
    bandwidths = [0.5, 1.0, 4.0, 16.0, *(["unlimited"] if unlimited else [])]
    return accel(
        rows=draw(st.sampled_from([1, 2, 3, 4, 8, 16])),
        cols=draw(st.sampled_from([1, 2, 4, 5, 8, 16])),
        word=draw(st.sampled_from([1, 2, 4])),
        lanes=draw(st.sampled_from([None, 1, 3])),
        dataflow=draw(st.sampled_from(["ws", "os", "is", "best"])),
        bw=draw(st.sampled_from(bandwidths)),
        kib=draw(st.sampled_from([0.0625, 0.25, 1.0, 64.0])),
        ports=draw(st.sampled_from(["shared", "per_operand"])),
        pack_groups=draw(st.booleans()),
        concat_in_place=draw(st.booleans()),
        shuffle_in_addressing=draw(st.booleans()),
    )


@settings(max_examples=200, deadline=None)
@given(g=mixed_graphs, hw=accels())
def test_invariants(g, hw):
    result = simulate(g, hw)
    pes = hw.array.rows * hw.array.cols
    for i, layer in enumerate(g.layers):
        assert result.cycles[i] >= result.roofline_cycles[i] >= math.ceil(result.macs[i] / pes)
        assert result.cycles[i] == result.compute_cycles[i] + result.stall_cycles[i] and result.stall_cycles[i] >= 0
        assert result.dram_bytes[i] >= result.compulsory_bytes[i]
        if layer.is_gemm:
            assert 0 < result.utilization[i] <= 1
            assert 0 < result.mapping_efficiency[i] <= 1
            assert result.dataflow[i] in hw.candidate_dataflows
        else:  # the PE array is idle; a free op moves nothing and takes no time
            assert result.utilization[i] == 0 and result.dataflow[i] == "-" and result.groups[i] == 1
            assert (result.bound[i] == "free") == (result.cycles[i] == 0) == (result.dram_bytes[i] == 0)


@settings(max_examples=100, deadline=None)
@given(g=mixed_graphs, hw=accels())
def test_a_layer_costs_the_same_alone_and_in_a_network(g, hw):
    # evaluate() splits a graph into PE-array and vector layers and merges them back by index:
    # each row of the network must be the layer simulated on its own.
    together = simulate(g, hw)
    for i, layer in enumerate(g.layers):
        alone = simulate(LayerGraph(name="one", input_shape=g.input_shape, layers=(layer,)), hw)
        for key in ("cycles", "stall_cycles", "dram_bytes", "sram_read_bytes", "energy_pj", "mapping_efficiency", "folds"):
            assert getattr(together, key)[i] == getattr(alone, key)[0], (layer.name, key)
        assert together.dataflow[i] == alone.dataflow[0] and together.bound[i] == alone.bound[0]


@settings(max_examples=100, deadline=None)
@given(g=mixed_graphs, hw=accels(), factor=st.sampled_from([2.0, 4.0, 100.0]))
def test_more_bandwidth_or_buffer_never_slower(g, hw, factor):
    base = simulate(g, hw).cycles
    faster = hw.with_overrides({"dram.bandwidth_bytes_per_cycle": hw.dram.bandwidth_bytes_per_cycle * factor})
    assert (simulate(g, faster).cycles <= base).all()
    for buffer in ("ifmap", "filter", "ofmap"):  # each buffer on its own
        bigger = hw.with_overrides({f"buffers.{buffer}_kib": getattr(hw.buffers, f"{buffer}_kib") * factor})
        assert (simulate(g, bigger).cycles <= base).all()


@settings(max_examples=100, deadline=None)
@given(g=mixed_graphs, hw=accels())
def test_unlimited_bandwidth_never_stalls_and_changes_only_time(g, hw):
    limited = simulate(g, hw)
    unlimited = simulate(g, hw.with_overrides({"dram.bandwidth_bytes_per_cycle": "unlimited"}))
    assert (unlimited.stall_cycles == 0).all() and (unlimited.cycles == unlimited.compute_cycles).all()
    assert (unlimited.cycles <= limited.cycles).all() and "memory" not in unlimited.bound
    if hw.dataflow != "best":  # same mapping: the same traffic and energy (no leakage in these accelerators)
        for key in ("compute_cycles", "dram_bytes", "sram_read_bytes", "sram_write_bytes", "energy_pj"):
            np.testing.assert_array_equal(unlimited.metrics[key], limited.metrics[key], err_msg=key)


@settings(max_examples=100, deadline=None)
@given(g=mixed_graphs, hw=accels())
def test_best_never_slower_than_any_dataflow(g, hw):
    best = simulate(g, hw.with_overrides({"dataflow": "best"})).cycles
    for flow in dataflow_names():
        assert (best <= simulate(g, hw.with_overrides({"dataflow": flow})).cycles).all()


@settings(max_examples=50, deadline=None)
@given(g=mixed_graphs, hws=st.lists(accels(), min_size=1, max_size=4))
def test_vectorised_equals_loop_on_mixed_graphs(g, hws):
    out = evaluate(layer_arrays(g), hardware_arrays(hws))
    for i, hw in enumerate(hws):
        single = simulate(g, hw)
        for key in ("cycles", "compute_cycles", "stall_cycles", "dram_bytes", "sram_read_bytes", "sram_write_bytes",
                    "roofline_cycles", "utilization", "mapping_efficiency", "folds", "energy_pj"):
            np.testing.assert_allclose(out[key][i], getattr(single, key), rtol=1e-12, err_msg=key)


@settings(max_examples=60, deadline=None)
@given(g=mixed_graphs, hws=st.lists(accels(), min_size=2, max_size=5))
def test_a_configuration_costs_the_same_alone_and_among_others(g, hws):
    """Bit for bit: evaluate() takes shortcuts when no configuration of a call packs groups or has
    per-operand ports, and a sweep groups its configurations by dataflow; neither may change a number."""
    la = layer_arrays(g)
    together = evaluate(la, hardware_arrays(hws))
    for i, hw in enumerate(hws):
        alone = evaluate(la, hardware_arrays([hw]))
        for key in METRICS:
            assert together[key].dtype == alone[key].dtype, key
            np.testing.assert_array_equal(together[key][i], alone[key][0], err_msg=key)


def test_vectorised_equals_loop_of_simulations():
    g = vector_graph()
    hws = [accel(rows=r, cols=c, dataflow=d, bw=b, word=w, ports=p, kib=k)
           for r in (2, 4) for c in (4, 8) for d in ("ws", "is", "best") for b in (1.0, 8.0)
           for w, p, k in ((1, "shared", 64.0), (2, "per_operand", 0.0625))]
    out = evaluate(layer_arrays(g), hardware_arrays(hws))
    assert set(out) == set(METRICS)  # the documented list is what evaluate() returns
    assert out["cycles"].shape == (len(hws), len(g))
    for i, hw in enumerate(hws):
        single = simulate(g, hw)
        for key in ("cycles", "compute_cycles", "dram_bytes", "sram_read_bytes", "roofline_cycles", "utilization", "mapping_efficiency"):
            np.testing.assert_allclose(out[key][i], getattr(single, key), err_msg=key)
        np.testing.assert_allclose(out["energy_pj"][i], single.energy_pj)


def test_best_breaks_cycle_ties_by_energy():
    # conv 4x6x6 -> 8 filters 3x3 on 4x4 at 0.25 B/cycle: DRAM-bound, so all three dataflows take
    # the same cycles (the DRAM time); best must then take the one with the least energy.
    g = graph(conv(c=4, h=6, w=6, k=8, r=3, s=3))
    single = {d: simulate(g, accel(rows=4, cols=4, dataflow=d, bw=0.25)) for d in ("ws", "os", "is")}
    assert len({r.cycles[0] for r in single.values()}) == 1
    cheapest = min(single, key=lambda d: single[d].energy_pj[0])
    best = simulate(g, accel(rows=4, cols=4, dataflow="best", bw=0.25))
    assert best.dataflow[0] == cheapest and best.energy_pj[0] == single[cheapest].energy_pj[0]


def test_one_by_one_os_array_never_beats_macs_over_pes():
    # linear 3 rows, 5 -> 7 on a 1x1 OS array: SCALE-Sim's formula gives 21 folds x (5+1+1-2) - 1 = 104,
    # one below the 105 MACs a single PE needs; hwsim clamps to 105.
    fc = Layer(name="fc", op="linear", inputs=("input",), n=3, c=5, k=7, params=35)
    assert simulate(graph(fc), accel(rows=1, cols=1, dataflow="os", bw=1e6)).compute_cycles[0] == 105


def test_word_bytes_scale_traffic():
    # The 2x2 WS case of test_hand_worked_ws_conv_on_2x2 with 2-byte words: DRAM 50 B;
    # fill = 34/2 = 17, drain = 16/2 = 8 -> 15 + 25 = 40 < 50 B / 1 B per cycle -> 50 cycles.
    result = simulate(graph(conv()), accel(dataflow="ws", bw=1.0, word=2))
    assert result.dram_bytes[0] == 50 and result.cycles[0] == 50


def test_exact_float_sums_do_not_round_up_a_cycle():
    # conv 3x6x6 -> 1 filter 1x1, WS on 3 rows x 2 cols at 7 B/cycle: M=36, K=3, N=1,
    # one fold of 2*3+2+36-2 = 42 -> compute 41; DRAM 108 + 3 + 36 = 147 B, one fold:
    # 41 + 111/7 + 36/7 = 41 + 21 = 62 exactly (float division would give 62.000000000000004).
    result = simulate(graph(conv(c=3, h=6, w=6, k=1, r=1, s=1)), accel(rows=3, cols=2, bw=7.0))
    assert result.compute_cycles[0] == 41 and result.cycles[0] == 62


def test_vector_lanes_and_leakage():
    # The pool of vector_graph(): 64 ops on 2 lanes = 32 cycles (4 lanes: 16).
    result = simulate(vector_graph(), accel(rows=4, cols=4, bw=16.0, lanes=2, leakage=0.5))
    i = result.names.index("pool")
    assert result.cycles[i] == 32
    np.testing.assert_allclose(result.energy_leakage_pj, 0.5 * result.cycles)


@settings(max_examples=60, deadline=None)
@given(g=mixed_graphs, hws=st.lists(accels(), min_size=1, max_size=3), order=st.permutations(["ws", "os", "is", "best"]))
def test_siblings_sharing_their_mappings_get_the_same_numbers(g, hws, order):
    """Bit for bit: configurations that differ only in their dataflow, evaluated one after another
    with one ``shared`` dict (in any order), equal each evaluated on its own."""
    la = layer_arrays(g)
    shared: dict = {}
    for flow in order:
        siblings = [hw.with_overrides({"dataflow": flow, "dataflow_choices": None}) for hw in hws]
        reused = evaluate(la, hardware_arrays(siblings), shared)
        fresh = evaluate(la, hardware_arrays(siblings))
        for key in METRICS:
            np.testing.assert_array_equal(reused[key], fresh[key], err_msg=f"{flow} {key}")
    assert {f"gemm {d}" for d in dataflow_names()} <= set(shared) or not (la.kind == 0).any()
