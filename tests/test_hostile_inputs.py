"""The hostile corpus: bad inputs over every input format and the subcommands that read them.

Each input must give exit code 2 and one line on stderr naming the file, field or option, the
value where there is one, and what was expected -- no traceback, within seconds. The CLI runs
in-process (``hwsim.cli.main``; subprocesses are slow on a shared machine), a few cases through
a real subprocess. Hypothesis fuzzes the YAML, JSON, CSV and .cfg readers for no traceback and
no hang.
"""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwsim.graph.layer_graph import LayerGraph
from hwsim.hardware.load import load_accelerator
from hwsim.sources.scalesim_topology import load_topology_text
from hwsim.hardware.scalesim_config import load_scalesim_config_text
from hwsim.sources.zoo import load_zoo_graph

from tests.cli_helpers import assert_clean_error, hwsim
from tests.hostile_helpers import Case, check_case, quick


# --------------------------------------------------------------------------------------------
# Accelerator YAML

ACCEL = {
    "name": "t",
    "array": "{rows: 8, cols: 8}",
    "dataflow": "ws",
    "clock_mhz": "500",
    "word_bytes": "1",
    "buffers": "{ifmap_kib: 16, filter_kib: 16, ofmap_kib: 16}",
    "dram": "{bandwidth_bytes_per_cycle: 16, ports: shared}",
}


def accel_yaml(**changes: str) -> str:
    """The base accelerator with top-level values replaced by YAML text (None drops the key)."""
    fields = {**ACCEL, **changes}
    return "".join(f"{key}: {value}\n" for key, value in fields.items() if value is not None)


def accel_case(id_: str, text: str, *fragments: str, command: str = "profile") -> Case:
    argv = {"profile": ("profile", "alexnet", "--accel", "{d}/a.yaml"),
            "compare": ("compare", "alexnet", "--accel", "ws_8x8,{d}/a.yaml"),
            "sweep": ("sweep", "alexnet", "--accel", "{d}/a.yaml", "-o", "{d}/s.csv"),
            "search": ("search", "squeezenext", "--accel", "{d}/a.yaml", "-o", "{d}/x.csv")}[command]
    return Case(f"accel-{id_}", argv, ("a.yaml", *fragments), {"a.yaml": text})


LAUGHS = "[" + ", ".join(
    f"&{chr(97 + i)} [{', '.join([f'*{chr(96 + i)}'] * 9) if i else ', '.join(['x'] * 9)}]" for i in range(9)
) + "]"

ACCEL_CASES = [
    *(accel_case(f"rows-{v}", accel_yaml(array=f"{{rows: {v}, cols: 8}}"), "array.rows", v.split(".")[0], expected)
      for v, expected in [("1000000000000", "<= 4096"), ("4097", "<= 4096"), ("0", "> 0"), ("-3", "> 0"),
                          ("1.5", "integer"), ("'8'", "integer"), ("true", "integer"), ("null", "integer"),
                          ("[8]", "integer"), ("10000000000000000000", "<= 4096")]),
    accel_case("rows-1e400", accel_yaml(array="{rows: 1e400, cols: 8}"), "array.rows = inf", "integer > 0 and <= 4096"),
    accel_case("rows-5000-digits", accel_yaml(array="{rows: " + "9" * 5000 + ", cols: 8}"), "line 2", "too long"),
    *(accel_case(f"cols-{v}", accel_yaml(array=f"{{rows: 8, cols: {v}}}"), "array.cols", expected)
      for v, expected in [("1000000000000", "<= 4096"), ("-1", "> 0"), (".inf", "integer")]),
    *(accel_case(f"word-{v}", accel_yaml(word_bytes=v), "word_bytes", expected)
      for v, expected in [("1000000000000", "<= 8"), ("9", "<= 8"), ("0", "> 0"), ("2.0", "integer"), ("'1'", "integer")]),
    *(accel_case(f"clock-{v}", accel_yaml(clock_mhz=v), "clock_mhz", "from 0.001 to 1000000")
      for v in ("1e-320", "0", "-500", ".inf", ".nan", "1e7", "'500'", "[500]", "0.0009")),
    *(accel_case(f"bandwidth-{v}", accel_yaml(dram=f"{{bandwidth_bytes_per_cycle: {v}}}"),
                 "dram.bandwidth_bytes_per_cycle", "from 2^-10 = 0.0009765625 to 2^20 = 1048576")
      for v in ("1e-300", "1e-10", "0", "-16", ".inf", ".nan", "1e7", "0.0009", "true")),
    *(accel_case(f"buffer-{v}", accel_yaml(buffers=f"{{ifmap_kib: {v}, filter_kib: 16, ofmap_kib: 16}}"),
                 "buffers.ifmap_kib", expected)
      for v, expected in [("1e300", "<= 2^30"), ("0", "> 0"), ("-1", "> 0"), (".inf", "finite"), ("0.1", "whole number of bytes"),
                          ("1073741825", "<= 2^30")]),
    *(accel_case(f"lanes-{v}", accel_yaml(vector=f"{{lanes: {v}}}"), "vector.lanes", expected)
      for v, expected in [("16777217", "<= 2^24"), ("0", "> 0"), ("1e9", "integer")]),
    *(accel_case(f"energy-{k}-{v}", accel_yaml(energy_pj=f"{{mac: 0.2, rf_access: 0.2, sram_byte: 1, dram_byte: 100, {k}: {v}, source: s}}"
                                                if k not in ("mac",) else f"{{mac: {v}, rf_access: 0.2, sram_byte: 1, dram_byte: 100, source: s}}"),
                 f"energy_pj.{k}", "<= 1000000 (pJ)")
      for k, v in [("mac", "1e300"), ("mac", "-1"), ("leakage_per_cycle", ".inf"), ("vector_op", "1e7")]),
    accel_case("laughs-in-name", accel_yaml(name=LAUGHS), "name = [['x', 'x'", "...: expected a non-empty string"),
    accel_case("too-many-aliases", "a: &a [1]\nb: [" + ", ".join(["*a"] * 150) + "]\n", "more than 100 aliases"),
    accel_case("deep-nesting", "a: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper than 32 levels"),
    accel_case("deep-mapping", "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n",
               "nested deeper than 32 levels"),
    accel_case("duplicate-key", accel_yaml() + "clock_mhz: 600\n", "clock_mhz: duplicate key at line 8 (first given at line 4)"),
    accel_case("python-tag", "name: !!python/object/apply:os.system ['echo hi']\n", "invalid YAML", "python/object",
               "expected plain YAML"),
    accel_case("unknown-key", accel_yaml(clok_mhz="500"), "clok_mhz = 500: unknown key"),
    accel_case("missing-field", accel_yaml(dram=None), "dram: missing required field"),
    accel_case("top-level-list", "- 1\n- 2\n", "top level is a list: expected a mapping"),
    accel_case("empty", "", "file is empty"),
    accel_case("not-yaml", "array: {rows: 8\n", "invalid YAML at line"),
    accel_case("oversized", "name: t\n" + "# padding\n" * 30000, "larger than 262,144 bytes"),
    Case("accel-binary", ("profile", "alexnet", "--accel", "{d}/a.yaml"), ("a.yaml", "not UTF-8 text"), {"a.yaml": b"\xff\xfe\x00name"}),
    accel_case("compare-bandwidth", accel_yaml(dram="{bandwidth_bytes_per_cycle: 1e-300}"), "dram.bandwidth_bytes_per_cycle = 1e-300",
               command="compare"),
    accel_case("sweep-word-bytes", accel_yaml(word_bytes="1000000000000"), "word_bytes = 1000000000000", command="sweep"),
    accel_case("search-rows", accel_yaml(array="{rows: 1000000000000, cols: 1000000000000}"), "array.rows = 1000000000000",
               command="search"),
]

# --------------------------------------------------------------------------------------------
# Host-model YAML

HOST = {
    "kind": "host", "name": "h",
    "overhead_s": {k: 1e-5 for k in ("conv", "conv1x1", "depthwise", "grouped", "linear", "pool", "vector", "reshape")},
    "peak_macs_per_s": {k: 1e10 for k in ("conv", "conv1x1", "depthwise", "grouped", "linear")},
    "peak_elements_per_s": {"pool": 1e9, "vector": 1e9},
    "bandwidth_bytes_per_s": 1e10,
}


def host_case(id_: str, change, *fragments: str) -> Case:
    data = json.loads(json.dumps(HOST))
    change(data)
    return Case(f"host-{id_}", ("profile", "alexnet", "--accel", "{d}/h.yaml"), ("h.yaml", *fragments),
                {"h.yaml": yaml.safe_dump(data)})


HOST_CASES = [
    host_case("peak-tiny", lambda d: d["peak_macs_per_s"].update(conv=1e-300), "peak_macs_per_s.conv = 1e-300", "from 1e6 to 1e18"),
    host_case("peak-huge", lambda d: d["peak_macs_per_s"].update(linear=1e300), "peak_macs_per_s.linear", "to 1e18"),
    host_case("peak-negative", lambda d: d["peak_elements_per_s"].update(pool=-1.0), "peak_elements_per_s.pool = -1.0"),
    host_case("peak-inf", lambda d: d["peak_elements_per_s"].update(vector=float("inf")), "peak_elements_per_s.vector = inf"),
    host_case("bandwidth-zero", lambda d: d.update(bandwidth_bytes_per_s=0.0), "bandwidth_bytes_per_s = 0.0"),
    host_case("overhead-huge", lambda d: d["overhead_s"].update(conv=1e300), "overhead_s.conv = 1e+300", "<= 1"),
    host_case("overhead-negative", lambda d: d["overhead_s"].update(pool=-1e-6), "overhead_s.pool = -1e-06"),
    host_case("overhead-string", lambda d: d["overhead_s"].update(pool="fast"), "overhead_s.pool = 'fast'"),
    host_case("threads-huge", lambda d: d.update(threads=10**30), "threads = 1000000000000000000000000000000", "<= 65,536"),
    host_case("word-bytes", lambda d: d.update(word_bytes=10**12), "word_bytes = 1000000000000", "<= 8"),
    host_case("missing-section", lambda d: d.pop("overhead_s"), "overhead_s: missing required field"),
    host_case("unknown-key", lambda d: d.update(bandwith=1), "bandwith = 1: unknown key"),
    host_case("date", lambda d: d.update(date="yesterday"), "date = 'yesterday'", "YYYY-MM-DD"),
    host_case("fit-layers", lambda d: d.update(fit={"layers": -5}), "fit.layers = -5", ">= 0"),
    host_case("name-laughs", lambda d: d.update(name=[["x"] * 9] * 9), "name = [['x'", "string"),
]

# --------------------------------------------------------------------------------------------
# SCALE-Sim .cfg

CFG = """[general]
run_name = t

[architecture_presets]
ArrayHeight: 8
ArrayWidth: 8
IfmapSramSzkB: 64
FilterSramSzkB: 64
OfmapSramSzkB: 64
Dataflow : ws
Bandwidth : 10

[run_presets]
InterfaceBandwidth: USER
"""


def cfg_case(id_: str, old: str, new: str, *fragments: str) -> Case:
    return Case(f"cfg-{id_}", ("profile", "alexnet", "--accel", "{d}/c.cfg"), ("c.cfg", *fragments), {"c.cfg": CFG.replace(old, new)})


CFG_CASES = [
    cfg_case("height-huge", "ArrayHeight: 8", "ArrayHeight: 1000000000000", "[architecture_presets] ArrayHeight = 1000000000000", "<= 4,096"),
    cfg_case("height-digits", "ArrayHeight: 8", "ArrayHeight: " + "9" * 5000, "ArrayHeight = '999", "<= 4,096"),
    cfg_case("height-zero", "ArrayHeight: 8", "ArrayHeight: 0", "ArrayHeight = 0"),
    cfg_case("height-float", "ArrayHeight: 8", "ArrayHeight: 8.5", "ArrayHeight = '8.5'"),
    cfg_case("height-expr", "ArrayHeight: 8", "ArrayHeight: 10**19", "ArrayHeight = '10**19'"),
    cfg_case("width-exp", "ArrayWidth: 8", "ArrayWidth: 1e3", "ArrayWidth = '1e3'"),
    cfg_case("width-missing", "ArrayWidth: 8\n", "", "ArrayWidth: missing key"),
    cfg_case("sram-huge", "IfmapSramSzkB: 64", "IfmapSramSzkB: 99999999999999", "IfmapSramSzkB = 99999999999999"),
    cfg_case("sram-negative", "OfmapSramSzkB: 64", "OfmapSramSzkB: -64", "OfmapSramSzkB = -64"),
    cfg_case("bandwidth-huge", "Bandwidth : 10", "Bandwidth : 10000000000000000000", "Bandwidth = 10000000000000000000"),
    cfg_case("bandwidth-list", "Bandwidth : 10", "Bandwidth : 10, x", "Bandwidth = '10, x'"),
    cfg_case("bandwidth-zero", "Bandwidth : 10", "Bandwidth : 0", "Bandwidth = 0"),
    cfg_case("dataflow", "Dataflow : ws", "Dataflow : rs", "Dataflow = 'rs'", "os, ws or is"),
    cfg_case("mode", "InterfaceBandwidth: USER", "InterfaceBandwidth: AUTO", "InterfaceBandwidth = 'AUTO'"),
    cfg_case("duplicate-key", "ArrayWidth: 8", "ArrayWidth: 8\nArrayWidth: 9", "[architecture_presets] arraywidth: duplicate key"),
    cfg_case("no-section", "[general]\nrun_name = t\n\n[architecture_presets]", "", "line 2: expected a [section] header"),
    cfg_case("read-bandwidth", "InterfaceBandwidth: USER", "InterfaceBandwidth: USER\n[layout]\nIfmapSRAMBankBandwidth: 1e99",
             "[layout] IfmapSRAMBankBandwidth = '1e99'"),
    Case("cfg-oversized", ("profile", "alexnet", "--accel", "{d}/c.cfg"), ("c.cfg", "larger than 65,536 bytes"),
         {"c.cfg": CFG + "# pad\n" * 20000}),
    Case("cfg-binary", ("profile", "alexnet", "--accel", "{d}/c.cfg"), ("c.cfg", "not UTF-8"), {"c.cfg": b"\x80\x81[general]"}),
]

# --------------------------------------------------------------------------------------------
# Graph JSON

CONV = {"name": "c", "op": "conv", "inputs": ["input"], "n": 1, "c": 3, "h": 8, "w": 8, "k": 4, "p": 8, "q": 8,
        "r": 3, "s": 3, "pad_h": 1, "pad_w": 1}


def graph_text(layers=None, **top) -> str:
    data = {"format": "hwsim.LayerGraph", "version": 1, "name": "g", "input_shape": [1, 3, 8, 8],
            "layers": [CONV] if layers is None else layers, **top}
    return json.dumps(data)


def graph_case(id_: str, text: str, *fragments: str, command: str = "profile") -> Case:
    argv = {"profile": ("profile", "{d}/g.json", "--accel", "ws_8x8"),
            "compare": ("compare", "alexnet,{d}/g.json", "--accel", "ws_8x8"),
            "sweep": ("sweep", "{d}/g.json", "--accel", "ws_8x8", "-o", "{d}/s.csv"),
            "export": ("export", "{d}/g.json", "-o", "{d}/out.csv")}[command]
    return Case(f"graph-{id_}", argv, ("g.json", *fragments), {"g.json": text})


def conv_with(**changes):
    return graph_text([{**CONV, **changes}])


GRAPH_CASES = [
    graph_case("duplicate-key", graph_text().replace('"name": "g"', '"name": "g", "name": "h"'), "duplicate key 'name'"),
    graph_case("duplicate-layer-key", graph_text().replace('"op": "conv"', '"op": "conv", "op": "pool"'), "duplicate key 'op'"),
    graph_case("nan", conv_with(c=3).replace('"c": 3', '"c": NaN'), "NaN is not a JSON number"),
    graph_case("deep", "[" * 100000 + "]" * 100000, "nested too deeply"),
    graph_case("digits", graph_text().replace('"c": 3', '"c": ' + "9" * 5000), "invalid JSON", "4300 digits"),
    graph_case("not-json", "{format: graph}", "invalid JSON at line 1, column 2"),
    graph_case("truncated", graph_text()[:-20], "invalid JSON at line 1"),
    graph_case("empty-layers", graph_text([]), "layers: expected a non-empty list"),
    graph_case("empty-layers-compare", graph_text([]), "layers: expected a non-empty list", command="compare"),
    graph_case("unknown-top-key", graph_text(extra=1), "unknown top-level key 'extra'"),
    graph_case("no-format", json.dumps({"layers": []}), "not an hwsim layer graph"),
    graph_case("version", graph_text(version=99), "graph format version '99'; expected 1"),
    graph_case("name-list", graph_text(name=[1] * 1000), "name = '[1, 1, 1", "expected a non-empty string"),
    graph_case("input-shape", graph_text(input_shape=[1, -3]), "input_shape = [1, -3]"),
    graph_case("input-shape-huge", graph_text(input_shape=[10**30]), "input_shape = [1000000000000000000000000000000]"),
    graph_case("metadata", graph_text(metadata={"a": [1]}), "metadata = {'a': [1]}"),
    graph_case("unsupported", graph_text(unsupported=[["x", -1]]), "unsupported = [['x', -1]]"),
    graph_case("size-huge", conv_with(c=10**19), "layer 'c': c = 10,000,000,000,000,000,000: expected at most 2^31 - 1"),
    graph_case("size-huge-sweep", conv_with(k=10**12), "k = 1,000,000,000,000", command="sweep"),
    graph_case("tensor-limit", graph_text([{**CONV, "n": 2**21, "c": 2**20}], input_shape=[2**21, 2**20, 8, 8]),
               "layer 'c': input of", "expected at most 2^40"),
    graph_case("work-limit", graph_text([{"name": "fc", "op": "linear", "inputs": ["input"], "n": 2**20, "c": 2**20,
                                          "k": 2**10, "h": 1, "w": 1, "p": 1, "q": 1, "r": 1, "s": 1}], input_shape=[2**20, 2**20]),
               "graph 'g': more than 2^46"),
    graph_case("params-negative", conv_with(params=-5), "params = -5: expected an integer from 0"),
    graph_case("size-negative", conv_with(c=-3), "layer 'c': sizes {'c': -3}: expected at least 1"),
    graph_case("size-float", conv_with(c=3.0), "field c = 3.0: expected an integer"),
    graph_case("size-bool", conv_with(c=True), "field c = True: expected an integer"),
    graph_case("size-string", conv_with(c="3"), "field c = '3': expected an integer"),
    graph_case("missing-size", graph_text([{k: v for k, v in CONV.items() if k != "p"}]), "missing fields ['p']"),
    graph_case("unknown-op", conv_with(op="attention"), "unknown op 'attention'"),
    graph_case("op-list", conv_with(op=["conv"]), "field op = ['conv']: expected a string"),
    graph_case("unknown-field", conv_with(colour="red"), "unknown fields ['colour']"),
    graph_case("unknown-fused", conv_with(fused=["batchnorm", "dropout"]), "unknown kind 'dropout'"),
    graph_case("fused-type", conv_with(fused="relu"), "field fused = 'relu': expected a list of strings"),
    graph_case("bad-mode", conv_with(mode="max"), "mode = 'max'"),
    graph_case("channels", graph_text([CONV, {**CONV, "name": "c2", "inputs": ["c"], "c": 16}]),
               "layer 'c2' (conv): reads N*C*H*W = 1x16x8x8 = 1,024 elements: expected at most the 256 that c writes"),
    graph_case("channels-input", conv_with(c=64), "reads N*C*H*W = 1x64x8x8", "that input writes"),
    graph_case("concat-sum", graph_text([CONV, {**CONV, "name": "d"}, {"name": "cat", "op": "concat", "inputs": ["c", "d"],
                                         "c": 9, "h": 8, "w": 8, "k": 9, "p": 8, "q": 8, "operand_elements": [256, 256]}]),
               "operand_elements add up to 512: expected its input N*C*H*W = 576"),
    graph_case("reshape-count", graph_text([CONV, {"name": "f", "op": "reshape", "inputs": ["c"], "c": 4, "h": 8, "w": 8,
                                           "k": 999, "p": 1, "q": 1}]), "elements in, 999 out"),
    graph_case("linear-spatial", graph_text([{"name": "fc", "op": "linear", "inputs": ["input"], "n": 1, "c": 192, "k": 10,
                                             "h": 1, "w": 1, "p": 50, "q": 50, "r": 1, "s": 1}]), "p = 50: expected 1"),
    graph_case("conv-output", conv_with(p=99), "output P = 99 does not follow"),
    graph_case("groups", conv_with(groups=2), "layer 'c': groups = 2: expected a divisor of C = 3 and K = 4"),
    graph_case("stride", conv_with(stride_h=0), "stride 0x1", "expected stride and dilation >= 1"),
    graph_case("unknown-input", conv_with(inputs=["nothing"]), "reads ['nothing']: expected 'input' or an earlier layer"),
    graph_case("duplicate-layer", graph_text([CONV, CONV]), "duplicate layer name 'c'"),
    graph_case("layer-not-object", graph_text([1]), "layer = 1: expected a JSON object"),
    graph_case("export", graph_text([]), "layers: expected a non-empty list", command="export"),
    Case("graph-binary", ("profile", "{d}/g.json", "--accel", "ws_8x8"), ("g.json", "not UTF-8"), {"g.json": b"\xff{}"}),
    Case("graph-missing", ("profile", "{d}/none.json", "--accel", "ws_8x8"), ("none.json", "No such file"), {}),
]

# --------------------------------------------------------------------------------------------
# SCALE-Sim topology CSV

TOPO = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"


def topo_case(id_: str, rows: str, *fragments: str, header: str = TOPO) -> Case:
    return Case(f"topology-{id_}", ("profile", "{d}/t.csv", "--accel", "ws_8x8"), ("t.csv", *fragments), {"t.csv": header + rows})


TOPO_CASES = [
    topo_case("huge", "conv1, 10000000000000000000, 8, 3, 3, 3, 4, 1,\n", "line 2, column 2 (IFMAP Height) = 10000000000000000000",
              "2^31 - 1"),
    topo_case("digits", "conv1, " + "9" * 5000 + ", 8, 3, 3, 3, 4, 1,\n", "line 2, column 2 (IFMAP Height) = '99999"),
    topo_case("zero", "conv1, 8, 8, 3, 3, 0, 4, 1,\n", "column 6 (Channels) = 0: expected an integer >= 1"),
    topo_case("negative", "conv1, 8, 8, 3, 3, 3, -4, 1,\n", "column 7 (Num Filter) = -4"),
    topo_case("float", "conv1, 8, 8, 3, 3, 3, 4, 1.5,\n", "column 8 (Strides) = '1.5': expected an integer"),
    topo_case("filter-too-big", "conv1, 8, 8, 9, 3, 3, 4, 1,\n", "column 4 (Filter Height) = 9: expected at most the IFMAP Height 8"),
    topo_case("few-fields", "conv1, 8, 8, 3,\n", "line 2: 4 field(s) before the last comma, expected 8"),
    topo_case("many-fields", "conv1, 8, 8, 3, 3, 3, 4, 1, 1:2, 7, 9,\n", "line 2, column 10"),
    topo_case("sparsity", "conv1, 8, 8, 3, 3, 3, 4, 1, 5:2,\n", "(sparsity) = '5:2'"),
    topo_case("no-name", ", 8, 8, 3, 3, 3, 4, 1,\n", "column 1 (Layer name): empty"),
    topo_case("no-rows", "", "no layers"),
    topo_case("tensor-limit", "big, 2000000, 2000000, 1, 1, 1000, 4, 1,\n", "line 2: layer 'big': input of", "2^40"),
    topo_case("gemm-huge", "fc, 3000000000, 1, 1,\n", "line 2, column 2 (M) = 3000000000", header="Layer, M, N, K,\n"),
    topo_case("gemm-work", "fc, 1048576, 1048576, 1024,\n", "more than 2^46", header="Layer, M, N, K,\n"),
    Case("topology-binary", ("profile", "{d}/t.csv", "--accel", "ws_8x8"), ("t.csv", "not UTF-8"), {"t.csv": b"\xfe\xff,,,"}),
    Case("topology-oversized", ("profile", "{d}/t.csv", "--accel", "ws_8x8"), ("t.csv", "larger than 16,777,216 bytes"),
         {"t.csv": TOPO + "conv1, 8, 8, 3, 3, 3, 4, 1,\n" * 700_000}),
]

# --------------------------------------------------------------------------------------------
# CLI numbers


def cli_case(id_: str, argv: tuple[str, ...], *fragments: str) -> Case:
    return Case(f"cli-{id_}", argv, fragments)


PROFILE = ("profile", "alexnet", "--accel", "ws_8x8")
SEARCH = ("search", "squeezenext", "--accel", "ws_8x8", "-o", "{d}/x.csv")
SWEEP = ("sweep", "alexnet", "--accel", "ws_8x8", "-o", "{d}/s.csv")
CLI_CASES = [
    cli_case("batch-huge", (*PROFILE, "--batch", "10000000000000000000"), "--batch", "'10000000000000000000'", "from 1 to 2,147,483,647"),
    cli_case("batch-expr", (*PROFILE, "--batch", "10**19"), "--batch", "'10**19'"),
    cli_case("batch-zero", (*PROFILE, "--batch", "0"), "--batch", "'0'"),
    cli_case("batch-float", (*PROFILE, "--batch", "1.5"), "--batch", "'1.5'"),
    cli_case("batch-over-limits", (*PROFILE, "--batch", "100000"), "alexnet at batch 100000", "more than 2^46"),
    cli_case("batch-tensor", (*PROFILE, "--batch", "2147483647"), "alexnet at batch 2147483647", "expected at most 2^40"),
    cli_case("top-zero", (*PROFILE, "--top", "0"), "--top", "'0'"),
    cli_case("top-digits", (*PROFILE, "--top", "9" * 5000), "--top", "'9999"),
    cli_case("input-size-huge", (*PROFILE, "--input-size", "99999999999999999999"), "--input-size '99999999999999999999'",
             "from 1 to 16384"),
    cli_case("input-size-zero", (*PROFILE, "--input-size", "0x0"), "--input-size '0x0'"),
    cli_case("input-size-three", (*PROFILE, "--input-size", "2x2x2"), "--input-size '2x2x2'"),
    cli_case("input-size-junk", (*PROFILE, "--input-size", "axb"), "--input-size 'axb'"),
    cli_case("input-size-digits", (*PROFILE, "--input-size", "9" * 5000), "--input-size '9999"),
    cli_case("compare-batch", ("compare", "alexnet", "--accel", "ws_8x8", "--batch", "-1"), "--batch", "'-1'"),
    cli_case("export-batch", ("export", "alexnet", "-o", "{d}/a.json", "--batch", "1e3"), "--batch", "'1e3'"),
    cli_case("width-inf", (*SEARCH, "--width", "inf"), "width = inf", "expected a number > 0 and <= 8"),
    cli_case("width-nan", (*SEARCH, "--width", "nan"), "width = nan"),
    cli_case("width-1000", (*SEARCH, "--width", "1000"), "width = 1000.0"),
    cli_case("width-negative", (*SEARCH, "--width", "-1"), "width = -1.0"),
    cli_case("max-macs-1e400", (*SEARCH, "--max-macs", "1e400"), "--max-macs '1e400'", "from 0 to 10^18"),
    cli_case("max-macs-digits", (*SEARCH, "--max-macs", "9" * 400), "--max-macs '9999"),
    cli_case("max-params-junk", (*SEARCH, "--max-params", "lots"), "--max-params 'lots'"),
    cli_case("stages", (*SEARCH, "--stages", "100"), "--stages", "'100'", "from 1 to 16"),
    cli_case("depth", (*SEARCH, "--depth", "100000000"), "--depth", "'100000000'"),
    cli_case("blocks-total", (*SEARCH, "--blocks-total", "0"), "--blocks-total", "'0'"),
    cli_case("set-rows-huge", (*SWEEP, "--set", "array.rows=10000000000000000000"), "sweep field array.rows",
             "value 10000000000000000000", "<= 4096"),
    cli_case("set-rows-expr", (*SWEEP, "--set", "array.rows=10**19"), "--set array.rows: value '10**19': expected an integer"),
    cli_case("set-clock-inf", (*SWEEP, "--set", "clock_mhz=1e400"), "sweep field clock_mhz: value inf"),
    cli_case("set-bandwidth", (*SWEEP, "--set", "dram.bandwidth_bytes_per_cycle=1e-300"), "dram.bandwidth_bytes_per_cycle",
             "value 1e-300"),
    cli_case("set-word", (*SWEEP, "--set", "word_bytes=1000000000000"), "sweep field word_bytes", "<= 8"),
    cli_case("set-range-huge", (*SWEEP, "--set", "array.rows=range(0,10000000000000000000000)"), "--set array.rows",
             "expected at most 10,000,000"),
    cli_case("set-range-digits", (*SWEEP, "--set", "array.rows=range(0," + "9" * 400 + ")"), "--set array.rows", "expected range("),
    cli_case("set-digits", (*SWEEP, "--set", "array.cols=" + "9" * 5000), "--set array.cols: value '9999", "at most 64 characters"),
    cli_case("set-lanes", (*SWEEP, "--set", "vector.lanes=99999999999"), "sweep field vector.lanes", "<= 2^24"),
    cli_case("set-energy", (*SWEEP, "--set", "energy_pj.mac=1e300"), "sweep field energy_pj.mac", "<= 1000000"),
    cli_case("measure-warmup", ("measure", "alexnet", "--warmup", "-1"), "--warmup", "'-1'", "from 0 to 2,147,483,647"),
    cli_case("measure-warmup-digits", ("measure", "alexnet", "--warmup", "9" * 50), "--warmup", "'9999"),
    cli_case("measure-threads", ("measure", "alexnet", "--threads", "10000000000000000000"), "--threads", "'10000000000000000000'"),
    cli_case("measure-repeats", ("measure", "alexnet", "--repeats", "0"), "--repeats", "'0'"),
    cli_case("calibrate-batch", ("calibrate", "-o", "{d}/h.yaml", "--batch", "1e9"), "--batch", "'1e9'"),
]

# --------------------------------------------------------------------------------------------
# Outputs that are inputs, or that do not fit the format (refused before any work, inputs untouched)

GOOD_GRAPH = graph_text()
GOOD_TOPO = TOPO + "conv1, 8, 8, 3, 3, 3, 4, 1,\n"
SAME = "is the input"


def output_case(id_: str, argv: tuple[str, ...], files: dict[str, str | bytes], *fragments: str) -> Case:
    return Case(f"output-{id_}", argv, fragments, files)


OUTPUT_CASES = [
    output_case("profile-graph", ("profile", "{d}/g.json", "--accel", "ws_8x8", "-o", "{d}/g.json"), {"g.json": GOOD_GRAPH},
                "-o {d}/g.json", SAME),
    output_case("profile-accel", ("profile", "alexnet", "--accel", "{d}/a.yaml", "-o", "{d}/a.yaml"), {"a.yaml": accel_yaml()},
                "-o {d}/a.yaml", SAME),
    output_case("profile-topology", ("profile", "{d}/t.csv", "--accel", "ws_8x8", "-o", "{d}/t.csv"), {"t.csv": GOOD_TOPO},
                "-o {d}/t.csv", SAME),
    output_case("profile-spelling", ("profile", "{d}/g.json", "--accel", "ws_8x8", "-o", "{d}/./g.json"),
                {"g.json": GOOD_GRAPH}, SAME),
    output_case("profile-factory", ("profile", "{d}/m.py:build", "--accel", "ws_8x8", "-o", "{d}/m.py"),
                {"m.py": "def build():\n    raise AssertionError('never run')\n"}, "-o {d}/m.py", SAME),
    output_case("profile-plot", ("profile", "{d}/g.json", "--accel", "ws_8x8", "--plot", "{d}/g.json"), {"g.json": GOOD_GRAPH},
                "--plot {d}/g.json", SAME),
    output_case("compare-accel", ("compare", "alexnet", "--accel", "ws_8x8,{d}/a.yaml", "-o", "{d}/a.yaml"),
                {"a.yaml": accel_yaml()}, SAME),
    output_case("compare-model", ("compare", "alexnet,{d}/g.json", "--accel", "ws_8x8", "-o", "{d}/g.json"),
                {"g.json": GOOD_GRAPH}, SAME),
    output_case("export-graph", ("export", "{d}/g.json", "-o", "{d}/g.json"), {"g.json": GOOD_GRAPH}, SAME),
    output_case("sweep-topology", ("sweep", "{d}/t.csv", "--accel", "ws_8x8", "--set", "array.rows=8", "-o", "{d}/t.csv"),
                {"t.csv": GOOD_TOPO}, "-o {d}/t.csv", SAME),
    output_case("sweep-per-layer", ("sweep", "{d}/t.csv", "--accel", "ws_8x8", "--set", "array.rows=8", "-o", "{d}/s.csv",
                                    "--per-layer", "{d}/t.csv"), {"t.csv": GOOD_TOPO}, "--per-layer {d}/t.csv", SAME),
    output_case("sweep-accel-cfg", ("sweep", "alexnet", "--accel", "{d}/a.cfg", "--set", "array.rows=8", "-o", "{d}/a.cfg"),
                {"a.cfg": CFG}, "-o {d}/a.cfg", SAME),
    output_case("pareto", ("pareto", "{d}/s.csv", "--x", "latency_ms", "--y", "energy_uj", "-o", "{d}/s.csv"),
                {"s.csv": "model,config_id\n"}, "-o {d}/s.csv", SAME),
    output_case("search-accel", ("search", "squeezenext", "--accel", "{d}/a.yaml", "-o", "{d}/a.yaml"),
                {"a.yaml": accel_yaml()}, SAME),
    output_case("search-accuracy", ("search", "squeezenext", "--accel", "ws_8x8", "--accuracy", "{d}/acc.csv",
                                    "-o", "{d}/acc.csv"), {"acc.csv": "allocation,accuracy\n"}, "-o {d}/acc.csv", SAME),
    output_case("measure-factory", ("measure", "{d}/m.py:build", "-o", "{d}/m.py"),
                {"m.py": "def build():\n    raise AssertionError('never run')\n"}, SAME),
    output_case("format-csv-json", (*PROFILE, "-o", "{d}/p.csv", "--format", "json"), {}, "-o {d}/p.csv", "--format is json"),
    output_case("format-json-table", (*PROFILE, "-o", "{d}/p.json", "--format", "table"), {}, "--format is table"),
    output_case("format-compare", ("compare", "alexnet", "--accel", "ws_8x8", "-o", "{d}/p.json", "--format", "csv"), {},
                "--format is csv"),
    output_case("sweep-foreign-folder", ("sweep", "alexnet", "--accel", "ws_8x8", "--set", "array.rows=8", "-o", "{d}/mine"),
                {"mine/part-0000-keep.parquet": b"PAR1 not ours"}, "{d}/mine", "did not create"),
    output_case("sweep-parquet-file", ("sweep", "alexnet", "--accel", "ws_8x8", "--set", "array.rows=8", "-o", "{d}/f.parquet"),
                {"f.parquet": b"PAR1 a single file"}, "{d}/f.parquet: is a file"),
]

CASES = ACCEL_CASES + HOST_CASES + CFG_CASES + GRAPH_CASES + TOPO_CASES + CLI_CASES + OUTPUT_CASES


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_hostile_input_is_one_clean_line(tmp_path, case):
    check_case(tmp_path, case)


@pytest.mark.parametrize("case", [c for c in CASES if c.id in ("accel-laughs-in-name", "graph-deep", "cli-width-inf",
                                                               "topology-huge")], ids=lambda case: case.id)
def test_a_few_through_a_real_subprocess(tmp_path, case):
    for name, content in case.files.items():
        path = tmp_path / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    argv = [arg.replace("{d}", str(tmp_path)) for arg in case.argv]
    assert_clean_error(hwsim(*argv, timeout=120), *[f.replace("{d}", str(tmp_path)) for f in case.fragments])


# --------------------------------------------------------------------------------------------
# Fuzzing the readers: any input gives a value or one HwsimError line, quickly

yaml_scalars = st.sampled_from(
    ["0", "-1", "1e400", ".nan", ".inf", "-.inf", "1e-320", "99999999999999999999", "true", "null", "~", "''", "'x'",
     "[]", "{}", "[1, [2, [3]]]", "*a", "&a 1", "!!binary aGk=", "!!python/none", "2024-01-02", "0x10", "0o17", "1_000",
     "{rows: 8}", "'" + "x" * 300 + "'", "[" * 40 + "]" * 40, "1.5", "4096", "4097", "0.0009765625"]
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(sorted(ACCEL) + ["vector", "options", "energy_pj", "dataflow_choices", "extra"]),
       nested=st.sampled_from(["", "rows", "cols", "ifmap_kib", "bandwidth_bytes_per_cycle", "lanes", "mac"]),
       value=yaml_scalars)
def test_fuzz_accelerator_yaml(tmp_path, key, nested, value):
    text = accel_yaml(**{key: f"{{{nested}: {value}}}" if nested else value})
    path = tmp_path / "f.yaml"
    path.write_text(text)
    quick(load_accelerator, path)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_fuzz_yaml_text(tmp_path, text):
    path = tmp_path / "f.yaml"
    path.write_bytes(text.encode("utf-8", "replace"))
    quick(load_accelerator, path)


cfg_values = st.sampled_from(["8", "0", "-1", "1e3", "99999999999999999999", "9" * 500, "x", "", "8, 8", "%(a)s", "ws", "USER"])


@settings(max_examples=80, deadline=None)
@given(key=st.sampled_from(["ArrayHeight", "ArrayWidth", "IfmapSramSzkB", "Bandwidth", "Dataflow", "InterfaceBandwidth"]),
       value=cfg_values, junk=st.text(max_size=40))
def test_fuzz_scalesim_cfg(key, value, junk):
    lines = [line if not line.startswith(key) else f"{key}: {value}" for line in CFG.splitlines()]
    quick(load_scalesim_config_text, "\n".join(lines) + "\n" + junk, "f.cfg")


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.lists(st.sampled_from(["conv", "8", "3", "0", "-2", "1e9", "99999999999", "x", "", "1:2", "DP"]),
                              max_size=10), max_size=5),
       header=st.sampled_from([TOPO, "Layer, M, N, K,\n", ""]))
def test_fuzz_topology_csv(rows, header):
    text = header + "".join(", ".join(row) + ",\n" for row in rows)
    quick(load_topology_text, text, "f.csv")


json_leaves = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=False), st.text(max_size=10),
                        st.booleans(), st.none(), st.lists(st.integers(), max_size=3))


SMALL_GRAPH = load_zoo_graph("squeezenet1_1")


@settings(max_examples=150, deadline=None)
@given(layer_index=st.integers(0, 3), key=st.sampled_from(["n", "c", "h", "w", "k", "p", "q", "r", "s", "groups", "params",
                                                              "op", "inputs", "fused", "mode", "operand_elements", "name",
                                                              "stride_h", "pad_w", "dilation_h", "bias", "zzz"]),
       value=json_leaves)
def test_fuzz_graph_json(layer_index, key, value):
    # one field of one layer of a real network replaced by anything JSON can hold
    data = SMALL_GRAPH.to_dict()
    data["layers"][layer_index][key] = value
    quick(LayerGraph.from_json, json.dumps(data), "f.json")
