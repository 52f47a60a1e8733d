"""hwsim.explore.sweep.run: --set parsing, grid building, the vectorised sweep against a loop of simulate(),
resume, and the process / Dask paths against the in-process one."""

import itertools
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import hwsim.explore.sweep.run as sweep_module
import hwsim.explore.sweep.grid as grid_module
import hwsim.explore.sweep.resume as resume_module
from hwsim.hardware.load import accelerator_from_dict, load_accelerator
from hwsim.errors import ConfigError
from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.cost.arrays import HardwareArrays
from hwsim.simulate import hardware_arrays, simulate
from hwsim.explore.sweep.run import Grid, ModelArrays, parse_set, parse_sets, read_sweep, summary_columns, sweep

PRICES = {"mac": 1.0, "rf_access": 0.5, "sram_byte": 2.0, "dram_byte": 100.0, "leakage_per_cycle": 0.125, "source": "test prices"}


def base_accel(dataflow="best", choices=("ws", "os")):
    return accelerator_from_dict(
        {
            "name": "base4",
            "array": {"rows": 4, "cols": 4},
            "dataflow": dataflow,
            "dataflow_choices": list(choices) if choices else None,
            "clock_mhz": 200.0,
            "buffers": {"ifmap_kib": 1.0, "filter_kib": 1.0, "ofmap_kib": 1.0},
            "dram": {"bandwidth_bytes_per_cycle": 2.0},
            "energy_pj": PRICES,
        },
        source="<test>",
    )


def conv(name, c, k, h, r=3, groups=1, stride=1):
    pad = r // 2
    p = (h + 2 * pad - r) // stride + 1
    return Layer(name=name, op="conv", inputs=("input",), c=c, h=h, w=h, k=k, p=p, q=p, r=r, s=r,
                 stride_h=stride, stride_w=stride, pad_h=pad, pad_w=pad, groups=groups, params=k * (c // groups) * r * r)  # fmt: skip


def toy_graph(name="toy"):
    """Convs (two identical, so layer de-duplication matters), a depthwise conv, vector ops, a linear."""
    layers = (
        conv("c1", 3, 8, 12),
        conv("c2", 8, 8, 12),
        conv("c3", 8, 8, 12),  # same shape as c2
        conv("dw", 8, 8, 12, groups=8),
        Layer(name="pool", op="pool", inputs=("dw",), c=8, h=12, w=12, k=8, p=6, q=6, r=2, s=2, stride_h=2, stride_w=2),
        Layer(name="add", op="add", inputs=("c2", "c3"), c=8, h=12, w=12, k=8, p=12, q=12, operand_elements=(1152, 1152)),
        Layer(name="cat", op="concat", inputs=("c2", "c3"), c=16, h=12, w=12, k=16, p=12, q=12),
        conv("pw", 8, 16, 6, r=1),
        Layer(name="flat", op="reshape", inputs=("pw",), c=16, h=6, w=6, k=576),
        Layer(name="fc", op="linear", inputs=("flat",), c=576, k=10, params=5760),
    )
    return LayerGraph(name=name, input_shape=(1, 3, 12, 12), layers=layers)


GRID = {
    "array.rows": [2, 4, 8],
    "array.cols": [4, 16],
    "dram.bandwidth_bytes_per_cycle": [1, 8],
    "dataflow": ["ws", "os", "is", "best"],
}


def expected_row(graph, accel):
    """One summary row computed from a single simulate() call (totals in closed form)."""
    r = simulate(graph, accel)
    cycles = r.total_cycles
    memory = sum(int(c) for c, b in zip(r.cycles, r.bound) if b in ("memory", "global_buffer"))
    most = int(np.argmax(r.cycles))
    row = {
        "accelerator": accel.name,
        "macs": r.total_macs,
        "cycles": cycles,
        "compute_cycles": int(r.compute_cycles.sum()),
        "stall_cycles": int(r.stall_cycles.sum()),
        "stall_share": int(r.stall_cycles.sum()) / cycles,
        "latency_ms": cycles / (accel.clock_mhz * 1e3),
        "energy_uj": r.total_energy_pj / 1e6,
        "utilization": r.total_macs / (cycles * accel.pes),
        "dram_bytes": r.total_dram_bytes,
        "sram_bytes": float((r.sram_read_bytes + r.sram_write_bytes).sum()),
        "roofline_cycles": float(r.roofline_cycles.sum()),
        "memory_bound_share": memory / cycles,
        "bound": "memory" if memory / cycles > 0.5 else "compute",
        "bottleneck_layer": r.names[most],
        "bottleneck_share": int(r.cycles[most]) / cycles,
        "area_pes": accel.array.rows * accel.array.cols,
        "area_buffer_kib": accel.buffers.ifmap_kib + accel.buffers.filter_kib + accel.buffers.ofmap_kib,
        "area_mm2": r.area_mm2,
    }
    for component in ("mac", "rf", "sram", "dram", "vector", "leakage"):
        row[f"energy_{component}_uj"] = float(getattr(r, f"energy_{component}_pj").sum()) / 1e6
    for d in ("ws", "os", "is"):
        row[f"layers_{d}"] = r.dataflow.count(d)
    return row


def expected_global_buffer_columns(graph, accel):
    """The global buffer's summary columns from a single simulate() call."""
    r = simulate(graph, accel)
    return {
        "energy_gbuf_uj": float(r.energy_gbuf_pj.sum()) / 1e6,
        "gbuf_bytes": float((r.gbuf_read_bytes + r.gbuf_write_bytes).sum()),
        "gbuf_peak_bytes": r.gbuf_peak_bytes,
    }


# ------------------------------------------------------------------------------------ --set parsing


def test_parse_set_types_values_by_field():
    assert parse_set("array.rows=8,16, 32") == ("array.rows", (8, 16, 32))
    assert parse_set("dram.bandwidth_bytes_per_cycle=4,8.5") == ("dram.bandwidth_bytes_per_cycle", (4.0, 8.5))
    assert parse_set("options.pack_groups=true,False") == ("options.pack_groups", (True, False))
    assert parse_set("dataflow=ws,os,is,best") == ("dataflow", ("ws", "os", "is", "best"))
    assert parse_set("vector.lanes=null,8") == ("vector.lanes", (None, 8))
    # range(): Python semantics, stop excluded; a float field gets floats
    assert parse_set("buffers.ifmap_kib=range(16,64,16)") == ("buffers.ifmap_kib", (16.0, 32.0, 48.0))
    assert parse_set("array.cols=range(4)") == ("array.cols", (0, 1, 2, 3))
    assert parse_sets(["array.rows=8", "dataflow=ws"]) == {"array.rows": (8,), "dataflow": ("ws",)}


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("array.rowz=8", ["array.rowz", "did you mean array.rows"]),
        ("array.rows=8,x", ["array.rows", "'x'", "integer"]),
        ("array.rows=8.5", ["array.rows", "'8.5'"]),
        ("options.pack_groups=yes", ["options.pack_groups", "true or false"]),
        ("array.rows=8,,16", ["array.rows", "empty value"]),
        ("array.rows=range(8,8)", ["array.rows", "empty"]),
        ("array.rows=range(1,x)", ["array.rows", "range(START,STOP"]),
        ("array.rows", ["FIELD=V1,V2"]),
        ("name=a,b", ["name", "cannot be swept"]),
        ("dataflow_choices=ws", ["dataflow_choices", "sweep dataflow instead"]),
    ],
)
def test_parse_set_errors_are_one_line_and_name_the_field(text, fragments):
    with pytest.raises(ConfigError) as info:
        parse_set(text)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_a_field_set_twice_is_an_error():
    with pytest.raises(ConfigError, match="array.rows: field given twice"):
        parse_sets(["array.rows=8", "array.rows=16"])


# ------------------------------------------------------------------------------------ the grid


@pytest.mark.parametrize(
    ("grid", "fragments"),
    [
        ({"array.rows": [8, -1]}, ["array.rows", "-1", "integer > 0"]),
        ({"dataflow": ["ws", "xs"]}, ["dataflow", "'xs'", "ws, os, is, best"]),
        ({"buffers.ifmap_kib": [0.0001]}, ["buffers.ifmap_kib", "whole number of bytes"]),
        ({"array.rows": [8, 8]}, ["array.rows", "given twice"]),
        ({"dram.bandwidth_bytes_per_cycle": [4, 4.0]}, ["dram.bandwidth_bytes_per_cycle", "given twice"]),
        ({"array.rows": []}, ["array.rows", "no values"]),
        ({"array.rows": 8}, ["array.rows", "list of values"]),
    ],
)
def test_bad_grid_values_name_field_and_value(grid, fragments):
    with pytest.raises(ConfigError) as info:
        Grid.build(base_accel(), grid)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_grid_validates_each_value_once_not_each_configuration(monkeypatch):
    calls = []
    original = type(base_accel()).with_overrides

    def counting(self, overrides):
        calls.append(dict(overrides))
        return original(self, overrides)

    monkeypatch.setattr(type(base_accel()), "with_overrides", counting)
    grid = Grid.build(base_accel(), {"array.rows": list(range(1, 21)), "array.cols": list(range(1, 21)), "dataflow": ["ws", "best"]})
    assert grid.size == 20 * 20 * 2
    assert len(calls) == 20 + 20 + 2 + 1  # one per value, plus the base's `best` choices
    calls.clear()
    grid.hardware(np.arange(grid.size))
    assert calls == []


def test_hardware_columns_equal_from_accelerators_field_by_field():
    grid = Grid.build(
        base_accel(),
        {
            "array.cols": [4, 8],
            "dataflow": ["os", "best"],
            "vector.lanes": [None, 3],
            "energy_pj.vector_op": [None, 0.5],
            "dram.ports": ["shared", "per_operand"],
            "options.pack_groups": [False, True],
            "buffers.filter_kib": [0.5, 2],
            "word_bytes": [1, 2],
            "clock_mhz": [100, 250.5],
            "area.pe_um2": [None, 300.0],
        },
    )
    ordinals = np.arange(grid.size)
    built = grid.hardware(ordinals)
    reference = hardware_arrays([grid.accelerator(int(i)) for i in ordinals])
    for name in HardwareArrays.__dataclass_fields__:
        if name in ("prices", "allowed_dataflows", "area_figures"):
            continue
        got, want = getattr(built, name), getattr(reference, name)
        assert got.shape == want.shape == (grid.size, 1), name
        assert got.dtype == want.dtype, name
        np.testing.assert_array_equal(got, want, err_msg=name)
    for name in built.prices.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(built.prices, name), getattr(reference.prices, name), err_msg=name)
    for name in built.area_figures.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(built.area_figures, name), getattr(reference.area_figures, name), err_msg=name)
    assert list(built.allowed_dataflows) == list(reference.allowed_dataflows) == ["ws", "os", "is"]
    for flow, mask in built.allowed_dataflows.items():
        assert mask.shape == (grid.size, 1) and mask.dtype == bool, flow
        np.testing.assert_array_equal(mask, reference.allowed(flow), err_msg=flow)
    # os allows os only; best on a base with dataflow_choices (ws, os) allows exactly those two
    best = grid.value_columns(ordinals)["dataflow"] == "best"
    assert built.allowed("ws")[best].all() and built.allowed("os")[best].all() and not built.allowed("is")[best].any()
    assert built.allowed("os")[~best].all() and not built.allowed("ws")[~best].any() and not built.allowed("is")[~best].any()


def test_best_on_a_single_dataflow_base_allows_all_three():
    grid = Grid.build(load_accelerator("ws_32x32"), {"dataflow": ["ws", "best"]})
    hw = grid.hardware(np.arange(2))
    assert hw.allowed("ws")[:, 0].tolist() == [True, True]
    assert hw.allowed("os")[:, 0].tolist() == [False, True] == hw.allowed("is")[:, 0].tolist()


def test_config_ids_identify_the_accelerator_not_the_grid():
    base = base_accel()
    a = Grid.build(base, {"array.rows": [2, 4, 8], "dataflow": ["ws", "best"]})
    b = Grid.build(base, {"dataflow": ["best", "ws"], "array.rows": [8, 4]})
    ids_a = dict(zip(map(str, (a.accelerator(i).model_dump() for i in range(a.size))), a.config_ids(np.arange(a.size))))
    ids_b = dict(zip(map(str, (b.accelerator(i).model_dump() for i in range(b.size))), b.config_ids(np.arange(b.size))))
    assert len(set(ids_a.values())) == a.size  # distinct configurations, distinct ids
    for key, value in ids_b.items():
        assert ids_a[key] == value  # same accelerator, same id, whatever the grid's order
    # an unswept base has the id of the configuration that sets the base's own value
    (only,) = Grid.build(base, {}).config_ids(np.arange(1))
    assert only == Grid.build(base, {"array.rows": [4]}).config_ids(np.arange(1))[0]
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in ids_a.values())


# ------------------------------------------------------------------------------------ the sweep


def test_layer_deduplication_keeps_every_layer():
    graph = toy_graph()
    model = ModelArrays.from_graph(graph)
    assert len(model.unique) == len(graph) - 1  # c2 and c3 are the same layer
    assert model.counts.sum() == len(graph)
    assert [model.unique.names[i] for i in model.inverse] == [
        layer.name if layer.name != "c3" else "c2" for layer in graph.layers
    ]


def test_vectorised_sweep_equals_a_loop_of_simulate(monkeypatch):
    # small blocks and chunks so that block and chunk boundaries fall inside the grid
    monkeypatch.setattr(sweep_module, "BLOCK_ELEMENTS", 20)
    graph = toy_graph()
    base = base_accel()
    frame = sweep(graph, base, GRID, chunk_size=7)
    grid = Grid.build(base, GRID)
    assert len(frame) == grid.size == 3 * 2 * 2 * 4
    assert list(frame.columns) == ["model", "config_id", *GRID, *summary_columns()]
    combos = list(itertools.product(*GRID.values()))
    for (index, row), combo in zip(frame.iterrows(), combos):
        accel = base.with_overrides(dict(zip(GRID, combo)))
        assert [row[p] for p in GRID] == list(accel.get(p) for p in GRID)
        assert row["model"] == "toy" and row["config_id"] == grid.config_ids(np.array([index]))[0]
        for column, value in expected_row(graph, accel).items():
            if isinstance(value, float):
                assert row[column] == pytest.approx(value, rel=1e-12, abs=1e-15), column
            else:
                assert row[column] == value, column


def test_per_layer_rows_equal_simulate(tmp_path):
    graph = toy_graph()
    base = base_accel()
    grid = {"array.rows": [2, 8], "dataflow": ["is", "best"]}
    frame = sweep(graph, base, grid, output=tmp_path / "s.csv", per_layer=tmp_path / "layers.parquet", chunk_size=3)
    layers = read_sweep(tmp_path / "layers.parquet")
    assert len(layers) == len(frame) * len(graph)
    for _, row in frame.iterrows():
        accel = base.with_overrides({p: row[p] for p in grid})
        r = simulate(graph, accel)
        mine = layers[layers["config_id"] == row["config_id"]].sort_values("layer_index")
        assert mine["layer"].tolist() == list(r.names)
        assert mine["dataflow"].tolist() == list(r.dataflow)
        np.testing.assert_array_equal(mine["cycles"], r.cycles)
        np.testing.assert_array_equal(mine["stall_cycles"], r.stall_cycles)
        np.testing.assert_allclose(mine["energy_pj"], r.energy_pj, rtol=1e-13)
        np.testing.assert_allclose(mine["dram_bytes"], r.dram_bytes, rtol=1e-13)
        assert mine["memory_bound"].tolist() == [b == "memory" for b in r.bound]


def test_empty_grid_is_the_base_and_models_keep_their_order():
    graphs = [toy_graph("b_net"), toy_graph("a_net")]
    frame = sweep(graphs, base_accel(), {})
    assert frame["model"].tolist() == ["b_net", "a_net"]
    assert frame["cycles"].tolist() == [simulate(graphs[0], base_accel()).total_cycles] * 2


def test_sweep_argument_errors():
    with pytest.raises(ConfigError, match="model 'toy' given twice"):
        sweep([toy_graph(), toy_graph()], base_accel(), {})
    with pytest.raises(ConfigError, match="--resume needs an output"):
        sweep(toy_graph(), base_accel(), {}, resume=True)
    with pytest.raises(ConfigError, match="unsupported sweep output"):
        sweep(toy_graph(), base_accel(), {}, output="x.txt")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_output_round_trips_and_resume_after_a_cut_recomputes_only_the_missing_rows(tmp_path, suffix, monkeypatch):
    graph = toy_graph()
    full = sweep(graph, base_accel(), GRID, output=tmp_path / f"full{suffix}", chunk_size=5)
    assert full.equals(sweep(graph, base_accel(), GRID, chunk_size=5))  # written, read back == in memory
    out = tmp_path / f"cut{suffix}"
    sweep(graph, base_accel(), GRID, output=out, chunk_size=5)
    if suffix == ".csv":
        text = out.read_bytes()
        lines = text.splitlines(keepends=True)
        out.write_bytes(b"".join(lines[:14]) + lines[14][:9])  # 13 rows and a row cut mid-way by a kill
        kept = 13
    else:
        parts = sorted(out.glob("part-*.parquet"))
        for part in parts[3:]:
            part.unlink()
        (out / ".part-deadbeef-0.parquet.tmp").write_bytes(b"PAR1 half written")
        kept = 15
    evaluated = []
    original = sweep_module.run_chunk
    monkeypatch.setattr(sweep_module, "run_chunk", lambda task: evaluated.append(len(task.ordinals)) or original(task))
    resumed = sweep(graph, base_accel(), GRID, output=out, chunk_size=5, resume=True)
    assert sum(evaluated) == len(full) - kept
    pd.testing.assert_frame_equal(resumed, full)
    pd.testing.assert_frame_equal(read_sweep(out).sort_values("config_id").reset_index(drop=True),
                                  full.sort_values("config_id").reset_index(drop=True))  # fmt: skip
    evaluated.clear()
    sweep(graph, base_accel(), GRID, output=out, chunk_size=5, resume=True)
    assert evaluated == []  # nothing left to do


def test_resume_refuses_an_output_of_a_different_sweep(tmp_path):
    out = tmp_path / "s.csv"
    sweep(toy_graph(), base_accel(), {"array.rows": [2, 4]}, output=out)
    with pytest.raises(ConfigError, match="different sweep"):
        sweep(toy_graph(), base_accel(), {"array.cols": [2, 4]}, output=out, resume=True)


def test_resume_extends_a_grid(tmp_path):
    out = tmp_path / "s.parquet"
    sweep(toy_graph(), base_accel(), {"array.rows": [2, 4]}, output=out)
    frame = sweep(toy_graph(), base_accel(), {"array.rows": [2, 4, 8]}, output=out, resume=True)
    pd.testing.assert_frame_equal(frame, sweep(toy_graph(), base_accel(), {"array.rows": [2, 4, 8]}))


def test_local_processes_equal_this_process():
    grid = {"array.rows": [2, 4], "dataflow": ["ws", "is", "best"]}
    local = sweep([toy_graph()], base_accel(), grid, chunk_size=2)
    pooled = sweep([toy_graph()], base_accel(), grid, chunk_size=2, workers=2)
    pd.testing.assert_frame_equal(pooled, local)


def test_dask_cluster_equals_this_process(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    grid = {"array.rows": [2, 4, 8], "dram.bandwidth_bytes_per_cycle": [1, 4], "dataflow": ["os", "best"]}
    local = sweep([toy_graph()], base_accel(), grid, chunk_size=4, output=tmp_path / "local.csv")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        remote = sweep([toy_graph()], base_accel(), grid, chunk_size=4, scheduler=cluster.scheduler_address,
                       output=tmp_path / "dask.csv")  # fmt: skip
    pd.testing.assert_frame_equal(remote, local)
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()


def test_unreachable_scheduler_is_a_config_error(monkeypatch):
    pytest.importorskip("dask.distributed")
    monkeypatch.setattr(sweep_module, "SCHEDULER_TIMEOUT_S", 1.0)
    with pytest.raises(ConfigError, match="--scheduler tcp://127.0.0.1:9: cannot connect"):
        sweep([toy_graph()], base_accel(), {}, scheduler="tcp://127.0.0.1:9")


def test_importing_sweep_does_not_import_torch():
    code = "import sys, hwsim.explore.sweep.run, hwsim.explore.pareto, hwsim.cli.sweep; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_latency_is_cycles_over_clock():
    frame = sweep(toy_graph(), base_accel(), {"clock_mhz": [100, 400]})
    assert frame["cycles"].nunique() == 1  # the clock changes time, not cycles
    assert frame["latency_ms"].tolist() == [frame["cycles"][0] / 100e3, frame["cycles"][0] / 400e3]
    assert math.isclose(frame["latency_ms"][0] / frame["latency_ms"][1], 4.0)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_resume_after_a_kill_between_the_per_layer_and_the_summary_write(tmp_path, suffix):
    """Per-layer rows are written first; rows of configurations missing from the summary are redone, not doubled."""
    graph, grid = toy_graph(), {"array.rows": [2, 4, 8], "dataflow": ["ws", "best"]}
    fresh = tmp_path / f"fresh{suffix}"
    sweep(graph, base_accel(), grid, output=tmp_path / f"fresh_s{suffix}", per_layer=fresh, chunk_size=2)
    out, layers = tmp_path / f"s{suffix}", tmp_path / f"layers{suffix}"
    sweep(graph, base_accel(), grid, output=out, per_layer=layers, chunk_size=2)
    if suffix == ".csv":
        lines = out.read_bytes().splitlines(keepends=True)
        out.write_bytes(b"".join(lines[:-2]))  # the last chunk's summary never made it
    else:
        sorted(out.glob("part-*.parquet"))[-1].unlink()
    sweep(graph, base_accel(), grid, output=out, per_layer=layers, chunk_size=2, resume=True)
    keys = ["model", "config_id", "layer_index"]
    pd.testing.assert_frame_equal(read_sweep(layers).sort_values(keys).reset_index(drop=True),
                                  read_sweep(fresh).sort_values(keys).reset_index(drop=True))  # fmt: skip


# ------------------------------------------------------------------------------------ grid size limit


def test_a_grid_over_the_limit_is_refused_before_anything_is_built(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the grid was built")

    monkeypatch.setattr(Grid, "build", never)
    grid = {"array.rows": range(1, 1000), "array.cols": range(1, 1000), "clock_mhz": range(1, 1000)}
    with pytest.raises(ConfigError) as info:
        sweep(toy_graph(), base_accel(), grid)
    rows = 999**3  # one row per configuration, one model
    message = str(info.value)
    assert f"{rows:,} rows" in message and f"{sweep_module.MAX_SWEEP_ROWS:,}" in message and "\n" not in message
    with pytest.raises(ConfigError, match="has 99,999,999,999 values: expected at most 10,000,000"):
        parse_set("clock_mhz=range(1,100000000000)")  # refused from its length: the values are never built


def test_the_limit_counts_configurations_times_models(monkeypatch):
    monkeypatch.setattr(grid_module, "MAX_SWEEP_ROWS", 12)
    grid = {"array.rows": [2, 4, 8], "dataflow": ["ws", "os"]}  # 6 configurations
    assert len(sweep([toy_graph("a"), toy_graph("b")], base_accel(), grid)) == 12  # 6 x 2 = the limit
    with pytest.raises(ConfigError, match=r"18 rows \(6 configurations: 3 x 2 values, x 3 model\(s\)\), over the limit of 12"):
        sweep([toy_graph("a"), toy_graph("b"), toy_graph("c")], base_accel(), grid)
    assert sweep_module.check_sweep_size([3, 2], 2) == 12


def test_lazy_planning_gives_full_chunks_across_id_blocks(monkeypatch, tmp_path):
    """Ids are computed in blocks of 5 configurations; chunks of 7 still come out full and in grid order."""
    graph = toy_graph()
    full = sweep(graph, base_accel(), GRID)  # 48 configurations, default chunking
    monkeypatch.setattr(resume_module, "ID_BLOCK", 5)
    sizes = []
    original = sweep_module.run_chunk
    monkeypatch.setattr(sweep_module, "run_chunk", lambda task: sizes.append(len(task.ordinals)) or original(task))
    pd.testing.assert_frame_equal(sweep(graph, base_accel(), GRID, chunk_size=7), full)
    assert sizes == [7] * 6 + [48 - 6 * 7]
    out = tmp_path / "s.csv"
    sweep(graph, base_accel(), GRID, output=out, chunk_size=7)
    lines = out.read_bytes().splitlines(keepends=True)
    del lines[3:20]  # drop 17 rows in the middle
    out.write_bytes(b"".join(lines))
    sizes.clear()
    resumed = sweep(graph, base_accel(), GRID, output=out, chunk_size=7, resume=True)
    assert sizes == [7, 7, 3]
    pd.testing.assert_frame_equal(resumed, full)
    assert (resumed.attrs["kept"], resumed.attrs["computed"]) == (48 - 17, 17)


# ------------------------------------------------------------------------------------ resume: another sweep's output


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_resume_refuses_rows_of_another_base_model_or_grid_and_leaves_the_output_alone(tmp_path, suffix):
    out = tmp_path / f"s{suffix}"
    grid = {"array.rows": [2, 4, 8]}
    sweep(toy_graph(), base_accel(), grid, output=out)

    def snapshot():
        return out.read_bytes() if out.is_file() else {p.name: p.read_bytes() for p in sorted(out.iterdir())}

    before = snapshot()
    other = base_accel().with_overrides({"name": "other"})
    same_name = base_accel().with_overrides({"clock_mhz": 300.0})  # same name, other fields
    smaller = LayerGraph(name="toy", input_shape=(1, 3, 12, 12), layers=toy_graph().layers[:-1])  # same name, fewer MACs
    cases = [
        (toy_graph(), other, grid, ["was computed on base accelerator base4, not other"]),
        (toy_graph("net"), base_accel(), grid, ["rows of model(s) toy, not in this sweep (net)"]),
        (toy_graph(), same_name, grid, ["3 configuration(s) that are not in this sweep"]),
        (toy_graph(), base_accel(), {"array.rows": [2, 4]}, ["1 configuration(s) that are not in this sweep"]),
        (smaller, base_accel(), grid, ["rows of toy with", "MACs"]),
    ]
    for graph, base, g, fragments in cases:
        with pytest.raises(ConfigError) as info:
            sweep(graph, base, g, output=out, resume=True)
        for fragment in [str(out), "drop --resume", *fragments]:
            assert fragment in str(info.value)
        assert snapshot() == before
    # a subset of a bigger sweep is fine: more values, another model
    frame = sweep([toy_graph(), toy_graph("net")], base_accel(), {"array.rows": [2, 4, 8, 16]}, output=out, resume=True)
    assert (frame.attrs["kept"], frame.attrs["computed"]) == (3, 5)
    pd.testing.assert_frame_equal(frame, sweep([toy_graph(), toy_graph("net")], base_accel(), {"array.rows": [2, 4, 8, 16]}))


def test_resume_of_a_torn_header_starts_afresh_but_a_foreign_file_is_refused(tmp_path):
    out = tmp_path / "s.csv"
    sweep(toy_graph(), base_accel(), {"array.rows": [2, 4]}, output=out)
    header = out.read_bytes().split(b"\n")[0]
    out.write_bytes(header[:20])  # a kill cut the very first write
    frame = sweep(toy_graph(), base_accel(), {"array.rows": [2, 4]}, output=out, resume=True)
    assert frame.attrs == {"kept": 0, "computed": 2, "rows": 2}
    pd.testing.assert_frame_equal(read_sweep(out), frame)
    out.write_bytes(b"some notes without a newline")
    with pytest.raises(ConfigError, match="not a sweep output"):
        sweep(toy_graph(), base_accel(), {"array.rows": [2, 4]}, output=out, resume=True)
    assert out.read_bytes() == b"some notes without a newline"
    out.write_bytes(b"a,b\n1,2\n")
    with pytest.raises(ConfigError, match="not a sweep output \\(no model and config_id columns\\)"):
        sweep(toy_graph(), base_accel(), {"array.rows": [2, 4]}, output=out, resume=True)


# ------------------------------------------------------------------------------------ unreadable outputs, host models


def test_unreadable_outputs_are_config_errors_naming_the_file(tmp_path):
    binary = tmp_path / "bin.csv"
    binary.write_bytes(bytes(range(128, 256)) * 4)
    for resume_it in (False, True):
        with pytest.raises(ConfigError, match=r"bin.csv: not a sweep output: not UTF-8 text"):
            if resume_it:
                sweep(toy_graph(), base_accel(), {}, output=binary, resume=True)
            else:
                read_sweep(binary)
    assert binary.read_bytes() == bytes(range(128, 256)) * 4
    out = tmp_path / "s.parquet"
    sweep(toy_graph(), base_accel(), {"array.rows": [2, 4]}, output=out, chunk_size=1)
    part = sorted(out.glob("part-*.parquet"))[1]
    part.write_bytes(b"PAR1 not really")
    with pytest.raises(ConfigError, match=f"{part.name}: not a readable Parquet file"):
        read_sweep(out)
    with pytest.raises(ConfigError, match=f"--resume: .*{part.name}: not a readable Parquet file"):
        sweep(toy_graph(), base_accel(), {"array.rows": [2, 4]}, output=out, resume=True, chunk_size=1)
    header_only = tmp_path / "h.csv"
    sweep(toy_graph(), base_accel(), {}, output=header_only)
    header_only.write_bytes(header_only.read_bytes().split(b"\n")[0] + b"\n")
    with pytest.raises(ConfigError, match="h.csv: holds no rows"):
        read_sweep(header_only)


def test_a_single_parquet_file_reads_back(tmp_path):
    frame = sweep(toy_graph(), base_accel(), {"array.rows": [2, 4]})
    single = tmp_path / "one.parquet"
    frame.to_parquet(single, index=False)
    pd.testing.assert_frame_equal(read_sweep(single), frame)


def test_a_host_model_file_is_not_a_base_accelerator(tmp_path):
    host = tmp_path / "host.yaml"
    host.write_text("kind: host\nname: my_cpu\n")
    with pytest.raises(ConfigError, match="host.yaml: is a host model .*a sweep needs an accelerator"):
        sweep(toy_graph(), str(host), {})


# ------------------------------------------------------------------------------------ the fastest rows only


@pytest.mark.parametrize("suffix", [None, ".csv", ".parquet"])
def test_fastest_rows_equal_nsmallest_of_the_whole_sweep(tmp_path, suffix):
    graphs = [toy_graph(), toy_graph("other")]
    full = sweep(graphs, base_accel(), GRID, chunk_size=5)
    output = None if suffix is None else tmp_path / f"s{suffix}"
    top = sweep(graphs, base_accel(), GRID, chunk_size=5, output=output, fastest=3)
    expected = pd.concat(
        [rows.nsmallest(3, "latency_ms", keep="first").sort_index() for _, rows in full.groupby("model", sort=False)]
    ).reset_index(drop=True)
    pd.testing.assert_frame_equal(top, expected)
    assert top.attrs["rows"] == len(full) == 2 * 3 * 2 * 2 * 4
    if output is not None:
        pd.testing.assert_frame_equal(read_sweep(output), full)  # every row is still written


def test_fastest_after_resume_counts_the_kept_rows(tmp_path):
    out = tmp_path / "s.csv"
    full = sweep(toy_graph(), base_accel(), GRID, output=out, chunk_size=5)
    lines = out.read_text().splitlines(keepends=True)
    out.write_text("".join(lines[:20]))  # a cut run: 19 rows kept
    top = sweep(toy_graph(), base_accel(), GRID, output=out, chunk_size=5, resume=True, fastest=2)
    assert top.attrs == {"kept": 19, "computed": len(full) - 19, "rows": len(full)}
    pd.testing.assert_frame_equal(top, full.nsmallest(2, "latency_ms", keep="first").sort_index().reset_index(drop=True))
    with pytest.raises(ConfigError, match="--top 0"):
        sweep(toy_graph(), base_accel(), GRID, fastest=0)


# ------------------------------------------------------------------------------------ global buffer


def test_global_buffer_columns_equal_from_accelerators():
    grid = Grid.build(base_accel(), {"global_buffer.kib": [0, 2], "global_buffer.bandwidth_bytes_per_cycle": [None, 3.0],
                                     "global_buffer.energy_pj_per_byte": [None, 1.5], "word_bytes": [1, 2]})  # fmt: skip
    ordinals = np.arange(grid.size)
    built, reference = grid.hardware(ordinals), hardware_arrays([grid.accelerator(int(i)) for i in ordinals])
    for name in ("gbuf_bytes", "gbuf_bandwidth_bytes_per_cycle"):
        np.testing.assert_array_equal(getattr(built, name), getattr(reference, name), err_msg=name)
    np.testing.assert_array_equal(built.prices.gbuf_byte, reference.prices.gbuf_byte)
    # 2 KiB at the default price: 1.25 x sqrt(2 / 8) = 0.625 pJ per byte; none: 0.
    assert sorted(set(built.prices.gbuf_byte[:, 0].tolist())) == [0.0, 0.625, 1.5]
    assert grid.has_global_buffer and not Grid.build(base_accel(), {"global_buffer.kib": [0]}).has_global_buffer


def test_a_global_buffer_of_zero_keeps_the_configuration_id():
    # Fields of the optional section at their "absent" values add nothing to the id, so accelerators
    # without a global buffer keep the ids they had before the section existed.
    base = base_accel()
    (plain,) = Grid.build(base, {}).config_ids(np.arange(1))
    zero, some = Grid.build(base, {"global_buffer.kib": [0, 1]}).config_ids(np.arange(2))
    assert plain == zero != some


def test_global_buffer_sweep_equals_a_loop_of_simulate(monkeypatch):
    # With a global buffer every layer is evaluated on its own (c2 and c3 hold different tensors).
    monkeypatch.setattr(sweep_module, "BLOCK_ELEMENTS", 20)
    graph = toy_graph()
    base = base_accel()
    grid = {"global_buffer.kib": [0, 0.5, 4], "dataflow": ["ws", "best"], "options.concat_in_place": [True, False]}
    frame = sweep(graph, base, grid, chunk_size=5)
    assert list(frame.columns) == ["model", "config_id", *grid, *summary_columns(global_buffer=True)]
    assert set(summary_columns(True)) - set(summary_columns()) == {"energy_gbuf_uj", "gbuf_bytes", "gbuf_peak_bytes"}
    assert frame["gbuf_bytes"].max() > 0 and (frame.loc[frame["global_buffer.kib"] == 0, "gbuf_bytes"] == 0).all()
    for (_, row), combo in zip(frame.iterrows(), itertools.product(*grid.values())):
        accel = base.with_overrides(dict(zip(grid, combo)))
        expected = {**expected_row(graph, accel), **expected_global_buffer_columns(graph, accel)}
        for column, value in expected.items():
            if isinstance(value, float):
                assert row[column] == pytest.approx(value, rel=1e-12, abs=1e-15), column
            else:
                assert row[column] == value, column
    model = ModelArrays.from_graph(graph, every_layer=True)
    assert len(model.unique) == len(graph) and model.unique.has_sources
