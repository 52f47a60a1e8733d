"""What a profile says about the ops left out of the simulation: the COVERAGE lines of the totals block.

A :class:`~hwsim.graph.coverage.Coverage` (from :func:`hwsim.graph.coverage.coverage_of` of the
graph) knows the MACs and parameters of every op, simulated or not; without one, a result still
knows which ops were left out (with MACs unknown).
"""

from __future__ import annotations

from hwsim.cost.result import SimResult
from hwsim.graph.coverage import Coverage, LeftOut

__all__ = ["coverage_lines", "coverage_or_default"]


def coverage_or_default(result: SimResult, coverage: Coverage | None) -> Coverage:
    """``coverage``, or what ``result`` alone tells: its left-out ops with MACs unknown."""
    if coverage is not None:
        return coverage
    return Coverage(
        simulated_macs=result.total_macs,
        left_out=tuple(LeftOut(op, count, None) for op, count in result.unsupported),
        layer_params=int(result.params.sum()),
    )


def coverage_lines(coverage: Coverage) -> list[str]:
    """The lines that start the totals block when anything is left out of the simulation (or
    parameters sit outside every layer); none otherwise."""
    notes = []
    if coverage.left_out_params:
        notes.append(f"{coverage.left_out_params:,} of {coverage.total_params:,} params are in left-out ops")
    if coverage.unused_params:
        notes.append(f"{coverage.unused_params:,} of {coverage.total_params:,} params are unused by the forward pass")
    if coverage.complete and not notes:
        return []
    head = "every op simulated" if coverage.complete else coverage.summary()
    return [f"  COVERAGE           {head}", *(f"{' ' * 21}{note}" for note in notes)]
