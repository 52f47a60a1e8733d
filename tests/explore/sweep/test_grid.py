"""hwsim.explore.sweep.grid with unlimited DRAM bandwidth (SCALE-Sim's CALC mode): ``--set`` takes
``unlimited``, the grid holds it as infinity, and a sweep over it equals a loop of simulate()."""

import math

import numpy as np
import pytest

from hwsim.errors import ConfigError
from hwsim.explore.sweep.grid import Grid, parse_set
from hwsim.explore.sweep.run import summary_columns, sweep
from hwsim.hardware.scalesim_config import load_scalesim_config
from hwsim.simulate import hardware_arrays, simulate
from tests.explore.sweep.test_run import base_accel, expected_row, toy_graph
from tests.paths import SCALESIM_DATA

PATH = "dram.bandwidth_bytes_per_cycle"


def test_set_takes_unlimited_for_the_dram_bandwidth_only():
    assert parse_set(f"{PATH}=2, unlimited") == (PATH, (2.0, "unlimited"))
    grid = Grid.build(base_accel(), {PATH: [2.0, "unlimited"]})
    assert grid.axes[0].values == (2.0, math.inf)  # what Accelerator.get gives
    assert grid.accelerator(1).to_dict()["dram"]["bandwidth_bytes_per_cycle"] == "unlimited"
    with pytest.raises(ConfigError, match=r"^sweep field clock_mhz: value 'unlimited': expected a finite number"):
        Grid.build(base_accel(), dict([parse_set("clock_mhz=unlimited")]))
    with pytest.raises(ConfigError, match=rf"sweep field {PATH}: value 'unlimited' given twice"):
        Grid.build(base_accel(), {PATH: ["unlimited", "unlimited"]})


def test_hardware_columns_of_unlimited_equal_from_accelerators():
    grid = Grid.build(base_accel(), {PATH: [2.0, "unlimited"], "array.rows": [2, 4]})
    ordinals = np.arange(grid.size)
    columns = grid.hardware(ordinals).bandwidth_bytes_per_cycle
    from_accels = hardware_arrays([grid.accelerator(int(i)) for i in ordinals]).bandwidth_bytes_per_cycle
    np.testing.assert_array_equal(columns, from_accels)
    assert columns.reshape(-1).tolist() == [2.0, 2.0, math.inf, math.inf]


@pytest.mark.parametrize("base", ["toy base", "scale.cfg (CALC)"])
def test_sweep_with_unlimited_bandwidth_equals_a_loop_of_simulate(base):
    accel = base_accel() if base == "toy base" else load_scalesim_config(SCALESIM_DATA / "scale.cfg")
    grid = {PATH: [1.0, "unlimited"], "array.rows": [2, 8], "dataflow": ["ws", "best"]}
    if base != "toy base":  # already unlimited: sweep around it, bandwidth left alone
        grid = {"array.rows": [2, 8], "dataflow": ["ws", "best"]}
    graph = toy_graph()
    frame = sweep(graph, accel, grid, chunk_size=3)
    assert list(frame.columns) == ["model", "config_id", *grid, *summary_columns()]
    built = Grid.build(accel, grid)
    for index, row in frame.iterrows():
        config = built.accelerator(index)
        for column, value in expected_row(graph, config).items():
            if isinstance(value, float):
                assert row[column] == pytest.approx(value, rel=1e-12, abs=1e-15), column
            else:
                assert row[column] == value, column
        if math.isinf(config.dram.bandwidth_bytes_per_cycle):
            assert row["stall_cycles"] == 0 and row["cycles"] == simulate(graph, config).total_cycles
            assert row["bound"] == "compute"
