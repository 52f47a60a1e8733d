"""Read back the figures a command saves: the test inspects the matplotlib objects (bars, points,
labels, axis scales) instead of the size of the image file."""

from __future__ import annotations

from collections import defaultdict

import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def saved_figures(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """Every figure saved from now on (``Figure.savefig`` still writes the file), in order."""
    saved: list[Figure] = []
    original = Figure.savefig

    def record(self: Figure, *args, **kwargs):
        saved.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", record)
    return saved


def stacked_bar_heights(ax: Axes) -> dict[float, float]:
    """Total height of the bars stacked at each x position (bar centre -> summed height)."""
    totals: dict[float, float] = defaultdict(float)
    for bars in ax.containers:
        for bar in bars:
            totals[round(bar.get_x() + bar.get_width() / 2, 6)] += bar.get_height()
    return dict(sorted(totals.items()))
