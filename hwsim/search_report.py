"""Presenting a finished search: the ranked text table (:func:`format_report`) and the latency vs MACs plot (:func:`plot_search`).

Units as in the search: latency in ms, energy in uJ, EDP in uJ x ms; MACs and parameters
printed with k/M/G suffixes. matplotlib is imported only when plotting.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hwsim.report import write_figure
from hwsim.search_results import CandidateResult, SearchResult, pareto_mask

__all__ = ["format_report", "plot_search"]


# --------------------------------------------------------------------------- report
def _si(value: float) -> str:
    """1234567 -> '1.23M' (MACs, params)."""
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.2f}{suffix}"
    return f"{value:g}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


_HEADERS = ("rank", "allocation", "conv1", "shortcut", "latency_ms", "energy_uj", "edp", "utilization", "MACs", "params")


def _cells(rank: str, r: CandidateResult) -> list[str]:
    c = r.candidate
    return [rank, c.allocation, f"{c.conv1_kernel}x{c.conv1_kernel}", c.shortcut, f"{r.latency_ms:.4f}",
            f"{r.energy_uj:.2f}", f"{r.edp:.3f}", f"{100 * r.utilization:.1f}%", _si(r.macs), _si(r.params)]


def format_report(result: SearchResult, top: int = 20) -> str:
    """The ranked table (top ``top``), where v1..v5 fall, the gain of the best, and the Pareto front."""
    space, ranked, n = result.space, result.ranked, len(result.ranked)
    lines = [
        f"{space.family} block-allocation search on {result.accelerator_name}: {space.describe()}",
        f"{space.count:,} candidates ({space.allocation_count:,} allocations x {len(space.conv1_kernels)} conv1 x "
        f"{len(space.shortcuts)} shortcut); constraints: {result.constraints.describe()}; {n:,} ranked by "
        f"{result.objective} ({result.filtered:,} filtered out, {result.resumed:,} resumed, {result.simulated:,} "
        f"simulated in {result.seconds:.2f} s)" + (f"; written to {result.output}" if result.output else ""),
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
            where = f"{v.rank}/{n}" if v.in_space and v.feasible else f"~{v.rank}/{n} (" + (
                "outside the space" if not v.in_space else "fails the constraints") + ")"
            rows.append([f"v{v.version}", *_cells(where, v.result)])
        lines += ["Published versions (SqueezeNextSpec.for_version) and where they rank",
                  _table(("version", *_HEADERS), rows), ""]
        best = ranked[0]
        for v in result.versions:
            if v.version in (1, 5):
                lines.append(
                    f"best {best.candidate.allocation} (conv1 {best.candidate.conv1_kernel}, {best.candidate.shortcut}) vs "
                    f"v{v.version}: {v.result.latency_ms / best.latency_ms:.3f}x faster, energy x{best.energy_uj / v.result.energy_uj:.3f}, "
                    f"EDP x{best.edp / v.result.edp:.3f}"
                )
        lines.append("")
    front = [ranked[i] for i in result.pareto]
    lines.append(f"Pareto front: {result.objective} vs MACs and params (more MACs/params stand in for higher "
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
