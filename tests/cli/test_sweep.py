"""``hwsim sweep`` and ``hwsim pareto`` end to end: outputs, a sweep killed mid-way and resumed, bad input."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from hwsim.cli import main
from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.explore.pareto import pareto_front
from hwsim.cli.sweep import TABLE_WIDTH, fit_table
from hwsim.explore.sweep.run import DELAY_ENV, MAX_SWEEP_ROWS, read_sweep, summary_columns, sweep
from tests.cli_helpers import assert_clean_error
from tests.cli_helpers import hwsim as hwsim_in
from tests.figure_helpers import saved_figures

SETS = ["--set", "array.rows=4,8,16", "--set", "array.cols=8,16", "--set", "dataflow=ws,os"]  # 12 configurations


def hwsim(*args, env=None):
    return subprocess.run([sys.executable, "-m", "hwsim", *args], capture_output=True, text=True, timeout=120, env=env)


def rows_on_disk(path):
    """Summary rows a running sweep has written (CSV lines after the header; parquet parts of 2 rows)."""
    if path.suffix == ".csv":
        return max(len(path.read_bytes().splitlines()) - 1, 0) if path.exists() else 0
    return 2 * len(list(path.glob("part-*.parquet")))


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory):
    """A small hand-made network saved as graph JSON (no torch needed)."""
    layers = (
        Layer(name="conv1", op="conv", inputs=("input",), c=3, h=16, w=16, k=16, p=16, q=16, r=3, s=3, pad_h=1, pad_w=1, params=432),
        Layer(name="conv2", op="conv", inputs=("conv1",), c=16, h=16, w=16, k=32, p=8, q=8, r=3, s=3, stride_h=2, stride_w=2, pad_h=1, pad_w=1, params=4608),
        Layer(name="pool", op="global_pool", inputs=("conv2",), c=32, h=8, w=8, k=32),
        Layer(name="fc", op="linear", inputs=("pool",), c=32, k=10, params=320),
    )  # fmt: skip
    path = tmp_path_factory.mktemp("graph") / "tiny.json"
    LayerGraph(name="tiny", input_shape=(1, 3, 16, 16), layers=layers).save(path)
    return path


def test_sweep_writes_csv_and_prints_the_fastest(graph_file, tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert main(["sweep", str(graph_file), "--accel", "ws_32x32", *SETS, "-o", str(out), "--top", "2"]) == 0
    text = capsys.readouterr().out
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["model", "config_id", "array.rows", "array.cols", "dataflow", *summary_columns()]
    assert len(frame) == 12 and frame["config_id"].is_unique
    expected = sweep([str(graph_file)], "ws_32x32", {"array.rows": [4, 8, 16], "array.cols": [8, 16], "dataflow": ["ws", "os"]})
    pd.testing.assert_frame_equal(read_sweep(out), expected)
    assert f"wrote {out}: 12 rows" in text
    fastest = expected.nsmallest(1, "latency_ms").iloc[0]
    assert "fastest 2 of 12 configurations of tiny" in text and str(fastest["bottleneck_layer"]) in text


def test_sweep_two_zoo_models_to_parquet_with_per_layer(tmp_path):
    out, layers = tmp_path / "s.parquet", tmp_path / "layers.parquet"
    args = ["sweep", "squeezenext_23v5,mobilenet_v1", "--accel", "best_32x32", "--set", "array.rows=16,32",
            "--set", "dram.bandwidth_bytes_per_cycle=8,16", "-o", str(out), "--per-layer", str(layers)]  # fmt: skip
    assert main(args) == 0
    frame = read_sweep(out)
    assert frame["model"].tolist() == ["squeezenext_23v5"] * 4 + ["mobilenet_v1"] * 4
    per_layer = read_sweep(layers)
    totals = per_layer.groupby(["model", "config_id"], sort=False)["cycles"].sum()
    assert totals.tolist() == frame["cycles"].tolist()


def test_pareto_table_csv_and_plot(graph_file, tmp_path, capsys, monkeypatch):
    figures = saved_figures(monkeypatch)
    out = tmp_path / "s.parquet"
    assert main(["sweep", str(graph_file), "--accel", "ws_32x32", *SETS, "-o", str(out)]) == 0
    capsys.readouterr()
    front_csv, png = tmp_path / "front.csv", tmp_path / "front.png"
    args = ["pareto", str(out), "--x", "latency_ms", "--y", "energy_uj", "--z", "area_pes", "--format", "csv", "-o", str(front_csv), "--plot", str(png)]
    assert main(args) == 0
    written = pd.read_csv(front_csv, dtype={"config_id": str})
    expected = pareto_front(read_sweep(out), ["latency_ms", "energy_uj", "area_pes"], by="model")
    assert written["config_id"].tolist() == expected["config_id"].tolist()
    # the figure: all 12 configurations coloured by area, the front's points marked over them
    (fig,) = figures
    ax = next(ax for ax in fig.axes if ax.get_xlabel() == "latency_ms")
    everything, marked = ax.collections
    sweep_rows = read_sweep(out)
    np.testing.assert_allclose(everything.get_offsets(), sweep_rows[["latency_ms", "energy_uj"]].to_numpy())
    np.testing.assert_array_equal(everything.get_array(), sweep_rows["area_pes"].to_numpy())
    np.testing.assert_allclose(marked.get_offsets(), written[["latency_ms", "energy_uj"]].to_numpy())
    assert main(["pareto", str(out), "--x", "latency_ms", "--y", "energy_uj"]) == 0
    table = capsys.readouterr().out
    assert "Pareto front of" in table and "latency_ms" in table


def test_killed_sweep_resumes_to_the_rows_of_an_uninterrupted_run(graph_file, tmp_path):
    """Kill -9 a real `hwsim sweep` after its first chunks are on disk, then --resume."""
    for suffix in (".csv", ".parquet"):
        out, layers = tmp_path / f"killed{suffix}", tmp_path / f"killed_layers{suffix}"
        args = ["sweep", str(graph_file), "--accel", "ws_32x32", *SETS, "-o", str(out), "--per-layer", str(layers), "--chunk-size", "2"]
        env = {**os.environ, DELAY_ENV: "0.5"}  # 6 chunks, half a second after each
        proc = subprocess.Popen([sys.executable, "-m", "hwsim", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and rows_on_disk(out) < 2:
            time.sleep(0.05)
        assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.stderr.read()}"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        partial = len(read_sweep(out))
        assert 2 <= partial < 12
        assert main([*args, "--resume"]) == 0
        fresh, fresh_layers = tmp_path / f"fresh{suffix}", tmp_path / f"fresh_layers{suffix}"
        assert main(["sweep", str(graph_file), "--accel", "ws_32x32", *SETS, "-o", str(fresh), "--per-layer", str(fresh_layers)]) == 0
        keys = ["model", "config_id"]
        pd.testing.assert_frame_equal(
            read_sweep(out).sort_values(keys).reset_index(drop=True), read_sweep(fresh).sort_values(keys).reset_index(drop=True)
        )
        layer_keys = [*keys, "layer_index"]
        pd.testing.assert_frame_equal(
            read_sweep(layers).sort_values(layer_keys).reset_index(drop=True),
            read_sweep(fresh_layers).sort_values(layer_keys).reset_index(drop=True),
        )


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--set", "array.rowz=8,16"], ["hwsim sweep: error", "array.rowz", "did you mean array.rows"]),
        (["--set", "array.rows=8,sixteen"], ["array.rows", "'sixteen'", "integer"]),
        (["--set", "array.rows=8,-16"], ["array.rows", "-16", "integer > 0"]),
        (["--set", "dataflow=ws,fast"], ["dataflow", "'fast'", "one of ws, os, is, best"]),
        (["--set", "buffers.ifmap_kib=range(16,8)"], ["buffers.ifmap_kib", "empty"]),
    ],
)
def test_bad_set_is_one_line_exit_2(graph_file, tmp_path, args, fragments):
    proc = hwsim("sweep", str(graph_file), "--accel", "ws_32x32", *args, "-o", str(tmp_path / "s.csv"))
    assert_clean_error(proc, *fragments)


def test_bad_pareto_column_and_output_are_one_line(graph_file, tmp_path):
    out = tmp_path / "s.csv"
    assert main(["sweep", str(graph_file), "--accel", "ws_32x32", "--set", "array.rows=4,8", "-o", str(out)]) == 0
    assert_clean_error(hwsim("pareto", str(out), "--x", "latency", "--y", "energy_uj"), "hwsim pareto: error", "'latency'", "latency_ms")
    assert_clean_error(hwsim("pareto", str(tmp_path / "missing.csv"), "--x", "a", "--y", "b"), "missing.csv")
    assert_clean_error(hwsim("sweep", str(graph_file), "--accel", "ws_32x32", "-o", str(tmp_path / "s.txt")), "s.txt", ".csv")


# ------------------------------------------------------------------------------------ review fixes


@pytest.fixture(scope="module")
def sweep_csv(graph_file, tmp_path_factory):
    """A 12-configuration sweep of the tiny network, as CSV."""
    out = tmp_path_factory.mktemp("sweep") / "s.csv"
    assert main(["sweep", str(graph_file), "--accel", "ws_32x32", *SETS, "-o", str(out)]) == 0
    return out


def in_process(capsys, *args):
    """Run the CLI in this process (fast); the result looks like a CompletedProcess."""
    code = main(list(args))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, captured.out, captured.err)


def test_binary_corrupt_and_empty_inputs_are_one_line_errors(graph_file, sweep_csv, tmp_path, capsys):
    binary = tmp_path / "bin.csv"
    binary.write_bytes(bytes(range(128, 256)) * 8)
    assert_clean_error(hwsim("pareto", str(binary), "--x", "a", "--y", "b"), "bin.csv", "not UTF-8")
    proc = hwsim("sweep", str(graph_file), "--accel", "ws_32x32", *SETS, "-o", str(binary), "--resume")
    assert_clean_error(proc, "hwsim sweep: error", "bin.csv", "not UTF-8", "drop --resume")
    assert binary.read_bytes() == bytes(range(128, 256)) * 8  # refused untouched
    dataset = tmp_path / "s.parquet"
    assert main(["sweep", str(graph_file), "--accel", "ws_32x32", *SETS, "-o", str(dataset), "--chunk-size", "4"]) == 0
    part = sorted(dataset.glob("part-*.parquet"))[1]
    part.write_bytes(b"PAR1 cut short")
    assert_clean_error(hwsim("pareto", str(dataset), "--x", "latency_ms", "--y", "energy_uj"), part.name, "not a readable Parquet file")
    header_only = tmp_path / "header.csv"
    header_only.write_text(sweep_csv.read_text().splitlines()[0] + "\n")
    assert_clean_error(in_process(capsys, "pareto", str(header_only), "--x", "latency_ms", "--y", "energy_uj"), "header.csv", "no rows")


def test_output_paths_are_checked_before_any_work(graph_file, sweep_csv, tmp_path, capsys):
    missing = tmp_path / "no_such_folder"
    # the model does not exist either: the output is checked first, so the error names the output
    proc = hwsim("sweep", "no_such_model", "--accel", "ws_32x32", "-o", str(missing / "s.csv"))
    assert_clean_error(proc, "-o", "no_such_folder", "does not exist")
    proc = hwsim("pareto", str(sweep_csv), "--x", "latency_ms", "--y", "energy_uj", "--plot", str(tmp_path / "front.txt"))
    assert_clean_error(proc, "--plot", "front.txt", ".png")
    assert proc.stdout == ""  # nothing was computed or printed before the error
    folder_csv = tmp_path / "folder.csv"
    folder_csv.mkdir()
    cases = [
        (["sweep", "no_such_model", "--accel", "ws_32x32", "-o", str(folder_csv)], ["-o", "is a folder"]),
        (["sweep", "no_such_model", "--accel", "ws_32x32", "-o", str(tmp_path / "s.csv"), "--per-layer", str(missing / "l.csv")],
         ["--per-layer", "does not exist"]),
        (["sweep", "no_such_model", "--accel", "ws_32x32", "-o", str(tmp_path / "s.csv"), "--per-layer", str(tmp_path / "l.txt")],
         ["--per-layer", "l.txt", ".csv"]),
        (["pareto", str(tmp_path / "absent.csv"), "--x", "a", "--y", "b", "-o", str(missing / "f.csv")], ["-o", "does not exist"]),
        (["pareto", str(tmp_path / "absent.csv"), "--x", "a", "--y", "b", "--plot", str(missing / "f.png")], ["--plot", "does not exist"]),
    ]  # fmt: skip
    for args, fragments in cases:
        assert_clean_error(in_process(capsys, *args), *fragments)


def test_a_grid_over_the_limit_is_refused_at_once(graph_file, tmp_path):
    sets = ["--set", "array.rows=range(1,1000)", "--set", "array.cols=range(1,1000)", "--set", "clock_mhz=range(1,1000)"]
    start = time.monotonic()
    proc = hwsim("sweep", str(graph_file), "--accel", "ws_32x32", *sets, "-o", str(tmp_path / "big.csv"))
    assert_clean_error(proc, f"{999**3:,} rows", f"limit of {MAX_SWEEP_ROWS:,}")
    assert time.monotonic() - start < 60 and not (tmp_path / "big.csv").exists()


def test_resume_refuses_another_base_and_reports_kept_and_computed(graph_file, tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert main(["sweep", str(graph_file), "--accel", "ws_32x32", *SETS, "-o", str(out)]) == 0
    before = out.read_bytes()
    proc = hwsim("sweep", str(graph_file), "--accel", "ws_16x16", *SETS, "-o", str(out), "--resume")
    assert_clean_error(proc, "s.csv", "base accelerator ws_32x32, not ws_16x16")
    assert out.read_bytes() == before
    more = ["--set", "array.rows=4,8,16,32", "--set", "array.cols=8,16", "--set", "dataflow=ws,os"]  # 16 configurations
    proc = hwsim("sweep", str(graph_file), "--accel", "ws_32x32", *more, "-o", str(out), "--resume")
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {out}: 16 rows (12 kept from the earlier run, 4 computed; 1 model(s) x 16 configurations)" in proc.stdout


def shell_examples(help_text):
    """The example commands of a --help text, continuation lines joined."""
    examples = help_text.split("Examples:", 1)[1]
    return [c.strip() for c in re.sub(r"\\\n\s*", " ", examples).splitlines() if c.strip().startswith("hwsim ")]


def test_help_examples_are_valid_shell():
    assert subprocess.run(["bash", "-n", "-c", "hwsim sweep m --set a=range(1,2)"], capture_output=True).returncode != 0
    for command in ("sweep", "pareto"):
        proc = hwsim(command, "--help")
        assert proc.returncode == 0
        commands = shell_examples(proc.stdout)
        assert len(commands) >= 2
        for line in commands:
            check = subprocess.run(["bash", "-n", "-c", line], capture_output=True, text=True)
            assert check.returncode == 0, (line, check.stderr)
    text = hwsim("sweep", "--help").stdout
    assert "'buffers.ifmap_kib=range(16,256,16)'" in text and f"{MAX_SWEEP_ROWS:,} rows" in text


def test_pareto_format_follows_the_output_suffix_and_json_is_valid(sweep_csv, tmp_path, capsys):
    frame = read_sweep(sweep_csv)
    frame["utilization"] = float("nan")  # a missing value and an infinite one must become null
    frame.loc[:, "stall_share"] = float("inf")
    source = tmp_path / "with_nan.csv"
    frame.to_csv(source, index=False)
    expected = pareto_front(read_sweep(source), ["latency_ms", "energy_uj"], by="model")
    front_json = tmp_path / "front.json"
    proc = hwsim("pareto", str(source), "--x", "latency_ms", "--y", "energy_uj", "-o", str(front_json))
    assert proc.returncode == 0, proc.stderr

    def no_constants(name):
        raise AssertionError(f"{name} is not JSON")

    records = json.loads(front_json.read_text(), parse_constant=no_constants)
    assert [r["config_id"] for r in records] == expected["config_id"].tolist()
    assert set(records[0]) == set(frame.columns)  # every column
    assert all(r["utilization"] is None and r["stall_share"] is None for r in records)
    assert records[0]["cycles"] == int(expected["cycles"].iloc[0]) and isinstance(records[0]["array.rows"], int)
    front_csv = tmp_path / "front.csv"
    assert in_process(capsys, "pareto", str(source), "--x", "latency_ms", "--y", "energy_uj", "-o", str(front_csv)).returncode == 0
    written = pd.read_csv(front_csv, dtype={"config_id": str})
    assert set(written.columns) == set(frame.columns) and written["config_id"].tolist() == expected["config_id"].tolist()
    front_txt = tmp_path / "front.txt"
    assert in_process(capsys, "pareto", str(source), "--x", "latency_ms", "--y", "energy_uj", "-o", str(front_txt)).returncode == 0
    assert front_txt.read_text().startswith("Pareto front of tiny")
    assert in_process(capsys, "pareto", str(source), "--x", "latency_ms", "--y", "energy_uj", "--format", "json",
                      "-o", str(front_txt)).returncode == 0  # fmt: skip
    assert len(json.loads(front_txt.read_text())) == len(expected)  # --format wins over the suffix


def widest(text):
    return max(len(line) for line in text.splitlines())


def test_terminal_tables_fit_in_120_columns(tmp_path):
    sets = ["--set", "array.rows=8,16", "--set", "array.cols=8,16", "--set", "dram.bandwidth_bytes_per_cycle=4,32",
            "--set", "dataflow=ws,best", "--set", "buffers.ifmap_kib=16,64"]  # fmt: skip
    proc = hwsim_in("sweep", "squeezenext_23v5,mobilenet_v1", "--accel", "ws_32x32", *sets, "-o", "wide.parquet", "--top", "3", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert widest(proc.stdout) <= TABLE_WIDTH and "buffers.ifmap_kib" in proc.stdout and "latency_ms" in proc.stdout
    proc = hwsim_in("pareto", "wide.parquet", "--x", "latency_ms", "--y", "energy_uj", "--z", "area_pes", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert widest(proc.stdout) <= TABLE_WIDTH
    # model + 5 swept fields + 3 objectives: too wide with full paths, so the fields are headed by
    # their last part, one line per row (pandas wrapped the rows into two blocks)
    header = proc.stdout.splitlines()[2].split()
    assert header == ["model", "rows", "cols", "bandwidth_bytes_per_cycle", "dataflow", "ifmap_kib", "latency_ms",
                      "energy_uj", "area_pes", "area_mm2"]
    assert len(proc.stdout.splitlines()) == 3 + int(proc.stdout.split(": ")[1].split()[0])


def test_fit_table_keeps_required_columns_and_adds_optional_ones_that_fit():
    narrow = pd.DataFrame({"a": [1, 2], "b": [3.5, 4.5], "long_optional_" + "x" * 100: [1, 2], "c": ["x", "y"]})
    text = fit_table(narrow, ["a"], ["long_optional_" + "x" * 100, "b", "c"], width=40)
    assert text.splitlines()[0].split() == ["a", "b", "c"]  # the one that does not fit is left out
    wide = pd.DataFrame({f"required_column_{i}": [i * 1.5, i * 2.5] for i in range(12)})
    text = fit_table(wide, list(wide.columns), [], width=120)
    # required columns are never wrapped into blocks (pandas did: one table read as three): one line per row
    assert len(text.splitlines()) == 3 and text.splitlines()[0].split() == list(wide.columns)


def test_unsupported_ops_are_warned_about(tmp_path):
    layers = (
        Layer(name="conv1", op="conv", inputs=("input",), c=3, h=8, w=8, k=8, p=8, q=8, r=3, s=3, pad_h=1, pad_w=1, params=216),
        Layer(name="fc", op="linear", inputs=("conv1",), c=512, k=10, params=5120),
    )  # fmt: skip
    path = tmp_path / "partial.json"
    LayerGraph(name="partial", input_shape=(1, 3, 8, 8), layers=layers, unsupported=(("aten::roll", 2), ("aten::erf", 1))).save(path)
    proc = hwsim("sweep", str(path), "--accel", "ws_32x32", "--set", "array.rows=8,16", "-o", str(tmp_path / "s.csv"))
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert "partial" in warnings[0] and "aten::roll x2" in warnings[0] and "aten::erf x1" in warnings[0]


def test_a_host_model_is_not_a_sweep_base(graph_file, tmp_path):
    host = tmp_path / "host.yaml"
    host.write_text("kind: host\nname: my_cpu\n")
    proc = hwsim("sweep", str(graph_file), "--accel", str(host), "--set", "array.rows=8,16", "-o", str(tmp_path / "s.csv"))
    assert_clean_error(proc, "host.yaml", "host model")


def test_fastest_table_prints_numbers_as_every_table_does(graph_file, tmp_path, capsys):
    from hwsim.report.formatting import format_number

    out = tmp_path / "s.csv"
    assert main(["sweep", str(graph_file), "--accel", "ws_32x32", *SETS, "-o", str(out), "--top", "3"]) == 0
    text = capsys.readouterr().out
    lines = text.split("configurations of tiny on ws_32x32:\n")[1].splitlines()
    header = lines[0].split()
    assert header[:4] == ["array.rows", "array.cols", "dataflow", "latency_ms"]
    fastest = read_sweep(out).nsmallest(3, "latency_ms", keep="first")
    rows = [line.split() for line in lines[1:4]]
    # 4 significant digits (not raw floats like 0.0123456789), one line per configuration (not wrapped)
    assert [r[header.index("latency_ms")] for r in rows] == [format_number(v) for v in fastest["latency_ms"]]
    assert [r[header.index("utilization")] for r in rows] == [format_number(v) for v in fastest["utilization"]]
    assert len(lines) == 4 and "\\" not in text


def test_pareto_refuses_one_row_per_layer(graph_file, tmp_path, capsys):
    profile = tmp_path / "profile.csv"
    assert main(["profile", str(graph_file), "--accel", "ws_32x32", "-o", str(profile)]) == 0
    summary, layers = tmp_path / "s.csv", tmp_path / "layers.csv"
    assert main(["sweep", str(graph_file), "--accel", "ws_32x32", *SETS, "-o", str(summary), "--per-layer", str(layers)]) == 0
    capsys.readouterr()
    for path in (profile, layers):  # "1 of 4 configurations" was a front of layers
        assert main(["pareto", str(path), "--x", "cycles", "--y", "energy_pj" if path == profile else "dram_bytes"]) == 2
        err = capsys.readouterr().err
        assert err == (f"hwsim pareto: error: pareto: {path} has one row per layer (a per-layer profile or a sweep's "
                       "--per-layer output), not one per configuration: expected the -o output of `hwsim sweep`\n")
    assert main(["pareto", str(summary), "--x", "latency_ms", "--y", "energy_uj"]) == 0


def test_progress_bar_keeps_its_counts_on_an_80_column_terminal(graph_file, tmp_path):
    env = {**os.environ, "COLUMNS": "80"}
    proc = hwsim("sweep", str(graph_file), "--accel", "ws_32x32", "--set", "buffers.ifmap_kib=range(1,1200)",
                 "--set", "array.rows=8,16", "-o", str(tmp_path / "s.csv"), "--progress", env=env)
    assert proc.returncode == 0, proc.stderr
    # 1,199 x 2 = 2,398 configurations; the bar shrinks, the counts are never cut ("84920/2457...")
    last = proc.stderr.strip().splitlines()[-1]
    assert "2,398/2,398" in last and "configs/s" in last and "left" in last and len(last) <= 80


def test_pareto_refuses_a_share_above_one_as_resume_does(tmp_path, capsys):
    """pareto and --resume judge a sweep's numbers by one rule (kept_values.not_written_by_sweep)."""
    out = tmp_path / "s.csv"
    sweep("alexnet", "ws_8x8", {"array.rows": [4, 8]}, output=out)
    frame = pd.read_csv(out)
    frame.loc[1, "utilization"] = 1.5
    frame.to_csv(out, index=False)
    assert main(["pareto", str(out), "--x", "latency_ms", "--y", "utilization"]) == 2
    err = capsys.readouterr().err
    assert "line 3: utilization = 1.5: expected a number from 0 to 1" in err and err.count("\n") == 1
