"""Resuming a sweep: which rows an earlier run wrote, whether they belong to this sweep, grid order.

Config ids are computed in blocks of :data:`ID_BLOCK` configurations, so checking and ordering
never hold the whole grid's ids in memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from hwsim.errors import ConfigError
from hwsim.explore.sweep.chunks import ModelArrays
from hwsim.explore.sweep.grid import Grid

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ID_BLOCK", "blocks", "check_resumable", "finished_ids", "grid_order"]

#: Configurations whose ids are computed at once when planning, checking and ordering.
ID_BLOCK = 1 << 20


def blocks(size: int) -> Iterator[NDArray[np.int64]]:
    """Ordinals 0..size-1 in blocks of :data:`ID_BLOCK`."""
    for start in range(0, size, ID_BLOCK):
        yield np.arange(start, min(start + ID_BLOCK, size), dtype=np.int64)


def finished_ids(done: pd.DataFrame | None, model: str) -> pd.Index | None:
    """The distinct config ids of ``model`` already in the output (None: nothing was)."""
    if done is None or done.empty:
        return None
    import pandas as pd

    ids = pd.Index(done.loc[done["model"] == model, "config_id"].unique())
    return ids if len(ids) else None


def check_resumable(done: pd.DataFrame, models: Sequence[ModelArrays], grid: Grid, output: str) -> None:
    """Every row of an earlier run must be one of this sweep's (model, configuration) pairs."""
    import pandas as pd

    again = "drop --resume or use another -o"
    names = [m.name for m in models]
    other = sorted(set(done["model"]) - set(names))
    if other:
        raise ConfigError(f"--resume: {output} holds rows of model(s) {', '.join(other)}, not in this sweep "
                          f"({', '.join(names)}); {again}")  # fmt: skip
    bases = sorted(set(done["accelerator"].astype(str)) - {grid.base.name})
    if bases:
        raise ConfigError(f"--resume: {output} was computed on base accelerator {', '.join(bases)}, not {grid.base.name}; {again}")
    for model in models:
        macs = pd.to_numeric(done.loc[done["model"] == model.name, "macs"], errors="coerce")
        other_macs = macs[macs != model.macs]
        if len(other_macs):
            shown = f"{other_macs.iloc[0]:,.0f}" if np.isfinite(other_macs.iloc[0]) else "unknown"
            raise ConfigError(f"--resume: {output} holds rows of {model.name} with {shown} MACs, but this sweep's "
                              f"{model.name} has {model.macs:,} (another input size, batch or version of the model); {again}")  # fmt: skip
    wanted = pd.Index(done["config_id"].unique())
    found = np.zeros(len(wanted), dtype=bool)
    for ordinals in blocks(grid.size):
        hit = wanted.get_indexer(grid.config_ids(ordinals))
        found[hit[hit >= 0]] = True
    if not found.all():
        missing = wanted[~found]
        raise ConfigError(
            f"--resume: {output} holds {len(missing):,} configuration(s) that are not in this sweep (e.g. config_id {missing[0]}): "
            f"it was written with other --set values or a base accelerator with other fields; {again}"
        )


def grid_order(frame: pd.DataFrame, models: Sequence[ModelArrays], grid: Grid) -> NDArray[np.int64]:
    """Sort key of each row (model position x grid size + ordinal); -1 for a row not in this sweep."""
    import pandas as pd

    key = np.full(len(frame), -1, dtype=np.int64)
    model_column = frame["model"].to_numpy()
    id_column = frame["config_id"].to_numpy()
    for index, model in enumerate(models):
        rows = np.flatnonzero(model_column == model.name)
        ids = pd.Index(id_column[rows])
        for ordinals in blocks(grid.size):
            hit = ids.get_indexer(grid.config_ids(ordinals))
            found = hit >= 0
            key[rows[hit[found]]] = index * grid.size + ordinals[found]
    return key
