"""``hwsim search`` end to end: table, CSV, plot, resume, and one-line errors with exit code 2."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from hwsim.cli import main
from hwsim.cli.search import parse_choice, parse_count
from hwsim.errors import ConfigError
from hwsim.explore.search.families.registry import register, unregister
from hwsim.explore.search.families.squeezenext import SQUEEZENEXT
from tests.cli_helpers import assert_clean_error, hwsim
from tests.explore.search.toy_family import CHAIN
from tests.figure_helpers import saved_figures


@pytest.fixture(autouse=True)
def template_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path_factory.getbasetemp() / "hwsim-template-cache"  # shared with test_assemble/test_search
    folder.mkdir(exist_ok=True)
    monkeypatch.setenv("HWSIM_CACHE_DIR", str(folder))


def test_parse_count_and_choices() -> None:
    assert parse_count("--max-macs", "300M") == 300 * 10**6
    assert parse_count("--max-macs", "0.25G") == 250 * 10**6
    assert parse_count("--max-params", "1.5k") == 1500
    assert parse_count("--max-params", "3e5") == 300_000
    assert parse_count("--max-params", None) is None
    conv1, shortcut = SQUEEZENEXT.choices
    assert parse_choice(conv1, "7, 5") == (7, 5)
    assert parse_choice(shortcut, "V5,v1") == ("v5", "v1")
    for bad in ("3", "5,5", "", "x"):
        with pytest.raises(ConfigError, match=f"--conv1 '{bad}': expected distinct kernel sizes from 5,7, e.g. 5,7"):
            parse_choice(conv1, bad)
    with pytest.raises(ConfigError):
        parse_count("--max-macs", "lots")


def test_family_flags_come_from_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    def search_help() -> str:
        with pytest.raises(SystemExit):
            main(["search", "--help"])
        return capsys.readouterr().out

    text = search_help()
    assert "--conv1" in text and "--shortcut" in text and "--width" in text and "--kernel" not in text
    register(CHAIN)
    try:
        text = search_help()
        assert "--kernel" in text and "--channels" in text and "shufflenet_v2, chain" in text
    finally:
        unregister(CHAIN.name)


def test_search_writes_csv_table_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    figures = saved_figures(monkeypatch)
    out, png = tmp_path / "search.csv", tmp_path / "search.png"
    argv = ["search", "squeezenext", "--accel", "best_32x32", "--depth", "10", "--top", "3", "-o", str(out),
            "--plot", str(png)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    # depth 10 = 8 blocks over 4 stages: C(7, 3) = 35 allocations x 2 conv1 x 2 shortcuts
    assert "140 candidates (35 allocations x 2 conv1 x 2 shortcut)" in text
    assert "Top 3 of 140 by latency" in text and "Pareto front" in text
    assert "v1" in text and "outside the space" in text  # v1..v5 have 21 blocks
    # ... so the best is not compared with them (an 8-block network beating a 21-block one says nothing)
    assert "v1..v5 are outside this search space, so the best is not compared with them" in text
    assert " vs v1" not in text and "faster" not in text
    header = next(line for line in text.splitlines() if line.lstrip().startswith("rank"))
    assert "edp_uj_ms" in header.split()  # the table header names the unit
    assert max(len(line) for line in text.splitlines()) <= 120
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 140 and rows[0]["rank"] == "1"
    assert png.read_bytes()[:4] == b"\x89PNG"
    (fig,) = figures  # every candidate of the CSV is a point at (MACs in millions, latency)
    points = {tuple(xy) for xy in fig.axes[0].collections[0].get_offsets()}
    assert points == {(int(r["macs"]) / 1e6, float(r["latency_ms"])) for r in rows}
    # resume: nothing left to simulate, same file
    before = out.read_text()
    assert main(argv[:-2] + ["--resume"]) == 0
    assert "140 resumed, 0 simulated" in capsys.readouterr().out
    assert out.read_text() == before


def test_constraints_and_objective(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "edp.csv"
    argv = ["search", "squeezenext", "--accel", "ws_32x32", "--blocks-total", "8", "--conv1", "5",
            "--shortcut", "v5", "--objective", "edp", "--max-params", "450k", "-o", str(out)]
    assert main(argv) == 0
    assert "ranked by edp" in capsys.readouterr().out
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(int(r["params"]) <= 450_000 for r in rows)
    assert all((r["conv1"], r["shortcut"]) == ("5", "v5") for r in rows)
    edp = [float(r["edp_uj_ms"]) for r in rows]
    assert edp == sorted(edp)
    for r in rows:  # energy-delay product in uJ x ms
        assert float(r["edp_uj_ms"]) == pytest.approx(float(r["energy_uj"]) * float(r["latency_ms"]), rel=1e-12)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["resnet"], "unknown family 'resnet'; expected one of squeezenext"),
        (["squeezenext", "--blocks-total", "3"], "no allocation is possible"),
        (["squeezenext", "--stages", "3", "--min-blocks", "3", "--blocks-total", "8"], "no allocation is possible"),
        (["squeezenext", "--conv1", "3,5"], "--conv1"),
        (["squeezenext", "--shortcut", "v9"], "--shortcut"),
        (["squeezenext", "--max-macs", "1k"], "no candidate meets"),
        (["squeezenext", "--accel", "nope_8x8"], "unknown accelerator"),
        (["mobilenet_v2", "--stages", "5"], "mobilenet_v2: stages=5; the family has the 7 stages of Table 2"),
        (["mobilenet_v1", "--width", "0"], "mobilenet_v1: width must be a positive number, got 0.0"),
        (["mobilenet_v1", "--conv1", "5"], "--conv1 does not apply to the mobilenet_v1 family"),
        (["shufflenet_v2", "--width", "0.75"], "width (scale factor) must be one of 0.5, 1.0, 1.5, 2.0, got 0.75"),
        (["shufflenet_v2", "--input-size", "160"], "--input-size does not apply to the shufflenet_v2 family"),
        (["shufflenet_v1", "--groups", "5"], "--groups '5': expected distinct group counts from 1,2,3,4,8"),
    ],
)
def test_errors_are_one_line_with_exit_code_2(args: list[str], message: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["search", *args, "-o", str(tmp_path / "x.csv")]
    if "--accel" not in argv:
        argv += ["--accel", "ws_32x32"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and err.startswith("hwsim search: error:")


def test_bad_outputs_and_inputs_fail_before_any_work(tmp_path: Path) -> None:
    """One line, exit 2, nothing on stdout (the search did not run): binary --resume file, figure
    suffix and folder of --plot, a host model given as the accelerator."""
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x81" * 8)
    base = ("search", "squeezenext", "--accel", "ws_32x32", "--blocks-total", "5")
    proc = hwsim(*base, "-o", str(binary), "--resume")
    assert_clean_error(proc, "bin.csv: not a search results file", "drop --resume")
    out = str(tmp_path / "x.csv")
    for plot, message in ((tmp_path / "s.txt", ".png"), (tmp_path / "nodir" / "s.png", "does not exist")):
        proc = hwsim(*base, "-o", out, "--plot", str(plot))
        assert_clean_error(proc, f"--plot {plot}", message)
        assert proc.stdout == ""
    host = tmp_path / "host_cpu.yaml"
    host.write_text("kind: host\nname: host_cpu\n")
    proc = hwsim("search", "squeezenext", "--accel", str(host), "-o", out)
    assert_clean_error(proc, "host_cpu.yaml", "is a host model")
    assert not Path(out).exists()


@pytest.fixture
def chain_family() -> Iterator[None]:
    register(CHAIN)
    yield
    unregister(CHAIN.name)


def test_a_registered_family_is_searched_from_the_command_line(chain_family: None, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "chain.csv"
    argv = ["search", "chain", "--accel", "ws_8x8", "--depth", "6", "--kernel", "3", "--channels", "16", "-o", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    # depth 6 = stem + 4 blocks + head over the family's 2 stages: C(3, 1) = 3 allocations x 1 kernel
    assert "space: 4 blocks over 2 stages (>= 1 each), kernel 3" in text
    assert "3 candidates (3 allocations x 1 kernel)" in text and "Published chains and where they rank" in text
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["kernel"], r["channels"]) for r in rows] == [("3", "16")] * 3
    for flags, message in ((["--conv1", "5"], "--conv1 does not apply to the chain family"),
                           (["--kernel", "5"], "--kernel '5': expected distinct kernel sizes from 1,3, e.g. 1,3")):
        assert main(["search", "chain", "--accel", "ws_8x8", *flags, "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err
    assert main(["search", "squeezenext", "--accel", "ws_8x8", "--kernel", "3", "-o", str(out)]) == 2
    assert "--kernel does not apply to the squeezenext family" in capsys.readouterr().err


STAGED = [
    # (family, candidates: stars and bars over the family's stages (x 5 groups), the published allocation, labels)
    ("mobilenet_v1", math.comb(13 - 1, 5 - 1), "1-2-2-6-2", ["paper"]),
    ("mobilenet_v2", math.comb(17 - 1, 7 - 1), "1-2-3-4-3-3-1", ["paper"]),
    ("shufflenet_v1", math.comb(16 - 1, 3 - 1) * 5, "4-8-4", ["g1", "g2", "g3", "g4", "g8"]),
    ("shufflenet_v2", math.comb(16 - 1, 3 - 1), "4-8-4", ["paper"]),
]


@pytest.mark.parametrize(("name", "count", "allocation", "labels"), STAGED, ids=[case[0] for case in STAGED])
def test_the_staged_families_are_searched_from_the_command_line(name: str, count: int, allocation: str,
                                                                labels: list[str], tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"{name}.csv"
    assert main(["search", name, "--accel", "ws_32x32", "--top", "3", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"{name} block-allocation search on ws_32x32" in text and f"{count:,} candidates" in text
    assert max(len(line) for line in text.splitlines()) <= 120
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == count and [int(r["rank"]) for r in rows] == list(range(1, count + 1))
    assert {r["width"] for r in rows} == {"1.0"}
    # each published network's rank in the report is its row's rank in the CSV
    table = text.split("and where they rank\n")[1].split("\n\n")[0].splitlines()[1:]
    assert len(table) == len(labels)
    for label, line in zip(labels, table):
        groups = label[1:] if name == "shufflenet_v1" else None  # g3 -> the groups column's 3
        row = next(r for r in rows if r["allocation"] == allocation and r.get("groups") == groups)
        assert line.split()[:3] == [label, f"{row['rank']}/{count}", allocation]


def test_a_mobilenet_search_takes_the_width_and_the_input_size(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "small.csv"
    argv = ["search", "mobilenet_v1", "--accel", "ws_16x16", "--width", "0.5", "--input-size", "128",
            "--min-blocks", "2", "-o", str(out)]
    assert main(argv) == 0
    # 3 pairs left over 5 stages once each has two: C(3 + 4, 4) = 35
    assert "space: 13 blocks over 5 stages (>= 2 each), width 0.5, input 128" in capsys.readouterr().out
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == math.comb(7, 4) and {(r["width"], r["input_size"]) for r in rows} == {("0.5", "128")}


def test_joint_search_over_set_fields_writes_pairs_table_and_area_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    figures = saved_figures(monkeypatch)
    out, png = tmp_path / "joint.csv", tmp_path / "joint.png"
    argv = ["search", "squeezenext", "--accel", "ws_32x32", "--depth", "10", "--conv1", "5", "--shortcut", "v5",
            "--set", "array.rows=16,32", "--set", "dram.bandwidth_bytes_per_cycle=8,32", "--max-area", "1.5",
            "--top", "3", "-o", str(out), "--plot", str(png)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    flat = text.replace("\n  ", " ")  # prose lines wrap at 120 columns
    # 35 allocations x 4 configurations; 16 rows: 512 PEs x 426.528 um² + 192 KiB of SRAM = 1.385 mm² <= 1.5 < 1.603
    assert "140 pairs: 35 candidates (35 allocations x 1 conv1 x 1 shortcut) x 4 configurations" in text
    assert "constraints: area <= 1.5 mm2; 70 ranked by latency" in flat and "70 filtered out" in text
    assert "configurations: array.rows 16/32, dram.bandwidth_bytes_per_cycle 8/32 (area 1.385 to 1.603 mm2)" in text
    assert "accuracy: not measured" in text and "Best by area" in text
    assert max(len(line) for line in text.splitlines()) <= 120
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 70 and {r["array.rows"] for r in rows} == {"16"}
    assert {r["dram.bandwidth_bytes_per_cycle"] for r in rows} == {"8", "32"}
    assert all(float(r["area_mm2"]) == pytest.approx(512 * 426.528e-6 + 192 * 119 / (153 * 2**20) * 8192) for r in rows)
    (fig,) = figures  # every pair at (area, latency)
    points = {tuple(xy) for xy in fig.axes[0].collections[0].get_offsets()}
    assert points == {(float(r["area_mm2"]), float(r["latency_ms"])) for r in rows}
    assert fig.axes[0].get_xlabel().startswith("chip area (mm2")
    assert main(argv[:-2] + ["--resume"]) == 0
    assert "70 resumed, 0 simulated" in capsys.readouterr().out


def test_joint_search_in_worker_processes_gives_the_rows_of_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from hwsim.explore.search import configurations

    monkeypatch.setattr(configurations, "TASK_CONFIGS", 2)  # 4 configurations in 2 tasks: the workers get both
    argv = ["search", "squeezenext", "--accel", "ws_32x32", "--depth", "6", "--set", "array.rows=16,32",
            "--set", "dram.bandwidth_bytes_per_cycle=8,32"]  # the shipped accelerator (a frozen copy) goes to the workers
    tables = []
    for workers in ("1", "2"):
        out = tmp_path / f"workers{workers}.csv"
        assert main([*argv, "--workers", workers, "-o", str(out)]) == 0
        tables.append(out.read_text())
    capsys.readouterr()
    assert tables[0] == tables[1] and len(tables[0].splitlines()) > 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "array.row=16"], "unknown sweep field 'array.row'; did you mean array.rows"),
        (["--set", "array.rows=16", "--set", "array.rows=32"], "--set array.rows: field given twice"),
        (["--set", "dataflow=ws,xs"], "sweep field dataflow: value 'xs': expected one of ws, os, is, best"),
        (["--max-area", "0"], "--max-area '0': expected a finite number > 0"),
        (["--max-latency", "fast"], "--max-latency 'fast': expected a finite number > 0"),
        (["--objective", "accuracy"], "--objective accuracy needs measured accuracies: --accuracy FILE.csv"),
        (["--accuracy", "missing.csv"], "missing.csv: cannot read the accuracy file"),
        (["--max-area", "0.01", "--set", "array.rows=8,16"], "no pair meets the constraints (area <= 0.01 mm2)"),
    ],
)
def test_joint_search_errors_are_one_line_with_exit_code_2(args: list[str], message: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["search", "squeezenext", "--accel", "ws_32x32", "--depth", "6", *args, "-o", "x.csv"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and err.startswith("hwsim search: error:")


def test_accuracy_file_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    accuracy = tmp_path / "measured.csv"
    accuracy.write_text("allocation,conv1,shortcut,accuracy\n2-4-14-1,5,v5,67.5\n1-1-18-1,5,v5,66.0\n")
    out = tmp_path / "acc.csv"
    argv = ["search", "squeezenext", "--accel", "ws_32x32", "--accuracy", str(accuracy), "--objective", "accuracy",
            "--set", "dataflow=ws,os", "-o", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out.replace("\n  ", " ")  # prose lines wrap at 120 columns
    assert f"accuracy: measured, from {accuracy}; 9,116 pairs without a measured accuracy left out" in text  # 4,558 x 2
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["allocation"], r["accuracy"]) for r in rows][:2] == [("2-4-14-1", "67.5")] * 2 and len(rows) == 4
