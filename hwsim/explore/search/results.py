"""What a block-allocation search returns: candidate totals, where the published networks rank, the Pareto front.

:data:`OBJECTIVES`, :class:`CandidateResult` (latency in ms, energy in uJ, EDP in uJ x ms),
:class:`VersionPoint`, :class:`SearchResult` and :func:`pareto_mask` (objective as a cost,
MACs and parameters as gains). Never imports torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hwsim.explore.search.space import Candidate, Constraints, SearchSpace

__all__ = ["OBJECTIVES", "CandidateResult", "SearchResult", "VersionPoint", "pareto_mask"]

OBJECTIVES: tuple[str, ...] = ("latency", "energy", "edp")


# --------------------------------------------------------------------------- values
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
        """Order of the ranking: the objective, then cycles, energy, blocks and choices (ties broken)."""
        c = self.candidate
        return (self.objective(objective), self.cycles, self.energy_uj, c.blocks, *c.choices)


@dataclass(frozen=True)
class VersionPoint:
    """Where a published network of the family (its ``label``, e.g. SqueezeNext ``v5``) falls
    among the ranked candidates.

    ``rank`` is its rank when it is a kept candidate, else the rank it would take (1 + the
    number of ranked candidates better than it).
    """

    label: str
    result: CandidateResult
    rank: int
    in_space: bool
    feasible: bool


@dataclass(frozen=True)
class SearchResult:
    """A finished search: ranked candidates (best first), Pareto front, published networks
    (those with the space's number of stages, in the family's order)."""

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

    def version_of(self, candidate: Candidate) -> tuple[str, ...]:
        """Labels of the published networks equal to ``candidate`` (SqueezeNext v1 and v2 share an
        allocation, not conv1)."""
        return tuple(v.label for v in self.versions if v.result.candidate == candidate)


# --------------------------------------------------------------------------- Pareto front
def pareto_mask(cost: Sequence[float], *gains: Sequence[float]) -> NDArray[np.bool_]:
    """True for points no other point dominates (cost no higher, every gain no lower, one strict).

    :func:`hwsim.explore.pareto.pareto_mask` with the gains negated (it minimises every objective).
    """
    from hwsim.explore.pareto import pareto_mask as minimised_front

    columns = [np.asarray(cost, dtype=np.float64)] + [-np.asarray(g, dtype=np.float64) for g in gains]
    return minimised_front(np.column_stack(columns))
