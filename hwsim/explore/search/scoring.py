"""Scoring candidates from template totals: each template unit simulated once, candidates by counts.

Network totals sum the layers (docs/MODEL.md §6) and a unit's layers are the same in every
graph it is placed in, so a candidate's totals are its unit counts (the family's ``counts``
matrix) times the units' totals: cycles, MACs and parameters exactly, energy up to float
rounding. :func:`unit_totals` simulates the units of one set of templates on an accelerator;
:func:`candidate_totals` multiplies counts with them; :func:`results` turns totals into
:class:`~hwsim.explore.search.results.CandidateResult` rows; :func:`simulate_graph` scores one
assembled graph the slow way and :func:`same` compares the two. Never imports torch.

All totals arithmetic is in :class:`UnitTotals` and the two functions after it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from hwsim.explore.search.families.base import Family, Templates
from hwsim.explore.search.results import CandidateResult
from hwsim.explore.search.space import Candidate

if TYPE_CHECKING:
    from hwsim.hardware.load import Accelerator

__all__ = ["UnitTotals", "candidate_totals", "results", "same", "score", "simulate_graph", "unit_totals"]


@dataclass(frozen=True)
class UnitTotals:
    """Totals of each template unit (order of the templates' spans), or of each candidate:
    cycles, energy in pJ, MACs and parameters."""

    cycles: NDArray[np.int64]
    energy_pj: NDArray[np.float64]
    macs: NDArray[np.int64]
    params: NDArray[np.int64]


def unit_totals(templates: Templates, accel: Accelerator) -> UnitTotals:
    """Simulate the reference graph of ``templates`` once on ``accel`` and sum each unit's layers."""
    from hwsim.cost.evaluate import evaluate
    from hwsim.simulate import hardware_arrays, layer_arrays

    la = layer_arrays(templates.reference)
    out = evaluate(la, hardware_arrays([accel]))
    cycles, energy = out["cycles"][0], out["energy_pj"][0]
    spans = templates.spans
    return UnitTotals(
        cycles=np.array([cycles[a:b].sum() for a, b in spans], dtype=np.int64),
        energy_pj=np.array([energy[a:b].sum() for a, b in spans], dtype=np.float64),
        macs=np.array([la.macs[a:b].sum() for a, b in spans], dtype=np.int64),
        params=np.array([la.params[a:b].sum() for a, b in spans], dtype=np.int64),
    )


def candidate_totals(counts: NDArray[np.int64], units: UnitTotals) -> UnitTotals:
    """Totals of each candidate: its row of ``counts`` (candidates x units) times the unit totals."""
    return UnitTotals(counts @ units.cycles, counts.astype(np.float64) @ units.energy_pj, counts @ units.macs,
                      counts @ units.params)


def results(candidates: Sequence[Candidate], totals: UnitTotals, accel: Accelerator) -> list[CandidateResult]:
    """One row per candidate: latency in ms at the accelerator's clock, energy in uJ, utilization
    = MACs / (cycles x PEs)."""
    pes = accel.array.rows * accel.array.cols
    clock = float(accel.clock_mhz)
    return [
        CandidateResult(c, int(cy), int(cy) / (clock * 1e3), float(e) / 1e6, int(m) / max(int(cy) * pes, 1),
                        int(m), int(p))
        for c, cy, e, m, p in zip(candidates, totals.cycles, totals.energy_pj, totals.macs, totals.params)
    ]


def score(family: Family, candidates: Sequence[Candidate], units: UnitTotals, accel: Accelerator) -> list[CandidateResult]:
    """Every candidate of one variant scored from its unit counts."""
    counts = family.counts(np.array([c.blocks for c in candidates], dtype=np.int64))
    return results(candidates, candidate_totals(counts, units), accel)


def simulate_graph(family: Family, templates: Templates, candidate: Candidate, accel: Accelerator) -> CandidateResult:
    """``candidate`` scored by simulating its whole assembled graph (the slow, reference way)."""
    from hwsim.simulate import simulate

    r = simulate(family.assemble(templates, candidate.blocks), accel)
    one = UnitTotals(np.array([r.total_cycles]), np.array([r.total_energy_pj]), np.array([r.total_macs]),
                     np.array([int(r.params.sum())]))
    return results([candidate], one, accel)[0]


def same(a: CandidateResult, b: CandidateResult) -> bool:
    """Equal cycles, MACs and parameters, and energy within float rounding."""
    same_counts = (a.cycles, a.macs, a.params) == (b.cycles, b.macs, b.params)
    return same_counts and math.isclose(a.energy_uj, b.energy_uj, rel_tol=1e-9)
