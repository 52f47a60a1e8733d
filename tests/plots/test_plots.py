"""plots: the notebook figures and their small tables, on a hand-checkable nine-layer graph."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from hwsim import plots
from hwsim.hardware.load import load_accelerator
from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.simulate import simulate


def tiny_graph() -> LayerGraph:
    """stem (3x3 conv + 2x2 pool), stage 1 (depthwise, pointwise, add), stage 2 (grouped 1x1), head."""
    layers = (
        Layer(name="stem.conv", op="conv", inputs=("input",), c=4, h=8, w=8, k=8, p=8, q=8, r=3, s=3, pad_h=1, pad_w=1),
        Layer(name="stem.pool", op="pool", inputs=("stem.conv",), c=8, h=8, w=8, k=8, p=4, q=4, r=2, s=2,
              stride_h=2, stride_w=2, mode="max"),
        Layer(name="stages.0.blocks.0.dw", op="conv", inputs=("stem.pool",), c=8, h=4, w=4, k=8, p=4, q=4, r=3, s=3,
              pad_h=1, pad_w=1, groups=8),
        Layer(name="stages.0.blocks.0.pw", op="conv", inputs=("stages.0.blocks.0.dw",), c=8, h=4, w=4, k=16, p=4, q=4),
        Layer(name="stages.0.blocks.0.add", op="add", inputs=("stages.0.blocks.0.pw", "stages.0.blocks.0.pw"), c=16, h=4,
              w=4, k=16, p=4, q=4, operand_elements=(256, 256)),
        Layer(name="stages.1.blocks.0.g", op="conv", inputs=("stages.0.blocks.0.add",), c=16, h=4, w=4, k=16, p=4, q=4,
              groups=2),
        Layer(name="pool", op="global_pool", inputs=("stages.1.blocks.0.g",), c=16, h=4, w=4, k=16, p=1, q=1, r=4, s=4),
        Layer(name="flatten", op="reshape", inputs=("pool",), c=16, k=16),
        Layer(name="fc", op="linear", inputs=("flatten",), c=16, k=10),
    )
    return LayerGraph(name="tiny", input_shape=(1, 4, 8, 8), layers=layers)


STAGES = ("stem", "stem", "stage 1", "stage 1", "stage 1", "stage 2", "head", "head", "head")
KINDS = ("conv", "vector", "depthwise", "pointwise", "vector", "grouped", "vector", "vector", "linear")


@pytest.fixture(scope="module")
def graph() -> LayerGraph:
    return tiny_graph()


@pytest.fixture(scope="module")
def accel():
    return load_accelerator("ws_32x32").with_overrides({"name": "ws_4x4", "array.rows": 4, "array.cols": 4, "vector.lanes": 4})


@pytest.fixture(scope="module")
def result(graph, accel):
    return simulate(graph, accel)


@pytest.fixture(autouse=True)
def no_saved_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(plots.FIGURES_ENV, raising=False)


# ------------------------------------------------------------------------------ tables


def test_stage_labels(result) -> None:
    assert plots.stage_labels(result) == STAGES


def test_stage_labels_shufflenet_style_and_unstaged() -> None:
    layers = (
        Layer(name="stem.conv", op="conv", c=3, k=4),
        Layer(name="stage2.0.conv", op="conv", c=4, k=4),
        Layer(name="stage2.0.cat", op="concat", c=8, k=8),
        Layer(name="cat", op="concat", c=8, k=8),  # no module path: joins the stage before it
        Layer(name="stage3.0.conv", op="conv", c=8, k=8),
        Layer(name="fc", op="linear", c=8, k=2),
    )
    shuffle = simulate(LayerGraph(name="s", input_shape=(1, 3, 1, 1), layers=layers), load_accelerator("ws_8x8"))
    assert plots.stage_labels(shuffle) == ("stem", "stage 2", "stage 2", "stage 2", "stage 3", "head")
    flat = simulate(LayerGraph(name="f", input_shape=(1, 3, 1, 1), layers=(layers[0], layers[-1])), load_accelerator("ws_8x8"))
    assert plots.stage_labels(flat) == ("network", "network")


def test_conv_kinds(graph) -> None:
    assert plots.conv_kinds(graph) == KINDS


def test_stage_table_sums_the_layers(graph, result) -> None:
    table = plots.stage_table(result)
    assert list(table.index) == ["stem", "stage 1", "stage 2", "head"]
    for stage in table.index:
        rows = [i for i, s in enumerate(STAGES) if s == stage]
        # MACs in closed form from the layer shapes: groups * (N*P*Q) * (C/g*R*S) * (K/g)
        macs = sum(l.groups * (l.n * l.p * l.q) * (l.c // l.groups * l.r * l.s) * (l.k // l.groups)
                   for l in (graph.layers[i] for i in rows) if l.op in ("conv", "linear"))
        assert table.loc[stage, "macs"] == macs
        assert table.loc[stage, "layers"] == len(rows)
        assert table.loc[stage, "cycles"] == sum(result.cycles[i] for i in rows)
        assert table.loc[stage, "utilization"] == pytest.approx(macs / (sum(result.cycles[i] for i in rows) * 16))
    assert table.loc["stem", "macs"] == 8 * 8 * (4 * 3 * 3) * 8  # the 3x3 conv; the pool has no MACs
    parts = table["array_cycles"] + table["vector_cycles"] + table["stall_cycles"]
    np.testing.assert_allclose(parts, table["cycles"])
    assert table["cycle_share"].sum() == pytest.approx(1.0)
    assert table["mac_share"].sum() == pytest.approx(1.0)
    # the stem's only PE-array layer is the conv, so its vector cycles are the pool's
    assert table.loc["stem", "vector_cycles"] == result.compute_cycles[1]
    assert table.loc["stem", "mapping_efficiency"] == pytest.approx(result.mapping_efficiency[0])
    assert ((table["utilization"] >= 0) & (table["utilization"] <= 1)).all()


def test_kind_table(graph, result) -> None:
    table = plots.kind_table(result, graph)
    assert set(table.index) == set(KINDS)
    dw = KINDS.index("depthwise")
    # a depthwise 3x3 group is a 9 x 1 GEMM: on a 4x4 array ceil(9/4) = 3 row folds of one column,
    # 9 of 3 * 16 PE slots hold work
    assert table.loc["depthwise", "mapping_efficiency"] == pytest.approx(9 / (3 * 16))
    assert table.loc["depthwise", "cycles"] == result.cycles[dw]
    assert table.loc["vector", "macs"] == 0
    assert table["cycles"].sum() == result.total_cycles


def test_kind_table_refuses_a_foreign_graph(result) -> None:
    other = LayerGraph(name="other", input_shape=(1, 3, 1, 1), layers=(Layer(name="x", op="conv", c=3, k=4),))
    with pytest.raises(ValueError, match="other"):
        plots.kind_table(result, other)


# ------------------------------------------------------------------------------ figures


def _texts(ax) -> tuple[str, str, str]:
    return ax.get_title(), ax.get_xlabel(), ax.get_ylabel()


def test_plot_layer_cycles(result, accel, graph) -> None:
    other = simulate(graph, accel.with_overrides({"name": "os_4x4", "dataflow": "os"}))
    fig = plots.plot_layer_cycles([result, other])
    assert isinstance(fig, Figure)
    main = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title().split(":")[0] for ax in main] == ["tiny on ws_4x4", "tiny on os_4x4"]
    for ax in main:
        assert ax.get_ylabel() == "cycles"
        # three stacks (PE array, vector unit, stall) of one bar per non-free layer
        assert [len(bars) for bars in ax.containers] == [int((result.cycles > 0).sum())] * 3
    assert "layer index" in main[-1].get_xlabel()
    twins = [ax for ax in fig.axes if not ax.get_title()]
    assert len(twins) == 2 and all(ax.get_ylabel() == "utilization (%)" for ax in twins)
    heights = [bar.get_height() for bars in main[0].containers for bar in bars]
    assert sum(heights) == pytest.approx(result.total_cycles)


def test_plot_stage_breakdown(result, graph) -> None:
    fig = plots.plot_stage_breakdown([result])
    titles = {ax.get_title(): ax for ax in fig.axes}
    cycles = titles["tiny\non ws_4x4"]
    assert cycles.get_ylabel() == "cycles"
    assert [t.get_text() for t in cycles.get_xticklabels()] == ["stem", "stage 1", "stage 2", "head"]
    util = next(ax for title, ax in titles.items() if title.startswith("Utilization"))
    assert (util.get_xlabel(), util.get_ylabel()) == ("stage", "utilization (%)")
    heights = [p.get_height() for p in util.patches]
    # a stage's utilization: its MACs (closed form from the layer shapes) / (its cycles x 16 PEs)
    expected = []
    for stage in ("stem", "stage 1", "stage 2", "head"):
        layers = [i for i, s in enumerate(STAGES) if s == stage]
        macs = sum(l.groups * (l.n * l.p * l.q) * (l.c // l.groups * l.r * l.s) * (l.k // l.groups)
                   for l in (graph.layers[i] for i in layers) if l.op in ("conv", "linear"))
        expected.append(100 * macs / (sum(int(result.cycles[i]) for i in layers) * 16))
    np.testing.assert_allclose(heights, expected)


def test_plot_kind_breakdown(result, graph) -> None:
    fig = plots.plot_kind_breakdown(result, graph)
    left, right = (ax for ax in fig.axes if ax.get_title())
    assert "cycles" in left.get_ylabel() and "layer" in left.get_xlabel()
    assert right.get_xlabel() == "share of the network (%)"
    assert [t.get_text() for t in right.get_yticklabels()] == ["conv", "pointwise", "depthwise", "grouped", "linear"]
    assert len(left.patches) == sum(k not in ("vector",) for k in KINDS)


def test_plot_dataflow_arrays() -> None:
    rows = []
    for model, scale in (("a", 1.0), ("b", 2.0)):
        for dataflow in ("ws", "os", "best"):
            for size in (4, 8, 16):
                rows.append({"model": model, "dataflow": dataflow, "array.rows": size,
                             "latency_ms": scale * 64 / size, "utilization": size / 32})
    frame = pd.DataFrame(rows)
    fig = plots.plot_dataflow_arrays(frame)
    assert fig.get_suptitle()
    assert len(fig.axes) == 4
    tops = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in tops] == ["a", "b"]
    for ax in tops:
        assert ax.get_ylabel() == "latency (ms)" and len(ax.get_lines()) == 3
    bottoms = [ax for ax in fig.axes if not ax.get_title()]
    for ax in bottoms:
        assert ax.get_ylabel() == "utilization (%)" and "array" in ax.get_xlabel()
        np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [12.5, 25.0, 50.0])
    with pytest.raises(ValueError, match="latency_ms"):
        plots.plot_dataflow_arrays(frame.drop(columns="latency_ms"))


def test_plot_roofline_puts_every_layer_under_the_roof(result, accel) -> None:
    fig = plots.plot_roofline([result], accel)
    (ax,) = fig.axes
    title, xlabel, ylabel = _texts(ax)
    assert "ws_4x4" in title
    assert xlabel == "arithmetic intensity (MACs per DRAM byte)"
    assert ylabel == "achieved MACs per cycle"
    roof = next(line for line in ax.get_lines() if line.get_label() == "roofline")
    x, y = roof.get_data()
    bandwidth = accel.dram.bandwidth_bytes_per_cycle
    np.testing.assert_allclose(y, np.minimum(16, bandwidth * x))
    (points,) = ax.collections
    xy = points.get_offsets()
    gemm = [i for i, op in enumerate(result.ops) if op in ("conv", "linear")]
    assert len(xy) == len(gemm)
    np.testing.assert_allclose(xy[:, 1], result.macs[gemm] / result.cycles[gemm])
    assert (xy[:, 1] <= np.minimum(16, bandwidth * xy[:, 0]) * (1 + 1e-9)).all()


def test_plot_roofline_refuses_other_accelerators(result) -> None:
    with pytest.raises(ValueError, match="ws_4x4"):
        plots.plot_roofline([result], load_accelerator("ws_8x8"))


def test_empty_inputs_are_refused() -> None:
    for plot in (plots.plot_layer_cycles, plots.plot_stage_breakdown):
        with pytest.raises(ValueError, match="at least one"):
            plot([])


# ------------------------------------------------------------------------------ saving


def test_save_figure_only_when_asked(result, tmp_path, monkeypatch) -> None:
    fig = plots.plot_stage_breakdown([result])
    assert plots.save_figure(fig, "x") is None
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv(plots.FIGURES_ENV, str(tmp_path / "figs"))
    path = plots.save_figure(fig, "01_demo")
    assert path == tmp_path / "figs" / "01_demo.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------------------ sweeps


def _sweep_like_frame() -> pd.DataFrame:
    """Two models x two bandwidths x three PE counts; latency = 64 / PEs + 1 / bandwidth (ms)."""
    rows = []
    for model in ("a", "b"):
        for bandwidth in (8, 16):
            for pes in (16, 64, 256):
                rows.append({"model": model, "dram.bandwidth_bytes_per_cycle": bandwidth, "area_pes": pes,
                             "latency_ms": 64 / pes + 1 / bandwidth, "energy_uj": 100.0})
    # a dominated point: more PEs and slower than (a, 8, 64)
    rows.append({"model": "a", "dram.bandwidth_bytes_per_cycle": 8, "area_pes": 128, "latency_ms": 5.0, "energy_uj": 1.0})
    return pd.DataFrame(rows)


def test_plot_pareto_fronts() -> None:
    frame = _sweep_like_frame()
    fig = plots.plot_pareto_fronts(frame, "area_pes", "latency_ms", hue="dram.bandwidth_bytes_per_cycle")
    assert fig.get_suptitle()
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    for ax in fig.axes:
        assert ax.get_xlabel() == "area proxy: PEs (rows x cols)" and ax.get_ylabel() == "latency (ms)"
        lines = ax.get_lines()
        assert len(lines) == 2  # one front per bandwidth
        for line, bandwidth in zip(lines, (8, 16)):
            # every (PEs, latency) point of the grid is on its front except the dominated one
            np.testing.assert_allclose(line.get_xdata(), [16, 64, 256])
            np.testing.assert_allclose(line.get_ydata(), [64 / p + 1 / bandwidth for p in (16, 64, 256)])
    legend = fig.axes[0].get_legend()
    assert legend.get_title().get_text() == "DRAM bandwidth (bytes/cycle)"
    assert [t.get_text() for t in legend.get_texts()] == ["8", "16"]
    with pytest.raises(ValueError, match="nope"):
        plots.plot_pareto_fronts(frame, "area_pes", "nope")
    assert plots.column_label("unknown_column") == "unknown_column"


# ------------------------------------------------------------------------------ search


def _block_graph() -> LayerGraph:
    """Two stages: stage 1 has two identical blocks (conv + add), stage 2 one, plus an entry conv."""
    def conv(name: str, c: int, k: int, hw: int) -> Layer:
        return Layer(name=name, op="conv", c=c, h=hw, w=hw, k=k, p=hw, q=hw)

    layers = (
        conv("stem.conv", 3, 8, 8),
        conv("stages.0.blocks.0.a.conv", 8, 8, 8),
        Layer(name="stages.0.blocks.0.add", op="add", c=8, h=8, w=8, k=8, p=8, q=8),
        conv("stages.0.blocks.1.a.conv", 8, 8, 8),
        Layer(name="stages.0.blocks.1.add", op="add", c=8, h=8, w=8, k=8, p=8, q=8),
        conv("stages.1.entry.conv", 8, 16, 4),
        conv("stages.1.blocks.0.a.conv", 16, 16, 4),
        Layer(name="add_2", op="add", c=16, h=4, w=4, k=16, p=4, q=4),  # no module path: joins the block before it
    )
    return LayerGraph(name="blocks", input_shape=(1, 3, 8, 8), layers=layers)


def test_block_table_and_plot(accel) -> None:
    result = simulate(_block_graph(), accel)
    table = plots.block_table(result)
    assert list(table.index) == [(1, 0), (1, 1), (2, 0)]
    assert table["layers"].tolist() == [2, 2, 2]  # each block: its conv and its add
    assert table.loc[(1, 0), "cycles"] == result.cycles[1] + result.cycles[2]  # conv + its add
    assert table.loc[(2, 0), "macs"] == 16 * 16 * 16  # 4x4 pixels, 1x1 conv 16 -> 16
    assert table.loc[(1, 1), "latency_us"] == pytest.approx(table.loc[(1, 1), "cycles"] / 500)
    fig = plots.plot_block_costs([result])
    (ax,) = fig.axes
    assert ax.get_ylabel() == "latency of one block (us)" and ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["stage 1", "stage 2"]
    np.testing.assert_allclose([bar.get_height() for bar in ax.containers[0]],
                               [table.loc[(1, 0), "latency_us"], table.loc[(2, 0), "latency_us"]])
    flat = LayerGraph(name="flat", input_shape=(1, 3, 8, 8), layers=_block_graph().layers[:1])
    with pytest.raises(ValueError, match="no stages"):
        plots.block_table(simulate(flat, accel))


def _search_result():
    from hwsim.explore.search.run import Candidate, CandidateResult, Constraints, SearchResult, SearchSpace, VersionPoint

    space = SearchSpace(blocks_total=4, stages=2, choices={"conv1": (5,), "shortcut": ("v5",)})
    rows = [((1, 3), 1.0, 300), ((2, 2), 1.5, 200), ((3, 1), 2.5, 100)]
    ranked = tuple(
        CandidateResult(Candidate(blocks, (5, "v5")), cycles=int(ms * 5e5), latency_ms=ms, energy_uj=10 * ms,
                        utilization=0.5, macs=1000, params=params)
        for blocks, ms, params in rows
    )
    version = VersionPoint(label="v5", result=ranked[1], rank=2, in_space=True, feasible=True)
    return SearchResult(space=space, accelerator_name="ws_4x4", objective="latency", constraints=Constraints(),
                        ranked=ranked, pareto=(0,), versions=(version,), simulated=3, resumed=0, filtered=0,
                        method="units", seconds=0.1)


def test_search_frame() -> None:
    frame = plots.search_frame(_search_result())
    assert list(frame["rank"]) == [1, 2, 3]
    assert list(frame["allocation"]) == ["1-3", "2-2", "3-1"]
    assert list(frame["conv1"]) == [5, 5, 5] and list(frame["shortcut"]) == ["v5"] * 3  # the family's choices
    assert list(frame["on_front"]) == [True, False, False]
    assert list(frame["version"]) == ["", "v5", ""]
    assert list(frame["params"]) == [300, 200, 100]


def test_plot_search_results() -> None:
    result = _search_result()
    fig = plots.plot_search_results([result, result])
    assert fig.get_suptitle().startswith("SqueezeNext block allocations")
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert ax.get_title() == "on ws_4x4 (3 candidates)"
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("parameters (millions)", "latency (ms)")
        (front,) = ax.get_lines()
        # faster and more parameters dominate: the front is the single candidate 1-3
        np.testing.assert_allclose(front.get_xdata(), [300 / 1e6])
        assert [t.get_text() for t in ax.texts] == ["1-3", "v5"]
    # one colour per combination of the family's choices, named by them
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0] == "conv1 5x5, shortcut v5"


def test_plot_search_results_refuses_two_families() -> None:
    import dataclasses

    from hwsim.explore.search.families.registry import register, unregister
    from hwsim.explore.search.run import SearchSpace
    from tests.explore.search.toy_family import CHAIN

    result = _search_result()
    register(CHAIN)
    try:
        other = dataclasses.replace(result, space=SearchSpace(family="chain"))
        with pytest.raises(ValueError, match="one family, got chain, squeezenext"):
            plots.plot_search_results([result, other])
    finally:
        unregister(CHAIN.name)


# ------------------------------------------------------------------------------ measurements


def _measurement(graph: LayerGraph):
    from hwsim.measure.profiler import HostInfo, LatencyStats, ModelMeasurement

    seconds = tuple(1e-5 * (i + 1) for i in range(len(graph.layers)))
    info = HostInfo(device="cpu", device_model="test cpu", cpu_model="test cpu", torch_version="2.13.0", threads=1)
    stats = LatencyStats((sum(seconds),))
    return ModelMeasurement(model=graph.name, graph=graph, info=info, batch=1, warmup=0, repeats=1,
                            end_to_end=stats, instrumented=stats, layer_seconds=seconds)


def test_time_table(graph, result) -> None:
    measurement = _measurement(graph)
    table = plots.time_table(measurement, [result])
    assert list(table.columns) == ["layer", "op", "kind", "measured_us", "ws_4x4_us"]
    np.testing.assert_allclose(table["measured_us"], [10.0 * (i + 1) for i in range(len(graph.layers))])
    np.testing.assert_allclose(table["ws_4x4_us"], result.cycles / 500)
    assert tuple(table["kind"]) == KINDS
    other = simulate(_block_graph(), load_accelerator("ws_8x8"))
    with pytest.raises(ValueError, match="measurement.graph"):
        plots.time_table(measurement, [other])


def test_plot_measured_vs_predicted(graph, result) -> None:
    measurement = _measurement(graph)
    fig = plots.plot_measured_vs_predicted(measurement, [result])
    (ax,) = fig.axes
    assert ax.get_title().startswith("tiny vs ws_4x4: Spearman rho = ")
    assert ax.get_xlabel() == "ws_4x4: latency per layer (us)"
    assert ax.get_ylabel() == "measured on this host: median per layer (us)"
    plotted = sum(len(c.get_offsets()) for c in ax.collections)
    assert plotted == int((result.cycles > 0).sum())  # layers that take time on both sides


def test_plot_time_shares(graph, result) -> None:
    measurement = _measurement(graph)
    fig = plots.plot_time_shares(measurement, [result])
    (ax,) = fig.axes
    assert ax.get_xlabel() == "share of the network's latency (%)" and ax.get_ylabel() == "layer kind"
    assert ax.get_title() == "tiny: where the time goes, by layer kind"
    for bars in ax.containers:
        assert sum(bar.get_width() for bar in bars) == pytest.approx(100.0)
    measured = [bar.get_width() for bar in ax.containers[0]]
    kinds = [t.get_text() for t in ax.get_yticklabels()]
    seconds = np.asarray(measurement.layer_seconds)
    for kind, share in zip(kinds, measured):
        mask = np.array([k == kind for k in KINDS])
        assert share == pytest.approx(100 * seconds[mask].sum() / seconds.sum())


# ------------------------------------------------------------------------------ global buffer


def test_bound_table_and_plot_bottleneck_shift() -> None:
    # The residual network of tests/cost/test_residency.py on 64 and 96 bytes (test_global_buffer.py
    # derives its cycles): at 96 every tensor is held and the add becomes vector-bound.
    from tests.cost.test_global_buffer import gb
    from tests.cost.test_residency import residual

    results = [simulate(residual(), gb(capacity)) for capacity in (0, 64, 96)]
    table = plots.bound_table(results)
    assert table["global_buffer"].tolist() == ["none", "0.0625 KiB", "0.09375 KiB"]
    for r, (_, row) in zip(results, table.iterrows()):
        shares = [row[f"{b}_share"] for b in plots.BOUNDS if b != "free"]
        assert sum(shares) == pytest.approx(1.0)  # every cycle is in a layer with one bound
        assert row["vector_share"] == pytest.approx(sum(c for c, b in zip(r.cycles, r.bound) if b == "vector") / r.total_cycles)
        assert row["dram_mib"] == r.total_dram_bytes / 2**20 and row["gbuf_peak_kib"] == r.gbuf_peak_bytes / 1024
    assert table["vector_share"].iloc[2] > 0 == table["vector_share"].iloc[0]  # the add at 96 bytes
    fig = plots.plot_bottleneck_shift(results)
    (ax,) = [a for a in fig.axes if a.get_title()]
    assert ax.get_title() == "residual" and [t.get_text() for t in ax.get_xticklabels()] == list(table["global_buffer"])
    stacked = np.sum([[bar.get_height() for bar in bars] for bars in ax.containers], axis=0)
    np.testing.assert_allclose(stacked, table["cycles"])  # the stacks add up to each result's cycles
    assert plots.global_buffer_label(4 * 2**20) == "4 MiB" and plots.global_buffer_label(256 * 1024) == "256 KiB"
    with pytest.raises(ValueError, match="at least one"):
        plots.plot_bottleneck_shift([])
