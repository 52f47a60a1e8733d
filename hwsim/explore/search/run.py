"""Block-allocation search across stages, for any registered family (SqueezeNext v1 -> v5, automated).

Every way of spreading ``blocks_total`` blocks over ``stages`` stages with at least
``min_blocks`` each (stars and bars: ``C(total - stages*min + stages - 1, stages - 1)``
allocations; 21 over 4 with one each gives C(20, 3) = 1,140), times the values of each of the
family's choices (SqueezeNext: conv1 kernel and shortcut style), is simulated on one
accelerator, ranked by an objective (latency, energy, or energy-delay product) and written to a
CSV file as it goes. The family (:mod:`hwsim.explore.search.families`) says what is allocated,
what is chosen, which published networks to mark, and how candidates are built.

How a candidate is simulated. Its graph is spliced from the family's unit templates. The
simulator scores every layer on its own (no state passes between layers: totals sum the layers,
docs/MODEL.md §6), and a unit's layers are the same in every graph it is placed in, so each unit
is simulated once and a candidate's totals are its unit counts (the family's ``counts``) times
the unit totals (:mod:`hwsim.explore.search.scoring`) — cycles, MACs and parameters exactly,
energy up to float rounding. The default ``method="auto"`` checks this against simulating the
assembled graph on one candidate per combination of choices before trusting it, and falls back
to simulating every assembled graph (``method="graphs"``) if they differ. On an accelerator with
a global buffer (docs/MODEL.md §9) what a layer keeps on chip depends on the whole network, so
``auto`` simulates every assembled graph and ``units`` is refused. No torch is needed once a
family's templates are cached.

Pareto front: MACs and parameters stand in for accuracy (at a given depth, a network with more
MACs and weights is taken to be no less accurate), so a candidate is on the front when no other
candidate is at least as good on the objective with at least as many MACs and parameters, and
strictly better in one of the three.

Units: latency in ms, cycles of the accelerator clock, energy in uJ, EDP in uJ x ms.

The code: :mod:`hwsim.explore.search.space` (allocations, :class:`SearchSpace`, :class:`Candidate`,
:class:`Constraints`), :mod:`hwsim.explore.search.results` (:class:`CandidateResult`,
:class:`SearchResult`, :func:`pareto_mask`), :mod:`hwsim.explore.search.scoring` (unit totals
-> candidate totals), :mod:`hwsim.explore.search.output` (the CSV file, resume),
:mod:`hwsim.explore.search.report` (table and plot) and :mod:`hwsim.explore.search.progress`; this
module runs the search (:func:`search`) and re-exports their public names.
"""

from __future__ import annotations

import bisect
import csv
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, TextIO

import numpy as np

from hwsim.errors import ConfigError, HwsimError
from hwsim.explore.search.families.base import Templates, Value
from hwsim.explore.search.output import columns, read_rows, row, write_all
from hwsim.explore.search.progress import ProgressBar
from hwsim.explore.search.report import format_report, plot_search
from hwsim.explore.search.results import OBJECTIVES, CandidateResult, SearchResult, VersionPoint, pareto_mask
from hwsim.cost.totals import Totals
from hwsim.explore.search.scoring import same, score, simulate_graph, unit_totals
from hwsim.explore.search.space import (
    MAX_CANDIDATES,
    Candidate,
    Constraints,
    SearchSpace,
    allocations,
    count_allocations,
)

if TYPE_CHECKING:
    from hwsim.hardware.load import Accelerator

__all__ = [
    "MAX_CANDIDATES",
    "OBJECTIVES",
    "Candidate",
    "CandidateResult",
    "Constraints",
    "ProgressBar",
    "SearchResult",
    "SearchSpace",
    "VersionPoint",
    "allocations",
    "columns",
    "count_allocations",
    "format_report",
    "pareto_mask",
    "plot_search",
    "search",
]

_CHUNK = 256  # allocations evaluated (and appended to the file) at a time


@dataclass
class _Combo:
    """Per combination of choices: the family's templates and their simulated unit totals."""

    templates: Templates
    totals: Totals = field(repr=False)


@dataclass(frozen=True)
class _Plan:
    """How this search scores: its space and accelerator, the templates and unit totals of every
    combination of choices, and the method used (``"units"`` or ``"graphs"``)."""

    space: SearchSpace
    accel: Accelerator
    combos: dict[tuple[Value, ...], _Combo]
    method: str

    def score(self, candidates: Sequence[Candidate]) -> list[CandidateResult]:
        """Every candidate (all of one combination of choices) by unit counts."""
        return score(self.space.definition, candidates, self.combos[candidates[0].choices].totals, self.accel)

    def simulate(self, candidate: Candidate) -> CandidateResult:
        """``candidate`` by simulating its assembled graph."""
        combo = self.combos[candidate.choices]
        return simulate_graph(self.space.definition, combo.templates, candidate, self.accel)


@dataclass
class _Tally:
    """What happened to the candidates: kept results, and how many were filtered, resumed, simulated."""

    results: list[CandidateResult]
    filtered: int = 0
    resumed: int = 0
    simulated: int = 0


def _combos(space: SearchSpace, accel: Accelerator, cache_dir: str | Path | None) -> dict[tuple[Value, ...], _Combo]:
    """Templates and unit totals of every combination of choices searched or published."""
    family = space.definition
    needed = set(itertools.product(*space.choice_values))
    needed |= {p.choices for p in family.published if len(p.blocks) == space.stages}
    combos = {}
    for choices in sorted(needed):
        templates = family.load_templates(space.variant(choices), cache_dir)
        combos[choices] = _Combo(templates, unit_totals(templates, accel))
    return combos


def _plan(space: SearchSpace, accel: Accelerator, method: str, cache_dir: str | Path | None) -> _Plan:
    """Load and simulate the templates; ``method="auto"`` becomes ``"units"`` when the unit totals
    equal a full simulation on one candidate of every combination of choices, else ``"graphs"``
    (at once with a global buffer, where ``"units"`` is refused)."""
    if accel.global_buffer.kib > 0:  # tensors held across layers: a unit's cost depends on its neighbours
        if method == "units":
            raise ConfigError(f"search method units scores each unit on its own, but {accel.name} has a global buffer "
                              "(docs/MODEL.md §9: what a layer keeps on chip depends on the whole network); use auto or graphs")
        method = "graphs"
    plan = _Plan(space, accel, _combos(space, accel, cache_dir), "units" if method == "auto" else method)
    if method == "auto":
        for choices in plan.combos:
            probe = Candidate(space.balanced_allocation(), choices)
            if not same(plan.score([probe])[0], plan.simulate(probe)):
                return _Plan(space, accel, plan.combos, "graphs")
    return plan


def _simulate(plan: _Plan, constraints: Constraints, done: dict[Candidate, CandidateResult], tally: _Tally,
              handle: IO[str] | None, bar: ProgressBar) -> None:
    """Score every candidate not ``done``, keep those within ``constraints``, append them to ``handle``."""
    space = plan.space
    writer = csv.writer(handle) if handle is not None else None
    for choices in itertools.product(*space.choice_values):
        allocs = space.allocations()
        while chunk := list(itertools.islice(allocs, _CHUNK)):
            todo = [c for c in (Candidate(b, choices) for b in chunk) if c not in done]
            if todo:
                scored = plan.score(todo)  # MACs and params are exact here
                ok = [r for r in scored if constraints.allows(r.macs, r.params)]
                if plan.method == "graphs":
                    ok = [plan.simulate(r.candidate) for r in ok]
                tally.filtered += len(scored) - len(ok)
                tally.simulated += len(ok)
                tally.results += ok
                if writer is not None and handle is not None:
                    writer.writerows(row(r, space, plan.accel.name, None) for r in ok)
                    handle.flush()
            bar.update(len(todo))


def _published(plan: _Plan, objective: str, constraints: Constraints,
               ranked: Sequence[CandidateResult]) -> tuple[VersionPoint, ...]:
    """Where each published network with the space's number of stages ranks (or would rank)."""
    space = plan.space
    rank_of = {r.candidate: i + 1 for i, r in enumerate(ranked)}
    keys = [r.sort_key(objective) for r in ranked]
    points = []
    for published in space.definition.published:
        if len(published.blocks) != space.stages:
            continue
        candidate = Candidate(tuple(published.blocks), published.choices)
        if candidate in rank_of:
            rank = rank_of[candidate]
            result = ranked[rank - 1]
        else:
            result = plan.simulate(candidate) if plan.method == "graphs" else plan.score([candidate])[0]
            rank = 1 + bisect.bisect_left(keys, result.sort_key(objective))
        points.append(VersionPoint(published.label, result, rank, space.contains(candidate),
                                   constraints.allows(result.macs, result.params)))
    return tuple(points)


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

    Rows are appended to ``output`` (CSV, :func:`columns` of the family) as candidates are
    simulated and flushed; when the search ends the file is rewritten best first with ranks
    filled in. ``resume=True`` keeps the rows of an earlier run of the same search in ``output``
    and simulates only the missing candidates. Candidates over ``constraints`` are left out of
    the ranking and the file. ``method``: ``"auto"`` (unit totals, checked once per combination
    of choices against a full simulation), ``"units"`` or ``"graphs"`` (simulate every assembled
    graph; slow, exact by construction). ``progress`` is a stream for a progress bar;
    ``cache_dir`` where traced templates are kept (None: the default folder).
    """
    started = time.perf_counter()
    if objective not in OBJECTIVES:
        raise ConfigError(f"unknown objective {objective!r}; expected one of {', '.join(OBJECTIVES)}")
    if method not in ("auto", "units", "graphs"):
        raise ConfigError(f"unknown search method {method!r}; expected auto, units or graphs")
    path = Path(output) if output is not None else None
    done: dict[Candidate, CandidateResult] = {}
    if path is not None and resume and path.exists():  # a file of another search fails before any tracing
        done = {r.candidate: r for r in read_rows(path, space, accel.name)}
    plan = _plan(space, accel, method, cache_dir)
    kept = [r for r in done.values() if constraints.allows(r.macs, r.params)]
    tally = _Tally(list(kept), filtered=len(done) - len(kept), resumed=len(kept))
    handle = None
    if path is not None:
        write_all(path, kept, space, accel.name, ranked=False)  # drops torn lines before appending
        try:
            handle = path.open("a", newline="")
        except OSError as exc:
            raise HwsimError(f"cannot write {path}: {exc.strerror or exc}") from None
    bar = ProgressBar(space.count, progress)
    bar.update(len(done))
    try:
        _simulate(plan, constraints, done, tally, handle, bar)
    finally:
        if handle is not None:
            handle.close()
        bar.close()
    if not tally.results:
        raise ConfigError(f"no candidate meets the constraints ({constraints.describe()})")
    ranked = sorted(tally.results, key=lambda r: r.sort_key(objective))
    if path is not None:
        write_all(path, ranked, space, accel.name, ranked=True)
    front = pareto_mask([r.objective(objective) for r in ranked], [r.macs for r in ranked], [r.params for r in ranked])
    return SearchResult(
        space=space, accelerator_name=accel.name, objective=objective, constraints=constraints,
        ranked=tuple(ranked), pareto=tuple(int(i) for i in np.flatnonzero(front)),
        versions=_published(plan, objective, constraints, ranked),
        simulated=tally.simulated, resumed=tally.resumed, filtered=tally.filtered, method=plan.method,
        seconds=time.perf_counter() - started, output=str(path) if path is not None else None,
    )
