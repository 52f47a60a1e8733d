"""Presenting a finished search: the ranked text table (:func:`format_report`) and the latency vs MACs plot (:func:`plot_search`).

Units as in the search: latency in ms, energy in uJ, EDP in uJ x ms; MACs and parameters
printed with k/M/G suffixes. matplotlib is imported only when plotting.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hwsim.report.profile import write_figure
from hwsim.explore.search.results import CandidateResult, SearchResult, pareto_mask

__all__ = ["format_report", "plot_search"]


# --------------------------------------------------------------------------- report
def _si(value: float) -> str:
    """1234567 -> '1.23M' (MACs, params)."""
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.2f}{suffix}"
    return f"{value:g}"


#: Prose lines of the report are wrapped to this many columns (the tables fit it for the
#: SqueezeNext spaces: about 110 columns).
WIDTH = 120


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths)).rstrip()]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def _wrap(text: str) -> list[str]:
    """A prose line as lines of at most :data:`WIDTH` columns, continuations indented by two."""
    return textwrap.wrap(text, width=WIDTH, subsequent_indent="  ", break_on_hyphens=False,
                         break_long_words=False) or [text]


#: Table columns (latency in ms, energy in uJ, EDP in uJ x ms: the CSV's column names).
_HEADERS = ("rank", "allocation", "conv1", "shortcut", "latency_ms", "energy_uj", "edp_uj_ms", "utilization", "MACs",
            "params")


def _cells(rank: str, r: CandidateResult) -> list[str]:
    c = r.candidate
    return [rank, c.allocation, f"{c.conv1_kernel}x{c.conv1_kernel}", c.shortcut, f"{r.latency_ms:.4f}",
            f"{r.energy_uj:.2f}", f"{r.edp:.3f}", f"{100 * r.utilization:.1f}%", _si(r.macs), _si(r.params)]


def _versions(numbers: Sequence[int]) -> str:
    """(1, 2, 3) -> 'v1..v3'; (1, 5) -> 'v1, v5'."""
    numbers = sorted(numbers)
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"v{numbers[0]}..v{numbers[-1]}"
    return ", ".join(f"v{n}" for n in numbers)


def _speed(ratio: float) -> str:
    """Version latency / best latency as words: '2.211x faster' or '1.250x slower'."""
    return f"{ratio:.3f}x faster" if ratio >= 1 else f"{1 / ratio:.3f}x slower"


def _verb(numbers: Sequence[int], singular: str, plural: str) -> str:
    return singular if len(numbers) == 1 else plural


def _comparisons(result: SearchResult) -> list[str]:
    """The best candidate against the published versions inside the space (v1 and v5 when both
    are in it: the first and the last design); versions outside the space are not compared: the
    best of a different-sized network being faster says nothing about the allocation."""
    best = result.ranked[0]
    inside = [v for v in result.versions if v.in_space]
    outside = [v.version for v in result.versions if not v.in_space]
    lines: list[str] = []
    for v in [v for v in inside if v.version in (1, 5)] or inside:
        feasible = "" if v.feasible else " (fails the constraints)"
        lines += _wrap(
            f"best {best.candidate.allocation} (conv1 {best.candidate.conv1_kernel}, {best.candidate.shortcut}) vs "
            f"v{v.version}{feasible}: {_speed(v.result.latency_ms / best.latency_ms)}, "
            f"energy x{best.energy_uj / v.result.energy_uj:.3f}, EDP x{best.edp / v.result.edp:.3f}"
        )
    if outside:
        lines += _wrap(
            f"{_versions(outside)} {_verb(outside, 'is', 'are')} outside this search space, "
            f"so the best is not compared with {_verb(outside, 'it', 'them')}"
        )
    return lines


def format_report(result: SearchResult, top: int = 20) -> str:
    """The ranked table (top ``top``), where v1..v5 fall, the gain of the best, and the Pareto front.

    Units: latency_ms in ms, energy_uj in uJ, edp_uj_ms in uJ x ms. Prose lines are wrapped to
    :data:`WIDTH` columns. The best is compared only with published versions inside the space.
    """
    space, ranked, n = result.space, result.ranked, len(result.ranked)
    lines = [
        *_wrap(f"{space.family} block-allocation search on {result.accelerator_name}"),
        *_wrap(f"space: {space.describe()}"),
        *_wrap(
            f"{space.count:,} candidates ({space.allocation_count:,} allocations x {len(space.conv1_kernels)} conv1 x "
            f"{len(space.shortcuts)} shortcut); constraints: {result.constraints.describe()}; {n:,} ranked by "
            f"{result.objective}"
        ),
        *_wrap(
            f"{result.filtered:,} filtered out, {result.resumed:,} resumed, {result.simulated:,} simulated in "
            f"{result.seconds:.2f} s" + (f"; written to {result.output}" if result.output else "")
        ),
        "",
    ]
    marks = {v.result.candidate: [] for v in result.versions}
    for v in result.versions:
        marks[v.result.candidate].append(f"v{v.version}")
    headers = (*_HEADERS, "version")
    rows = [_cells(str(i + 1), r) + [",".join(marks.get(r.candidate, []))] for i, r in enumerate(ranked[:top])]
    lines += [f"Top {min(top, n)} of {n:,} by {result.objective}", _table(headers, rows), ""]
    if result.versions:
        rows = []
        for v in result.versions:
            where = f"{v.rank}/{n}" if v.in_space and v.feasible else f"~{v.rank}/{n}"
            rows.append([f"v{v.version}", *_cells(where, v.result)])
        lines += ["Published versions (SqueezeNextSpec.for_version) and where they rank",
                  _table(("version", *_HEADERS), rows)]
        outside = [v.version for v in result.versions if not v.in_space]
        failing = [v.version for v in result.versions if v.in_space and not v.feasible]
        notes = [f"{_versions(outside)} outside the space (simulated on {_verb(outside, 'its', 'their')} own)"] if outside else []
        notes += [f"{_versions(failing)} {_verb(failing, 'fails', 'fail')} the constraints"] if failing else []
        if notes:
            lines += _wrap("~ marks the rank a version would take: " + "; ".join(notes))
        lines += ["", *_comparisons(result), ""]
    front = [ranked[i] for i in result.pareto]
    lines += _wrap(f"Pareto front: {result.objective} vs MACs and params (more MACs/params stand in for higher "
                   f"accuracy): {len(front)} candidates" + (f", first {top} shown" if len(front) > top else ""))
    rows = [_cells(str(i + 1), ranked[i]) + [",".join(marks.get(ranked[i].candidate, []))] for i in result.pareto[:top]]
    lines.append(_table(headers, rows))
    return "\n".join(lines) + "\n"


def plot_search(result: SearchResult, path: str | Path) -> None:
    """Latency vs MACs of every ranked candidate, the latency/MACs Pareto front, v1..v5 labelled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ranked = result.ranked
    macs = np.array([r.macs for r in ranked], dtype=np.float64) / 1e6
    latency = np.array([r.latency_ms for r in ranked])
    front = pareto_mask(latency, macs)
    order = np.flatnonzero(front)[np.argsort(macs[front])]
    fig, ax = plt.subplots(figsize=(8.0, 5.5))
    ax.scatter(macs, latency, s=6, color="#9BA3AF", alpha=0.6, label=f"candidates ({len(ranked):,})")
    ax.plot(macs[order], latency[order], "-o", drawstyle="steps-post", color="#C44E52", markersize=4,
            label=f"Pareto front: latency vs MACs ({len(order)})")
    for v in result.versions:
        x, y = v.result.macs / 1e6, v.result.latency_ms
        ax.scatter([x], [y], s=40, color="#4C72B0", zorder=3)
        ax.annotate(f"v{v.version}", (x, y), textcoords="offset points", xytext=(5, 5), fontsize=9, color="#4C72B0")
    ax.set_xlabel("MACs (millions)")
    ax.set_ylabel("latency (ms)")
    ax.set_title(f"{result.space.family}: {result.space.describe()}\non {result.accelerator_name}", fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    write_figure(fig, path)
