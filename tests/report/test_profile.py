"""report: DataFrame columns, totals, table layout, JSON/CSV writing and the per-layer plot."""

import json

import pandas as pd
import pytest

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


def test_global_buffer_columns_and_totals(tmp_path):
    # The chain of tests/cost/test_residency.py on a 64-byte global buffer (test_global_buffer.py
    # derives it): both inner tensors held, occupancy 50 / 64 / 50 bytes, DRAM 40 bytes,
    # global-buffer reads 0 + 32 + 32 and writes 32 + 32 + 0 at 3 pJ each.
    from tests.cost.test_global_buffer import gb
    from tests.cost.test_residency import chain

    r = simulate(chain(), gb(64))
    frame = report.to_frame(r)
    extra = [c for c in frame.columns if c not in report.LAYER_COLUMNS]
    assert extra == ["gbuf_read_bytes", "gbuf_write_bytes", "gbuf_occupancy_bytes", "gbuf_operands", "energy_gbuf_pj"]
    assert frame["gbuf_operands"].tolist() == ["ofmap", "ifmap+ofmap", "ifmap"]
    t = report.totals(r)
    assert (t["gbuf_bytes_capacity"], t["gbuf_peak_bytes"], t["gbuf_read_bytes"], t["gbuf_write_bytes"]) == (64, 64, 64, 64)
    assert t["gbuf_energy_uj"] == pytest.approx(128 * 3 / 1e6) and t["dram_bytes"] == 40
    assert "global buffer      0.0625 KiB: peak 0.1 KiB held, 0.00 MiB read and written" in report.format_table(r)
    report.write(r, tmp_path / "r.json", "json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["totals"]["gbuf_peak_bytes"] == 64 and data["layers"][1]["gbuf_operands"] == "ifmap+ofmap"
    # Without a global buffer none of this appears (the outputs are the ones from before it existed).
    plain = simulate(chain(), accel())
    assert "gbuf_peak_bytes" not in report.totals(plain) and "global buffer" not in report.format_table(plain)
    assert list(report.to_frame(plain).columns) == list(report.LAYER_COLUMNS)
