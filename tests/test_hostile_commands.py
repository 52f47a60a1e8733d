"""The hostile corpus for the subcommands and input formats not covered in test_hostile_inputs.py:
pareto's sweep CSV, search's --accuracy CSV and its options, show, list, measure, correlate,
calibrate and its measurement cache, the sweep's --set grammar and options, resumed outputs of
another kind, and model/accelerator arguments of the wrong kind. Each case: exit 2, one stderr
line naming the file/field/value and what was expected (tests/hostile_helpers.py). Also: the
size of the whole corpus."""

from __future__ import annotations

import json

import pytest

from hwsim.graph.layer_graph import LayerGraph
from hwsim.measure.host_info import HostInfo
from hwsim.measure.results import LatencyStats, ModelMeasurement

from tests.hostile_helpers import Case, check_case
from tests.test_hostile_inputs import ACCEL, CASES as INPUT_CASES, GOOD_GRAPH, HOST, accel_yaml
from tests.test_hostile_onnx import ONNX_CASES

# --------------------------------------------------------------------------------------------
# A sweep's output (pareto's input): a real header, four rows written as `hwsim sweep` writes them

SWEEP_HEADER = ("model,config_id,array.rows,array.cols,accelerator,macs,cycles,latency_ms,energy_uj,area_mm2,utilization,"
                "bound")
SWEEP_ROWS = ["alexnet,07c593c16cd97fca,4,8,ws_8x8,716767232,49284184,98.568368,18222.09,0.318,0.45,compute",
              "alexnet,1b2c3d4e5f607182,4,16,ws_8x8,716767232,36905020,73.81004,35635.1,0.330,0.30,compute",
              "alexnet,2233445566778899,8,8,ws_8x8,716767232,27000000,54.0,20000.5,0.322,0.41,compute",
              "alexnet,aabbccddeeff0011,8,16,ws_8x8,716767232,20000000,40.0,25000.0,0.340,0.28,compute"]
SWEEP = SWEEP_HEADER + "\n" + "\n".join(SWEEP_ROWS) + "\n"


def sweep_with(row: int, column: str, text: str) -> str:
    """The sweep output with one cell (``row`` 0-based, data rows only) replaced by ``text``."""
    header = SWEEP_HEADER.split(",")
    rows = [line.split(",") for line in SWEEP_ROWS]
    rows[row][header.index(column)] = text
    return SWEEP_HEADER + "\n" + "\n".join(",".join(cells) for cells in rows) + "\n"


PARETO = ("pareto", "{d}/s.csv", "--x", "latency_ms", "--y", "energy_uj")


def pareto_case(id_: str, content: str | bytes | None, *fragments: str, argv: tuple[str, ...] = PARETO) -> Case:
    return Case(f"pareto-{id_}", argv, fragments, {} if content is None else {"s.csv": content})


PARETO_CASES = [
    pareto_case("empty", "", "s.csv: holds no rows: expected the output of `hwsim sweep`"),
    pareto_case("header-only", SWEEP_HEADER + "\n", "holds no rows (only a header)"),
    pareto_case("no-column", SWEEP, "no column 'speed': expected one of the numeric columns", "latency_ms",
                argv=("pareto", "{d}/s.csv", "--x", "speed", "--y", "energy_uj")),
    pareto_case("no-z-column", SWEEP, "no column 'power'", argv=(*PARETO, "--z", "power")),
    pareto_case("text-objective", sweep_with(1, "latency_ms", "fast"), "not a numeric column 'latency_ms'"),
    pareto_case("digits-objective", sweep_with(0, "latency_ms", "9" * 5000), "not a numeric column 'latency_ms'"),
    pareto_case("string-column", SWEEP, "not a numeric column 'bound'", argv=("pareto", "{d}/s.csv", "--x", "bound", "--y", "cycles")),
    pareto_case("model-column", SWEEP, "not a numeric column 'model'", argv=("pareto", "{d}/s.csv", "--x", "model", "--y", "cycles")),
    pareto_case("negative", sweep_with(2, "latency_ms", "-5"), "s.csv: line 4: latency_ms = -5.0: expected a finite number >= 0"),
    pareto_case("infinite", sweep_with(0, "energy_uj", "inf"), "line 2: energy_uj = inf"),
    pareto_case("overflow", sweep_with(3, "energy_uj", "1e400"), "line 5: energy_uj = inf"),
    pareto_case("empty-cell", sweep_with(1, "latency_ms", ""), "line 3: latency_ms = nan: expected a finite number >= 0"),
    pareto_case("negative-third-objective", sweep_with(1, "area_mm2", "-0.3"), "line 3: area_mm2 = -0.3",
                argv=(*PARETO, "--z", "area_mm2")),
    pareto_case("negative-in-other-model", SWEEP.replace("alexnet,2233", "vgg,2233").replace(",54.0,", ",-54.0,"),
                "line 4: latency_ms = -54.0", argv=(*PARETO, "--model", "vgg")),
    pareto_case("duplicate-row", SWEEP + SWEEP_ROWS[1] + "\n", "model alexnet, config_id 1b2c3d4e5f607182 appears twice: "
                "expected one row per configuration"),
    pareto_case("empty-config-ids", sweep_with(0, "config_id", "").replace(",1b2c3d4e5f607182,", ",,"), "appears twice"),
    pareto_case("same-objective", SWEEP, "objective given twice in latency_ms, latency_ms: expected distinct objectives",
                argv=("pareto", "{d}/s.csv", "--x", "latency_ms", "--y", "latency_ms")),
    pareto_case("unknown-model", SWEEP, "model 'resnet' is not in {d}/s.csv: expected one of its models (alexnet)",
                argv=(*PARETO, "--model", "resnet")),
    pareto_case("per-layer", "model,config_id,layer,latency_ms,energy_uj\nalexnet,a,conv1,1,2\n", "has one row per layer",
                "expected the -o output of `hwsim sweep`"),
    pareto_case("foreign-header", "a,b,c\n1,2,3\n", "no column 'latency_ms': expected one of the numeric columns a, b, c"),
    Case("pareto-json-file", ("pareto", "{d}/s.json", "--x", "latency_ms", "--y", "energy_uj"),
         ("s.json: unsupported sweep output: expected a .csv file or a .parquet dataset directory",), {"s.json": "{}"}),
    pareto_case("parquet-without-parts", None, "holds no rows: expected the output of `hwsim sweep`",
                argv=("pareto", "{d}", "--x", "latency_ms", "--y", "energy_uj")),
    pareto_case("plot-suffix", SWEEP, "--plot {d}/f.txt: expected a file name ending in .png", argv=(*PARETO, "--plot", "{d}/f.txt")),
    pareto_case("output-is-input", SWEEP, "-o {d}/s.csv", "is the input", argv=(*PARETO, "-o", "{d}/s.csv")),
    pareto_case("output-format", SWEEP, "-o {d}/f.json: is a .json file name but --format is csv",
                argv=(*PARETO, "-o", "{d}/f.json", "--format", "csv")),
]
PARETO_CASES[-4] = Case("pareto-parquet-without-parts", ("pareto", "{d}/s.parquet", "--x", "latency_ms", "--y", "energy_uj"),
                        ("s.parquet: holds no rows",), {"s.parquet/notes.txt": "not a part"})

# --------------------------------------------------------------------------------------------
# search --accuracy FILE.csv (space: 6 SqueezeNext blocks over 3 stages)

SEARCH = ("search", "squeezenext", "--accel", "ws_8x8", "--blocks-total", "6", "--stages", "3", "-o", "{d}/x.csv")


def accuracy_case(id_: str, content: str | bytes | None, *fragments: str) -> Case:
    return Case(f"accuracy-{id_}", (*SEARCH, "--accuracy", "{d}/acc.csv"), ("acc.csv", *fragments),
                {} if content is None else {"acc.csv": content})


ACCURACY_CASES = [
    accuracy_case("missing", None, "cannot read the accuracy file"),
    accuracy_case("empty", "", "empty; expected a header with the columns allocation, accuracy"),
    accuracy_case("binary", b"\xff\xfe\x00a", "cannot read the accuracy file: not UTF-8 text"),
    accuracy_case("oversized", "allocation,accuracy\n" + "1-4-1,70\n" * 150_000, "larger than 1,048,576 bytes"),
    accuracy_case("unknown-column", "allocation,accuracy,colour\n1-4-1,70,red\n", "unknown column 'colour'"),
    accuracy_case("no-accuracy", "allocation\n1-4-1\n", "no column 'accuracy'"),
    accuracy_case("column-twice", "allocation,accuracy,accuracy\n1-4-1,70,71\n", "a column twice"),
    accuracy_case("no-rows", "allocation,accuracy\n", "no rows; expected one row per measured candidate"),
    accuracy_case("allocation-words", "allocation,accuracy\none-two,70\n", "line 2: allocation 'one-two': expected blocks per stage"),
    accuracy_case("allocation-digits", "allocation,accuracy\n" + "9" * 5000 + ",70\n", "line 2: allocation '9999"),
    accuracy_case("allocation-negative", "allocation,accuracy\n-1-4-3,70\n", "allocation '-1-4-3'"),
    accuracy_case("allocation-huge", "allocation,accuracy\n99999999999999999999-1-1,70\n", "is not in this search's space: expected"),
    accuracy_case("allocation-stages", "allocation,accuracy\n2-2-2-2,70\n", "allocation 2-2-2-2", "not in this search's space"),
    accuracy_case("nan", "allocation,accuracy\n1-4-1,nan\n", "line 2: accuracy 'nan': expected a finite number"),
    accuracy_case("overflow", "allocation,accuracy\n1-4-1,1e400\n", "accuracy '1e400'"),
    accuracy_case("text", "allocation,accuracy\n1-4-1,good\n", "accuracy 'good'"),
    accuracy_case("nul", "allocation,accuracy\n1-4-1,7\x000\n", "accuracy '7\\x000'"),
    accuracy_case("twice", "allocation,accuracy\n1-4-1,70\n1-4-1,71\n", "line 3: allocation 1-4-1", "given twice: expected one row"),
    accuracy_case("cells", "allocation,accuracy\n1-4-1,70,3\n", "line 2: 3 cells for 2 columns: expected 2"),
    accuracy_case("open-quote", 'allocation,accuracy\n"1-4-1,70\n', "line 2: 1 cells for 2 columns"),
    accuracy_case("choice", "allocation,accuracy,conv1\n1-4-1,70,9\n", "line 2: conv1 '9': expected one of 5, 7"),
    accuracy_case("output-is-input", "allocation,accuracy\n1-4-1,70\n", "is the input"),
]
ACCURACY_CASES[-1] = Case("accuracy-output-is-input", (*SEARCH[:-1], "{d}/acc.csv", "--accuracy", "{d}/acc.csv"),
                          ("-o {d}/acc.csv", "is the input"), {"acc.csv": "allocation,accuracy\n1-4-1,70\n"})

# --------------------------------------------------------------------------------------------
# search options and resumed outputs of another kind


def search_case(id_: str, extra: tuple[str, ...], *fragments: str, files: dict[str, str | bytes] | None = None,
                argv: tuple[str, ...] = SEARCH) -> Case:
    return Case(f"search-{id_}", (*argv, *extra), fragments, files or {})


SEARCH_CASES = [
    search_case("family", (), "unknown family 'resnet'; expected one of squeezenext",
                argv=("search", "resnet", "--accel", "ws_8x8", "-o", "{d}/x.csv")),
    search_case("conv1", ("--conv1", "9"), "--conv1 '9': expected distinct kernel sizes from 5,7"),
    search_case("groups", ("--groups", "5"), "--groups '5': expected distinct group counts",
                argv=("search", "shufflenet_v1", "--accel", "ws_8x8", "-o", "{d}/x.csv")),
    search_case("min-blocks", ("--min-blocks", "100"), "no allocation is possible (expected"),
    search_case("foreign-option", ("--input-size", "160"), "--input-size does not apply to the squeezenext family (expected"),
    search_case("max-area", ("--max-area", "-1"), "--max-area '-1': expected a finite number > 0"),
    search_case("max-latency", ("--max-latency", "nan"), "--max-latency 'nan'"),
    search_case("set-rows", ("--set", "array.rows=0"), "sweep field array.rows: value 0: expected an integer > 0"),
    search_case("objective", ("--objective", "speed"), "--objective", "invalid choice: 'speed' (choose from"),
    search_case("objective-accuracy", ("--objective", "accuracy"), "--objective accuracy needs measured accuracies",
                "(expected with it)"),
    search_case("output-suffix", (), "-o {d}/x.txt: expected a file name ending in .csv",
                argv=(*SEARCH[:-1], "{d}/x.txt")),
    search_case("output-folder", (), "-o {d}/sub.csv: is a folder; expected a file name", argv=(*SEARCH[:-1], "{d}/sub.csv"),
                files={"sub.csv/keep": ""}),
    search_case("resume-foreign", ("--resume",), "x.csv: not a search results file of this search (expected columns",
                files={"x.csv": "a,b\n1,2\n"}),
    search_case("resume-binary", ("--resume",), "not a search results file", files={"x.csv": b"\xff\xfe\x00"}),
]

# --------------------------------------------------------------------------------------------
# show, list, measure, correlate, calibrate

MEASUREMENT = ModelMeasurement(
    model="alexnet", graph=LayerGraph.from_json(GOOD_GRAPH, "g.json"),
    info=HostInfo(device="cpu", device_model="test cpu", cpu_model="test cpu", torch_version="0", threads=1),
    batch=1, warmup=1, repeats=2, end_to_end=LatencyStats((1e-3, 2e-3)), instrumented=LatencyStats((1e-3, 2e-3)),
    layer_seconds=(1e-3,), date="2024-01-02",
).to_dict()


def measurement(**changes) -> str:
    return json.dumps({**MEASUREMENT, **changes})


CALIBRATE = ("calibrate", "--models", "alexnet", "-o", "{d}/h.yaml")


def cache_case(id_: str, first_line: str, *fragments: str) -> Case:
    """A measurement cache whose first line is ``first_line`` (a valid entry follows)."""
    return Case(f"calibrate-cache-{id_}", CALIBRATE, ("h.measurements.jsonl: line 1: not a measurement", *fragments, "--fresh"),
                {"h.measurements.jsonl": first_line + "\n" + measurement() + "\n"})


TOOL_CASES = [
    Case("show-unknown", ("show", "ws_9x9"), ("unknown accelerator 'ws_9x9'; did you mean ws_8x8",)),
    Case("show-format", ("show", "ws_8x8", "--format", "xml"), ("--format", "invalid choice: 'xml'",)),
    Case("show-csv", ("show", "ws_8x8", "-o", "{d}/a.csv"), ("-o {d}/a.csv: a specification has no CSV form; expected",)),
    Case("show-suffix-format", ("show", "ws_8x8", "-o", "{d}/a.json", "--format", "yaml"),
         ("-o {d}/a.json: is a .json file name but --format is yaml",)),
    Case("show-output-is-input", ("show", "{d}/a.yaml", "-o", "{d}/a.yaml"), ("-o {d}/a.yaml", "is the input"),
         {"a.yaml": accel_yaml()}),
    Case("show-bad-yaml", ("show", "{d}/a.yaml"), ("a.yaml: invalid YAML at line 2",), {"a.yaml": "name: [\n"}),
    Case("show-folder", ("show", "{d}"), ("unsupported accelerator file type '(none)': expected .yaml",)),
    Case("show-host-model", ("show", "{d}/h.yaml"), ("h.yaml", "bandwidth_bytes_per_s = -1.0"),
         {"h.yaml": json.dumps({**HOST, "bandwidth_bytes_per_s": -1.0})}),
    Case("show-cfg", ("show", "{d}/c.cfg"), ("c.cfg", "line 1: expected a [section] header"), {"c.cfg": "ArrayHeight: 8\n"}),
    Case("show-accel-key", ("show", "{d}/a.yaml"), ("a.yaml", "clok_mhz = 500: unknown key"), {"a.yaml": accel_yaml(clok_mhz="500")}),
    Case("list-what", ("list", "gadgets"), ("invalid choice: 'gadgets' (choose from 'models', 'accelerators')",)),
    Case("list-folder", ("list", "models", "-o", "{d}/none/x.csv"), ("{d}/none/x.csv", "expected a writable folder")),
    Case("list-format", ("list", "models", "-o", "{d}/x.json", "--format", "csv"), ("-o {d}/x.json: is a .json file name",)),
    Case("measure-onnx", ("measure", "{d}/m.onnx"), ("m.onnx: cannot measure a graph, topology or ONNX file",), {"m.onnx": b"x"}),
    Case("measure-graph", ("measure", "{d}/g.json"), ("g.json: cannot measure",), {"g.json": GOOD_GRAPH}),
    Case("measure-topology", ("measure", "{d}/t.csv"), ("t.csv: cannot measure",), {"t.csv": "Layer, M, N, K,\nfc, 1, 1, 1,\n"}),
    Case("measure-device", ("measure", "alexnet", "--device", "tpu"), ("--device", "invalid choice: 'tpu'")),
    Case("measure-unknown", ("measure", "alexnett"), ("unknown model 'alexnett'; did you mean alexnet",)),
    Case("measure-input-size", ("measure", "alexnet", "--input-size", "0x7"), ("--input-size '0x7'",)),
    Case("measure-output-format", ("measure", "alexnet", "-o", "{d}/m.csv", "--format", "json"), ("--format is json",)),
    Case("correlate-unknown", ("correlate", "alexnett", "--accel", "ws_8x8"), ("unknown model 'alexnett'",)),
    Case("correlate-accel", ("correlate", "alexnet", "--accel", "ws_9x9"), ("unknown accelerator 'ws_9x9'",)),
    Case("correlate-accel-file", ("correlate", "alexnet", "--accel", "{d}/a.yaml"), ("a.yaml", "word_bytes = 0"),
         {"a.yaml": accel_yaml(word_bytes="0")}),
    Case("correlate-graph", ("correlate", "{d}/g.json", "--accel", "ws_8x8"), ("g.json: cannot measure",), {"g.json": GOOD_GRAPH}),
    Case("correlate-plot", ("correlate", "alexnet", "--accel", "ws_8x8", "--plot", "{d}/p.txt"), ("--plot {d}/p.txt: expected",)),
    Case("correlate-repeats", ("correlate", "alexnet", "--accel", "ws_8x8", "--repeats", "0"), ("--repeats", "'0'")),
    Case("calibrate-models", ("calibrate", "--models", ",", "-o", "{d}/h.yaml"), ("--models: expected at least one model name",)),
    Case("calibrate-unknown", ("calibrate", "--models", "alexnet,nonet", "-o", "{d}/h.yaml"), ("unknown model 'nonet'",)),
    Case("calibrate-weighting", ("calibrate", "--weighting", "cubic", "-o", "{d}/h.yaml"), ("invalid choice: 'cubic'",)),
    Case("calibrate-suffix", ("calibrate", "-o", "{d}/h.json"), ("-o {d}/h.json: expected a .yaml file name",)),
    Case("calibrate-folder", ("calibrate", "-o", "{d}/none/h.yaml"), ("folder {d}/none does not exist",)),
    cache_case("garbage", "not json", "Expecting value"),
    cache_case("not-object", "[1, 2]", "expected one JSON object per line"),
    cache_case("other-format", json.dumps({"format": "other"}), "not an hwsim measurement"),
    cache_case("deep", "[" * 100_000 + "]" * 100_000, "expected one JSON object per line"),
    cache_case("nan-sample", measurement(end_to_end_s=[1e-3, float("nan")]), "latency samples: nan: expected finite seconds >= 0"),
    cache_case("negative-layer", measurement(layer_seconds=[-1e-3]), "layer times: -0.001: expected finite seconds >= 0"),
    cache_case("infinite-layer", measurement(unattributed_s=float("inf")), "layer times: inf"),
    cache_case("layer-count", measurement(layer_seconds=[1e-3, 1e-3]), "2 layer times for 1 layers"),
    cache_case("no-samples", measurement(instrumented_s=[]), "needs at least one sample"),
    cache_case("batch-overflow", measurement(batch=float("inf")), "cannot convert float infinity to integer"),
    cache_case("graph", measurement(graph={"format": "hwsim.LayerGraph", "version": 1, "layers": []}), "missing top-level key 'name'"),
    cache_case("missing-key", json.dumps({k: v for k, v in MEASUREMENT.items() if k != "layer_seconds"}), "'layer_seconds'"),
]

# --------------------------------------------------------------------------------------------
# sweep: the --set grammar, options, outputs


SWEEP_CMD = ("sweep", "alexnet", "--accel", "ws_8x8", "-o", "{d}/s.csv")


def set_case(id_: str, sets: tuple[str, ...], *fragments: str, extra: tuple[str, ...] = ()) -> Case:
    return Case(f"sweep-{id_}", (*SWEEP_CMD, *(a for s in sets for a in ("--set", s)), *extra), fragments)


SWEEP_CASES = [
    set_case("set-unknown", ("array.depth=4",), "unknown sweep field 'array.depth'"),
    set_case("set-no-equals", ("array.rows",), "--set 'array.rows': expected FIELD=V1,V2,..."),
    set_case("set-empty", ("array.rows=",), "--set array.rows: '': expected a comma-separated list of values"),
    set_case("set-empty-item", ("array.rows=4,,8",), "'4,,8': expected a comma-separated list"),
    set_case("set-twice", ("array.rows=4", "array.rows=8"), "--set array.rows: field given twice"),
    set_case("set-value-twice", ("array.rows=4,4",), "sweep field array.rows: value 4 given twice"),
    set_case("set-dataflow", ("dataflow=rs",), "sweep field dataflow: value 'rs': expected one of ws, os, is, best"),
    set_case("set-ports", ("dram.ports=many",), "value 'many': expected shared or per_operand"),
    set_case("set-step-zero", ("array.rows=range(4,8,0)",), "'range(4,8,0)': expected range(START,STOP[,STEP]) with integers"),
    set_case("set-empty-range", ("array.rows=range(8,4)",), "'range(8,4)' is empty: expected at least one value"),
    set_case("set-float-range", ("array.rows=range(1.5,4)",), "--set array.rows", "expected range("),
    set_case("set-nan", ("clock_mhz=nan",), "sweep field clock_mhz: value nan: expected a finite number > 0"),
    set_case("set-bool", ("array.rows=true",), "--set array.rows: value 'true': expected an integer"),
    set_case("set-name", ("name=x",), "sweep field 'name' cannot be swept (it does not change the hardware): expected one of"),
    set_case("set-negative-buffer", ("buffers.ifmap_kib=-1",), "sweep field buffers.ifmap_kib", "> 0"),
    set_case("set-rows-float", ("array.rows=8.0",), "--set array.rows: value '8.0': expected an integer"),
    set_case("chunk-size", (), "--chunk-size", "'0'", extra=("--chunk-size", "0")),
    set_case("workers", (), "--workers", "'99999999999'", extra=("--workers", "99999999999")),
    set_case("top", (), "--top", "'0'", extra=("--top", "0")),
    set_case("per-layer-suffix", (), "--per-layer {d}/l.txt: expected a file name ending in .csv", extra=("--per-layer", "{d}/l.txt")),
    set_case("per-layer-is-output", (), "--per-layer {d}/s.csv: is the summary output (-o) too: expected another file",
             extra=("--per-layer", "{d}/s.csv")),
    Case("sweep-output-suffix", ("sweep", "alexnet", "--accel", "ws_8x8", "-o", "{d}/s.txt"), ("-o {d}/s.txt: expected a file name",)),
    Case("sweep-no-models", ("sweep", ",", "--accel", "ws_8x8", "-o", "{d}/s.csv"), ("sweep: expected at least one model",)),
    Case("sweep-model-twice", ("sweep", "alexnet,alexnet", "--accel", "ws_8x8", "-o", "{d}/s.csv"), ("model 'alexnet' given twice",)),
]

# --------------------------------------------------------------------------------------------
# Model and accelerator arguments of the wrong kind

WRONG_KIND_CASES = [
    Case("kind-onnx-accel", ("profile", "alexnet", "--accel", "{d}/m.onnx"), ("unsupported accelerator file type '.onnx'",),
         {"m.onnx": b"x"}),
    Case("kind-json-accel", ("profile", "alexnet", "--accel", "{d}/a.json"), ("unsupported accelerator file type '.json'",),
         {"a.json": json.dumps({k: v for k, v in ACCEL.items()})}),
    Case("kind-text-model", ("profile", "{d}/m.txt", "--accel", "ws_8x8"), ("m.txt: unknown graph file type; expected .json",),
         {"m.txt": "conv"}),
    Case("kind-folder-model", ("profile", "{d}", "--accel", "ws_8x8"), ("unknown model",)),
    Case("kind-factory-no-size", ("profile", "{d}/m.py:build", "--accel", "ws_8x8"), ("needs an input size (height, width): expected --input-size HxW",),
         {"m.py": "def build():\n    raise AssertionError('never run')\n"}),
    Case("kind-host-as-model", ("profile", "{d}/h.yaml", "--accel", "ws_8x8"), ("h.yaml",), {"h.yaml": json.dumps(HOST)}),
    Case("kind-compare-empty", ("compare", ",", "--accel", "ws_8x8"), ("expected at least one model and one accelerator",)),
    Case("kind-compare-no-accel", ("compare", "alexnet", "--accel", ","), ("expected at least one model and one accelerator",)),
    Case("kind-export-suffix", ("export", "alexnet", "-o", "{d}/x.txt"), ("-o {d}/x.txt: expected a .json",)),
    Case("kind-profile-host-dataflow", ("profile", "alexnet", "--accel", "{d}/h.yaml", "--dataflow", "ws"),
         ("--dataflow: {d}/h.yaml is a host model", "expected no --dataflow"), {"h.yaml": json.dumps(HOST)}),
]

CASES = PARETO_CASES + ACCURACY_CASES + SEARCH_CASES + TOOL_CASES + SWEEP_CASES + WRONG_KIND_CASES


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_hostile_command_input_is_one_clean_line(tmp_path, case):
    check_case(tmp_path, case)


def test_the_corpus_is_large_and_every_case_is_named_once():
    corpus = INPUT_CASES + ONNX_CASES + CASES
    assert len(corpus) >= 300 and len({case.id for case in corpus}) == len(corpus)
    commands = {case.argv[0] for case in corpus}
    assert commands >= {"profile", "compare", "list", "export", "show", "sweep", "pareto", "search", "measure", "calibrate",
                        "correlate"}
