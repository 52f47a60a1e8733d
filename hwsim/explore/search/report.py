"""Presenting a finished search: the ranked text table (:func:`format_report`) and the latency vs MACs plot (:func:`plot_search`).

Units as in the search: latency in ms, energy in uJ, EDP in uJ x ms, area in mm²; MACs and
parameters printed with k/M/G suffixes. The candidate columns, the published networks and their
labels come from the searched family (:mod:`hwsim.explore.search.families`); a joint search adds
the swept accelerator fields, the chip area, the published networks on the base accelerator and
the best pair within each area. matplotlib is imported only when plotting.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hwsim.explore.search.configurations import value_text
from hwsim.explore.search.families.base import Family
from hwsim.explore.search.results import CandidateResult, SearchResult, VersionPoint, area_front, pareto_mask
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


#: Columns a table leaves out, in this order, while it is wider than :data:`WIDTH` (a joint
#: search with several swept fields): MACs hardly vary within a family, and the CSV has them all.
OPTIONAL_COLUMNS: tuple[str, ...] = ("MACs", "energy_uj", "params")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    keep = list(range(len(headers)))
    for optional in (None, *OPTIONAL_COLUMNS):
        if optional in headers:
            keep.remove(list(headers).index(optional))
        widths = {i: max(len(headers[i]), *(len(r[i]) for r in rows)) if rows else len(headers[i]) for i in keep}
        if sum(widths.values()) + 2 * (len(keep) - 1) <= WIDTH:
            break
    lines = ["  ".join(headers[i].rjust(widths[i]) for i in keep).rstrip()]
    lines += ["  ".join(row[i].rjust(widths[i]) for i in keep).rstrip() for row in rows]
    return "\n".join(lines)


def _wrap(text: str) -> list[str]:
    """A prose line as lines of at most :data:`WIDTH` columns, continuations indented by two."""
    return textwrap.wrap(text, width=WIDTH, subsequent_indent="  ", break_on_hyphens=False,
                         break_long_words=False) or [text]


class _Columns:
    """The columns of a search's tables: rank, allocation, the family's choices, the swept fields
    (a joint search), the metrics (latency in ms, energy in uJ, EDP in uJ x ms on one accelerator,
    area in mm² on several: the CSV's column names), the measured accuracy when given."""

    def __init__(self, result: SearchResult) -> None:
        self.family = result.space.definition
        self.configurations = result.configurations if result.joint else None
        self.accuracy = result.accuracy is not None

    def headers(self) -> tuple[str, ...]:
        config = self.configurations.labels() if self.configurations is not None else ()
        metrics = ("latency_ms", "energy_uj", "area_mm2") if config else ("latency_ms", "energy_uj", "edp_uj_ms",
                                                                            "utilization")
        return ("rank", "allocation", *(c.name for c in self.family.choices), *config, *metrics, "MACs", "params",
                *(("accuracy",) if self.accuracy else ()))

    def cells(self, rank: str, r: CandidateResult) -> list[str]:
        c = r.candidate
        cells = [rank, c.allocation, *(choice.show(v) for choice, v in zip(self.family.choices, c.choices))]
        if self.configurations is not None:
            values = self.configurations.values(r.config) if r.config >= 0 else ("-",) * len(self.configurations.paths)
            cells += [value_text(v) for v in values]
            cells += [f"{r.latency_ms:.4f}", f"{r.energy_uj:.2f}", f"{r.area_mm2:.3f}"]
        else:
            cells += [f"{r.latency_ms:.4f}", f"{r.energy_uj:.2f}", f"{r.edp:.3f}", f"{100 * r.utilization:.1f}%"]
        cells += [_si(r.macs), _si(r.params)]
        return cells + ([f"{r.accuracy:g}" if r.accuracy is not None else "-"] if self.accuracy else [])


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


def _on(result: SearchResult, r: CandidateResult) -> str:
    """Where a pair runs, in words: `` on rows 32, cols 16`` in a joint search, else ""."""
    if not result.joint or result.configurations is None:
        return ""
    return f" on {result.accelerator_name}" if r.config < 0 else f" on {result.configurations.describe(r.config)}"


def _comparisons(result: SearchResult) -> list[str]:
    """The best pair against the published networks inside the space (the first and the last
    marked when they are in it: SqueezeNext v1 and v5, the first and the last design), on the
    base accelerator in a joint search; those outside the space are not compared: the best of a
    different-sized network being faster says nothing about the allocation."""
    family = result.space.definition
    best = result.ranked[0]
    versions = result.on_base if result.joint else result.versions
    inside = [v for v in versions if v.in_space]
    outside = [v.label for v in versions if not v.in_space]
    ends = {versions[0].label, versions[-1].label}
    lines: list[str] = []
    for v in [v for v in inside if v.label in ends] or inside:
        feasible = "" if v.feasible else " (fails the constraints)"
        area = f", area x{best.area_mm2 / v.result.area_mm2:.3f}" if result.joint else ""
        lines += _wrap(
            f"best {best.candidate.allocation}{_choices_in_words(family, best)}{_on(result, best)} vs "
            f"{v.label}{_on(result, v.result)}{feasible}: {_speed(v.result.latency_ms / best.latency_ms)}, "
            f"energy x{best.energy_uj / v.result.energy_uj:.3f}, EDP x{best.edp / v.result.edp:.3f}{area}"
        )
    if outside:
        lines += _wrap(
            f"{_versions(family, outside)} {_verb(outside, 'is', 'are')} outside this search space, "
            f"so the best is not compared with {_verb(outside, 'it', 'them')}"
        )
    return lines


def _version_rows(result: SearchResult, columns: _Columns, versions: Sequence[VersionPoint]) -> list[list[str]]:
    n = len(result.ranked)
    return [[v.label, *columns.cells(f"{v.rank}/{n}" if v.in_space and v.feasible else f"~{v.rank}/{n}", v.result)]
            for v in versions]


def _published_table(result: SearchResult, columns: _Columns) -> list[str]:
    """Where each published network ranks (``~``: the rank it would take) on its best
    configuration and, in a joint search, on the base accelerator; and the comparisons."""
    family = result.space.definition
    where = " on their best configuration" if result.joint else ""
    headers = ("version", *columns.headers())
    lines = [f"{family.published_title}{where} and where they rank", _table(headers, _version_rows(result, columns, result.versions))]
    if result.on_base:
        lines += ["", f"{family.published_title} on {result.accelerator_name} (the base accelerator) and where they "
                  "would rank", _table(headers, _version_rows(result, columns, result.on_base))]
    outside = [v.label for v in result.versions if not v.in_space]
    failing = [v.label for v in result.versions if v.in_space and not v.feasible]
    notes = [f"{_versions(family, outside)} outside the space (simulated on {_verb(outside, 'its', 'their')} own)"] \
        if outside else []
    notes += [f"{_versions(family, failing)} {_verb(failing, 'fails', 'fail')} the constraints"] if failing else []
    if notes or result.on_base:
        lines += _wrap("~ marks the rank a version would take: " + "; ".join(notes or ["it is not one of the pairs kept"]))
    return [*lines, "", *_comparisons(result), ""]


def _header(result: SearchResult) -> list[str]:
    """What was searched, how much, and what happened."""
    space, n = result.space, len(result.ranked)
    per_choice = "".join(f" x {len(values)} {name}" for name, values in space.choice_pairs)
    counted = f"{space.count:,} candidates ({space.allocation_count:,} allocations{per_choice})"
    configurations = result.configurations
    if result.joint and configurations is not None:
        areas = configurations.area_mm2
        lines = [
            *_wrap(f"{space.family} co-design search: block allocations x {configurations.size:,} configurations of "
                   f"{result.accelerator_name}"),
            *_wrap(f"space: {space.describe()}"),
            *_wrap(f"configurations: {configurations.describe_space()} (area {areas.min():.3f} to {areas.max():.3f} mm2)"),
            *_wrap(f"{space.count * configurations.size:,} pairs: {counted} x {configurations.size:,} configurations; "
                   f"constraints: {result.constraints.describe()}; {n:,} ranked by {result.objective}"),
        ]
    else:
        area = f" ({configurations.area_mm2[0]:.3f} mm2)" if configurations is not None else ""
        lines = [
            *_wrap(f"{space.family} block-allocation search on {result.accelerator_name}{area}"),
            *_wrap(f"space: {space.describe()}"),
            *_wrap(f"{counted}; constraints: {result.constraints.describe()}; {n:,} ranked by {result.objective}"),
        ]
    if result.accuracy is None:
        lines += _wrap("accuracy: not measured (no --accuracy FILE.csv), so MACs and params stand in for it")
    else:
        lines += _wrap(f"accuracy: measured, from {result.accuracy}; {result.unmeasured:,} "
                       f"{'pairs' if result.joint else 'candidates'} without a measured accuracy left out")
    lines += _wrap(
        f"{result.filtered:,} filtered out, {result.resumed:,} resumed, {result.simulated:,} simulated in "
        f"{result.seconds:.2f} s" + (f"; written to {result.output}" if result.output else "")
    )
    return [*lines, ""]


def format_report(result: SearchResult, top: int = 20) -> str:
    """The ranked table (top ``top``), where the published networks (SqueezeNext v1..v5) fall, the
    gain of the best, the best pair within each area (a joint search) and the Pareto front.

    Units: latency_ms in ms, energy_uj in uJ, edp_uj_ms in uJ x ms, area_mm2 in mm². Prose lines
    are wrapped to :data:`WIDTH` columns. The best is compared only with published networks
    inside the space (on the base accelerator, in a joint search).
    """
    ranked, n = result.ranked, len(result.ranked)
    columns = _Columns(result)
    headers = (*columns.headers(), "version")
    what = "pairs" if result.joint else "candidates"

    def marked(rank: int, r: CandidateResult) -> list[str]:
        return columns.cells(str(rank), r) + [",".join(result.version_of(r.candidate))]

    lines = _header(result)
    rows = [marked(i + 1, r) for i, r in enumerate(ranked[:top])]
    lines += [f"Top {min(top, n)} of {n:,} by {result.objective}", _table(headers, rows), ""]
    if result.versions:
        lines += _published_table(result, columns)
    if result.joint:
        steps = area_front(ranked, result.objective)
        lines += _wrap(f"Best by area: the best pair by {result.objective} within each configuration's area, where it "
                       f"beats every smaller area ({len(steps)} steps" + (f", first {top} shown)" if len(steps) > top else ")"))
        lines += [_table(headers, [marked(i + 1, ranked[i]) for i in steps[:top]]), ""]
    costs = "latency, energy and area" if result.joint else result.objective
    gains = "measured accuracy" if result.accuracy is not None else \
        "MACs and params (more MACs/params stand in for higher accuracy)"
    lines += _wrap(f"Pareto front: {costs} vs {gains}: {len(result.pareto)} {what}"
                   + (f", first {top} shown" if len(result.pareto) > top else ""))
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
