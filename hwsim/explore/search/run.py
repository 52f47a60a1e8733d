"""Block-allocation search across stages, for any registered family (SqueezeNext v1 -> v5,
automated), on one accelerator or jointly on many configurations of one.

Every way of spreading ``blocks_total`` blocks over ``stages`` stages with at least
``min_blocks`` each (stars and bars: ``C(total - stages*min + stages - 1, stages - 1)``
allocations; 21 over 4 with one each gives C(20, 3) = 1,140), times the values of each of the
family's choices (SqueezeNext: conv1 kernel and shortcut style), is scored on every accelerator
configuration (the base accelerator with every combination of the swept values, ``sets``: the
sweep's ``--set FIELD=V1,V2``; without them, the base alone), ranked by an objective (latency,
energy, energy-delay product, chip area, or measured accuracy) and written to a CSV file as it
goes, one row per (candidate, configuration) pair. The family
(:mod:`hwsim.explore.search.families`) says what is allocated, what is chosen, which published
networks to mark, and how candidates are built.

How a pair is scored. A candidate's graph is spliced from the family's unit templates. The
simulator scores every layer on its own (no state passes between layers: totals sum the layers,
docs/MODEL.md §6), and a unit's layers are the same in every graph it is placed in, so each unit
is evaluated once per configuration (all configurations at once, by the vectorised cost core)
and a candidate's totals on a configuration are its unit counts (the family's ``counts``) times
the unit totals there (:mod:`hwsim.explore.search.scoring`) — cycles, MACs and parameters
exactly, energy up to float rounding; no graph is simulated per pair. The default
``method="auto"`` checks this against evaluating the assembled graph of one candidate per
combination of choices on every configuration before trusting it, and falls back to evaluating
every assembled graph (``method="graphs"``) if they differ. With a global buffer on some
configuration (docs/MODEL.md §9) what a layer keeps on chip depends on the whole network, so
``auto`` evaluates every assembled graph and ``units`` is refused. No torch is needed once a
family's templates are cached.

Pareto front: accuracy is not hwsim's to predict. With measured accuracies (``accuracy``, from
``--accuracy FILE.csv``) it is a gain; without, MACs and parameters stand in (at a given depth, a
network with more MACs and weights is taken to be no less accurate). On one accelerator a pair is
on the front when no other is at least as good on the objective and the gains and strictly
better in one; on several, the costs are latency, energy and area together.

Units: latency in ms, cycles of the accelerator clock, energy in uJ, EDP in uJ x ms, area in mm².

The code: :mod:`~.space` (allocations, :class:`SearchSpace`, :class:`Candidate`,
:class:`Constraints`), :mod:`~.configurations` (the accelerator configurations, units evaluated
on them), :mod:`~.results` (:class:`CandidateResult`, :class:`SearchResult`, fronts),
:mod:`~.scoring` (unit totals -> pair totals), :mod:`~.published` (where the published networks
rank), :mod:`~.accuracy` (the accuracy file), :mod:`~.output` (the CSV file, resume),
:mod:`~.report` (table and plot) and :mod:`~.progress`; this module runs the search
(:func:`search`) and re-exports their public names.
"""

from __future__ import annotations

import csv
import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, TextIO

import numpy as np

from hwsim.errors import ConfigError, HwsimError
from hwsim.explore.search.configurations import Configurations
from hwsim.explore.search.families.base import Templates, Value
from hwsim.explore.search.output import Layout, columns, read_rows, row, write_all
from hwsim.explore.search.progress import ProgressBar
from hwsim.explore.search.published import Ranking, published_points
from hwsim.explore.search.report import format_report, plot_search
from hwsim.explore.search.results import (
    OBJECTIVES,
    CandidateResult,
    SearchResult,
    VersionPoint,
    front_mask,
    pareto_mask,
)
from hwsim.explore.search.scoring import at_config, graph_totals, results, same, score, unit_totals
from hwsim.explore.search.space import (
    MAX_CANDIDATES,
    Candidate,
    Constraints,
    SearchSpace,
    allocations,
    count_allocations,
)
from hwsim.cost.totals import Totals
from hwsim.hardware.spec import Accelerator
from hwsim.output_lock import locked_output

__all__ = [
    "MAX_CANDIDATES",
    "MAX_PAIRS",
    "OBJECTIVES",
    "Candidate",
    "CandidateResult",
    "Configurations",
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

#: Refuse searches of more (candidate, configuration) pairs: they are all held in memory (about
#: 0.5 KB each with their CSV row) and the file alone would pass 300 MB; split by --set values.
MAX_PAIRS = 2_000_000
_CHUNK = 256  # allocations scored (and appended to the file) at a time


@dataclass(frozen=True)
class _Combo:
    """Per combination of choices: the family's templates and their unit totals on every configuration."""

    templates: Templates
    units: Totals  #: fields (configs, units); MACs and parameters (units,)


@dataclass(frozen=True)
class _Plan:
    """How this search scores: its space and configurations, the templates and unit totals of
    every combination of choices, the method used (``"units"`` or ``"graphs"``), the measured
    accuracies (None: none given)."""

    space: SearchSpace
    configurations: Configurations
    combos: dict[tuple[Value, ...], _Combo]
    method: str
    accuracy: Mapping[Candidate, float] | None

    def score(self, candidates: Sequence[Candidate], config: int) -> list[CandidateResult]:
        """Every candidate (all of one combination of choices) on ``config``, by unit counts."""
        units = at_config(self.combos[candidates[0].choices].units, config)
        return score(self.space.definition, candidates, units, self.configurations, config, self.accuracy)

    def simulate(self, candidate: Candidate) -> list[CandidateResult]:
        """``candidate`` on every configuration, by evaluating its assembled graph."""
        graph = self.space.definition.assemble(self.combos[candidate.choices].templates, candidate.blocks)
        totals = graph_totals(graph, self.configurations)
        one = np.ones((1, 1), dtype=np.int64)
        return [results([candidate], at_config(totals, k).combine(one), self.configurations, k, self.accuracy)[0]
                for k in range(self.configurations.size)]

    def on_every_config(self, candidate: Candidate) -> list[CandidateResult]:
        """``candidate`` on every configuration, the way this plan scores."""
        if self.method == "graphs":
            return self.simulate(candidate)
        return [self.score([candidate], k)[0] for k in range(self.configurations.size)]

    def measured(self, result: CandidateResult) -> CandidateResult | None:
        """``result`` with its candidate's measured accuracy (None: it has none); itself without an accuracy file."""
        if self.accuracy is None:
            return result
        accuracy = self.accuracy.get(result.candidate)
        return None if accuracy is None else replace(result, accuracy=accuracy)


@dataclass
class _Tally:
    """What happened to the pairs: kept results, and how many were filtered, resumed, scored, and
    left out for want of a measured accuracy."""

    results: list[CandidateResult]
    filtered: int = 0
    resumed: int = 0
    simulated: int = 0
    unmeasured: int = 0


def _combos(space: SearchSpace, configurations: Configurations, cache_dir: str | Path | None, workers: int,
            scheduler: Any) -> dict[tuple[Value, ...], _Combo]:
    """Templates and unit totals of every combination of choices searched or published."""
    family = space.definition
    needed = set(itertools.product(*space.choice_values))
    needed |= {p.choices for p in family.published if len(p.blocks) == space.stages}
    combos = {}
    for choices in sorted(needed):
        templates = family.load_templates(space.variant(choices), cache_dir)
        combos[choices] = _Combo(templates, unit_totals(templates, configurations, workers, scheduler))
    return combos


def _plan(space: SearchSpace, configurations: Configurations, method: str, cache_dir: str | Path | None,
          accuracy: Mapping[Candidate, float] | None, workers: int, scheduler: Any) -> _Plan:
    """Load the templates and evaluate their units; ``method="auto"`` becomes ``"units"`` when the
    unit totals equal an evaluation of the assembled graph on every configuration for one
    candidate of every combination of choices, else ``"graphs"``."""
    if configurations.has_global_buffer:  # tensors held across layers: a unit's cost depends on its neighbours
        if method == "units":
            holder = configurations.base.name if configurations.size == 1 else "a configuration of --set"
            raise ConfigError(f"search method units scores each unit on its own, but {holder} has a global buffer "
                              "(docs/MODEL.md §9: what a layer keeps on chip depends on the whole network); use auto or graphs")
        method = "graphs"
    combos = _combos(space, configurations, cache_dir, workers, scheduler)
    plan = _Plan(space, configurations, combos, "units" if method == "auto" else method, accuracy)
    if method == "auto":
        for choices in plan.combos:
            probe = Candidate(space.balanced_allocation(), choices)
            whole = plan.simulate(probe)
            if not all(same(plan.score([probe], k)[0], whole[k]) for k in range(configurations.size)):
                return replace(plan, method="graphs")
    return plan


def _score_chunk(plan: _Plan, constraints: Constraints, candidates: Sequence[Candidate], configs: Sequence[int],
                 done: Mapping[tuple[Candidate, int], CandidateResult]) -> list[CandidateResult]:
    """The pairs of ``candidates`` (of one combination of choices) and ``configs`` not ``done``
    that meet the constraints. MACs and parameters do not depend on the configuration, so a
    candidate over their bounds is never evaluated as a whole graph."""
    if plan.method == "graphs":
        fits = [r.candidate for r in plan.score(candidates, 0) if constraints.allows(r.macs, r.params)]
        on_each = {c: plan.simulate(c) for c in fits if any((c, k) not in done for k in configs)}
        scored = [on_each[c][k] for k in configs for c in on_each if (c, k) not in done]
    else:
        scored = []
        for k in configs:
            todo = [c for c in candidates if (c, k) not in done]
            scored += plan.score(todo, k) if todo else []
    return [r for r in scored if constraints.allows_pair(r.macs, r.params, r.area_mm2, r.latency_ms)]


def _simulate(plan: _Plan, constraints: Constraints, done: Mapping[tuple[Candidate, int], CandidateResult],
              tally: _Tally, handle: IO[str] | None, layout: Layout, bar: ProgressBar) -> None:
    """Score every pair not ``done``, keep those within ``constraints``, append them to ``handle``."""
    space, size = plan.space, plan.configurations.size
    configs = [k for k in range(size) if constraints.allows_area(float(plan.configurations.area_mm2[k]))]
    writer = csv.writer(handle) if handle is not None else None
    for choices in itertools.product(*space.choice_values):
        allocs = space.allocations()
        while chunk := list(itertools.islice(allocs, _CHUNK)):
            candidates = [Candidate(b, choices) for b in chunk]
            todo = pending = sum((c, k) not in done for c in candidates for k in range(size))
            if plan.accuracy is not None:
                unmeasured = sum((c, k) not in done for c in candidates if c not in plan.accuracy for k in range(size))
                tally.unmeasured += unmeasured
                todo -= unmeasured
                candidates = [c for c in candidates if c in plan.accuracy]
            kept = _score_chunk(plan, constraints, candidates, configs, done) if candidates else []
            tally.filtered += todo - len(kept)
            tally.simulated += len(kept)
            tally.results += kept
            if writer is not None and handle is not None and kept:
                writer.writerows(row(r, layout, None) for r in kept)
                handle.flush()
            bar.update(pending)


def _front(ranked: Sequence[CandidateResult], objective: str, joint: bool, measured: bool) -> tuple[int, ...]:
    """Indices into ``ranked`` of the Pareto front: costs the objective (latency, energy and area
    on several configurations), gains the measured accuracy, else MACs and parameters.

    On several configurations the front of each configuration's pairs is found first: a pair
    dominated by a pair of its own configuration is dominated, so only those fronts' pairs can
    be on the whole front (exact, and much faster than comparing every pair with the front).
    """
    def mask(rows: Sequence[CandidateResult]) -> np.ndarray:
        if joint:
            costs = [[r.latency_ms for r in rows], [r.energy_uj for r in rows], [r.area_mm2 for r in rows]]
        else:
            costs = [[r.objective("latency" if objective == "accuracy" else objective) for r in rows]]
        gains = [[r.accuracy for r in rows]] if measured else [[r.macs for r in rows], [r.params for r in rows]]
        return front_mask(costs, gains)

    indices = np.arange(len(ranked))
    if joint:
        configs = np.array([r.config for r in ranked])
        indices = np.concatenate([group[mask([ranked[i] for i in group])] for group in
                                  (np.flatnonzero(configs == k) for k in np.unique(configs))])
        indices.sort()
    on_front = indices[mask([ranked[i] for i in indices])]
    return tuple(int(i) for i in on_front)


def _on_base(plan: _Plan, constraints: Constraints, ranking: Ranking) -> tuple[VersionPoint, ...]:
    """The published networks on the base accelerator itself (configuration -1), when the search
    has several configurations."""
    if plan.configurations.size == 1:
        return ()
    base = Configurations.build(plan.configurations.base)
    family = plan.space.definition

    def scorer(candidate: Candidate) -> list[CandidateResult]:
        graph = family.assemble(plan.combos[candidate.choices].templates, candidate.blocks)
        totals = at_config(graph_totals(graph, base), 0).combine(np.ones((1, 1), dtype=np.int64))
        return [replace(results([candidate], totals, base, 0, plan.accuracy)[0], config=-1)]

    return published_points(plan.space, scorer, constraints, ranking)


def _check(space: SearchSpace, configurations: Configurations, objective: str, method: str,
           accuracy: Mapping[Candidate, float] | None) -> None:
    if objective not in OBJECTIVES:
        raise ConfigError(f"unknown objective {objective!r}; expected one of {', '.join(OBJECTIVES)}")
    if objective == "accuracy" and accuracy is None:
        raise ConfigError("--objective accuracy needs measured accuracies: --accuracy FILE.csv (expected with it)")
    if method not in ("auto", "units", "graphs"):
        raise ConfigError(f"unknown search method {method!r}; expected auto, units or graphs")
    pairs = space.count * configurations.size
    if pairs > MAX_PAIRS:
        raise ConfigError(f"{space.count:,} candidates x {configurations.size:,} configurations = {pairs:,} pairs exceed "
                          f"the limit of {MAX_PAIRS:,}; search fewer values (--set) or a smaller space, in several runs")


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
    sets: Mapping[str, Sequence[Any]] | None = None,
    accuracy: Mapping[Candidate, float] | None = None,
    accuracy_source: str | None = None,
    workers: int = 1,
    scheduler: Any = None,
) -> SearchResult:
    """Score every candidate of ``space`` on every configuration of ``accel`` (``sets``: field
    path -> values, the sweep's ``--set``; none: ``accel`` alone) and rank the pairs by ``objective``.

    Rows are appended to ``output`` (CSV, :func:`columns` of the family and the swept fields) as
    pairs are scored and flushed; when the search ends the file is rewritten best first with
    ranks filled in. ``resume=True`` keeps the rows of an earlier run of the same search in
    ``output`` and scores only the missing pairs. Pairs over ``constraints`` are left out of the
    ranking and the file. ``accuracy`` maps candidates to their measured accuracy (read by
    :func:`hwsim.explore.search.accuracy.read_accuracy` from ``accuracy_source``): candidates
    without one are left out, and accuracy replaces MACs and parameters on the Pareto front.
    ``method``: ``"auto"`` (unit totals, checked once per combination of choices against a whole
    graph), ``"units"`` or ``"graphs"`` (evaluate every assembled graph; slow, exact by
    construction). ``workers`` local processes or a Dask ``scheduler`` evaluate the units on
    blocks of configurations. ``progress`` is a stream for a progress bar; ``cache_dir`` where
    traced templates are kept (None: the default folder).
    """
    started = time.perf_counter()
    configurations = Configurations.build(accel, sets)
    _check(space, configurations, objective, method, accuracy)
    layout = Layout(space, configurations, accel.name, accuracy is not None)
    path = Path(output) if output is not None else None
    with locked_output(path):  # a second writer of the file fails at once, in one line
        done: dict[tuple[Candidate, int], CandidateResult] = {}
        if path is not None and resume and path.exists():  # a file of another search fails before any tracing
            done = {r.key: r for r in read_rows(path, layout)}
        plan = _plan(space, configurations, method, cache_dir, accuracy, workers, scheduler)
        measured = [m for m in (plan.measured(r) for r in done.values()) if m is not None]
        kept = [r for r in measured if constraints.allows_pair(r.macs, r.params, r.area_mm2, r.latency_ms)]
        tally = _Tally(list(kept), filtered=len(measured) - len(kept), resumed=len(kept), unmeasured=len(done) - len(measured))
        handle = None
        if path is not None:
            write_all(path, kept, layout, ranked=False)  # drops torn lines before appending
            try:
                handle = path.open("a", newline="")
            except OSError as exc:
                raise HwsimError(f"cannot write {path}: {exc.strerror or exc}") from None
        bar = ProgressBar(space.count * configurations.size, progress)
        bar.update(len(done))
        try:
            _simulate(plan, constraints, done, tally, handle, layout, bar)
        finally:
            if handle is not None:
                handle.close()
            bar.close()
        if not tally.results:
            why = f"no pair meets the constraints ({constraints.describe()})" if configurations.size > 1 else \
                f"no candidate meets the constraints ({constraints.describe()})"
            raise ConfigError(why + ("; or no candidate of the space has a measured accuracy" if accuracy is not None else ""))
        ranked = sorted(tally.results, key=lambda r: r.sort_key(objective))
        if path is not None:
            write_all(path, ranked, layout, ranked=True)
    ranking = Ranking(ranked, objective)
    return SearchResult(
        space=space, accelerator_name=accel.name, objective=objective, constraints=constraints, ranked=tuple(ranked),
        pareto=_front(ranked, objective, configurations.size > 1, accuracy is not None),
        versions=published_points(space, plan.on_every_config, constraints, ranking),
        simulated=tally.simulated, resumed=tally.resumed, filtered=tally.filtered, method=plan.method,
        seconds=time.perf_counter() - started, output=str(path) if path is not None else None,
        configurations=configurations, on_base=_on_base(plan, constraints, ranking),
        accuracy=accuracy_source if accuracy is not None else None, unmeasured=tally.unmeasured,
    )
