"""What a block-allocation search returns: the totals of each (candidate, configuration) pair,
where the published networks rank, the Pareto front.

:data:`OBJECTIVES`, :class:`CandidateResult` (latency in ms, energy in uJ, EDP in uJ x ms, area
in mm², the measured accuracy when one was given), :class:`VersionPoint`, :class:`SearchResult`
and :func:`pareto_mask` (costs minimised, gains maximised). Never imports torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from hwsim.explore.search.space import Candidate, Constraints, SearchSpace

if TYPE_CHECKING:
    from hwsim.explore.search.configurations import Configurations

__all__ = ["OBJECTIVES", "CandidateResult", "SearchResult", "VersionPoint", "area_front", "front_mask", "pareto_mask"]

#: What a search can rank by: latency (ms), energy (uJ), energy x latency (uJ x ms), chip area
#: (mm²; a joint search) and the measured accuracy (highest first; needs an accuracy file).
OBJECTIVES: tuple[str, ...] = ("latency", "energy", "edp", "area", "accuracy")


# --------------------------------------------------------------------------- values
@dataclass(frozen=True, slots=True)
class CandidateResult:
    """Simulated totals of one candidate on one accelerator configuration (latency in ms, energy in
    uJ, EDP in uJ x ms, the configuration's chip area in mm²)."""

    candidate: Candidate
    cycles: int
    latency_ms: float
    energy_uj: float
    utilization: float  #: MACs / (cycles x PEs)
    macs: int
    params: int
    area_mm2: float = 0.0
    config: int = 0  #: the configuration (its number in the search's :class:`Configurations`; 0: the base alone)
    accuracy: float | None = None  #: measured, from the user's accuracy file (None: not given)

    @property
    def edp(self) -> float:
        """Energy-delay product, uJ x ms."""
        return self.energy_uj * self.latency_ms

    @property
    def key(self) -> tuple[Candidate, int]:
        """The pair: candidate and configuration."""
        return self.candidate, self.config

    def objective(self, objective: str) -> float:
        """The value ranked by (lower is better: accuracy counts negated)."""
        if objective == "latency":
            return self.latency_ms
        if objective == "energy":
            return self.energy_uj
        if objective == "edp":
            return self.edp
        if objective == "area":
            return self.area_mm2
        if objective == "accuracy":
            return -self.accuracy if self.accuracy is not None else float("inf")
        raise KeyError(objective)

    def sort_key(self, objective: str) -> tuple[object, ...]:
        """Order of the ranking: the objective, then cycles, energy, blocks, choices and configuration (ties broken)."""
        c = self.candidate
        return (self.objective(objective), self.cycles, self.energy_uj, c.blocks, *c.choices, self.config)


@dataclass(frozen=True)
class VersionPoint:
    """Where a published network of the family (its ``label``, e.g. SqueezeNext ``v5``) falls
    among the ranked pairs: on its best configuration (by the objective, within the constraints
    when one meets them), or on the base accelerator.

    ``rank`` is its rank when it is a kept pair, else the rank it would take (1 + the number of
    ranked pairs better than it).
    """

    label: str
    result: CandidateResult
    rank: int
    in_space: bool
    feasible: bool


@dataclass(frozen=True)
class SearchResult:
    """A finished search: ranked pairs (best first), Pareto front, published networks (those
    with the space's number of stages, in the family's order) on their best configuration and,
    when the search has several, on the base accelerator (``on_base``)."""

    space: SearchSpace
    accelerator_name: str
    objective: str
    constraints: Constraints
    ranked: tuple[CandidateResult, ...]
    pareto: tuple[int, ...]  #: indices into ``ranked`` of the front, best objective first
    versions: tuple[VersionPoint, ...]
    simulated: int  #: pairs scored by this run
    resumed: int  #: pairs read back from the output file
    filtered: int  #: pairs left out by the constraints (or for want of a measured accuracy)
    method: str  #: "units" (template totals) or "graphs" (every assembled graph simulated)
    seconds: float
    output: str | None = None
    configurations: Configurations | None = None  #: the accelerator configurations (None: the base alone)
    on_base: tuple[VersionPoint, ...] = ()  #: the published networks on the base accelerator (several configurations)
    accuracy: str | None = None  #: the file measured accuracies come from (None: MACs and params stand in)
    unmeasured: int = 0  #: candidates left out for want of a measured accuracy

    @property
    def joint(self) -> bool:
        """Whether the search ran on several accelerator configurations."""
        return self.configurations is not None and self.configurations.size > 1

    def version_of(self, candidate: Candidate) -> tuple[str, ...]:
        """Labels of the published networks equal to ``candidate`` (SqueezeNext v1 and v2 share an
        allocation, not conv1)."""
        return tuple(v.label for v in self.versions if v.result.candidate == candidate)

    def best_within(self, max_area_mm2: float) -> CandidateResult | None:
        """The best ranked pair whose configuration's area is at most ``max_area_mm2`` (None: none is)."""
        return next((r for r in self.ranked if r.area_mm2 <= max_area_mm2), None)


def area_front(ranked: Sequence[CandidateResult], objective: str) -> list[int]:
    """Indices into ``ranked`` (best first) of the best pair within each area that beats every
    pair of a smaller area on ``objective``: the front of area against the objective, smallest
    area first (what another mm² buys)."""
    order = sorted(range(len(ranked)), key=lambda i: (ranked[i].area_mm2, i))
    steps: list[int] = []
    for i in order:
        if not steps or ranked[i].objective(objective) < ranked[steps[-1]].objective(objective):
            steps.append(i)
    return steps


# --------------------------------------------------------------------------- Pareto front
def pareto_mask(cost: Sequence[float], *gains: Sequence[float]) -> NDArray[np.bool_]:
    """True for points no other point dominates (cost no higher, every gain no lower, one strict)."""
    return front_mask([cost], gains)


def front_mask(costs: Sequence[Sequence[float]], gains: Sequence[Sequence[float]]) -> NDArray[np.bool_]:
    """True for points no other point dominates: every cost no higher, every gain no lower, one
    of them strictly. :func:`hwsim.explore.pareto.pareto_mask` with the gains negated (it
    minimises every objective)."""
    from hwsim.explore.pareto import pareto_mask as minimised_front

    columns = [np.asarray(c, dtype=np.float64) for c in costs] + [-np.asarray(g, dtype=np.float64) for g in gains]
    return minimised_front(np.column_stack(columns))
