"""Scoring candidates from template totals: each template unit simulated once, candidates by counts.

Network totals sum the layers (docs/MODEL.md §6) and a unit's layers are the same in every
graph it is placed in, so a candidate's totals are its unit counts (the family's ``counts``
matrix) times the units' totals: cycles, MACs and parameters exactly, energy up to float
rounding. :func:`unit_totals` simulates the units of one set of templates on an accelerator
(one :class:`~hwsim.cost.totals.Totals` holding a value per unit); ``Totals.combine(counts)``
gives every candidate's totals; :func:`results` turns totals into
:class:`~hwsim.explore.search.results.CandidateResult` rows; :func:`simulate_graph` scores one
assembled graph the slow way and :func:`same` compares the two. Never imports torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import fields
from typing import TYPE_CHECKING

import numpy as np

from hwsim.cost.totals import Totals
from hwsim.explore.search.families.base import Family, Templates
from hwsim.explore.search.results import CandidateResult
from hwsim.explore.search.space import Candidate

if TYPE_CHECKING:
    from hwsim.hardware.load import Accelerator

__all__ = ["results", "same", "score", "simulate_graph", "unit_totals"]

#: The per-layer metrics a network's totals sum (the fields of :class:`~hwsim.cost.totals.Totals`).
TOTAL_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Totals))


def unit_totals(templates: Templates, accel: Accelerator) -> Totals:
    """Simulate the reference graph of ``templates`` once on ``accel``; the totals of each unit
    (fields hold one value per unit, in the order of the templates' spans)."""
    from hwsim.simulate import simulate

    metrics = simulate(templates.reference, accel).metrics
    return Totals.stack(
        [Totals.from_layers({name: np.asarray(metrics[name])[a:b] for name in TOTAL_FIELDS}) for a, b in templates.spans]
    )


def results(candidates: Sequence[Candidate], totals: Totals, accel: Accelerator) -> list[CandidateResult]:
    """One row per candidate (``totals`` holds one value per candidate): latency in ms at the
    accelerator's clock, energy in uJ, utilization = MACs / (cycles x PEs)."""
    pes = accel.array.rows * accel.array.cols
    latency_ms = totals.latency_ms(float(accel.clock_mhz))
    utilization = totals.utilization(pes)
    return [
        CandidateResult(c, int(cy), float(ms), float(e) / 1e6, float(u), int(m), int(p))
        for c, cy, ms, e, u, m, p in zip(candidates, totals.cycles, latency_ms, totals.energy_pj, utilization,
                                         totals.macs, totals.params)
    ]


def score(family: Family, candidates: Sequence[Candidate], units: Totals, accel: Accelerator) -> list[CandidateResult]:
    """Every candidate of one variant scored from its unit counts."""
    counts = family.counts(np.array([c.blocks for c in candidates], dtype=np.int64))
    return results(candidates, units.combine(counts), accel)


def simulate_graph(family: Family, templates: Templates, candidate: Candidate, accel: Accelerator) -> CandidateResult:
    """``candidate`` scored by simulating its whole assembled graph (the slow, reference way)."""
    from hwsim.simulate import simulate

    r = simulate(family.assemble(templates, candidate.blocks), accel)
    return results([candidate], Totals.stack([r.totals]), accel)[0]


def same(a: CandidateResult, b: CandidateResult) -> bool:
    """Equal cycles, MACs and parameters, and energy within float rounding."""
    same_counts = (a.cycles, a.macs, a.params) == (b.cycles, b.macs, b.params)
    return same_counts and math.isclose(a.energy_uj, b.energy_uj, rel_tol=1e-9)
