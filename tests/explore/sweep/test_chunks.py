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
