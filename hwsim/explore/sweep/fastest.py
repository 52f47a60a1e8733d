"""The fastest configurations of each model, kept while a sweep runs (``sweep(..., fastest=N)``, ``hwsim sweep --top``).

A sweep written to a file is ranked chunk by chunk as it runs, so ranking it never reads the
file back nor holds every row in memory: :class:`Fastest` keeps, per model, the ``count`` rows
of least ``latency_ms`` seen so far, ties going to the row seen first (``DataFrame.nsmallest``
with ``keep="first"`` over all the rows in grid order gives the same rows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Fastest"]


class Fastest:
    """The ``count`` fastest rows of each model among the rows added, in the order they were added."""

    def __init__(self, count: int) -> None:
        if count < 1:
            raise ValueError(f"fastest: expected a count >= 1, got {count}")
        self.count = count
        self.seen = 0  # rows added so far: the position of the next row
        self.kept: dict[str, pd.DataFrame] = {}

    def add(self, rows: pd.DataFrame) -> None:
        """Add rows (a ``model`` and a ``latency_ms`` column), all later in grid order than those added before."""
        import pandas as pd

        rows = rows.set_axis(range(self.seen, self.seen + len(rows)))
        self.seen += len(rows)
        for model, part in rows.groupby("model", sort=False):
            held = self.kept.get(model)
            both = part if held is None else pd.concat([held, part])
            self.kept[model] = both.nsmallest(self.count, "latency_ms", keep="first")

    def frame(self, columns: list[str]) -> pd.DataFrame:
        """The kept rows: models in the order first added, each model's rows in the order added."""
        import pandas as pd

        if not self.kept:
            return pd.DataFrame(columns=columns)
        return pd.concat([rows.sort_index() for rows in self.kept.values()]).reset_index(drop=True)[columns]
