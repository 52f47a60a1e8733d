"""A sweep's rows as numpy columns, turned into a pandas DataFrame only when a caller asks for one.

A chunk's rows are a :data:`Columns` mapping (column name -> one numpy array per column, every
array as long as the chunk): the Parquet sink hands them to pyarrow as they are and the table
of the fastest rows is printed from them, so a sweep written to Parquet never imports pandas.
Swept fields that may be unset (``optional_int`` / ``optional_float``) are object arrays holding
None; :func:`frame_of` makes them pandas' nullable ``Int64`` / ``Float64`` columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Columns", "SweepRows", "concat", "frame_of", "take"]

#: Column name -> values, one array per column, all of one length.
Columns = dict[str, NDArray[Any]]

#: Pandas dtypes of the columns that may hold missing values.
NULLABLE = ("Int64", "Float64")


def concat(parts: Sequence[Mapping[str, NDArray[Any]]], names: Sequence[str]) -> Columns:
    """The rows of ``parts`` one after another, columns ``names``."""
    return {name: np.concatenate([np.asarray(p[name]) for p in parts]) for name in names}


def take(columns: Mapping[str, NDArray[Any]], index: NDArray[Any]) -> Columns:
    """The rows at ``index`` (positions or a boolean mask) of every column."""
    return {name: np.asarray(values)[index] for name, values in columns.items()}


def frame_of(columns: Mapping[str, Any], names: Sequence[str], dtypes: Mapping[str, Any]) -> pd.DataFrame:
    """A DataFrame of ``columns`` (in the order ``names``); a column whose dtype in ``dtypes`` is
    ``Int64`` / ``Float64`` becomes that nullable dtype (None is a missing value)."""
    import pandas as pd

    data = {}
    for name in names:
        values = columns[name]
        kind = dtypes.get(name)
        data[name] = pd.array(list(values), dtype=kind) if kind in NULLABLE else values
    return pd.DataFrame(data, columns=list(names))


@dataclass(frozen=True)
class SweepRows:
    """The rows a sweep returns: numpy :data:`Columns`, or a DataFrame when they were read back
    from an output; ``kept``: rows kept from an earlier run, ``computed``: rows computed now,
    ``total``: rows of the whole sweep (more than these rows when only the fastest are kept)."""

    names: tuple[str, ...]
    data: Any  #: Columns, or a pandas DataFrame
    dtypes: Mapping[str, Any] = field(repr=False)
    kept: int = 0
    computed: int = 0
    total: int = 0

    def __len__(self) -> int:
        return len(self.data) if not isinstance(self.data, dict) else len(next(iter(self.data.values()), ()))

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame; ``attrs`` ``kept``, ``computed`` and ``rows`` (the total)."""
        frame = self.data if not isinstance(self.data, dict) else frame_of(self.data, self.names, self.dtypes)
        frame.attrs.update(kept=self.kept, computed=self.computed, rows=self.total)
        return frame

    def records(self, model: str | None = None) -> list[dict[str, Any]]:
        """The rows (of ``model`` only, when given) as dicts of Python and numpy scalars."""
        if not isinstance(self.data, dict):
            rows = self.data if model is None else self.data[self.data["model"] == model]
            return rows.to_dict(orient="records")
        keep = np.ones(len(self), dtype=bool) if model is None else np.asarray(self.data["model"]) == model
        picked = take(self.data, keep)
        return [dict(zip(self.names, values)) for values in zip(*(picked[n] for n in self.names))]

    def models(self) -> list[str]:
        """The models of the rows, in the order they first appear."""
        return list(dict.fromkeys(np.asarray(self.data["model"]).tolist()))
