"""Scoring candidates from template totals: each template unit simulated once, candidates by counts.

:func:`_unit_totals` simulates the template units of one (conv1, shortcut) on an accelerator;
:func:`_counts` gives each candidate's unit counts; :func:`_results` turns cycles, energy, MACs
and parameters into :class:`~hwsim.explore.search.results.CandidateResult` rows; :func:`_same` is the
check that the template totals agree with a full simulation. Never imports torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from hwsim.explore.search.results import CandidateResult
from hwsim.explore.search.space import Candidate

if TYPE_CHECKING:
    from hwsim.hardware.load import Accelerator
    from hwsim.explore.search.templates import SqueezeNextTemplates


# --------------------------------------------------------------------------- evaluation
@dataclass(frozen=True)
class _UnitTotals:
    """Simulated totals of each template unit (order of ``SqueezeNextTemplates.units``)."""

    cycles: NDArray[np.int64]
    energy_pj: NDArray[np.float64]
    macs: NDArray[np.int64]
    params: NDArray[np.int64]


def _unit_totals(templates: SqueezeNextTemplates, accel: Accelerator) -> _UnitTotals:
    from hwsim.cost.evaluate import evaluate
    from hwsim.simulate import hardware_arrays, layer_arrays

    la = layer_arrays(templates.reference)
    out = evaluate(la, hardware_arrays([accel]))
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



def _same(a: CandidateResult, b: CandidateResult) -> bool:
    same_counts = (a.cycles, a.macs, a.params) == (b.cycles, b.macs, b.params)
    return same_counts and math.isclose(a.energy_uj, b.energy_uj, rel_tol=1e-9)
