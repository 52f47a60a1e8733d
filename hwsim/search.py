"""Block-allocation search across stages: SqueezeNext v1 -> v5, automated.

Every way of spreading ``blocks_total`` blocks over ``stages`` stages with at least
``min_blocks`` each (stars and bars: ``C(total - stages*min + stages - 1, stages - 1)``
allocations; 21 over 4 with one each gives C(20, 3) = 1,140), times the conv1 kernels and
shortcut styles asked for, is simulated on one accelerator, ranked by an objective (latency,
energy, or energy-delay product) and written to a CSV file as it goes.

How a candidate is simulated. Its graph is the exported SqueezeNext, spliced from per-block
templates (:mod:`hwsim.assemble`, exact). The simulator scores every layer on its own (no
state passes between layers: MODELING.md §6, totals sum the layers), and a template's layers
are the same in every graph it is placed in, so each template is simulated once and a
candidate's totals are its template counts (:func:`hwsim.assemble.unit_counts`) times the
template totals — cycles, MACs and parameters exactly, energy up to float rounding. The
default ``method="auto"`` checks this against ``simulate(assemble(...))`` on one candidate per
(conv1, shortcut) before trusting it, and falls back to simulating every assembled graph
(``method="graphs"``) if they differ. No torch is needed once the templates are cached.

Pareto front: MACs and parameters stand in for accuracy (at a given depth, a network with more
MACs and weights is taken to be no less accurate), so a candidate is on the front when no other
candidate is at least as good on the objective with at least as many MACs and parameters, and
strictly better in one of the three.

Units: latency in ms, cycles of the accelerator clock, energy in uJ, EDP in uJ x ms.
"""

from __future__ import annotations

import bisect
import csv
import itertools
import math
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np
from numpy.typing import NDArray

from hwsim.errors import ConfigError, HwsimError
from hwsim.models.squeezenext_spec import CONV1_KERNELS, SHORTCUT_STYLES, VERSIONS, SqueezeNextSpec

if TYPE_CHECKING:
    from hwsim.accelerator import Accelerator
    from hwsim.assemble import SqueezeNextTemplates

__all__ = [
    "COLUMNS",
    "FAMILIES",
    "OBJECTIVES",
    "Candidate",
    "CandidateResult",
    "Constraints",
    "ProgressBar",
    "SearchResult",
    "SearchSpace",
    "VersionPoint",
    "allocations",
    "count_allocations",
    "format_report",
    "pareto_mask",
    "plot_search",
    "search",
]

FAMILIES: tuple[str, ...] = ("squeezenext",)
OBJECTIVES: tuple[str, ...] = ("latency", "energy", "edp")
#: Columns of the output CSV, in order (``edp`` in uJ x ms; ``rank`` is filled when the search ends).
COLUMNS: tuple[str, ...] = (
    "allocation", "conv1", "shortcut", "width", "latency_ms", "cycles", "energy_uj", "edp",
    "utilization", "macs", "params", "rank", "accel",
)
#: Refuse spaces larger than this many candidates (the file alone would be hundreds of MB).
MAX_CANDIDATES = 1_000_000
_CHUNK = 256  # allocations evaluated (and appended to the file) at a time


# --------------------------------------------------------------------------- enumeration
def count_allocations(total: int, stages: int, min_blocks: int = 1) -> int:
    """Allocations of ``total`` blocks over ``stages`` stages, each at least ``min_blocks``.

    Stars and bars: the ``total - stages*min_blocks`` free blocks and ``stages - 1`` bars are
    arranged in ``C(free + stages - 1, stages - 1)`` ways; 0 when ``free < 0``.
    """
    free = total - stages * min_blocks
    return math.comb(free + stages - 1, stages - 1) if free >= 0 and stages >= 1 else 0


def allocations(total: int, stages: int, min_blocks: int = 1) -> Iterator[tuple[int, ...]]:
    """Every allocation counted by :func:`count_allocations`, in lexicographic order."""
    free = total - stages * min_blocks
    if free < 0 or stages < 1:
        return
    slots = free + stages - 1
    for bars in itertools.combinations(range(slots), stages - 1):
        edges = (-1, *bars, slots)
        yield tuple(edges[i + 1] - edges[i] - 1 + min_blocks for i in range(stages))


# --------------------------------------------------------------------------- values
@dataclass(frozen=True)
class SearchSpace:
    """What is searched: block allocations of one family, times conv1 kernels and shortcut styles.

    ``blocks_total`` counts blocks only (SqueezeNext depth = blocks + 2: conv1 and the final
    1x1; see :meth:`from_depth`). ``input_size`` is the square input in pixels.
    """

    family: str = "squeezenext"
    blocks_total: int = 21
    stages: int = 4
    min_blocks: int = 1
    width: float = 1.0
    conv1_kernels: tuple[int, ...] = (5, 7)
    shortcuts: tuple[str, ...] = ("v1", "v5")
    grouped: bool = False
    num_classes: int = 1000
    input_size: int = 227
    batch: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "conv1_kernels", tuple(self.conv1_kernels))
        object.__setattr__(self, "shortcuts", tuple(self.shortcuts))
        if self.family not in FAMILIES:
            raise ConfigError(f"unknown family {self.family!r} for search; expected one of {', '.join(FAMILIES)}")
        for label, value in (("stages", self.stages), ("min_blocks", self.min_blocks), ("blocks_total", self.blocks_total)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{label} must be an integer >= 1, got {value!r}")
        if self.blocks_total < self.stages * self.min_blocks:
            raise ConfigError(
                f"blocks_total={self.blocks_total} < stages={self.stages} x min_blocks={self.min_blocks}: "
                "no allocation is possible"
            )
        if not self.conv1_kernels or any(k not in CONV1_KERNELS or isinstance(k, bool) for k in self.conv1_kernels) \
                or len(set(self.conv1_kernels)) != len(self.conv1_kernels):
            raise ConfigError(
                f"conv1 kernels {list(self.conv1_kernels)}: expected distinct values from "
                f"{', '.join(map(str, CONV1_KERNELS))}"
            )
        if not self.shortcuts or any(s not in SHORTCUT_STYLES for s in self.shortcuts) \
                or len(set(self.shortcuts)) != len(self.shortcuts):
            raise ConfigError(
                f"shortcut styles {list(self.shortcuts)}: expected distinct values from "
                f"{', '.join(SHORTCUT_STYLES)}"
            )
        spec = SqueezeNextSpec(width=self.width, blocks=(1,) * self.stages, grouped=self.grouped,
                               num_classes=self.num_classes)  # validates width, grouped, classes
        spec.check_input_size(self.input_size)
        object.__setattr__(self, "width", spec.width)
        if self.count > MAX_CANDIDATES:
            raise ConfigError(
                f"{self.count:,} candidates exceed the limit of {MAX_CANDIDATES:,}; "
                "use fewer blocks or stages, or a larger minimum per stage"
            )

    @classmethod
    def from_depth(cls, depth: int, **fields_: object) -> SearchSpace:
        """The space of SqueezeNext-``depth`` networks: ``depth - 2`` blocks (conv1 and the final 1x1)."""
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 3:
            raise ConfigError(f"depth must be an integer >= 3 (conv1 + blocks + final 1x1), got {depth!r}")
        stages, min_blocks = fields_.get("stages", 4), fields_.get("min_blocks", 1)
        if isinstance(stages, int) and isinstance(min_blocks, int) and depth - 2 < stages * min_blocks:
            raise ConfigError(
                f"depth {depth} gives {depth - 2} blocks < stages={stages} x min_blocks={min_blocks}: "
                "no allocation is possible"
            )
        return cls(blocks_total=depth - 2, **fields_)  # type: ignore[arg-type]

    @property
    def allocation_count(self) -> int:
        return count_allocations(self.blocks_total, self.stages, self.min_blocks)

    @property
    def count(self) -> int:
        """Candidates: allocations x conv1 kernels x shortcut styles."""
        return self.allocation_count * len(self.conv1_kernels) * len(self.shortcuts)

    def allocations(self) -> Iterator[tuple[int, ...]]:
        return allocations(self.blocks_total, self.stages, self.min_blocks)

    def balanced_allocation(self) -> tuple[int, ...]:
        """The blocks spread as evenly as possible (earlier stages get the remainder)."""
        base, extra = divmod(self.blocks_total, self.stages)
        return tuple(base + (1 if i < extra else 0) for i in range(self.stages))

    def contains(self, candidate: Candidate) -> bool:
        blocks = candidate.blocks
        return (
            len(blocks) == self.stages and sum(blocks) == self.blocks_total and min(blocks) >= self.min_blocks
            and candidate.conv1_kernel in self.conv1_kernels and candidate.shortcut in self.shortcuts
            and candidate.width == self.width
        )

    def describe(self) -> str:
        return (
            f"{self.blocks_total} blocks over {self.stages} stages (>= {self.min_blocks} each), width {self.width!r}"
            f"{' grouped' if self.grouped else ''}, conv1 {'/'.join(map(str, self.conv1_kernels))}, "
            f"shortcut {'/'.join(self.shortcuts)}"
        )


@dataclass(frozen=True)
class Candidate:
    """One network of the space: blocks per stage, conv1 kernel, shortcut style, width."""

    blocks: tuple[int, ...]
    conv1_kernel: int
    shortcut: str
    width: float

    @property
    def allocation(self) -> str:
        """Blocks per stage as written in the CSV, e.g. ``6-6-8-1``."""
        return "-".join(str(b) for b in self.blocks)

    @property
    def key(self) -> tuple[str, int, str, float]:
        return (self.allocation, self.conv1_kernel, self.shortcut, self.width)


@dataclass(frozen=True)
class CandidateResult:
    """Simulated totals of one candidate (latency in ms, energy in uJ, EDP in uJ x ms)."""

    candidate: Candidate
    cycles: int
    latency_ms: float
    energy_uj: float
    utilization: float  #: MACs / (cycles x PEs)
    macs: int
    params: int

    @property
    def edp(self) -> float:
        """Energy-delay product, uJ x ms."""
        return self.energy_uj * self.latency_ms

    def objective(self, objective: str) -> float:
        return {"latency": self.latency_ms, "energy": self.energy_uj, "edp": self.edp}[objective]

    def sort_key(self, objective: str) -> tuple[object, ...]:
        c = self.candidate
        return (self.objective(objective), self.cycles, self.energy_uj, c.blocks, c.conv1_kernel, c.shortcut)


@dataclass(frozen=True)
class Constraints:
    """Upper bounds a candidate must meet to be kept (None: no bound)."""

    max_macs: int | None = None
    max_params: int | None = None

    def allows(self, macs: int, params: int) -> bool:
        return (self.max_macs is None or macs <= self.max_macs) and (self.max_params is None or params <= self.max_params)

    def describe(self) -> str:
        parts = [f"MACs <= {self.max_macs:,}" if self.max_macs is not None else "",
                 f"params <= {self.max_params:,}" if self.max_params is not None else ""]
        return ", ".join(p for p in parts if p) or "none"


@dataclass(frozen=True)
class VersionPoint:
    """Where a published SqueezeNext version falls among the ranked candidates.

    ``rank`` is its rank when it is a kept candidate, else the rank it would take (1 + the
    number of ranked candidates better than it).
    """

    version: int
    result: CandidateResult
    rank: int
    in_space: bool
    feasible: bool


@dataclass(frozen=True)
class SearchResult:
    """A finished search: ranked candidates (best first), Pareto front, published versions."""

    space: SearchSpace
    accelerator_name: str
    objective: str
    constraints: Constraints
    ranked: tuple[CandidateResult, ...]
    pareto: tuple[int, ...]  #: indices into ``ranked`` of the front, best objective first
    versions: tuple[VersionPoint, ...]
    simulated: int  #: candidates simulated by this run
    resumed: int  #: candidates read back from the output file
    filtered: int  #: candidates left out by the constraints
    method: str  #: "units" (template totals) or "graphs" (every assembled graph simulated)
    seconds: float
    output: str | None = None

    def version_of(self, candidate: Candidate) -> tuple[int, ...]:
        """Published versions equal to ``candidate`` (v1 and v2 share an allocation, not conv1)."""
        return tuple(v.version for v in self.versions if v.result.candidate == candidate)


# --------------------------------------------------------------------------- evaluation
@dataclass(frozen=True)
class _UnitTotals:
    """Simulated totals of each template unit (order of ``SqueezeNextTemplates.units``)."""

    cycles: NDArray[np.int64]
    energy_pj: NDArray[np.float64]
    macs: NDArray[np.int64]
    params: NDArray[np.int64]


def _unit_totals(templates: SqueezeNextTemplates, accel: Accelerator) -> _UnitTotals:
    from hwsim.sim import HardwareArrays, LayerArrays, evaluate

    la = LayerArrays.from_graph(templates.reference)
    out = evaluate(la, HardwareArrays.from_accelerators([accel]))
    cycles, energy = out["cycles"][0], out["energy_pj"][0]
    spans = [(u.start, u.stop) for u in templates.units]
    return _UnitTotals(
        cycles=np.array([cycles[a:b].sum() for a, b in spans], dtype=np.int64),
        energy_pj=np.array([energy[a:b].sum() for a, b in spans], dtype=np.float64),
        macs=np.array([la.macs[a:b].sum() for a, b in spans], dtype=np.int64),
        params=np.array([la.params[a:b].sum() for a, b in spans], dtype=np.int64),
    )


def _counts(blocks: NDArray[np.int64]) -> NDArray[np.int64]:
    """Template counts per candidate (rows) for an ``(candidates, stages)`` block matrix."""
    cols = [np.ones(len(blocks), dtype=np.int64)]
    for i in range(blocks.shape[1]):
        n = blocks[:, i]
        cols += [np.ones_like(n), n // 2, (n - 1) // 2]
    cols.append(np.ones(len(blocks), dtype=np.int64))
    return np.stack(cols, axis=1)


def _results(candidates: Sequence[Candidate], cycles: Sequence[int], energy_pj: Sequence[float],
             macs: Sequence[int], params: Sequence[int], accel: Accelerator) -> list[CandidateResult]:
    pes = accel.array.rows * accel.array.cols
    clock = float(accel.clock_mhz)
    return [
        CandidateResult(c, int(cy), int(cy) / (clock * 1e3), float(e) / 1e6, int(m) / max(int(cy) * pes, 1),
                        int(m), int(p))
        for c, cy, e, m, p in zip(candidates, cycles, energy_pj, macs, params)
    ]


def _simulate_graph(templates: SqueezeNextTemplates, candidate: Candidate, accel: Accelerator) -> CandidateResult:
    from hwsim.assemble import assemble
    from hwsim.sim import simulate

    r = simulate(assemble(templates, candidate.blocks), accel)
    return _results([candidate], [r.total_cycles], [r.total_energy_pj], [r.total_macs], [int(r.params.sum())], accel)[0]


def _same(a: CandidateResult, b: CandidateResult) -> bool:
    same_counts = (a.cycles, a.macs, a.params) == (b.cycles, b.macs, b.params)
    return same_counts and math.isclose(a.energy_uj, b.energy_uj, rel_tol=1e-9)


# --------------------------------------------------------------------------- Pareto front
def pareto_mask(cost: Sequence[float], *gains: Sequence[float]) -> NDArray[np.bool_]:
    """True for points no other point dominates (cost no higher, every gain no lower, one strict).

    :func:`hwsim.pareto.pareto_mask` with the gains negated (it minimises every objective).
    """
    from hwsim.pareto import pareto_mask as minimised_front

    columns = [np.asarray(cost, dtype=np.float64)] + [-np.asarray(g, dtype=np.float64) for g in gains]
    return minimised_front(np.column_stack(columns))


# --------------------------------------------------------------------------- progress
class ProgressBar:
    """A one-line progress bar on ``stream`` (nothing when ``stream`` is None)."""

    def __init__(self, total: int, stream: TextIO | None, label: str = "search", min_interval_s: float = 0.1) -> None:
        self.total, self.stream, self.label, self.min_interval_s = total, stream, label, min_interval_s
        self.done = 0
        self.started = time.perf_counter()
        self.shown = -math.inf
        self.drawn = -1  # ``done`` when last drawn

    def update(self, count: int) -> None:
        self.done += count
        now = time.perf_counter()
        if self.stream is not None and self.done and (now - self.shown >= self.min_interval_s or self.done >= self.total):
            self.shown = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        assert self.stream is not None
        fraction = self.done / self.total if self.total else 1.0
        filled = int(30 * fraction)
        rate = self.done / max(now - self.started, 1e-9)
        self.drawn = self.done
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {self.done:,}/{self.total:,} "
                          f"({100 * fraction:.0f}%) {rate:,.0f}/s")
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not None:
            if self.drawn != self.done:
                self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()


# --------------------------------------------------------------------------- the output file
def _row(result: CandidateResult, accel_name: str, rank: int | None) -> list[object]:
    c = result.candidate
    return [c.allocation, c.conv1_kernel, c.shortcut, repr(c.width), repr(result.latency_ms), result.cycles,
            repr(result.energy_uj), repr(result.edp), repr(result.utilization), result.macs, result.params,
            "" if rank is None else rank, accel_name]


def _read_rows(path: Path, space: SearchSpace, accel_name: str) -> list[CandidateResult]:
    """Complete rows of an earlier run of this search (a torn last line is dropped)."""
    try:
        with path.open(newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            rows = list(reader)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read for --resume ({exc.strerror or exc})") from None
    if header is None:
        return []
    if tuple(header) != COLUMNS:
        raise ConfigError(f"{path}: not a search results file (expected columns {','.join(COLUMNS)}); drop --resume or use another -o")
    out: list[CandidateResult] = []
    for number, row in enumerate(rows, start=2):
        if len(row) != len(COLUMNS):
            continue
        values = dict(zip(COLUMNS, row))
        try:
            candidate = Candidate(tuple(int(b) for b in values["allocation"].split("-")), int(values["conv1"]),
                                  values["shortcut"], float(values["width"]))
            result = CandidateResult(candidate, int(values["cycles"]), float(values["latency_ms"]),
                                     float(values["energy_uj"]), float(values["utilization"]),
                                     int(values["macs"]), int(values["params"]))
        except ValueError:
            continue  # a torn or hand-edited row: simulated again
        if values["accel"] != accel_name:
            raise ConfigError(f"{path}: line {number} was simulated on {values['accel']}, not {accel_name}; "
                              "drop --resume or use another -o")
        if not space.contains(candidate):
            raise ConfigError(f"{path}: line {number} ({candidate.allocation}, conv1 {candidate.conv1_kernel}, "
                              f"{candidate.shortcut}, width {candidate.width:g}) is not in this search's space; "
                              "drop --resume or use another -o")
        out.append(result)
    return out


def _write_all(path: Path, rows: Sequence[CandidateResult], accel_name: str, ranked: bool) -> None:
    """Replace ``path`` atomically with a header and ``rows`` (ranks 1.. when ``ranked``)."""
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with scratch.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows(_row(r, accel_name, i + 1 if ranked else None) for i, r in enumerate(rows))
        os.replace(scratch, path)
    except OSError as exc:
        raise HwsimError(f"cannot write {path}: {exc.strerror or exc}") from None


# --------------------------------------------------------------------------- the search
@dataclass
class _Combo:
    """Per (conv1, shortcut): templates and their simulated unit totals."""

    templates: SqueezeNextTemplates
    totals: _UnitTotals = field(repr=False)


def _version_candidate(version: int, space: SearchSpace) -> Candidate:
    blocks, conv1, shortcut = VERSIONS[version]
    return Candidate(tuple(blocks), conv1, shortcut, space.width)


def search(
    space: SearchSpace,
    accel: Accelerator,
    objective: str = "latency",
    constraints: Constraints = Constraints(),
    output: str | Path | None = None,
    resume: bool = False,
    progress: TextIO | None = None,
    method: str = "auto",
    cache_dir: str | Path | None = None,
) -> SearchResult:
    """Simulate every candidate of ``space`` on ``accel`` and rank them by ``objective``.

    Rows are appended to ``output`` (CSV, :data:`COLUMNS`) as candidates are simulated and
    flushed; when the search ends the file is rewritten best first with ranks filled in.
    ``resume=True`` keeps the rows of an earlier run of the same search in ``output`` and
    simulates only the missing candidates. Candidates over ``constraints`` are left out of
    the ranking and the file. ``method``: ``"auto"`` (template totals, checked once per conv1 x
    shortcut against a full simulation), ``"units"`` or ``"graphs"`` (simulate every assembled
    graph; slow, exact by construction). ``progress`` is a stream for a progress bar.
    """
    from hwsim.assemble import TemplateKey, load_templates

    started = time.perf_counter()
    if objective not in OBJECTIVES:
        raise ConfigError(f"unknown objective {objective!r}; expected one of {', '.join(OBJECTIVES)}")
    if method not in ("auto", "units", "graphs"):
        raise ConfigError(f"unknown search method {method!r}; expected auto, units or graphs")
    versions_comparable = space.stages == len(VERSIONS[1][0])
    combos_needed = {(k, s) for k in space.conv1_kernels for s in space.shortcuts}
    if versions_comparable:
        combos_needed |= {(VERSIONS[v][1], VERSIONS[v][2]) for v in VERSIONS}
    combos: dict[tuple[int, str], _Combo] = {}
    for conv1, shortcut in sorted(combos_needed):
        key = TemplateKey(space.width, conv1, shortcut, space.grouped, space.num_classes, space.stages,
                          space.input_size, space.batch)
        templates = load_templates(key, cache_dir)
        combos[(conv1, shortcut)] = _Combo(templates, _unit_totals(templates, accel))

    def evaluate_units(candidates: Sequence[Candidate], combo: _Combo) -> list[CandidateResult]:
        counts = _counts(np.array([c.blocks for c in candidates], dtype=np.int64))
        t = combo.totals
        return _results(candidates, counts @ t.cycles, counts.astype(np.float64) @ t.energy_pj,
                        counts @ t.macs, counts @ t.params, accel)

    used = "graphs" if method == "graphs" else "units"
    if method == "auto":
        for (conv1, shortcut), combo in combos.items():
            probe = Candidate(space.balanced_allocation(), conv1, shortcut, space.width)
            if not _same(evaluate_units([probe], combo)[0], _simulate_graph(combo.templates, probe, accel)):
                used = "graphs"
                break

    path = Path(output) if output is not None else None
    done: dict[tuple[str, int, str, float], CandidateResult] = {}
    if path is not None and resume and path.exists():
        for r in _read_rows(path, space, accel.name):
            done[r.candidate.key] = r
    kept = [r for r in done.values() if constraints.allows(r.macs, r.params)]
    filtered = len(done) - len(kept)
    resumed = len(kept)
    handle = None
    if path is not None:
        _write_all(path, kept, accel.name, ranked=False)  # drops torn lines before appending
        try:
            handle = path.open("a", newline="")
        except OSError as exc:
            raise HwsimError(f"cannot write {path}: {exc.strerror or exc}") from None
    results = list(kept)
    simulated = 0
    bar = ProgressBar(space.count, progress)
    bar.update(len(done))
    try:
        writer = csv.writer(handle) if handle is not None else None
        for conv1 in space.conv1_kernels:
            for shortcut in space.shortcuts:
                combo = combos[(conv1, shortcut)]
                allocs = space.allocations()
                while chunk := list(itertools.islice(allocs, _CHUNK)):
                    todo = [Candidate(b, conv1, shortcut, space.width) for b in chunk]
                    todo = [c for c in todo if c.key not in done]
                    if todo:
                        scored = evaluate_units(todo, combo)  # MACs and params are exact here
                        ok = [r for r in scored if constraints.allows(r.macs, r.params)]
                        if used == "graphs":
                            ok = [_simulate_graph(combo.templates, r.candidate, accel) for r in ok]
                        filtered += len(scored) - len(ok)
                        simulated += len(ok)
                        results += ok
                        if writer is not None and handle is not None:
                            writer.writerows(_row(r, accel.name, None) for r in ok)
                            handle.flush()
                    bar.update(len(todo))
    finally:
        if handle is not None:
            handle.close()
        bar.close()
    if not results:
        raise ConfigError(f"no candidate meets the constraints ({constraints.describe()})")
    ranked = sorted(results, key=lambda r: r.sort_key(objective))
    if path is not None:
        _write_all(path, ranked, accel.name, ranked=True)
    front = pareto_mask([r.objective(objective) for r in ranked], [r.macs for r in ranked], [r.params for r in ranked])
    versions: list[VersionPoint] = []
    if versions_comparable:
        rank_of = {r.candidate.key: i + 1 for i, r in enumerate(ranked)}
        keys = [r.sort_key(objective) for r in ranked]
        for v in sorted(VERSIONS):
            candidate = _version_candidate(v, space)
            combo = combos[(candidate.conv1_kernel, candidate.shortcut)]
            if candidate.key in rank_of:
                rank = rank_of[candidate.key]
                result = ranked[rank - 1]
            else:
                if used == "graphs":
                    result = _simulate_graph(combo.templates, candidate, accel)
                else:
                    result = evaluate_units([candidate], combo)[0]
                rank = 1 + bisect.bisect_left(keys, result.sort_key(objective))
            versions.append(VersionPoint(v, result, rank, space.contains(candidate),
                                         constraints.allows(result.macs, result.params)))
    return SearchResult(
        space=space, accelerator_name=accel.name, objective=objective, constraints=constraints,
        ranked=tuple(ranked), pareto=tuple(int(i) for i in np.flatnonzero(front)), versions=tuple(versions),
        simulated=simulated, resumed=resumed, filtered=filtered, method=used,
        seconds=time.perf_counter() - started, output=str(path) if path is not None else None,
    )


# --------------------------------------------------------------------------- report
def _si(value: float) -> str:
    """1234567 -> '1.23M' (MACs, params)."""
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.2f}{suffix}"
    return f"{value:g}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


_HEADERS = ("rank", "allocation", "conv1", "shortcut", "latency_ms", "energy_uj", "edp", "utilization", "MACs", "params")


def _cells(rank: str, r: CandidateResult) -> list[str]:
    c = r.candidate
    return [rank, c.allocation, f"{c.conv1_kernel}x{c.conv1_kernel}", c.shortcut, f"{r.latency_ms:.4f}",
            f"{r.energy_uj:.2f}", f"{r.edp:.3f}", f"{100 * r.utilization:.1f}%", _si(r.macs), _si(r.params)]


def format_report(result: SearchResult, top: int = 20) -> str:
    """The ranked table (top ``top``), where v1..v5 fall, the gain of the best, and the Pareto front."""
    space, ranked, n = result.space, result.ranked, len(result.ranked)
    lines = [
        f"{space.family} block-allocation search on {result.accelerator_name}: {space.describe()}",
        f"{space.count:,} candidates ({space.allocation_count:,} allocations x {len(space.conv1_kernels)} conv1 x "
        f"{len(space.shortcuts)} shortcut); constraints: {result.constraints.describe()}; {n:,} ranked by "
        f"{result.objective} ({result.filtered:,} filtered out, {result.resumed:,} resumed, {result.simulated:,} "
        f"simulated in {result.seconds:.2f} s)" + (f"; written to {result.output}" if result.output else ""),
        "",
    ]
    marks = {v.result.candidate: [] for v in result.versions}
    for v in result.versions:
        marks[v.result.candidate].append(f"v{v.version}")
    headers = (*_HEADERS, "version")
    rows = [_cells(str(i + 1), r) + [",".join(marks.get(r.candidate, []))] for i, r in enumerate(ranked[:top])]
    lines += [f"Top {min(top, n)} of {n:,} by {result.objective}", _table(headers, rows), ""]
    if result.versions:
        rows = []
        for v in result.versions:
            where = f"{v.rank}/{n}" if v.in_space and v.feasible else f"~{v.rank}/{n} (" + (
                "outside the space" if not v.in_space else "fails the constraints") + ")"
            rows.append([f"v{v.version}", *_cells(where, v.result)])
        lines += ["Published versions (SqueezeNextSpec.for_version) and where they rank",
                  _table(("version", *_HEADERS), rows), ""]
        best = ranked[0]
        for v in result.versions:
            if v.version in (1, 5):
                lines.append(
                    f"best {best.candidate.allocation} (conv1 {best.candidate.conv1_kernel}, {best.candidate.shortcut}) vs "
                    f"v{v.version}: {v.result.latency_ms / best.latency_ms:.3f}x faster, energy x{best.energy_uj / v.result.energy_uj:.3f}, "
                    f"EDP x{best.edp / v.result.edp:.3f}"
                )
        lines.append("")
    front = [ranked[i] for i in result.pareto]
    lines.append(f"Pareto front: {result.objective} vs MACs and params (more MACs/params stand in for higher "
                 f"accuracy): {len(front)} candidates" + (f", first {top} shown" if len(front) > top else ""))
    rows = [_cells(str(i + 1), ranked[i]) + [",".join(marks.get(ranked[i].candidate, []))] for i in result.pareto[:top]]
    lines.append(_table(headers, rows))
    return "\n".join(lines) + "\n"


def plot_search(result: SearchResult, path: str | Path) -> None:
    """Latency vs MACs of every ranked candidate, the latency/MACs Pareto front, v1..v5 labelled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ranked = result.ranked
    macs = np.array([r.macs for r in ranked], dtype=np.float64) / 1e6
    latency = np.array([r.latency_ms for r in ranked])
    front = pareto_mask(latency, macs)
    order = np.flatnonzero(front)[np.argsort(macs[front])]
    fig, ax = plt.subplots(figsize=(8.0, 5.5))
    ax.scatter(macs, latency, s=6, color="#9BA3AF", alpha=0.6, label=f"candidates ({len(ranked):,})")
    ax.plot(macs[order], latency[order], "-o", drawstyle="steps-post", color="#C44E52", markersize=4,
            label=f"Pareto front: latency vs MACs ({len(order)})")
    for v in result.versions:
        x, y = v.result.macs / 1e6, v.result.latency_ms
        ax.scatter([x], [y], s=40, color="#4C72B0", zorder=3)
        ax.annotate(f"v{v.version}", (x, y), textcoords="offset points", xytext=(5, 5), fontsize=9, color="#4C72B0")
    ax.set_xlabel("MACs (millions)")
    ax.set_ylabel("latency (ms)")
    ax.set_title(f"{result.space.family}: {result.space.describe()}\non {result.accelerator_name}", fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=120)
    except OSError as exc:
        raise HwsimError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
