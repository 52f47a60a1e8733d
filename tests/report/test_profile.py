"""report: DataFrame columns, totals, table layout, JSON/CSV writing and the per-layer plot."""

import json

import pandas as pd
import pytest

from hwsim.graph.coverage import UNSUPPORTED_MACS, UNSUPPORTED_PARAMS, coverage_of
from hwsim.report import profile as report
from hwsim.simulate import simulate
from tests.cost.test_evaluate import accel, conv, graph, vector_graph
from tests.figure_helpers import saved_figures, stacked_bar_heights

#: vector_graph() on 4x4, 16 B/cycle, 4 lanes (tests/cost/test_evaluate.py::test_totals derives them):
#: conv c 25 compute + 9 stall = 34 cycles, pool 16, pool2 16, add 8; concat, shuffle, flatten free.
CYCLES = {"c": 34, "pool": 16, "pool2": 16, "add": 8, "cat": 0, "shuffle": 0, "flat": 0}
TOTAL_CYCLES = 74


@pytest.fixture(scope="module")
def result():
    return simulate(vector_graph(), accel(rows=4, cols=4, bw=16.0, lanes=4))


def test_frame_has_documented_columns(result):
    frame = report.to_frame(result)
    assert list(frame.columns) == list(report.LAYER_COLUMNS)
    assert list(frame["layer"]) == list(CYCLES)
    assert list(frame["cycles"]) == list(CYCLES.values())


def test_totals(result):
    t = report.totals(result, worst=1)
    assert t["cycles"] == TOTAL_CYCLES and t["macs"] == 256  # the conv: 16 pixels x 4 x 4
    assert t["non_gemm_cycles"] == 16 + 16 + 8  # pools and add; the free layers add nothing
    assert t["least_efficient_layers"] == ["c"]  # the only conv
    assert t["least_efficient_cycle_share"] == pytest.approx(34 / 74)
    assert t["latency_ms"] == pytest.approx(74 / 100e3)  # 100 MHz
    assert t["utilization"] == pytest.approx(256 / (74 * 16))
    # 15616 pJ (conv) + 2 x 8336 (pools) + 5000 (add), derived in test_evaluate.py::test_totals
    assert t["energy_uj"] == pytest.approx(37288 / 1e6)


def test_table_fits_120_columns_and_lists_every_layer(result):
    text = report.format_table(result)
    assert max(len(line) for line in text.splitlines()) <= 120
    for name in result.names:
        assert name in text
    assert "latency" in text and "utilization" in text
    top = report.format_table(result, top=2)
    assert "flat" not in top.split("Totals")[0]  # a free layer is not among the 2 slowest


def test_json_and_csv(tmp_path, result):
    report.write(result, tmp_path / "r.json", "json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["totals"]["cycles"] == TOTAL_CYCLES
    assert [row["cycles"] for row in data["layers"]] == list(CYCLES.values())
    assert [row["layer"] for row in data["layers"]] == list(result.names)
    report.write(result, tmp_path / "r.csv", "csv")
    frame = pd.read_csv(tmp_path / "r.csv")
    assert list(frame.columns) == list(report.LAYER_COLUMNS)


def test_unsupported_ops_are_named_in_the_table():
    g = graph(conv())
    g = type(g)(name=g.name, input_shape=g.input_shape, layers=g.layers, unsupported=(("aten.sort", 3),))
    text = report.format_table(simulate(g, accel()))
    assert "aten.sort x3" in text


def left_out_graph():
    """conv() (2 filters 2x2 on 1x3x3: 4 pixels x 4 x 2 = 32 MACs) and an LSTM of 8 MACs left out."""
    g = graph(conv())
    notes = ((UNSUPPORTED_MACS, json.dumps({"LSTM": 8})), (UNSUPPORTED_PARAMS, "90"))
    return type(g)(name=g.name, input_shape=g.input_shape, layers=g.layers, unsupported=(("LSTM", 1),), metadata=notes)


def test_the_totals_block_starts_with_what_is_left_out():
    g = left_out_graph()
    text = report.format_table(simulate(g, accel()), coverage=coverage_of(g))
    totals = text.split("Totals", 1)[1].splitlines()
    # 32 simulated of 32 + 8 MACs = 80.0 %; params: 8 in the conv + 90 in the LSTM
    assert totals[1] == "  COVERAGE           simulated 80.0% of MACs; left out: LSTM x1 (8 MACs)"
    assert totals[2].strip() == "90 of 98 params are in left-out ops"
    assert totals[4].split() == ["params", "98"]


def test_json_and_csv_carry_the_coverage(tmp_path):
    g = left_out_graph()
    result, cover = simulate(g, accel()), coverage_of(g)
    totals = json.loads(report.to_json(result, coverage=cover))["totals"]
    assert totals["params"] == 98
    assert totals["coverage"]["simulated_mac_share"] == pytest.approx(0.8)
    assert totals["coverage"]["left_out"] == {"LSTM": {"count": 1, "macs": 8}}
    (tmp_path / "r.csv").write_text(report.to_csv(result, cover))
    frame = pd.read_csv(tmp_path / "r.csv")
    assert list(frame["layer"]) == ["conv", "LSTM x1"]
    assert list(frame["op"]) == ["conv", "left_out"] and list(frame["macs"]) == [32, 8]
    assert pd.isna(frame["cycles"][1])  # not simulated: no cycles, never zero
    # nothing left out: no coverage entry, and the CSV is the per-layer frame alone
    plain = graph(conv())
    assert "coverage" not in report.totals(simulate(plain, accel()), coverage=coverage_of(plain))
    assert report.to_csv(simulate(plain, accel())) == report.to_frame(simulate(plain, accel())).to_csv(index=False)


def test_plot(tmp_path, result, monkeypatch):
    figures = saved_figures(monkeypatch)
    path = tmp_path / "layers.png"
    report.plot_layers(result, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (fig,) = figures
    ax = next(ax for ax in fig.axes if ax.get_ylabel() == "cycles")
    # one stacked bar (compute + stall) per layer that takes time, in network order
    taking_time = [name for name, cycles in CYCLES.items() if cycles > 0]
    assert [t.get_text() for t in ax.get_xticklabels()] == taking_time
    assert list(stacked_bar_heights(ax).values()) == [CYCLES[name] for name in taking_time]
