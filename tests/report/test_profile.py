"""report: DataFrame columns, totals, table layout, JSON/CSV writing and the per-layer plot."""

import json

import pandas as pd
import pytest

from hwsim.report import profile as report
from hwsim.simulate import simulate
from tests.cost.test_evaluate import accel, conv, graph, vector_graph


@pytest.fixture(scope="module")
def result():
    return simulate(vector_graph(), accel(rows=4, cols=4, bw=16.0, lanes=4))


def test_frame_has_documented_columns(result):
    frame = report.to_frame(result)
    assert list(frame.columns) == list(report.LAYER_COLUMNS)
    assert list(frame["layer"]) == list(result.names)
    assert frame["cycles"].sum() == result.total_cycles


def test_totals(result):
    t = report.totals(result, worst=1)
    assert t["cycles"] == result.total_cycles
    assert t["non_gemm_cycles"] == sum(c for c, op in zip(result.cycles, result.ops) if op != "conv")
    assert t["least_efficient_layers"] == ["c"]  # the only conv
    c = result.names.index("c")
    assert t["least_efficient_cycle_share"] == pytest.approx(result.cycles[c] / result.total_cycles)
    assert t["energy_uj"] == pytest.approx(result.energy_pj.sum() / 1e6)


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
    assert data["totals"]["cycles"] == result.total_cycles
    assert [row["layer"] for row in data["layers"]] == list(result.names)
    report.write(result, tmp_path / "r.csv", "csv")
    frame = pd.read_csv(tmp_path / "r.csv")
    assert list(frame.columns) == list(report.LAYER_COLUMNS)


def test_unsupported_ops_are_named_in_the_table():
    g = graph(conv())
    g = type(g)(name=g.name, input_shape=g.input_shape, layers=g.layers, unsupported=(("aten.sort", 3),))
    text = report.format_table(simulate(g, accel()))
    assert "aten.sort x3" in text


def test_plot(tmp_path, result):
    path = tmp_path / "layers.png"
    report.plot_layers(result, path)
    assert path.stat().st_size > 1000
