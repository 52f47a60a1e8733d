"""Where the published networks of a family (SqueezeNext v1..v5) fall among the ranked pairs of a search.

:func:`published_points` puts each published network with the space's number of stages on its
best configuration (by the objective, among the configurations where it meets the
constraints when there are any) and gives the rank it has, or would take. Never imports torch.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hwsim.explore.search.results import CandidateResult, VersionPoint
from hwsim.explore.search.space import Candidate, Constraints, SearchSpace

__all__ = ["Ranking", "published_points"]


@dataclass(frozen=True)
class Ranking:
    """The ranked pairs of a search (best first by ``objective``) and where any pair ranks."""

    ranked: Sequence[CandidateResult]
    objective: str
    rank_of: dict[tuple[Candidate, int], int] = field(init=False, repr=False)
    keys: list[tuple[object, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rank_of", {r.key: i + 1 for i, r in enumerate(self.ranked)})
        object.__setattr__(self, "keys", [r.sort_key(self.objective) for r in self.ranked])

    def place(self, result: CandidateResult) -> tuple[int, CandidateResult]:
        """The rank of ``result`` and the ranked result itself when it is one of the ranked pairs,
        else the rank it would take (1 + the number ranked better) and ``result``."""
        rank = self.rank_of.get(result.key)
        if rank is not None:
            return rank, self.ranked[rank - 1]
        return 1 + bisect.bisect_left(self.keys, result.sort_key(self.objective)), result


def published_points(space: SearchSpace, scorer: Callable[[Candidate], Sequence[CandidateResult]],
                     constraints: Constraints, ranking: Ranking) -> tuple[VersionPoint, ...]:
    """One :class:`VersionPoint` per published network of ``space``'s family with its number of
    stages, in the family's order. ``scorer(candidate)`` gives the candidate's results on the
    configurations to choose from; ``ranking`` holds the search's pairs, best first."""
    objective = ranking.objective
    points = []
    for published in space.definition.published:
        if len(published.blocks) != space.stages:
            continue
        candidate = Candidate(tuple(published.blocks), published.choices)
        on_each = scorer(candidate)
        feasible = [r for r in on_each if constraints.allows_pair(r.macs, r.params, r.area_mm2, r.latency_ms)]
        rank, best = ranking.place(min(feasible or on_each, key=lambda r: r.sort_key(objective)))
        points.append(VersionPoint(published.label, best, rank, space.contains(candidate), bool(feasible)))
    return tuple(points)
