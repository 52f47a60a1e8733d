"""The global buffer (docs/MODEL.md §9): default price and bandwidth, the DRAM / global-buffer split
of a layer's traffic, hand-worked networks (chain, residual add, fire module) through simulate(),
hypothesis invariants on random networks, and every zoo model with a buffer that holds it all."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.cost.evaluate import evaluate
from hwsim.cost.global_buffer import (
    default_bandwidth_bytes_per_cycle,
    energy_pj_per_byte,
    operands_label,
    plan_code,
    split_gemm,
    split_vector,
)
from hwsim.cost.memory import Traffic
from hwsim.cost.metrics import HELD
from hwsim.cost.residency import Residency
from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.simulate import hardware_arrays, layer_arrays, simulate
from tests.cost.test_evaluate import accel, accels
from tests.cost.test_residency import chain, fire, residual

#: The test accelerators' DRAM price (tests/cost/test_evaluate.py PRICES) and a global-buffer price.
DRAM_PJ, GBUF_PJ = 100.0, 3.0


def gb(capacity_bytes, bw=1.0, gbuf_bw=4.0, **kwargs):
    """The 2x2 WS test accelerator (64 KiB operand buffers, DRAM ``bw`` B/cycle) with a global buffer."""
    section = {"kib": capacity_bytes / 1024, "bandwidth_bytes_per_cycle": gbuf_bw, "energy_pj_per_byte": GBUF_PJ}
    return accel(bw=bw, global_buffer=section, **kwargs)


def t(ifmap, filt, ofmap, psum):
    return Traffic(*(np.array(float(v)) for v in (ifmap, filt, ofmap, psum)))


def plan(share=0.0, ifmap_staged=False, filter_staged=False, ofmap_resident=False, ofmap_staged=False):
    """A residency plan of one layer (occupancy does not enter the split)."""
    return Residency(*(np.array(v) for v in (share, ifmap_staged, filter_staged, ofmap_resident, ofmap_staged, 0.0)))


# ----------------------------------------------------------------------------- defaults


def test_default_price_follows_horowitz_sram_points():
    # Horowitz ISSCC 2014: 64-bit reads of 10 pJ (8 KB) and 20 pJ (32 KB): 1.25 and 2.5 pJ per byte;
    # 1 MB: 100 pJ / 8 = 12.5 pJ, the square-root law gives 1.25 x sqrt(128) = 14.1.
    assert energy_pj_per_byte(8 * 1024) == pytest.approx(1.25)
    assert energy_pj_per_byte(32 * 1024) == pytest.approx(2.5)
    assert energy_pj_per_byte(2**20) == pytest.approx(1.25 * math.sqrt(128)) == pytest.approx(14.14, abs=0.01)
    assert energy_pj_per_byte(0) == 0.0


def test_defaults_reach_simulate():
    # 2x2 array, 2-byte words: (2 + 2) x 2 = 8 B/cycle; 32 KiB: 2.5 pJ per byte.
    assert default_bandwidth_bytes_per_cycle(2, 2, 2) == 8.0
    hw = hardware_arrays([accel(word=2, global_buffer={"kib": 32})])
    assert hw.prices.gbuf_byte[0, 0] == pytest.approx(2.5) and np.isnan(hw.gbuf_bandwidth_bytes_per_cycle[0, 0])
    # The chain's b at 32 KiB with the defaults: its 64 B of input (2-byte words) from the global
    # buffer at 8 B/cycle. Traffic in bytes: DRAM filter 8, ofmap 64 (b's output is held too: 64
    # bytes at 2 B/word fits 32 KiB) -> gbuf reads 64, writes 64, energy 128 x 2.5 pJ.
    r = simulate(chain(), accel(word=2, global_buffer={"kib": 32}))
    assert (r.gbuf_read_bytes[1], r.gbuf_write_bytes[1], r.energy_gbuf_pj[1]) == (64, 64, 128 * 2.5)


# ----------------------------------------------------------------------------- the split


def test_split_of_a_staged_ifmap_and_filter():
    # ifmap I = 16 shown 24 times (re-streamed), half of it from held tensors (a = 0.5);
    # filter W = 4 shown 12 times; ofmap 64, no partial sums.
    # staged ifmap: DRAM (1 - a) I = 8; reads a IF + (1 - a)(IF - I) = 12 + 4 = 16; copy (1 - a) I = 8.
    # staged filter: DRAM 4; reads 8; copy 4.
    s = split_gemm(t(24, 12, 64, 0), 16, 4, 64, plan(0.5, True, True))
    assert (s.dram.ifmap_bytes, s.dram.filter_bytes, s.dram.ofmap_bytes) == (8, 4, 64)
    assert (s.gbuf.ifmap_bytes, s.gbuf.filter_bytes, s.gbuf.ofmap_bytes, s.gbuf_copy_bytes) == (16, 8, 0, 12)
    assert operands_label(int(s.plan)) == "ifmap(part)+ifmap(staged)+filter(staged)"
    # Nothing re-streamed: staging changes nothing, writes no copy and serves nothing.
    s = split_gemm(t(16, 4, 64, 0), 16, 4, 64, plan(0.0, True, True))
    assert (s.dram.total_bytes, s.gbuf.total_bytes, s.gbuf_copy_bytes, operands_label(int(s.plan))) == (84, 0, 0, "-")


def test_split_of_partial_sums():
    # O = 32 spilled as two K-folds of partial sums: OF = 64 written, PS = 32 read back.
    # staged: DRAM gets the final 32; the other 32 writes and the 32 reads stay on chip.
    s = split_gemm(t(10, 2, 64, 32), 10, 2, 32, plan(ofmap_staged=True))
    assert (s.dram.ofmap_bytes, s.dram.psum_read_bytes, s.gbuf.ofmap_bytes, s.gbuf.psum_read_bytes) == (32, 0, 32, 32)
    assert operands_label(int(s.plan)) == "ofmap(staged)"
    # held (resident wins over staged): nothing of the output reaches DRAM.
    s = split_gemm(t(10, 2, 64, 32), 10, 2, 32, plan(ofmap_resident=True, ofmap_staged=True))
    assert (s.dram.ofmap_bytes, s.dram.psum_read_bytes, s.gbuf_write_bytes, s.gbuf_read_bytes) == (0, 0, 64, 32)
    assert operands_label(int(s.plan)) == "ofmap"
    # neither: as without a global buffer.
    s = split_gemm(t(10, 2, 64, 32), 10, 2, 32, plan())
    assert (s.dram.total_bytes, s.gbuf.total_bytes) == (108, 0)


def test_split_of_a_vector_op_and_its_label():
    s = split_vector(64.0, 32.0, plan(0.25, ofmap_resident=True))  # a quarter of the input held, output held
    assert (s.dram.ifmap_bytes, s.gbuf.ifmap_bytes, s.dram.ofmap_bytes, s.gbuf.ofmap_bytes) == (48, 16, 0, 32)
    assert operands_label(int(s.plan)) == "ifmap(part)+ofmap"
    # a view moves nothing: nothing served, whatever is held behind it
    assert operands_label(int(split_vector(0.0, 0.0, plan(1.0, ofmap_resident=True)).plan)) == "-"
    assert operands_label(int(plan_code(1.0, True, True, False, True))) == "ifmap+ifmap(staged)+filter(staged)+ofmap(staged)"
    assert operands_label(0) == "-"


# ----------------------------------------------------------------------------- hand-worked networks


def test_chain_hand_worked():
    # chain(): a 1->2, b 2->2, c 2->1, all 1x1 on a 4x4 map: M = 16, one fold each on 2x2 WS,
    # per fold 2*2 + 2 + 16 - 2 = 20 -> 19 compute cycles. DRAM 1 B/cycle, global buffer 4 B/cycle.
    # Nothing is re-streamed (64 KiB operand buffers), so only held tensors matter.
    none = simulate(chain(), accel(bw=1.0))
    # a: DRAM reads 16 + 2, writes 32: 19 + 18 + 32 = 69. b: reads 32 + 4, writes 32: 19 + 36 + 32 = 87.
    # c: reads 32 + 2, writes 16: 19 + 34 + 16 = 69.
    assert none.cycles.tolist() == [69, 87, 69] and none.dram_bytes.tolist() == [50, 68, 50]
    # 32 bytes hold a (test_residency): a writes it on chip (drain 32 / 4 = 8): 19 + 18 + 8 = 45;
    # b reads it on chip (fill 4 + 32 / 4 = 12), writes 32 to DRAM: 19 + 12 + 32 = 63; c as before.
    r = simulate(chain(), gb(32))
    assert r.cycles.tolist() == [45, 63, 69]
    assert r.dram_bytes.tolist() == [18, 36, 50] and r.gbuf_write_bytes.tolist() == [32, 0, 0] and r.gbuf_read_bytes.tolist() == [0, 32, 0]
    assert r.gbuf_operands == ("ofmap", "ifmap", "-")
    # 64 bytes hold a and b: b fills 4 + 8 = 12, drains 32 / 4 = 8 -> 39; c fills 2 + 8 = 10, drains 16 -> 45.
    r = simulate(chain(), gb(64))
    assert r.cycles.tolist() == [45, 39, 45] and r.stall_cycles.tolist() == [26, 20, 26]
    # DRAM = weights 8 + input 16 + output 16 = 40, the least any buffer can give.
    assert r.dram_bytes.tolist() == [18, 4, 18] and r.total_dram_bytes == 40
    assert r.compulsory_bytes.tolist() == [18, 4, 18]  # the held tensors never have to reach DRAM
    assert r.gbuf_occupancy_bytes.tolist() == [50, 64, 50] and r.gbuf_peak_bytes == 64
    # Energy: global-buffer bytes 64 + 64 + 32 at 3 pJ; DRAM 40 at 100 pJ.
    assert r.energy_gbuf_pj.tolist() == [96, 192, 96] and r.totals.energy_dram_pj == 40 * DRAM_PJ
    # Which level binds: a: DRAM 18 / 1 against 32 / 4 = 8 on chip -> memory (DRAM); b: DRAM 4
    # against 64 / 4 = 16 -> global_buffer; c: DRAM 18 against 8 -> memory.
    assert r.bound == ("memory", "global_buffer", "memory")


def test_residual_hand_worked():
    # 64 bytes hold b and the add's output but not the skip tensor a (test_residency).
    # a: DRAM 16 + 2 + 32 = 50. b: DRAM reads a 32 + 4, output held -> 36. add: reads a from DRAM
    # (32) and b on chip (32), writes on chip (32) -> DRAM 32. c: reads on chip, DRAM 2 + 16 = 18.
    r = simulate(residual(), gb(64))
    assert r.dram_bytes.tolist() == [50, 36, 32, 18] and (r.gbuf_read_bytes + r.gbuf_write_bytes).tolist() == [0, 32, 64, 32]
    assert r.gbuf_operands == ("-", "ofmap", "ifmap(part)+ofmap", "ifmap")
    # The add: 64 input elements on 2 lanes = 32 vector cycles; memory 32 / 1 + 64 / 4 = 48 -> 48,
    # memory-bound on DRAM. At 96 bytes a is held too: memory 96 / 4 = 24 < 32 -> vector-bound.
    assert (r.cycles[2], r.bound[2]) == (48, "memory")
    r = simulate(residual(), gb(96))
    assert (r.cycles[2], r.bound[2]) == (32, "vector") and r.total_dram_bytes == 8 + 16 + 16
    # A slow global buffer (0.5 B/cycle) makes it the bottleneck: 96 / 0.5 = 192 cycles.
    slow = simulate(residual(), gb(96, gbuf_bw=0.5))
    assert (slow.cycles[2], slow.bound[2]) == (192, "global_buffer")


def test_fire_module_hand_worked():
    # 80 bytes hold s, e1 and e3 (test_residency); the concat is in place (free). DRAM:
    # s: input 16 + weights 1; e1: weights 2; e3: weights 18; cat 0; c: weights 4 + output 16.
    r = simulate(fire(), gb(80))
    assert r.dram_bytes.tolist() == [17, 2, 18, 0, 20]
    assert r.gbuf_operands == ("ofmap", "ifmap+ofmap", "ifmap+ofmap", "-", "ifmap")
    # 48 bytes: e1 goes to DRAM (32 written, then read by c through the concat).
    r = simulate(fire(), gb(48))
    assert r.dram_bytes.tolist() == [17, 34, 18, 0, 52] and r.gbuf_operands[4] == "ifmap(part)"


def test_staged_network_input_is_read_from_dram_once():
    # One layer: conv 1x1 1 -> 4 on 4x4, 2x2 WS, 16-byte operand buffers (8 bytes per half).
    # M = 16, K = 1, N = 4: 2 column folds, per fold 2*2 + 2 + 16 - 2 = 20 -> 39 cycles.
    # ifmap 16 B does not fit 8: restream(16, 8, 2) = 24; filter 4 fits; ofmap 64 written once.
    layer = Layer(name="l", op="conv", inputs=("input",), c=1, h=4, w=4, k=4, p=4, q=4, params=4)
    g = LayerGraph(name="one", input_shape=(1, 1, 4, 4), layers=(layer,))
    small = {"kib": 16 / 1024}
    none = simulate(g, accel(kib=small["kib"]))
    # DRAM 24 + 4 + 64 = 92: fill 28 / 2 = 14, drain 64 / 2 = 32 -> 85 < 92 -> 92 cycles.
    assert none.dram_bytes[0] == 92 and none.cycles[0] == 92
    # Staged items by size: W 4 (demand 4), I 16 (20), O 64 (84). 20 bytes stage the filter and
    # the ifmap: DRAM ifmap 16 once, the 8 re-streamed bytes from the copy (written once: 16).
    r = simulate(g, gb(20, kib=small["kib"]))
    assert (r.dram_ifmap_bytes[0], r.gbuf_read_bytes[0], r.gbuf_write_bytes[0]) == (16, 8, 16)
    # fill 20 / 2 + 8 / 2 / 4 = 11, drain 32 -> 82; memory 84 + 8 / 4 = 86 -> 86 cycles.
    assert r.cycles[0] == 86 and r.gbuf_operands == ("ifmap(staged)",)
    assert r.gbuf_occupancy_bytes[0] == 20  # the filter is staged too, but WS reads it once: no copy


# ----------------------------------------------------------------------------- invariants


@st.composite
def networks(draw):
    """Random networks on one h x h map: 1x1/3x3 convs, adds, concats, shuffles and pools reading
    earlier tensors (skips and branches), ending in a 1x1 conv (the only output nobody reads)."""
    size, c = draw(st.integers(2, 4)), draw(st.integers(1, 3))
    channels = {"input": c}
    layers = []
    for i in range(draw(st.integers(0, 7))):
        name, kind = f"l{i}", draw(st.sampled_from(["conv", "conv", "add", "concat", "shuffle", "pool"]))
        same = [n for n, ch in channels.items() if ch == c]
        src = draw(st.sampled_from(sorted(channels)))
        ch = channels[src]
        shape = dict(h=size, w=size, p=size, q=size)
        if kind in ("add", "concat"):
            a, b = draw(st.sampled_from(same)), draw(st.sampled_from(same))
            k = c if kind == "add" else 2 * c
            layer = Layer(name=name, op=kind, inputs=(a, b), c=k if kind == "concat" else c, k=k,
                          operand_elements=(c * size * size,) * 2, **shape)  # fmt: skip
        elif kind == "shuffle":
            layer = Layer(name=name, op="shuffle", inputs=(src,), c=ch, k=ch, groups=2 if ch % 2 == 0 else 1, **shape)
        elif kind == "pool":
            layer = Layer(name=name, op="pool", inputs=(src,), c=ch, k=ch, r=3, s=3, pad_h=1, pad_w=1, **shape)
        else:
            r = draw(st.sampled_from([1, 3]))
            layer = Layer(name=name, op="conv", inputs=(src,), c=ch, k=c, r=r, s=r, pad_h=r // 2, pad_w=r // 2, params=c * ch * r * r, **shape)
        layers.append(layer)
        channels[name] = layer.k
    last = layers[-1].name if layers else "input"
    out = Layer(name="out", op="conv", inputs=(last,), c=channels[last], k=c, params=c * channels[last], **dict(h=size, w=size, p=size, q=size))
    return LayerGraph(name="net", input_shape=(1, c, size, size), layers=(*layers, out))


#: Global-buffer capacities in bytes (0: none).
capacities = st.sampled_from([0, 16, 48, 100, 256, 1024, 4096, 2**20])


def with_gbuf(hw, capacity, gbuf_bw):
    return hw.with_overrides({"global_buffer.kib": capacity / 1024, "global_buffer.bandwidth_bytes_per_cycle": gbuf_bw,
                              "global_buffer.energy_pj_per_byte": GBUF_PJ})  # fmt: skip


@settings(max_examples=150, deadline=None)
# the global buffer's bandwidth is a multiple of a finite DRAM bandwidth here
@given(g=networks(), hw=accels(unlimited=False), small=capacities, large=capacities, factor=st.sampled_from([1.0, 2.0, 16.0]))
def test_a_larger_global_buffer_never_adds_dram_bytes_or_cycles(g, hw, small, large, factor):
    # With B_g >= B (factor >= 1): cycles never rise, per layer, for every dataflow including
    # best; DRAM bytes never rise for a fixed dataflow (best may trade bytes for cycles).
    small, large = min(small, large), max(small, large)
    gbw = hw.dram.bandwidth_bytes_per_cycle * factor
    a, b = simulate(g, with_gbuf(hw, small, gbw)), simulate(g, with_gbuf(hw, large, gbw))
    assert (b.cycles <= a.cycles).all()
    if hw.dataflow != "best":
        assert (b.dram_bytes <= a.dram_bytes).all()
    for r, capacity in ((a, small), (b, large)):
        assert r.gbuf_peak_bytes <= capacity  # never overfilled


@settings(max_examples=100, deadline=None)
@given(g=networks(), hw=accels(), gbw=st.sampled_from([0.5, 3.0, 100.0]))
def test_kib_zero_is_the_model_without_the_section(g, hw, gbw):
    plain, zero = simulate(g, hw), simulate(g, with_gbuf(hw, 0, gbw))
    for name in HELD:
        assert np.array_equal(np.asarray(plain.metrics[name]), np.asarray(zero.metrics[name])), name
    assert zero.levels == () and not zero.gbuf_read_bytes.any() and not zero.energy_gbuf_pj.any()


@settings(max_examples=150, deadline=None)
@given(g=networks(), hw=accels(unlimited=False), capacity=capacities, factor=st.sampled_from([0.5, 1.0, 8.0]))
def test_dram_floor_and_energy_account_for_every_byte(g, hw, capacity, factor):
    r = simulate(g, with_gbuf(hw, capacity, hw.dram.bandwidth_bytes_per_cycle * factor))
    word = hw.word_bytes
    # Weights are read once at least; the network input by each of its readers that is not a view
    # (an in-place concat, a shuffle folded into addressing: docs/MODEL.md §4); the output written.
    views = {"concat": hw.options.concat_in_place, "shuffle": hw.options.shuffle_in_addressing}
    weights = sum(layer.weight_elements for layer in g.layers)
    input_reads = sum(n for layer in g.layers if not views.get(layer.op, False)
                      for name, n in zip(layer.inputs, layer.operand_elements or (layer.input_elements,)) if name == "input")
    floor = (weights + input_reads + g.layers[-1].output_elements) * word
    assert r.total_dram_bytes >= floor
    # Energy = counts x prices, component by component (PRICES of tests/cost/test_evaluate.py).
    np.testing.assert_allclose(r.energy_gbuf_pj, (r.gbuf_read_bytes + r.gbuf_write_bytes) * GBUF_PJ)
    np.testing.assert_allclose(r.energy_dram_pj, r.dram_bytes * DRAM_PJ)
    np.testing.assert_allclose(r.energy_sram_pj, (r.sram_read_bytes + r.sram_write_bytes) * 2.0)
    parts = sum(getattr(r, f"energy_{c}_pj") for c in ("mac", "rf", "sram", "gbuf", "dram", "vector", "leakage"))
    np.testing.assert_allclose(r.energy_pj, parts)
    assert (r.cycles >= r.roofline_cycles).all() and (r.dram_bytes >= r.compulsory_bytes).all()


@settings(max_examples=50, deadline=None)
@given(g=networks(), hws=st.lists(st.tuples(accels(), capacities), min_size=1, max_size=4))
def test_vectorised_over_capacities_equals_a_loop(g, hws):
    accelerators = [with_gbuf(hw, capacity, 4.0) for hw, capacity in hws]
    out = evaluate(layer_arrays(g), hardware_arrays(accelerators))
    for i, hw in enumerate(accelerators):
        single = simulate(g, hw)
        for key in ("cycles", "dram_bytes", "gbuf_read_bytes", "gbuf_write_bytes", "gbuf_occupancy_bytes", "energy_pj"):
            np.testing.assert_array_equal(out[key][i], getattr(single, key), err_msg=key)


@pytest.mark.parametrize("name", __import__("hwsim.models", fromlist=["model_names"]).model_names())
def test_whole_network_on_chip_leaves_weights_input_and_output(name):
    # A buffer of twice every layer's input + weights + output holds every item (each demand is at
    # most the sum of all items' sizes), so DRAM traffic is the weights, the input and the output:
    # within 10 % (the bound), in fact exactly for every zoo model.
    from hwsim.hardware.load import load_accelerator
    from hwsim.sources import load_graph

    g = load_graph(name)
    total = sum(layer.input_elements + layer.weight_elements + layer.output_elements for layer in g.layers)
    a = load_accelerator("ws_32x32").with_overrides({"global_buffer.kib": float(math.ceil(2 * total / 1024))})
    floor = sum(layer.weight_elements for layer in g.layers) + math.prod(g.input_shape) + g.layers[-1].output_elements
    dram = simulate(g, a).total_dram_bytes
    assert floor <= dram <= 1.10 * floor
    assert dram == floor
