"""A run killed at any point, mid-row included, then resumed gives the output of a run never
killed, row for row: the sweep (summary alone, and with --per-layer, where a kill may fall
between a chunk's per-layer rows and its summary rows), the search and calibrate's measurement
cache. Hypothesis picks the byte where the kill fell; the killed output is the uninterrupted
one cut there (rows are appended in order and flushed, so a kill leaves a prefix). And a second
writer to an output being written is refused in one line, the first's output untouched.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hwsim.measure.profiler as profiler
from hwsim.explore.sweep.run import read_sweep, sweep
from hwsim.measure.host_info import host_info_for
from hwsim.measure.results import LatencyStats, ModelMeasurement
from hwsim.sources.zoo import load_zoo_graph

from tests.explore.sweep.test_run import base_accel, toy_graph
from tests.hostile_helpers import run_cli
from tests.test_output_lock import hold, release

EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
GRID = {"array.rows": [2, 4, 8], "array.cols": [4, 16], "dataflow": ["ws", "best"]}
KEYS = ["model", "config_id"]


def by_key(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# sweep, summary only


def full_sweep(tmp_path: Path):
    out = tmp_path / "full.csv"
    frame = sweep(toy_graph(), base_accel(), GRID, output=out, chunk_size=2)
    return frame, out.read_bytes()


@EXAMPLES
@given(fraction=st.floats(0, 1))
def test_sweep_resumed_after_a_kill_at_any_byte_equals_the_uninterrupted_sweep(tmp_path_factory, fraction):
    tmp_path = tmp_path_factory.mktemp("sweep")
    frame, data = full_sweep(tmp_path)
    cut = tmp_path / "cut.csv"
    cut.write_bytes(data[: round(fraction * len(data))])
    resumed = sweep(toy_graph(), base_accel(), GRID, output=cut, chunk_size=2, resume=True)
    pd.testing.assert_frame_equal(by_key(resumed, KEYS), by_key(frame, KEYS))
    pd.testing.assert_frame_equal(by_key(read_sweep(cut), KEYS), by_key(read_sweep(tmp_path / "full.csv"), KEYS))
    assert cut.read_bytes().endswith(b"\n") and len(cut.read_bytes().splitlines()) == len(data.splitlines())


# --------------------------------------------------------------------------------------------
# sweep with --per-layer: per chunk, its per-layer rows are written, then its summary rows


def write_stream(summary: bytes, layers: bytes) -> list[tuple[str, bytes]]:
    """The writes of an uninterrupted run in order: both headers, then per chunk (of 2
    configurations, in the summary's order) its per-layer lines, then its summary lines."""
    head_s, *rows_s = summary.splitlines(keepends=True)
    head_l, *rows_l = layers.splitlines(keepends=True)
    ids = [row.split(b",")[1] for row in rows_s]
    layer_ids = [row.split(b",")[1] for row in rows_l]
    stream = [("layers", head_l), ("summary", head_s)]
    for start in range(0, len(rows_s), 2):
        chunk = ids[start:start + 2]
        stream.append(("layers", b"".join(r for r, i in zip(rows_l, layer_ids) if i in chunk)))
        stream.append(("summary", b"".join(rows_s[start:start + 2])))
    assert b"".join(b for f, b in stream if f == "layers") == layers  # the per-layer file is in chunk order
    return stream


@EXAMPLES
@given(fraction=st.floats(0, 1))
def test_sweep_with_per_layer_resumed_after_a_kill_at_any_byte_equals_the_uninterrupted_one(tmp_path_factory, fraction):
    tmp_path = tmp_path_factory.mktemp("layers")
    full_s, full_l = tmp_path / "full.csv", tmp_path / "full_layers.csv"
    frame = sweep(toy_graph(), base_accel(), GRID, output=full_s, per_layer=full_l, chunk_size=2)
    stream = write_stream(full_s.read_bytes(), full_l.read_bytes())
    left = round(fraction * sum(len(b) for _, b in stream))  # bytes written before the kill
    written = {"summary": b"", "layers": b""}
    for name, chunk in stream:
        written[name] += chunk[:left]
        left -= min(left, len(chunk))
    out, layers = tmp_path / "s.csv", tmp_path / "layers.csv"
    out.write_bytes(written["summary"])
    layers.write_bytes(written["layers"])
    resumed = sweep(toy_graph(), base_accel(), GRID, output=out, per_layer=layers, chunk_size=2, resume=True)
    pd.testing.assert_frame_equal(by_key(resumed, KEYS), by_key(frame, KEYS))
    layer_keys = [*KEYS, "layer_index"]
    pd.testing.assert_frame_equal(by_key(read_sweep(layers), layer_keys), by_key(read_sweep(full_l), layer_keys))
    pd.testing.assert_frame_equal(by_key(read_sweep(out), KEYS), by_key(read_sweep(full_s), KEYS))


# --------------------------------------------------------------------------------------------
# search

SEARCH = ["search", "squeezenext", "--accel", "ws_8x8", "--blocks-total", "5", "--stages", "3"]


#: Columns the search computes as a float dot product of unit counts and unit totals, whose last bit
#: depends on how many candidates are scored together (BLAS; see Totals.combine): compared to 1e-12.
FLOAT_SUMS = ("energy_uj", "edp_uj_ms")


def assert_same_rows(path: Path, expected: Path) -> None:
    """The same header and rows, every cell equal as text but the float sums (to 1e-12)."""
    header, *rows = [line.split(",") for line in path.read_text().splitlines()]
    want_header, *want = [line.split(",") for line in expected.read_text().splitlines()]
    assert header == want_header and len(rows) == len(want)
    for row, want_row in zip(rows, want):
        for column, got, value in zip(header, row, want_row):
            if column in FLOAT_SUMS:
                assert math.isclose(float(got), float(value), rel_tol=1e-12), (column, got, value)
            else:
                assert got == value, (column, row, want_row)


def run_search(out: Path, *extra: str) -> None:
    code, _, err, _ = run_cli([*SEARCH, "-o", str(out), *extra])
    assert code == 0, err


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fraction=st.floats(0, 1))
def test_search_resumed_after_a_kill_at_any_byte_equals_the_uninterrupted_search(tmp_path_factory, fraction):
    tmp_path = tmp_path_factory.mktemp("search")
    full = tmp_path / "full.csv"
    run_search(full)
    data = full.read_bytes()
    cut = tmp_path / "cut.csv"
    cut.write_bytes(data[: round(fraction * len(data))])
    run_search(cut, "--resume")
    assert_same_rows(cut, full)  # ranked and rewritten when the search ends: the same rows


def test_search_resume_scores_again_rows_no_search_writes(tmp_path):
    """Rows edited or damaged by hand (NaN, negative, text, a cell too many, an allocation that is
    not one) are scored again, never kept: the final file equals the uninterrupted one."""
    full = tmp_path / "full.csv"
    run_search(full)
    header, *rows = full.read_text().splitlines()
    latency = header.split(",").index("latency_ms")

    def with_latency(row: str, text: str) -> str:
        cells = row.split(",")
        cells[latency] = text
        return ",".join(cells)

    damaged = [with_latency(rows[0], "nan"), with_latency(rows[1], "-4.8"), with_latency(rows[2], "fast"),
               rows[3] + ",extra", rows[4].replace("-", "-x", 1), with_latency(rows[5], "inf"), *rows[6:]]
    out = tmp_path / "x.csv"
    out.write_text("\n".join([header, *damaged]) + "\n")
    run_search(out, "--resume")
    assert_same_rows(out, full)


# --------------------------------------------------------------------------------------------
# calibrate's measurement cache (measure_model replaced by a deterministic one: no torch runs)

MODELS = ["squeezenet1_1", "alexnet", "mobilenet_v2"]


def fake_measure(name, settings_, progress=None):
    """A measurement on this host's info with times from the model's size (deterministic)."""
    graph = load_zoo_graph(name)
    info = host_info_for(settings_.device, settings_.threads)
    layer_seconds = tuple(2e-6 + layer.macs / 4e10 + (layer.input_elements + layer.output_elements) / 4e9
                          for layer in graph.layers)
    total = sum(layer_seconds)
    samples = tuple(total * (1 + 0.001 * i) for i in range(settings_.repeats))
    return ModelMeasurement(model=name, graph=graph, info=info, batch=settings_.batch, warmup=settings_.warmup,
                            repeats=settings_.repeats, end_to_end=LatencyStats(samples), instrumented=LatencyStats(samples),
                            layer_seconds=layer_seconds, date="2024-01-02")


CALIBRATE = ["calibrate", "--models", ",".join(MODELS), "--threads", "1", "--warmup", "0", "--repeats", "2"]


def run_calibrate(out: Path) -> list[str]:
    code, _, err, _ = run_cli([*CALIBRATE, "-o", str(out)])
    assert code == 0, err
    return [line for line in err.splitlines() if line.startswith("[")]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fraction=st.floats(0, 1))
def test_calibrate_resumed_after_a_kill_at_any_byte_of_its_cache(tmp_path_factory, monkeypatch, fraction):
    monkeypatch.setattr(profiler, "measure_model", fake_measure)
    tmp_path = tmp_path_factory.mktemp("calibrate")
    full = tmp_path / "full.yaml"
    run_calibrate(full)
    data = (tmp_path / "full.measurements.jsonl").read_bytes()
    out = tmp_path / "cut.yaml"
    cut = data[: round(fraction * len(data))]
    (tmp_path / "cut.measurements.jsonl").write_bytes(cut)
    progress = run_calibrate(out)
    kept = cut.count(b"\n")  # whole lines survive the kill
    assert [line.endswith(": cached") for line in progress] == [i < kept for i in range(len(MODELS))]
    assert (tmp_path / "cut.measurements.jsonl").read_bytes() == data
    assert out.read_text().replace("cut", "<name>") == full.read_text().replace("full", "<name>")


# --------------------------------------------------------------------------------------------
# two writers


def test_a_second_search_or_calibrate_to_an_output_being_written_is_refused_untouched(tmp_path):
    for argv, out in ((SEARCH, tmp_path / "x.csv"), (CALIBRATE, tmp_path / "h.yaml")):
        out.write_text("the first writer's\n")
        proc = hold(out)
        try:
            code, _, err, _ = run_cli([*argv, "-o", str(out)])
        finally:
            release(proc)
        assert code == 2 and err.strip().splitlines() == [
            f"hwsim {argv[0]}: error: {out} is being written by another hwsim process (pid {proc.pid}); expected one "
            "writer at a time: wait for it to finish, or write another file"]
        assert out.read_text() == "the first writer's\n"


def test_a_second_sweep_with_per_layer_is_refused_on_either_output(tmp_path):
    summary, layers = tmp_path / "s.csv", tmp_path / "l.csv"
    argv = ["sweep", "alexnet", "--accel", "ws_8x8", "--set", "array.rows=4,8", "-o", str(summary), "--per-layer", str(layers)]
    for busy in (summary, layers):
        proc = hold(busy)
        try:
            code, _, err, _ = run_cli(argv)
        finally:
            release(proc)
        assert code == 2 and len(err.strip().splitlines()) == 1 and f"{busy} is being written by another" in err
        assert not summary.exists() and not layers.exists()
