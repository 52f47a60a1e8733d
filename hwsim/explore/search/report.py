"""Presenting a finished search: the ranked text table (:func:`format_report`) and the latency vs MACs plot (:func:`plot_search`).

Units as in the search: latency in ms, energy in uJ, EDP in uJ x ms; MACs and parameters
printed with k/M/G suffixes. The candidate columns, the published networks and their labels come
from the searched family (:mod:`hwsim.explore.search.families`). matplotlib is imported only
when plotting.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hwsim.explore.search.families.base import Family
from hwsim.explore.search.results import CandidateResult, SearchResult, pareto_mask
from hwsim.report.profile import write_figure

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


def _headers(family: Family) -> tuple[str, ...]:
    """Table columns: rank, allocation, the family's choices, then the metrics (latency in ms,
    energy in uJ, EDP in uJ x ms: the CSV's column names)."""
    return ("rank", "allocation", *(c.name for c in family.choices), "latency_ms", "energy_uj", "edp_uj_ms",
            "utilization", "MACs", "params")


def _cells(family: Family, rank: str, r: CandidateResult) -> list[str]:
    c = r.candidate
    return [rank, c.allocation, *(choice.show(v) for choice, v in zip(family.choices, c.choices)),
            f"{r.latency_ms:.4f}", f"{r.energy_uj:.2f}", f"{r.edp:.3f}", f"{100 * r.utilization:.1f}%", _si(r.macs),
            _si(r.params)]


def _versions(family: Family, labels: Sequence[str]) -> str:
    """Labels of published networks, runs of more than two in the family's order shortened:
    SqueezeNext (v1, v2, v3) -> 'v1..v3'; (v1, v5) -> 'v1, v5'."""
    order = [p.label for p in family.published]
    positions = sorted(order.index(label) for label in labels)
    if len(positions) > 2 and positions == list(range(positions[0], positions[-1] + 1)):
        return f"{order[positions[0]]}..{order[positions[-1]]}"
    return ", ".join(order[i] for i in positions)


def _choices_in_words(family: Family, r: CandidateResult) -> str:
    """`` (conv1 5, v5)`` for SqueezeNext; "" for a family without choices."""
    words = ", ".join(choice.say(v) for choice, v in zip(family.choices, r.candidate.choices))
    return f" ({words})" if words else ""


def _speed(ratio: float) -> str:
    """Version latency / best latency as words: '2.211x faster' or '1.250x slower'."""
    return f"{ratio:.3f}x faster" if ratio >= 1 else f"{1 / ratio:.3f}x slower"


def _verb(labels: Sequence[str], singular: str, plural: str) -> str:
    return singular if len(labels) == 1 else plural


def _comparisons(result: SearchResult) -> list[str]:
    """The best candidate against the published networks inside the space (the first and the last
    marked when they are in it: SqueezeNext v1 and v5, the first and the last design); those
    outside the space are not compared: the best of a different-sized network being faster says
    nothing about the allocation."""
    family = result.space.definition
    best = result.ranked[0]
    inside = [v for v in result.versions if v.in_space]
    outside = [v.label for v in result.versions if not v.in_space]
    ends = {result.versions[0].label, result.versions[-1].label}
    lines: list[str] = []
    for v in [v for v in inside if v.label in ends] or inside:
        feasible = "" if v.feasible else " (fails the constraints)"
        lines += _wrap(
            f"best {best.candidate.allocation}{_choices_in_words(family, best)} vs "
            f"{v.label}{feasible}: {_speed(v.result.latency_ms / best.latency_ms)}, "
            f"energy x{best.energy_uj / v.result.energy_uj:.3f}, EDP x{best.edp / v.result.edp:.3f}"
        )
    if outside:
        lines += _wrap(
            f"{_versions(family, outside)} {_verb(outside, 'is', 'are')} outside this search space, "
            f"so the best is not compared with {_verb(outside, 'it', 'them')}"
        )
    return lines


def _published_table(result: SearchResult) -> list[str]:
    """Where each published network ranks (``~``: the rank it would take), and the comparisons."""
    family, n = result.space.definition, len(result.ranked)
    rows = []
    for v in result.versions:
        where = f"{v.rank}/{n}" if v.in_space and v.feasible else f"~{v.rank}/{n}"
        rows.append([v.label, *_cells(family, where, v.result)])
    lines = [f"{family.published_title} and where they rank", _table(("version", *_headers(family)), rows)]
    outside = [v.label for v in result.versions if not v.in_space]
    failing = [v.label for v in result.versions if v.in_space and not v.feasible]
    notes = [f"{_versions(family, outside)} outside the space (simulated on {_verb(outside, 'its', 'their')} own)"] \
        if outside else []
    notes += [f"{_versions(family, failing)} {_verb(failing, 'fails', 'fail')} the constraints"] if failing else []
    if notes:
        lines += _wrap("~ marks the rank a version would take: " + "; ".join(notes))
    return [*lines, "", *_comparisons(result), ""]


def format_report(result: SearchResult, top: int = 20) -> str:
    """The ranked table (top ``top``), where the published networks (SqueezeNext v1..v5) fall, the
    gain of the best, and the Pareto front.

    Units: latency_ms in ms, energy_uj in uJ, edp_uj_ms in uJ x ms. Prose lines are wrapped to
    :data:`WIDTH` columns. The best is compared only with published networks inside the space.
    """
    space, ranked, n = result.space, result.ranked, len(result.ranked)
    family = space.definition
    per_choice = "".join(f" x {len(values)} {name}" for name, values in space.choice_pairs)
    lines = [
        *_wrap(f"{space.family} block-allocation search on {result.accelerator_name}"),
        *_wrap(f"space: {space.describe()}"),
        *_wrap(
            f"{space.count:,} candidates ({space.allocation_count:,} allocations{per_choice}); "
            f"constraints: {result.constraints.describe()}; {n:,} ranked by {result.objective}"
        ),
        *_wrap(
            f"{result.filtered:,} filtered out, {result.resumed:,} resumed, {result.simulated:,} simulated in "
            f"{result.seconds:.2f} s" + (f"; written to {result.output}" if result.output else "")
        ),
        "",
    ]
    headers = (*_headers(family), "version")

    def marked(rank: int, r: CandidateResult) -> list[str]:
        return _cells(family, str(rank), r) + [",".join(result.version_of(r.candidate))]

    rows = [marked(i + 1, r) for i, r in enumerate(ranked[:top])]
    lines += [f"Top {min(top, n)} of {n:,} by {result.objective}", _table(headers, rows), ""]
    if result.versions:
        lines += _published_table(result)
    front = [ranked[i] for i in result.pareto]
    lines += _wrap(f"Pareto front: {result.objective} vs MACs and params (more MACs/params stand in for higher "
                   f"accuracy): {len(front)} candidates" + (f", first {top} shown" if len(front) > top else ""))
    rows = [marked(i + 1, ranked[i]) for i in result.pareto[:top]]
    lines.append(_table(headers, rows))
    return "\n".join(lines) + "\n"


def plot_search(result: SearchResult, path: str | Path) -> None:
    """Latency vs MACs of every ranked candidate, the latency/MACs Pareto front, the published
    networks labelled (SqueezeNext v1..v5)."""
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
        ax.annotate(v.label, (x, y), textcoords="offset points", xytext=(5, 5), fontsize=9, color="#4C72B0")
    ax.set_xlabel("MACs (millions)")
    ax.set_ylabel("latency (ms)")
    ax.set_title(f"{result.space.family}: {result.space.describe()}\non {result.accelerator_name}", fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    write_figure(fig, path)
