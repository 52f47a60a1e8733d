"""The fastest configurations of each model, kept while a sweep runs (``sweep(..., fastest=N)``, ``hwsim sweep --top``).

A sweep written to a file is ranked chunk by chunk as it runs, so ranking it never reads the
file back nor holds every row in memory: :class:`Fastest` keeps, per model, the ``count`` rows
of least ``latency_ms`` seen so far, ties going to the row seen first (``DataFrame.nsmallest``
with ``keep="first"`` over all the rows in grid order gives the same rows). Rows come as numpy
columns (:data:`~hwsim.explore.sweep.rows.Columns`) or a DataFrame; no pandas is needed for the former.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hwsim.explore.sweep.rows import Columns, concat, frame_of, take

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Fastest"]


class Fastest:
    """The ``count`` fastest rows of each model among the rows added, in the order they were added."""

    def __init__(self, count: int) -> None:
        if count < 1:
            raise ValueError(f"fastest: expected a count >= 1, got {count}")
        self.count = count
        self.kept: dict[str, Columns] = {}  # per model, in the order first added

    def add(self, rows: Mapping[str, Any]) -> None:
        """Add rows (columns including ``model`` and ``latency_ms``; a DataFrame or numpy
        columns), all later in grid order than those added before."""
        columns = {name: np.asarray(rows[name]) for name in rows}
        models = columns["model"]
        for model in dict.fromkeys(models.tolist()):
            part = take(columns, models == model)
            held = self.kept.get(model)
            both = part if held is None else concat([held, part], list(part))
            # a stable sort keeps the earlier row first among equal latencies; then back to the order added
            best = np.sort(np.argsort(both["latency_ms"], kind="stable")[: self.count])
            self.kept[model] = take(both, best)

    def columns(self, names: Sequence[str]) -> Columns:
        """The kept rows as numpy columns ``names``: models in the order first added, each
        model's rows in the order added."""
        if not self.kept:
            return {name: np.array([], dtype=object) for name in names}
        return concat(list(self.kept.values()), names)

    def frame(self, names: Sequence[str], dtypes: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """:meth:`columns` as a DataFrame (``dtypes``: the nullable columns, as :func:`frame_of` takes them)."""
        return frame_of(self.columns(names), names, dtypes or {})
