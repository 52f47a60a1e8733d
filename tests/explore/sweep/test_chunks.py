"""hwsim.explore.sweep.chunks: configurations grouped by dataflow value for evaluation."""

from __future__ import annotations

import numpy as np

from hwsim.explore.sweep.chunks import config_groups
from hwsim.explore.sweep.run import Grid
from hwsim.hardware.load import load_accelerator


def test_groups_hold_one_dataflow_value_each_in_chunk_order():
    grid = Grid.build(load_accelerator("ws_32x32"), {"array.rows": [8, 16, 32], "dataflow": ["os", "best", "ws"]})
    ordinals = np.array([8, 0, 1, 2, 3, 7, 5])  # any configurations, in any order
    groups = config_groups(grid, ordinals)
    flows = grid.value_columns(ordinals)["dataflow"]
    assert sorted(np.concatenate(groups).tolist()) == list(range(len(ordinals)))  # every position once
    assert [sorted(set(flows[g])) for g in groups] == [["os"], ["best"], ["ws"]]  # value order of the axis
    assert all((np.diff(g) > 0).all() for g in groups)  # chunk order within a group
    # ordinal = rows index * 3 + dataflow index: os at 0, 3 (positions 1, 4); best at 1, 7 (2, 5); ws at 8, 2, 5 (0, 3, 6)
    assert [g.tolist() for g in groups] == [[1, 4], [2, 5], [0, 3, 6]]


def test_one_group_when_dataflow_is_not_swept():
    grid = Grid.build(load_accelerator("best_32x32"), {"array.rows": [8, 16]})
    assert [g.tolist() for g in config_groups(grid, np.array([1, 0]))] == [[0, 1]]


def test_sibling_blocks_line_up_configurations_that_differ_only_in_dataflow():
    from hwsim.explore.sweep.chunks import sibling_blocks

    grid = Grid.build(load_accelerator("ws_32x32"), {"array.rows": [8, 16, 32], "dataflow": ["best", "ws", "os"],
                                                     "buffers.ifmap_kib": [16, 64]})  # fmt: skip
    ordinals = np.arange(grid.size)[::-1][:-1]  # every configuration but ordinal 0 (rows 8, best, 16 KiB), backwards
    blocks = sibling_blocks(grid, ordinals, block=2)
    values = grid.value_columns(ordinals)
    seen = np.concatenate([p for siblings in blocks for p in siblings])
    assert sorted(seen.tolist()) == list(range(len(ordinals)))  # every position once
    complete = [siblings for siblings in blocks if len(siblings) == 3]
    # 6 (rows, ifmap) bases, one of them lacks its best sibling: 5 complete ones, in blocks of at most 2
    assert [len(s[0]) for s in complete] == [2, 2, 1]
    for siblings in complete:
        # one array per value, narrow dataflows first and best last; the i-th entries share every other value
        assert [set(values["dataflow"][p]) for p in siblings] == [{"ws"}, {"os"}, {"best"}]
        for other in ("array.rows", "buffers.ifmap_kib"):
            assert all((values[other][p] == values[other][siblings[0]]).all() for p in siblings)
    rest = [siblings for siblings in blocks if len(siblings) == 1]  # the ws and os of the incomplete base
    assert sorted(values["dataflow"][p[0]] for [p] in rest) == ["os", "ws"]
    assert blocks[-len(rest):] == rest  # after the complete ones


def test_sibling_blocks_without_a_swept_dataflow_are_plain_blocks():
    from hwsim.explore.sweep.chunks import sibling_blocks

    grid = Grid.build(load_accelerator("best_32x32"), {"array.rows": [8, 16, 32]})
    assert [[p.tolist() for p in s] for s in sibling_blocks(grid, np.array([2, 0, 1]), block=2)] == [[[0, 1]], [[2]]]
