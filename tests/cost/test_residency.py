"""The residency plan (docs/MODEL.md §9) on hand-worked graphs: a chain, a residual add and a fire
module (concat), with lifetimes, demands, held sets and occupancy derived in each test."""

from dataclasses import replace

import numpy as np
import pytest

from hwsim.cost.arrays import SOURCE_DRAM, SOURCE_NONE
from hwsim.cost.residency import STAGE_FILTER, STAGE_IFMAP, STAGE_OFMAP, TENSOR, demands, last_reads, plan, views
from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.simulate import hardware_arrays, layer_arrays
from tests.cost.test_evaluate import accel

INF = np.inf


def conv(name, inputs, c, k, r=1, hw=4):
    """A stride-1 conv on an hw x hw map (padding keeps the size): c*hw*hw in, k*hw*hw out, k*c*r*r weights."""
    return Layer(name=name, op="conv", inputs=inputs, c=c, h=hw, w=hw, k=k, p=hw, q=hw, r=r, s=r, pad_h=r // 2, pad_w=r // 2,
                 params=k * c * r * r)  # fmt: skip


def chain():
    """input (16) -> a: 1->2 (32) -> b: 2->2 (32) -> c: 2->1 (16); weights 2, 4, 2."""
    layers = (conv("a", ("input",), 1, 2), conv("b", ("a",), 2, 2), conv("c", ("b",), 2, 1))
    return LayerGraph(name="chain", input_shape=(1, 1, 4, 4), layers=layers)


def residual():
    """input (16) -> a (32) -> b (32) -> add(a, b) (32) -> c (16): a is the skip connection."""
    add = Layer(name="add", op="add", inputs=("a", "b"), c=2, h=4, w=4, k=2, p=4, q=4, operand_elements=(32, 32))
    layers = (conv("a", ("input",), 1, 2), conv("b", ("a",), 2, 2), add, conv("c", ("add",), 2, 1))
    return LayerGraph(name="residual", input_shape=(1, 1, 4, 4), layers=layers)


def fire():
    """input (16) -> squeeze s 1->1 (16) -> expand e1 1x1 1->2 (32) and e3 3x3 1->2 (32) -> cat (64)
    -> c 4->1 (16): SqueezeNet's fire module; weights 1, 2, 18, 4."""
    cat = Layer(name="cat", op="concat", inputs=("e1", "e3"), c=4, h=4, w=4, k=4, p=4, q=4, operand_elements=(32, 32))
    layers = (conv("s", ("input",), 1, 1), conv("e1", ("s",), 1, 2), conv("e3", ("s",), 1, 2, r=3), cat, conv("c", ("cat",), 4, 1))
    return LayerGraph(name="fire", input_shape=(1, 1, 4, 4), layers=layers)


def gb(kib_bytes, **options):
    """A 2x2 test accelerator with a global buffer of ``kib_bytes`` bytes."""
    return accel(global_buffer={"kib": kib_bytes / 1024}, **options)


def test_producer_table():
    # add reads a and b, 32 elements each; a reads the network input (SOURCE_DRAM); slots padded.
    la = layer_arrays(residual())
    assert la.source_layers.tolist() == [[SOURCE_DRAM, SOURCE_NONE], [0, SOURCE_NONE], [0, 1], [2, SOURCE_NONE]]
    assert la.source_elements.tolist() == [[16, 0], [32, 0], [32, 32], [32, 0]]
    # no input named: read from DRAM; several inputs without operand_elements: split evenly
    odd = Layer(name="odd", op="add", inputs=("input", "input"), c=1, h=1, w=3, k=1, p=1, q=3)
    la = layer_arrays(LayerGraph(name="g", input_shape=(1, 1, 1, 3), layers=(replace(odd, name="none", inputs=()), odd)))
    assert la.source_layers.tolist() == [[SOURCE_DRAM, SOURCE_NONE], [SOURCE_DRAM, SOURCE_DRAM]]
    assert la.source_elements.tolist() == [[3, 0], [2, 1]]


def test_chain_demands_and_plan():
    # Tensors: a alive at steps 0-1, b at 1-2 (c's output is the network output: no item).
    # Footprints 32 x 2 each: a first (earlier layer). a: 32; b: 32 + a's 32 at step 1 = 64.
    # Staged operands after the tensors, by size (then layer, then ifmap/filter/ofmap), over the
    # tensors' 32 / 64 / 32 at steps 0 / 1 / 2:
    #   W_a 2 -> 34, W_c 2 -> 34, W_b 4 -> 68, I_a 16 -> 50, O_c 16 -> 50,
    #   O_a 32 -> 82 (step 0: 32 + 2 + 16), I_b 32 -> 100, O_b 32 -> 132, I_c 32 -> 82.
    la = layer_arrays(chain())
    view = views(la.kind, True, True)
    last = last_reads(la.source_layers, view)
    assert last.tolist() == [1, 2, 3]  # 3 = past the last step: the network output
    d = demands(la, view, last)
    assert d[TENSOR].tolist() == [32, 64, INF]
    assert d[STAGE_FILTER].tolist() == [34, 68, 34]
    assert d[STAGE_IFMAP].tolist() == [50, 100, 82]
    assert d[STAGE_OFMAP].tolist() == [82, 132, 50]
    # 32 bytes: only a is held; 64: both tensors, and the staged W_a, W_c, I_a, O_c (demand <= 64).
    res = plan(la, hardware_arrays([gb(32), gb(64), accel()]))
    assert res.ofmap_resident.tolist() == [[True, False, False], [True, True, False], [False] * 3]
    assert res.ifmap_share.tolist() == [[0, 1, 0], [0, 1, 1], [0, 0, 0]]
    assert res.filter_staged.tolist()[1] == [True, False, True] and res.ifmap_staged.tolist()[1] == [True, False, False]
    assert res.ofmap_staged.tolist()[1] == [False, False, True]
    # Occupancy at 64: step 0 a 32 + W_a 2 + I_a 16 = 50; step 1 a + b = 64; step 2 b 32 + W_c 2 + O_c 16 = 50.
    assert res.occupancy_bytes.tolist() == [[32, 32, 0], [50, 64, 50], [0, 0, 0]]
    # Two-byte words double every size: 64 bytes then hold what 32 held with one-byte words.
    assert plan(la, hardware_arrays([gb(64, word=2)])).ofmap_resident.tolist() == [[True, False, False]]


def test_residual_keeps_the_skip_tensor_alive():
    # a is read by b (step 1) and by the add (step 2): alive 0-2, footprint 96; b alive 1-2 (64),
    # the add's output 2-3 (64). Order b, add, a: b 32; add 32 + b's 32 at step 2 = 64; a 32 + 64 = 96.
    la = layer_arrays(residual())
    last = last_reads(la.source_layers, views(la.kind, True, True))
    assert last.tolist() == [2, 2, 3, 4]
    assert demands(la, views(la.kind, True, True), last)[TENSOR].tolist() == [96, 32, 64, INF]
    # 64 bytes: b and the add's output held, the skip tensor a goes to DRAM; the add reads half
    # its input (b) on chip. 96 bytes: all three.
    res = plan(la, hardware_arrays([gb(64), gb(96)]))
    assert res.ofmap_resident.tolist() == [[False, True, True, False], [True, True, True, False]]
    assert res.ifmap_share.tolist() == [[0, 0, 0.5, 1], [0, 1, 1, 1]]
    # At 64 the skip tensor is not held but its 32 bytes count in the add's demand: step 0 holds
    # only the staged W_a 2 (demand 34) and I_a 16 (demand 50), not a (room left unused).
    assert res.occupancy_bytes[0].tolist() == [18, 32, 64, 50]


def test_fire_module_branches_live_until_the_concat_is_read():
    # In place, the concat is a view: c reads e1 and e3 through it, so both live until step 4.
    # s alive 0-2 (read by e1 and e3; footprint 48), e3 2-4 (96), e1 1-4 (128): s 16; e3 32 + 16 = 48;
    # e1 32 + 48 = 80.
    la = layer_arrays(fire())
    view = views(la.kind, True, True)
    assert view.tolist() == [False, False, False, True, False]
    last = last_reads(la.source_layers, view)
    assert last.tolist() == [2, 4, 4, 4, 5]  # c reads the view at step 4; a view is never an item
    assert demands(la, view, last)[TENSOR].tolist() == [16, 80, 48, INF, INF]
    # 48 bytes: s and e3 held, e1 not: c reads half of the concat on chip.
    res = plan(la, hardware_arrays([gb(48), gb(80)]))
    assert res.ofmap_resident.tolist() == [[True, False, True, False, False], [True, True, True, False, False]]
    assert res.ifmap_share[:, 4].tolist() == [0.5, 1.0]
    # Copied (concat_in_place false), the concat makes a 64-element tensor alive 3-4 and e1, e3
    # live only until step 3: e3 2-3 (64), e1 1-3 (96), cat 3-4 (128): s 16, e3 48, e1 80,
    # cat 64 + (e1 + e3 at step 3) 64 = 128.
    copy_view = views(la.kind, False, True)
    copy_last = last_reads(la.source_layers, copy_view)
    assert copy_last.tolist() == [2, 3, 3, 4, 5]
    assert demands(la, copy_view, copy_last)[TENSOR].tolist() == [16, 80, 48, 128, INF]
    res = plan(la, hardware_arrays([gb(128, concat_in_place=False), gb(128)]))  # both view settings at once
    assert res.ofmap_resident.tolist() == [[True, True, True, True, False], [True, True, True, False, False]]


def test_no_capacity_holds_nothing_and_needs_no_producer_table():
    la = layer_arrays(chain())
    res = plan(replace(la, source_layers=None, source_elements=None), hardware_arrays([accel(), gb(0)]))
    assert not res.ofmap_resident.any() and not res.filter_staged.any() and not res.occupancy_bytes.any()
    with pytest.raises(ValueError, match="needs the layers' producers"):
        plan(replace(la, source_layers=None), hardware_arrays([gb(64)]))
