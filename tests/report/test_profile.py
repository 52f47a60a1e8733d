"""report: DataFrame columns, totals, table layout, the least efficient layers, JSON/CSV writing."""

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from hwsim.graph.layer_graph import Layer
from hwsim.graph.coverage import UNSUPPORTED_MACS, UNSUPPORTED_PARAMS, coverage_of
from hwsim.report import profile as report
from hwsim.simulate import simulate
from tests.cost.test_evaluate import accel, conv, graph, vector_graph

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
    # 16 PEs of 426.528 um² (1-byte words) + 3 x 64 KiB at 119 mm² / 153 Mbit (docs/MODEL.md §10)
    assert t["area_mm2"] == pytest.approx(16 * 426.528e-6 + 192 * 119 / (153 * 2**20) * 8192, rel=1e-12)


def test_totals_text_gives_the_area_and_its_parts(result):
    text = report.format_table(result)
    # PE array 16 x 426.528 um² = 0.006824 mm²; buffers 192 KiB x 0.006076 = 1.1667 mm²
    assert "  area               1.173 mm2 (PE array 0.006824, operand buffers 1.167)" in text  # 1.1735
    assert "area" not in report.format_table(replace(result, area=None)).split("Totals")[1]  # no hardware, no area


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


@pytest.fixture(scope="module")
def hand():
    """Two convs and a pool with hand-set cycles and utilization: ``big`` runs 1,000 cycles at 50 %
    (loses 500), ``small`` 100 cycles at 1 % (loses 99), the pool 50 cycles; 1,150 in all."""
    big, small = conv(name="big"), conv(name="small")
    pool = Layer(name="pool", op="pool", inputs=("big",), c=2, h=2, w=2, k=2, p=1, q=1, r=2, s=2, stride_h=2,
                 stride_w=2, mode="max")
    result = simulate(graph(big, small, pool), accel())
    cycles = np.array([1000, 100, 50])
    metrics = {**result.metrics, "cycles": cycles, "compute_cycles": cycles, "stall_cycles": np.zeros(3, dtype=np.int64),
               "utilization": np.array([0.5, 0.01, 0.0]), "energy_pj": np.array([2.4e9, 0.0, 0.0])}
    return replace(result, metrics=metrics, clock_mhz=1150 / 0.24217 / 1e3)


def test_least_efficient_ranks_by_cycles_lost_to_low_utilization(hand):
    # lost = cycles x (1 - utilization): big 1000 x 0.5 = 500, small 100 x 0.99 = 99. Ranking by
    # utilization alone would put small (1 %, 8.7 % of the cycles) first.
    assert list(report.lost_cycles(hand)) == pytest.approx([500.0, 99.0, 0.0])
    assert report.least_efficient(hand, 1) == [0]
    assert report.least_efficient(hand, 5) == [0, 1]  # PE-array layers only
    assert report.totals(hand, worst=1)["least_efficient_layers"] == ["big"]


def test_totals_text_says_what_the_ranking_means(hand):
    text = report.format_table(hand, worst=2)
    # (500 + 99) / 1150 = 52.1 %; big: 500 / 1150 = 43.5 % lost, 1000 / 1150 = 87.0 % of the cycles.
    assert "2 PE-array layers lose 52.1% of all cycles to low utilization (cycles x (1 - utilization)):" in text
    lines = text.split("least efficient")[1].splitlines()
    assert lines[1].split() == ["big", "43.5%", "of", "cycles", "lost", "(87.0%", "of", "cycles", "at", "50.0%",
                                "utilization)"]
    assert lines[2].split()[:2] == ["small", "8.6%"]  # 99 / 1150


def test_totals_numbers_keep_their_significant_digits(hand):
    text = report.format_table(hand)
    assert "latency            0.2422 ms at 4.749 MHz" in text  # 1150 cycles / 4.7487 MHz; not "0.242" or "0.2"
    assert "energy             2,400 uJ" in text
    assert "utilization" in text and f"of {hand.pes:,} PEs" in text


def test_table_title_and_names_keep_their_brackets(hand):
    # rich reads "[os]" as markup unless told otherwise: the title said "on best_32x32" for best_32x32[os]
    renamed = replace(hand, accelerator_name="best_32x32[os]", metrics={**hand.metrics, "layer": ("big[0]", "small", "pool")})
    text = report.format_table(renamed)
    assert text.splitlines()[0] == f"{hand.graph_name} on best_32x32[os]"
    assert "big[0]" in text.splitlines()[2]
    assert f"Totals  {hand.graph_name} on best_32x32[os]" in text


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
    assert "global buffer      0.0625 KiB: peak 0.0625 KiB held, 0.0001221 MiB read and written" in report.format_table(r)
    report.write(r, tmp_path / "r.json", "json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["totals"]["gbuf_peak_bytes"] == 64 and data["layers"][1]["gbuf_operands"] == "ifmap+ofmap"
    # Without a global buffer none of this appears (the outputs are the ones from before it existed).
    plain = simulate(chain(), accel())
    assert "gbuf_peak_bytes" not in report.totals(plain) and "global buffer" not in report.format_table(plain)
    assert list(report.to_frame(plain).columns) == list(report.LAYER_COLUMNS)
