"""Validate hwsim's total cycles against SCALE-Sim 3.0.0 with a user-set DRAM bandwidth.

Two modes:

``python benchmarks/validate_scalesim.py --run-scalesim``
    Runs SCALE-Sim (``InterfaceBandwidth: USER``) on a grid of small layers and stores one row per
    run in ``benchmarks/scalesim_runs.csv``. SCALE-Sim's USER mode crashes with numpy >= 2.4
    (``read_buffer.py:423``), so it runs in a separate virtual environment, ``.venv-scalesim/``
    (numpy 2.3.x, scalesim 3.0.0), which this mode creates when it is missing. Runs go one at a
    time (one core), each in a subprocess with a timeout; runs already in the CSV are skipped, so
    the mode can be stopped and resumed.

``python benchmarks/validate_scalesim.py``
    Compares the cached runs with ``hwsim.simulate.simulate`` (no SCALE-Sim needed). Runs are split by
    whether SCALE-Sim's DRAM reads are within 1.25x of the traffic the dataflow needs (each operand
    once if it fits half its buffer, else re-streamed once per fold of the other operand:
    OS ifmap x ceil(N/C), OS filter x ceil(M/R), WS ifmap x ceil(N/C), IS filter x ceil(M/C);
    docs/SCALESIM.md, last section). hwsim's total is compared with SCALE-Sim's interval
    [Total Cycles, Total Cycles (incl. prefetch)]: the error is 0 inside the interval, else the
    relative distance to the nearest end. Every run more than 25 % off is named with the artifact
    that explains it. Prints a summary table and writes ``out/scalesim_comparison.csv``.

Units: SCALE-Sim words are 1 byte, buffers in kB (1024 bytes), bandwidth in words per cycle per
operand port (the ifmap, filter and ofmap ports run in parallel; all three set to the same value).

The worker mode (``--worker SPEC``) is what runs inside ``.venv-scalesim``; it imports only the
standard library and scalesim, never hwsim.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-scalesim"
RUNS_CSV = ROOT / "benchmarks" / "scalesim_runs.csv"
COMPARISON_CSV = ROOT / "out" / "scalesim_comparison.csv"  # out/ is git-ignored
VENV_REQUIREMENTS = ("numpy==2.3.*", "scalesim==3.0.0")

#: Relative tolerance on SCALE-Sim's DRAM reads for a run to count as "necessary traffic".
NECESSARY_TRAFFIC_TOLERANCE = 1.25
#: Runs whose hwsim error exceeds this are listed with the artifact that explains them.
OUTLIER_ERROR = 0.25


# --------------------------------------------------------------------------- the grid
@dataclass(frozen=True)
class ConvSpec:
    """A layer as SCALE-Sim's topology row: IFMAP H/W include padding; one stride for both axes."""

    name: str
    ifmap_h: int
    ifmap_w: int
    filter_h: int
    filter_w: int
    channels: int
    num_filter: int
    stride: int

    def gemm(self) -> tuple[int, int, int]:
        """(M, K, N) with SCALE-Sim's output size ceil((H - F + s) / s)."""
        p = -(-(self.ifmap_h - self.filter_h + self.stride) // self.stride)
        q = -(-(self.ifmap_w - self.filter_w + self.stride) // self.stride)
        return p * q, self.filter_h * self.filter_w * self.channels, self.num_filter

    def ifmap_words(self) -> int:
        return self.ifmap_h * self.ifmap_w * self.channels

    def filter_words(self) -> int:
        return self.filter_h * self.filter_w * self.channels * self.num_filter


#: Small layers: SCALE-Sim's run time grows with the square of its DRAM trace length.
LAYERS: tuple[ConvSpec, ...] = (
    ConvSpec("conv3x3", 10, 10, 3, 3, 8, 16, 1),  # M=64  K=72  N=16
    ConvSpec("pw1x1", 8, 8, 1, 1, 32, 32, 1),  # M=64  K=32  N=32
    ConvSpec("s2_3x3", 10, 10, 3, 3, 8, 16, 2),  # M=25  K=72  N=16 (stride does not divide H-F)
    ConvSpec("k3x1", 8, 8, 3, 1, 16, 16, 1),  # M=48  K=48  N=16
    ConvSpec("k1x3", 8, 8, 1, 3, 16, 16, 1),  # M=48  K=48  N=16
    ConvSpec("fc256x64", 1, 1, 1, 1, 256, 64, 1),  # M=1   K=256 N=64
    ConvSpec("conv3x3_c16", 12, 12, 3, 3, 16, 32, 1),  # M=100 K=144 N=32
)
DATAFLOWS = ("os", "ws", "is")
ARRAYS = ((8, 8), (16, 8), (4, 16))  # (rows, cols)
BANDWIDTHS = (1, 2, 4, 8, 16)  # words per cycle per operand port
BUFFERS_KB = (2, 8, 64)  # ifmap = filter = ofmap buffer size


@dataclass(frozen=True)
class RunSpec:
    """One SCALE-Sim run: a layer on an array with a dataflow, a bandwidth and buffer sizes."""

    layer: ConvSpec
    dataflow: str
    rows: int
    cols: int
    bandwidth: int  #: words (bytes) per cycle per operand port
    ifmap_kb: int
    filter_kb: int
    ofmap_kb: int

    @property
    def key(self) -> str:
        return (
            f"{self.layer.name}|{self.dataflow}|{self.rows}x{self.cols}|bw{self.bandwidth}"
            f"|{self.ifmap_kb}-{self.filter_kb}-{self.ofmap_kb}kB"
        )


def grid() -> list[RunSpec]:
    """The full run grid (layers x dataflows x arrays x bandwidths x buffers), cheap runs first."""
    runs = [
        RunSpec(layer, dataflow, rows, cols, bandwidth, kb, kb, kb)
        for layer, dataflow, (rows, cols), bandwidth, kb in itertools.product(LAYERS, DATAFLOWS, ARRAYS, BANDWIDTHS, BUFFERS_KB)
    ]
    # Large buffers and high bandwidth first: those runs are fast and always finish.
    runs.sort(key=lambda r: (-r.bandwidth * r.ifmap_kb, r.key))
    return runs


# --------------------------------------------------------------------------- SCALE-Sim inputs
def scalesim_cfg_text(spec: RunSpec, run_name: str = "run") -> str:
    """A SCALE-Sim 3.0.0 .cfg for ``spec`` in USER bandwidth mode (all three ports = bandwidth)."""
    return f"""[general]
run_name = {run_name}

[architecture_presets]
ArrayHeight: {spec.rows}
ArrayWidth: {spec.cols}
IfmapSramSzkB: {spec.ifmap_kb}
FilterSramSzkB: {spec.filter_kb}
OfmapSramSzkB: {spec.ofmap_kb}
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Bandwidth : {spec.bandwidth}
Dataflow : {spec.dataflow}
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: {spec.bandwidth}
IfmapSRAMBankNum: 1
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: {spec.bandwidth}
FilterSRAMBankNum: 1
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false

[run_presets]
InterfaceBandwidth: USER
UseRamulatorTrace: False
"""


TOPOLOGY_HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"


def topology_text(layers: Iterable[ConvSpec]) -> str:
    """SCALE-Sim conv topology CSV (rows end with a comma: its parser drops the last field)."""
    rows = [
        f"{c.name}, {c.ifmap_h}, {c.ifmap_w}, {c.filter_h}, {c.filter_w}, {c.channels}, {c.num_filter}, {c.stride},\n"
        for c in layers
    ]
    return TOPOLOGY_HEADER + "".join(rows)


# --------------------------------------------------------------------------- worker (.venv-scalesim)
def worker(spec_json: str) -> int:
    """Run one SCALE-Sim layer and print its report items as JSON (runs inside .venv-scalesim)."""
    data = json.loads(spec_json)
    spec = RunSpec(layer=ConvSpec(**data["layer"]), **{k: v for k, v in data.items() if k != "layer"})
    from scalesim.scale_sim import scalesim  # only installed in .venv-scalesim

    with tempfile.TemporaryDirectory(prefix="scalesim-run-") as tmp:
        tmp_path = Path(tmp)
        (tmp_path / "run.cfg").write_text(scalesim_cfg_text(spec))
        (tmp_path / "topology.csv").write_text(topology_text([spec.layer]))
        (tmp_path / "layout.csv").write_text("Layer name,\n")  # must exist; unused without custom layouts
        sim = scalesim(
            save_disk_space=True,  # no per-cycle trace files (the Python API honours this)
            verbose=False,
            config=str(tmp_path / "run.cfg"),
            topology=str(tmp_path / "topology.csv"),
            layout=str(tmp_path / "layout.csv"),
        )
        start = time.perf_counter()
        sim.run_scale(top_path=str(tmp_path / "out"))
        seconds = time.perf_counter() - start
        layer = sim.runner.single_layer_sim_object_list[0]
        total_incl, total, stalls, *_ = layer.get_compute_report_items()
        detail = [float(x) for x in layer.get_detail_report_items()]
    result = {
        "total_cycles_incl_prefetch": int(total_incl),
        "total_cycles": int(total),
        "stall_cycles": int(stalls),
        "sram_ifmap_reads": int(detail[2]),
        "sram_filter_reads": int(detail[5]),
        "sram_ofmap_writes": int(detail[8]),
        "dram_ifmap_reads": int(detail[11]),
        "dram_filter_reads": int(detail[14]),
        "dram_ofmap_writes": int(detail[17]),
        "scalesim_seconds": round(seconds, 3),
    }
    print("RESULT " + json.dumps(result))
    return 0


# --------------------------------------------------------------------------- running the grid
RUN_FIELDS = (
    "key", "layer", "ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "num_filter", "stride",
    "gemm_m", "gemm_k", "gemm_n", "dataflow", "rows", "cols", "bandwidth", "ifmap_kb", "filter_kb", "ofmap_kb",
    "status", "timeout_s", "total_cycles", "stall_cycles", "total_cycles_incl_prefetch",
    "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes",
    "sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes", "scalesim_seconds",
)  # fmt: skip


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    """Create ``.venv-scalesim`` (numpy 2.3.x + scalesim 3.0.0) unless it already works."""
    python = venv_python()
    check = [str(python), "-c", "import numpy, scalesim; assert numpy.__version__.startswith('2.3')"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"creating {VENV.relative_to(ROOT)} with {' '.join(VENV_REQUIREMENTS)} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *VENV_REQUIREMENTS], check=True)
    subprocess.run(check, check=True)
    return python


def read_runs(path: Path = RUNS_CSV) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _run_row(spec: RunSpec, status: str, timeout_s: float, result: dict[str, Any]) -> dict[str, Any]:
    m, k, n = spec.layer.gemm()
    row: dict[str, Any] = {"key": spec.key, "layer": spec.layer.name}
    row.update({f: getattr(spec.layer, f) for f in ("ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "num_filter", "stride")})
    row.update(gemm_m=m, gemm_k=k, gemm_n=n, dataflow=spec.dataflow, rows=spec.rows, cols=spec.cols)
    row.update(bandwidth=spec.bandwidth, ifmap_kb=spec.ifmap_kb, filter_kb=spec.filter_kb, ofmap_kb=spec.ofmap_kb)
    row.update(status=status, timeout_s=timeout_s)
    row.update(result)
    return {field: row.get(field, "") for field in RUN_FIELDS}


def run_one(python: Path, spec: RunSpec, timeout_s: float) -> dict[str, Any]:
    """Run one spec in a worker subprocess; status is ok, timeout or error."""
    payload = json.dumps({**asdict(spec), "layer": asdict(spec.layer)})
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    command = [str(python), str(Path(__file__).resolve()), "--worker", payload]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return _run_row(spec, "timeout", timeout_s, {})
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        print(f"  error: {tail[0][:200]}", flush=True)
        return _run_row(spec, "error", timeout_s, {})
    return _run_row(spec, "ok", timeout_s, json.loads(lines[-1][len("RESULT ") :]))


def run_scalesim(timeout_s: float, budget_s: float, limit: int | None) -> int:
    """Run every grid point not yet in the CSV, appending rows as they finish."""
    python = ensure_venv()
    done = {row["key"] for row in read_runs()}
    todo = [spec for spec in grid() if spec.key not in done][: limit if limit is not None else None]
    print(f"{len(done)} runs cached, {len(todo)} to do (timeout {timeout_s:.0f} s each, budget {budget_s:.0f} s)", flush=True)
    new_file = not RUNS_CSV.exists()
    start = time.perf_counter()
    with RUNS_CSV.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=RUN_FIELDS, lineterminator="\n")
        if new_file:
            writer.writeheader()
        for i, spec in enumerate(todo, 1):
            if time.perf_counter() - start > budget_s:
                print(f"budget of {budget_s:.0f} s spent; {len(todo) - i + 1} runs left for next time", flush=True)
                break
            t0 = time.perf_counter()
            row = run_one(python, spec, timeout_s)
            writer.writerow(row)
            f.flush()
            print(f"[{i}/{len(todo)}] {spec.key}: {row['status']} total={row['total_cycles']} ({time.perf_counter() - t0:.1f} s)", flush=True)
    return 0


# --------------------------------------------------------------------------- comparison with hwsim
def necessary_reads(row: dict[str, Any]) -> tuple[float, float]:
    """(ifmap, filter) DRAM words the dataflow needs (docs/SCALESIM.md, last section).

    An operand is fetched once if it fits half its buffer, else re-streamed once per fold of the
    other operand: OS ifmap x ceil(N/C), OS filter x ceil(M/R), WS ifmap x ceil(N/C),
    IS filter x ceil(M/C). Stationary operands (WS filter, IS ifmap) are fetched once.
    """
    ifmap = int(row["ifmap_h"]) * int(row["ifmap_w"]) * int(row["channels"])
    filt = int(row["filter_h"]) * int(row["filter_w"]) * int(row["channels"]) * int(row["num_filter"])
    m, n = int(row["gemm_m"]), int(row["gemm_n"])
    rows, cols = int(row["rows"]), int(row["cols"])
    ifmap_fits = ifmap <= int(row["ifmap_kb"]) * 1024 / 2
    filter_fits = filt <= int(row["filter_kb"]) * 1024 / 2
    df = row["dataflow"]
    ifmap_times = 1 if ifmap_fits or df == "is" else math.ceil(n / cols)
    if filter_fits or df == "ws":
        filter_times = 1
    else:
        filter_times = math.ceil(m / rows) if df == "os" else math.ceil(m / cols)
    return float(ifmap * ifmap_times), float(filt * filter_times)


def interval_error(value: float, low: float, high: float) -> float:
    """0 inside [low, high], else the distance to the nearest end relative to that end (signed)."""
    if value < low:
        return (value - low) / low
    if value > high:
        return (value - high) / high
    return 0.0


def im2col_reads(row: dict[str, Any]) -> float:
    """Ifmap words SCALE-Sim's im2col-expanded fetch needs: M*K, re-streamed like the ifmap.

    SCALE-Sim fetches every window position (``operand_matrix.py``), so its DRAM ifmap reads are
    at least M*K (docs/SCALESIM.md, DRAM read counts), not the unique H*W*C.
    """
    m, k, n = int(row["gemm_m"]), int(row["gemm_k"]), int(row["gemm_n"])
    fits = m * k <= int(row["ifmap_kb"]) * 1024 / 2
    times = 1 if fits or row["dataflow"] == "is" else math.ceil(n / int(row["cols"]))
    return float(m * k * times)


def artifact(row: dict[str, Any]) -> str:
    """Name the SCALE-Sim behaviour (or hwsim simplification) behind a run far off (docs/SCALESIM.md)."""
    bw = float(row["bandwidth"])
    hw = float(row["hwsim_cycles"])
    total = float(row["total_cycles"])
    compute = total - float(row["stall_cycles"])
    reads_i, reads_f = float(row["dram_ifmap_reads"]), float(row["dram_filter_reads"])
    writes = float(row["dram_ofmap_writes"])
    need_i, need_f = necessary_reads(row)
    im2col_i = im2col_reads(row)
    tol = NECESSARY_TRAFFIC_TOLERANCE
    if hw < total:  # hwsim below SCALE-Sim: name the term that bounds SCALE-Sim's time
        terms = {"ifmap": reads_i / bw, "filter": reads_f / bw, "ofmap": writes / bw, "compute": compute}
        bound = max(terms, key=lambda key: terms[key])
        if bound == "ofmap":
            outputs = int(row["gemm_m"]) * int(row["gemm_n"])
            return (
                f"ofmap-write bound: SCALE-Sim writes every partial sum to DRAM ({writes / outputs:.0f}x the ofmap "
                f"at bw {bw:g}); hwsim accumulates them on chip"
            )
        rot_i, rot_f = reads_i / max(need_i, im2col_i), reads_f / need_f
        if bound == "ifmap" and rot_i <= tol and reads_i > tol * need_i:
            return f"im2col: SCALE-Sim fetches the ifmap im2col-expanded, {reads_i / need_i:.1f}x the unique ifmap"
        if max(rot_i, rot_f) > tol:
            which, times = ("ifmap", rot_i) if rot_i >= rot_f else ("filter", rot_f)
            return f"re-rotation: SCALE-Sim reads {times:.1f}x the necessary {which} traffic"
        if reads_i > tol * need_i:
            return f"im2col: SCALE-Sim fetches the ifmap im2col-expanded, {reads_i / need_i:.1f}x the unique ifmap"
        return f"read stalls counted twice by SCALE-Sim ({bound}-bound)"
    # hwsim above SCALE-Sim (incl. prefetch)
    hw_i, hw_f = float(row["hwsim_dram_ifmap_bytes"]), float(row["hwsim_dram_filter_bytes"])
    under_i, under_f = hw_i / max(reads_i, 1.0), hw_f / max(reads_f, 1.0)
    if max(under_i, under_f) > tol:
        which, times = ("ifmap", under_i) if under_i >= under_f else ("filter", under_f)
        return (
            f"partial re-stream: hwsim re-streams the whole {which} per fold ({times:.1f}x SCALE-Sim's reads); "
            f"SCALE-Sim re-fetches only what its window lost"
        )
    psum = float(row["hwsim_dram_psum_read_bytes"])
    if psum > 0 and (float(row["hwsim_dram_ofmap_bytes"]) + psum) / bw >= 0.9 * hw:
        return (
            "partial-sum read-back: hwsim reads spilled partial sums back over the ofmap port; "
            "SCALE-Sim writes every partial sum and never reads one"
        )
    if max(reads_i, reads_f) / bw > float(row["total_cycles_incl_prefetch"]):
        return "free initial fill: SCALE-Sim's reads / bandwidth exceed its Total Cycles (incl. prefetch)"
    return "hwsim above SCALE-Sim (fill and drain charged per fold)"


def quantiles(values: Sequence[float]) -> dict[str, float]:
    import numpy as np

    if not values:
        return {"n": 0}
    a = np.abs(np.asarray(values, dtype=float))
    q = np.percentile(a, [25, 50, 75, 90])
    return {"n": len(a), "p25": q[0], "median": q[1], "p75": q[2], "p90": q[3], "max": float(a.max())}


def compare(runs_csv: Path, out_csv: Path, show: int = 15) -> int:
    """Simulate every cached SCALE-Sim run with hwsim and report the errors (see module docstring)."""
    from hwsim.hardware.scalesim_config import load_scalesim_config_text
    from hwsim.sources.scalesim_topology import load_topology_text
    from hwsim.simulate import simulate

    rows = [r for r in read_runs(runs_csv) if r["status"] == "ok"]
    if not rows:
        print(f"no SCALE-Sim runs in {runs_csv}; run with --run-scalesim first", file=sys.stderr)
        return 1
    out = []
    for row in rows:
        spec = RunSpec(
            layer=ConvSpec(row["layer"], *(int(row[f]) for f in ("ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "num_filter", "stride"))),
            dataflow=row["dataflow"], rows=int(row["rows"]), cols=int(row["cols"]), bandwidth=int(row["bandwidth"]),
            ifmap_kb=int(row["ifmap_kb"]), filter_kb=int(row["filter_kb"]), ofmap_kb=int(row["ofmap_kb"]),
        )  # fmt: skip
        graph = load_topology_text(topology_text([spec.layer]), source=f"{runs_csv.name}:{spec.key}")
        accel = load_scalesim_config_text(scalesim_cfg_text(spec), source=f"{runs_csv.name}:{spec.key}")
        result = simulate(graph, accel)
        hw_cycles = float(result.cycles[0])
        need_i, need_f = necessary_reads(row)
        over = max(float(row["dram_ifmap_reads"]) / need_i, float(row["dram_filter_reads"]) / need_f)
        low, high = float(row["total_cycles"]), float(row["total_cycles_incl_prefetch"])
        record = dict(row)
        record.update(
            hwsim_cycles=hw_cycles,
            hwsim_compute_cycles=float(result.compute_cycles[0]),
            hwsim_stall_cycles=float(result.stall_cycles[0]),
            hwsim_dram_ifmap_bytes=float(result.dram_ifmap_bytes[0]),
            hwsim_dram_filter_bytes=float(result.dram_filter_bytes[0]),
            hwsim_dram_ofmap_bytes=float(result.dram_ofmap_bytes[0]),
            hwsim_dram_psum_read_bytes=float(result.dram_psum_read_bytes[0]),
            necessary_ifmap_reads=need_i,
            necessary_filter_reads=need_f,
            read_excess=round(over, 3),
            group="necessary" if over <= NECESSARY_TRAFFIC_TOLERANCE else "excess",
            im2col_only=bool(
                float(row["dram_ifmap_reads"]) <= NECESSARY_TRAFFIC_TOLERANCE * max(need_i, im2col_reads(row))
                and float(row["dram_filter_reads"]) <= NECESSARY_TRAFFIC_TOLERANCE * need_f
            ),
            error=interval_error(hw_cycles, low, high),
        )
        record["artifact"] = artifact(record) if abs(record["error"]) > OUTLIER_ERROR else ""
        out.append(record)

    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with out_csv.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(out[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(out)

    print(f"hwsim vs SCALE-Sim 3.0.0 (USER bandwidth), {len(out)} runs from {runs_csv.relative_to(ROOT) if runs_csv.is_relative_to(ROOT) else runs_csv}")
    print("error = 0 inside [Total Cycles, Total Cycles incl. prefetch], else relative distance to the nearest end\n")
    header = f"{'group':<28}{'n':>5}{'p25':>8}{'median':>8}{'p75':>8}{'p90':>8}{'max':>8}{'>25%':>6}{'inside':>8}"
    print(header)
    print("-" * len(header))
    groups = [
        ("necessary traffic (<=1.25x)", lambda r: r["group"] == "necessary"),
        ("excess traffic (>1.25x)", lambda r: r["group"] == "excess"),
        ("  excess only by im2col", lambda r: r["group"] == "excess" and r["im2col_only"]),
        *((f"  necessary, {df}", (lambda d: lambda r: r["group"] == "necessary" and r["dataflow"] == d)(df)) for df in DATAFLOWS),
        ("all", lambda r: True),
    ]
    for label, keep in groups:
        errors = [r["error"] for r in out if keep(r)]
        q = quantiles(errors)
        if not q["n"]:
            continue
        far = sum(abs(e) > OUTLIER_ERROR for e in errors)
        inside = sum(e == 0 for e in errors)
        print(f"{label:<28}{q['n']:>5}{q['p25']:>8.1%}{q['median']:>8.1%}{q['p75']:>8.1%}{q['p90']:>8.1%}{q['max']:>8.1%}{far:>6}{inside:>8}")
    far_runs = [r for r in out if r["artifact"]]
    kinds: dict[tuple[str, str], int] = {}
    for r in far_runs:
        label = (r["group"], r["artifact"].split(":")[0])
        kinds[label] = kinds.get(label, 0) + 1
    if kinds:
        print(f"\nartifacts behind the runs more than {OUTLIER_ERROR:.0%} off:")
        for (group, kind), count in sorted(kinds.items(), key=lambda item: (item[0][0], -item[1])):
            print(f"  {group:<10} {kind:<48}{count:>5}")
    if far_runs and show:
        shown = min(show, len(far_runs))
        print(f"\nruns more than {OUTLIER_ERROR:.0%} off: {len(far_runs)} (the {shown} farthest; all in the CSV):")
        for r in sorted(far_runs, key=lambda r: -abs(r["error"]))[:shown]:
            print(f"  {r['key']:<40} hwsim {r['hwsim_cycles']:>9.0f}  SCALE-Sim [{float(r['total_cycles']):.0f}, {float(r['total_cycles_incl_prefetch']):.0f}]  {r['error']:+.0%}  {r['artifact']}")
    print(f"\nwrote {out_csv}")
    return 0


# --------------------------------------------------------------------------- CLI
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-scalesim", action="store_true", help="run SCALE-Sim on the grid (creates .venv-scalesim)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per SCALE-Sim run before it is skipped (default 60)")
    parser.add_argument("--budget", type=float, default=1200.0, help="wall-clock seconds for all runs of this call (default 1200)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many new runs")
    parser.add_argument("--runs", type=Path, default=RUNS_CSV, help="cached SCALE-Sim runs (CSV)")
    parser.add_argument("--out", type=Path, default=COMPARISON_CSV, help="comparison CSV to write")
    parser.add_argument("--show", type=int, default=15, help="list this many of the runs more than 25%% off (default 15)")
    parser.add_argument("--worker", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker)
    if args.run_scalesim:
        return run_scalesim(args.timeout, args.budget, args.limit)
    return compare(args.runs, args.out, args.show)


if __name__ == "__main__":
    sys.exit(main())
