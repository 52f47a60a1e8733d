"""Resume vouches for the rows it keeps: every metric an earlier run wrote must be a number a sweep writes.

A sweep's summary metrics (:func:`~hwsim.explore.sweep.chunks.summary_columns`) are finite and
never negative, and its shares and utilization lie in [0, 1]; a row that breaks this was not
written by ``hwsim sweep`` (an edited or damaged file) and is never carried into the resumed
output as if it had been computed. The rows are read piece by piece (a CSV in blocks of lines,
a Parquet dataset part by part), so checking holds little in memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hwsim.errors import ConfigError
from hwsim.explore.sweep.chunks import summary_columns

__all__ = ["SHARES", "TEXT_COLUMNS", "check_kept_values", "not_written_by_sweep"]

#: Summary columns that hold text, not numbers.
TEXT_COLUMNS = frozenset({"model", "config_id", "accelerator", "bound", "bottleneck_layer"})
#: Summary metrics that are shares: at most 1.
SHARES = frozenset({"utilization", "stall_share", "memory_bound_share", "bottleneck_share"})
#: Lines of a CSV checked at once.
CSV_BLOCK_LINES = 200_000


def not_written_by_sweep(column: str, values: NDArray[np.float64]) -> tuple[NDArray[np.bool_], str]:
    """Which ``values`` of a numeric sweep column no sweep writes (NaN, infinite, negative; above 1
    for a share), and what it writes there instead (for the message)."""
    bad = ~np.isfinite(values) | (values < 0)
    if column in SHARES:
        return bad | (values > 1), "a number from 0 to 1"
    return bad, "a finite number >= 0"


def _metric_columns(columns: Sequence[str]) -> list[str]:
    metrics = set(summary_columns(True))
    return [c for c in columns if c in metrics and c not in TEXT_COLUMNS]


def _pieces(sink: Any, names: list[str]) -> Iterator[tuple[str, int, Any]]:
    """(where, first row number, frame of ``names`` as text) for each piece of the output."""
    import pandas as pd

    path = Path(sink.path)
    if path.is_dir():
        for part in sink.parts():
            yield part.name, 0, sink.read_part(part, names)  # a corrupt part: an error naming it
        return
    reader = pd.read_csv(path, usecols=names, dtype=str, keep_default_na=False, chunksize=CSV_BLOCK_LINES)
    first = 2  # line 1 is the header
    for piece in reader:
        yield "line", first, piece
        first += len(piece)


def check_kept_values(sink: Any, columns: Sequence[str]) -> None:
    """Raise a one-line ConfigError naming the first kept row whose metric is not a finite
    number >= 0 (or, for a share, above 1); ``columns``: the output's header."""
    import pandas as pd

    names = _metric_columns(columns)
    if not names:
        return
    try:
        for where, first, piece in _pieces(sink, names):
            for name in names:
                text = piece[name]
                values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
                bad, expected = not_written_by_sweep(name, values)
                if bad.any():
                    row = int(np.flatnonzero(bad)[0])
                    at = f"line {first + row}" if where == "line" else f"{where} row {row + 1}"
                    raise ConfigError(f"{sink.path} {at}: {name} = {str(text.iloc[row])[:40]!r}: expected {expected}, "
                                      "as `hwsim sweep` writes it (the file was edited or damaged)")  # fmt: skip
    except (OSError, ValueError, OverflowError) as exc:
        raise ConfigError(f"{sink.path}: not a readable sweep output ({' '.join(str(exc).split())[:120]}); "
                          "expected the rows `hwsim sweep` writes") from None  # fmt: skip
