"""Block-allocation search across stages: SqueezeNext v1 -> v5, automated.

Every way of spreading ``blocks_total`` blocks over ``stages`` stages with at least
``min_blocks`` each (stars and bars: ``C(total - stages*min + stages - 1, stages - 1)``
allocations; 21 over 4 with one each gives C(20, 3) = 1,140), times the conv1 kernels and
shortcut styles asked for, is simulated on one accelerator, ranked by an objective (latency,
energy, or energy-delay product) and written to a CSV file as it goes.

How a candidate is simulated. Its graph is the exported SqueezeNext, spliced from per-block
templates (:mod:`hwsim.explore.search.templates`, exact). The simulator scores every layer on its own (no
state passes between layers: MODELING.md §6, totals sum the layers), and a template's layers
are the same in every graph it is placed in, so each template is simulated once and a
candidate's totals are its template counts (:func:`hwsim.explore.search.templates.unit_counts`) times the
template totals — cycles, MACs and parameters exactly, energy up to float rounding. The
default ``method="auto"`` checks this against ``simulate(assemble(...))`` on one candidate per
(conv1, shortcut) before trusting it, and falls back to simulating every assembled graph
(``method="graphs"``) if they differ. No torch is needed once the templates are cached.

Pareto front: MACs and parameters stand in for accuracy (at a given depth, a network with more
MACs and weights is taken to be no less accurate), so a candidate is on the front when no other
candidate is at least as good on the objective with at least as many MACs and parameters, and
strictly better in one of the three.

Units: latency in ms, cycles of the accelerator clock, energy in uJ, EDP in uJ x ms.

The code: :mod:`hwsim.explore.search.space` (allocations, :class:`SearchSpace`, :class:`Candidate`,
:class:`Constraints`), :mod:`hwsim.explore.search.results` (:class:`CandidateResult`,
:class:`SearchResult`, :func:`pareto_mask`), :mod:`hwsim.explore.search.scoring` (template-unit totals
-> candidate totals), :mod:`hwsim.explore.search.output` (the CSV file, resume),
:mod:`hwsim.explore.search.report` (table and plot) and :mod:`hwsim.explore.search.progress`; this module runs
the search (:func:`search`) and re-exports their public names.
"""

from __future__ import annotations

import bisect
import csv
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from hwsim.errors import ConfigError, HwsimError
from hwsim.models.squeezenext_spec import VERSIONS
from hwsim.explore.search.output import COLUMNS, _read_rows, _row, _write_all
from hwsim.explore.search.progress import ProgressBar
from hwsim.explore.search.report import format_report, plot_search
from hwsim.explore.search.results import OBJECTIVES, CandidateResult, SearchResult, VersionPoint, pareto_mask
from hwsim.explore.search.scoring import _counts, _results, _same, _unit_totals, _UnitTotals
from hwsim.explore.search.space import MAX_CANDIDATES  # noqa: F401 - re-exported (defined here before the split)
from hwsim.explore.search.space import (
    FAMILIES,
    Candidate,
    Constraints,
    SearchSpace,
    allocations,
    count_allocations,
)

if TYPE_CHECKING:
    from hwsim.hardware.load import Accelerator
    from hwsim.explore.search.templates import SqueezeNextTemplates

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

_CHUNK = 256  # allocations evaluated (and appended to the file) at a time


def _simulate_graph(templates: SqueezeNextTemplates, candidate: Candidate, accel: Accelerator) -> CandidateResult:
    from hwsim.explore.search.templates import assemble
    from hwsim.simulate import simulate

    r = simulate(assemble(templates, candidate.blocks), accel)
    return _results([candidate], [r.total_cycles], [r.total_energy_pj], [r.total_macs], [int(r.params.sum())], accel)[0]


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
    from hwsim.explore.search.templates import TemplateKey, load_templates

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
