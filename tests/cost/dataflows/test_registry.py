"""The dataflow registry: what it refuses, its order, and a toy dataflow registered in a test that
simulate(), the accelerator schema, the CLI and the sweep pick up (adding a dataflow = one module
+ one register() call)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from hwsim.cli import build_parser
from hwsim.cost.dataflows import dataflow_names, get_dataflow, output_stationary, register, unregister
from hwsim.errors import ConfigError
from hwsim.explore.sweep.run import read_sweep, summary_columns, sweep
from hwsim.hardware import spec
from hwsim.simulate import simulate
from tests.cost.test_evaluate import accel, conv, graph, vector_graph

OS = output_stationary.DATAFLOW


def test_built_in_dataflows_in_tie_break_order():
    assert dataflow_names() == ("ws", "os", "is")
    assert [get_dataflow(d).title for d in dataflow_names()] == ["weight stationary", "output stationary", "input stationary"]


@pytest.mark.parametrize("name", ["ws", "best", "-", "host", "Toy", "to y", "2d", ""])
def test_register_refuses_taken_reserved_and_bad_names(name):
    with pytest.raises(ValueError, match="already registered|expected a lower-case identifier"):
        register(dataclasses.replace(OS, name=name))
    assert dataflow_names() == ("ws", "os", "is")  # nothing was added


def test_unknown_names():
    with pytest.raises(ValueError, match=r"unknown dataflow 'xs'; expected one of ws, os, is"):
        get_dataflow("xs")
    with pytest.raises(ValueError, match="not registered"):
        unregister("xs")


@pytest.fixture
def toy():
    """``toy``: output stationary under another name, registered for one test and removed after."""
    flow = register(dataclasses.replace(OS, name="toy", title="toy copy of output stationary"))
    yield flow
    unregister("toy")
    assert dataflow_names() == ("ws", "os", "is")


def test_the_schema_and_the_cli_accept_a_registered_dataflow(toy):
    assert dataflow_names() == ("ws", "os", "is", "toy")  # registered last: last in tie-break order
    assert spec.gemm_dataflows() == ("ws", "os", "is", "toy") and spec.dataflow_names()[-1] == "best"
    assert accel(dataflow="toy").candidate_dataflows == ("toy",)
    assert accel(dataflow="best").candidate_dataflows == ("ws", "os", "is", "toy")
    chosen = accel(dataflow="best").with_overrides({"dataflow_choices": ["toy", "ws"]})
    assert chosen.dataflow_choices == ("ws", "toy")  # canonical (registry) order
    args = build_parser().parse_args(["profile", "m", "--accel", "a", "--dataflow", "toy"])
    assert args.dataflow == "toy"


def test_an_unregistered_dataflow_is_refused_with_the_registered_names():
    with pytest.raises(ConfigError, match=r"dataflow = 'toy': expected one of ws, os, is, best"):
        accel(dataflow="toy")
    with pytest.raises(ConfigError, match=r"dataflow_choices\[1\] = 'toy': expected one of ws, os, is"):
        accel(dataflow="best").with_overrides({"dataflow_choices": ["ws", "toy"]})
    with pytest.raises(SystemExit):
        build_parser().parse_args(["profile", "m", "--accel", "a", "--dataflow", "toy"])


def test_simulate_maps_with_a_registered_dataflow(toy):
    # The toy dataflow declares what OS declares, so every number equals OS's; the chosen
    # dataflow is named toy. Hand check of the conv of test_hand_worked_os_and_is_conv_on_2x2:
    # OS on 2x2: Sr=M=4 -> 2 folds, Sc=N=2 -> 1, T=K=4: 2 x (4+2+2-2) - 1 = 11 compute cycles.
    g = vector_graph()
    got = simulate(g, accel(rows=4, cols=4, dataflow="toy", bw=4.0, lanes=4))
    want = simulate(g, accel(rows=4, cols=4, dataflow="os", bw=4.0, lanes=4))
    assert got.dataflow == tuple("toy" if d == "os" else d for d in want.dataflow)
    for name in ("cycles", "compute_cycles", "dram_bytes", "sram_read_bytes", "sram_write_bytes", "energy_pj", "folds"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    assert simulate(graph(conv()), accel(dataflow="toy", bw=1000.0)).compute_cycles[0] == 11
    # best between os and toy: equal cycles and energy, so the earlier registered (os) wins
    best = simulate(g, accel(rows=4, cols=4, dataflow="best", bw=4.0, lanes=4).with_overrides({"dataflow_choices": ["toy", "os"]}))
    assert set(best.dataflow) == {"os", "-"}


def test_the_sweep_counts_layers_per_registered_dataflow(toy, tmp_path):
    g = vector_graph()  # one conv (the only GEMM layer) and six vector-unit layers
    base = accel(rows=4, cols=4, dataflow="ws", bw=4.0, lanes=4)
    frame = sweep(g, base, {"dataflow": ["os", "toy"]}, output=tmp_path / "s.csv", per_layer=tmp_path / "l.csv")
    assert "layers_toy" in summary_columns() and list(frame.columns) == ["model", "config_id", "dataflow", *summary_columns()]
    os_row, toy_row = frame.iloc[0], frame.iloc[1]
    assert (os_row["layers_os"], os_row["layers_toy"], toy_row["layers_os"], toy_row["layers_toy"]) == (1, 0, 0, 1)
    assert os_row["cycles"] == toy_row["cycles"] == simulate(g, base.with_overrides({"dataflow": "os"})).total_cycles
    layers = read_sweep(tmp_path / "l.csv")
    conv_rows = layers[layers["layer"] == "c"]
    assert conv_rows["dataflow"].tolist() == ["os", "toy"]
    assert pd.api.types.is_bool_dtype(layers["memory_bound"]) and pd.api.types.is_integer_dtype(layers["cycles"])
