"""Pareto fronts of sweep results: the configurations no other configuration beats on every objective.

All objectives are minimised (latency, energy, area). Point ``a`` *dominates* ``b`` when
``a <= b`` in every objective and ``a < b`` in at least one. The front is the set of points no
point dominates; it is exact (no approximation), so

- duplicates of a front point are all on the front (equal points do not dominate each other);
- a point that ties another in one objective and is worse in another is off the front;
- rows with NaN in any objective are never on the front and dominate nothing.

Algorithm: sort lexicographically (a dominator always sorts strictly before the point it
dominates). Two objectives: one pass with a running minimum, O(n log n). More: blocks of sorted
points are checked, vectorised, against the front found so far and against each other —
O(n x front size), fast for the fronts of real sweeps (tens to thousands of points).
matplotlib is imported only by :func:`front_figure`, pandas only by the functions on frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hwsim.errors import ConfigError
from hwsim.report.profile import write_figure

if TYPE_CHECKING:
    import pandas as pd  # only the frame functions take or give frames: pareto_mask needs no pandas
    from matplotlib.figure import Figure

__all__ = ["front_figure", "pareto_front", "pareto_mask", "plot_front"]

#: Sorted points checked together in the n-dimensional algorithm.
_BLOCK = 256
#: Front points compared with a block at once (bounds the temporary boolean array).
_FRONT_SLICE = 4096


def pareto_mask(points: ArrayLike) -> NDArray[np.bool_]:
    """True for the rows of ``points`` (n points x d objectives, minimised) on the Pareto front."""
    values = np.asarray(points, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise ValueError(f"expected an (n points, d objectives) array, got shape {values.shape}")
    n, d = values.shape
    mask = np.zeros(n, dtype=bool)
    if n == 0 or d == 0:
        mask[:] = d == 0
        return mask
    valid = np.flatnonzero(~np.isnan(values).any(axis=1))
    sub = values[valid]
    order = np.lexsort(sub.T[::-1])  # by objective 0, then 1, ...
    ordered = sub[order]
    if d == 1:
        on_front = ordered[:, 0] == ordered[0, 0] if len(ordered) else np.zeros(0, dtype=bool)
    elif d == 2:
        on_front = _front_2d(ordered)
    else:
        on_front = _front_nd(ordered)
    mask[valid[order[on_front]]] = True
    return mask


def _front_2d(s: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Front of points sorted by (x, y): y is the least of its x and below every smaller x's least y."""
    if len(s) == 0:
        return np.zeros(0, dtype=bool)
    x, y = s[:, 0], s[:, 1]
    starts = np.flatnonzero(np.r_[True, x[1:] != x[:-1]])
    group = np.cumsum(np.r_[True, x[1:] != x[:-1]]) - 1
    group_min = y[starts]  # sorted by y within an x, so the first is the least
    before = np.r_[np.inf, np.minimum.accumulate(group_min)[:-1]]  # least y over strictly smaller x
    return (y == group_min[group]) & ((group == 0) | (y < before[group]))


def _dominated_by_any(dominators: NDArray[np.float64], points: NDArray[np.float64]) -> NDArray[np.bool_]:
    """For each of ``points``: does some row of ``dominators`` dominate it?"""
    out = np.zeros(len(points), dtype=bool)
    for start in range(0, len(dominators), _FRONT_SLICE):
        f = dominators[start : start + _FRONT_SLICE, None, :]
        p = points[None, :, :]
        out |= ((f <= p).all(axis=2) & (f < p).any(axis=2)).any(axis=0)
    return out


def _front_nd(s: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Front of lexicographically sorted points, block by block.

    A dominated point is dominated by a front point (dominance is transitive and a dominator
    sorts earlier), so each block is checked against the front so far, then its survivors
    against each other.
    """
    on_front = np.zeros(len(s), dtype=bool)
    front = s[:0]
    for start in range(0, len(s), _BLOCK):
        block = s[start : start + _BLOCK]
        survivors = np.flatnonzero(~_dominated_by_any(front, block))
        # a block point dominated by a non-survivor is dominated by a front point too
        candidates = block[survivors]
        keep = survivors[~_dominated_by_any(candidates, candidates)]
        on_front[start + keep] = True
        front = np.concatenate([front, block[keep]])
    return on_front


def _check_objectives(frame: pd.DataFrame, objectives: Sequence[str]) -> None:
    import pandas as pd

    if not objectives:
        raise ConfigError("pareto: expected at least one objective column")
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
    for column in objectives:
        if column in frame.columns and frame.empty:
            continue  # no rows, no dtype to check (a CSV with only a header reads as text columns)
        if column not in frame.columns or column not in numeric:
            what = "no column" if column not in frame.columns else "not a numeric column"
            raise ConfigError(f"pareto: {what} {column!r}: expected one of the numeric columns {', '.join(map(str, numeric))}")
    if len(set(objectives)) != len(objectives):
        raise ConfigError(f"pareto: objective given twice in {', '.join(objectives)}: expected distinct objectives")


def pareto_front(frame: pd.DataFrame, objectives: Sequence[str], by: str | None = None) -> pd.DataFrame:
    """Rows of ``frame`` on the Pareto front of ``objectives`` (all minimised), sorted by them.

    ``by`` (e.g. ``"model"``) computes a separate front within each group. The original index
    is kept, so ``frame.index.isin(front.index)`` is the mask. A frame without rows has an
    empty front.
    """
    objectives = list(objectives)
    _check_objectives(frame, objectives)
    if by is not None and by not in frame.columns:
        raise ConfigError(f"pareto: no column {by!r} to group by")
    if by is None:
        mask = pareto_mask(frame[objectives].to_numpy(dtype=np.float64, na_value=np.nan))
    else:
        mask = np.zeros(len(frame), dtype=bool)
        for _, rows in frame.groupby(by, sort=False).indices.items():
            mask[rows] = pareto_mask(frame.iloc[rows][objectives].to_numpy(dtype=np.float64, na_value=np.nan))
    keys = ([by] if by is not None else []) + objectives
    return frame[mask].sort_values(keys, kind="stable")


#: Colours of the groups (models) of a Pareto plot, and the markers of their clouds when ``z`` colours them.
_GROUP_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
_GROUP_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def front_figure(frame: pd.DataFrame, front: pd.DataFrame, x: str, y: str, z: str | None = None,
                 by: str | None = None) -> Figure:
    """Every configuration and the front, one colour per group of ``by`` (a model): without ``z``
    each group's configurations are a light cloud of its colour and its front the same colour,
    bold; with ``z`` the clouds are coloured by ``z`` (one marker per group) and each front is
    outlined in its group's colour."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 5.5), layout="constrained")
    ax = fig.subplots()
    names = list(dict.fromkeys(frame[by])) if by is not None else [None]
    points = None
    for k, name in enumerate(names):
        rows = frame if name is None else frame[frame[by] == name]
        ahead = front if name is None else front[front[by] == name]
        color, marker = _GROUP_COLORS[k % len(_GROUP_COLORS)], _GROUP_MARKERS[k % len(_GROUP_MARKERS)]
        what = "" if name is None else f"{name}: "
        cloud = f"{what}{len(rows):,} configurations"
        if z is None:
            ax.scatter(rows[x], rows[y], s=10, color=color, alpha=0.25, linewidths=0, label=cloud, zorder=1)
            ax.scatter(ahead[x], ahead[y], s=40, color=color, edgecolors="black", linewidths=0.8,
                       label=f"{what}Pareto front ({len(ahead)})", zorder=3)
        else:
            points = ax.scatter(rows[x], rows[y], s=12, c=rows[z], cmap="viridis", marker=marker, alpha=0.5,
                                vmin=frame[z].min(), vmax=frame[z].max(), label=cloud, zorder=1)
            ax.scatter(ahead[x], ahead[y], s=60, marker=marker, facecolors="none", edgecolors=color, linewidths=1.8,
                       label=f"{what}Pareto front ({len(ahead)})", zorder=3)
        if z is None:  # a 2-objective front is a staircase; a 3-objective one projects to none
            ordered = ahead.sort_values([x, y])
            ax.step(ordered[x], ordered[y], where="post", color=color, linewidth=1, zorder=2)
    if points is not None:
        fig.colorbar(points, ax=ax, label=z)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"Pareto front: {x} vs {y}" + (f" vs {z}" if z else "") + " (all minimised)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return fig


def plot_front(frame: pd.DataFrame, front: pd.DataFrame, x: str, y: str, path: str | Path, z: str | None = None, by: str | None = None) -> None:
    """Write :func:`front_figure` to ``path`` (.png, .pdf or .svg)."""
    write_figure(front_figure(frame, front, x, y, z, by), path)
