"""The search's CSV file: the columns, one row per candidate, reading an earlier run back for resume.

:data:`COLUMNS`, :func:`_row` (one candidate as a CSV row), :func:`_read_rows` (the complete
rows of an earlier run of the same search; a torn last line is dropped, rows from another
accelerator or outside the space are refused) and :func:`_write_all` (atomic rewrite, ranked
when the search ends).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

from hwsim.errors import ConfigError, HwsimError
from hwsim.search_results import CandidateResult
from hwsim.search_space import Candidate, SearchSpace

__all__ = ["COLUMNS"]

#: Columns of the output CSV, in order (``edp`` in uJ x ms; ``rank`` is filled when the search ends).
COLUMNS: tuple[str, ...] = (
    "allocation", "conv1", "shortcut", "width", "latency_ms", "cycles", "energy_uj", "edp",
    "utilization", "macs", "params", "rank", "accel",
)


# --------------------------------------------------------------------------- the output file
def _row(result: CandidateResult, accel_name: str, rank: int | None) -> list[object]:
    c = result.candidate
    return [c.allocation, c.conv1_kernel, c.shortcut, repr(c.width), repr(result.latency_ms), result.cycles,
            repr(result.energy_uj), repr(result.edp), repr(result.utilization), result.macs, result.params,
            "" if rank is None else rank, accel_name]


def _read_rows(path: Path, space: SearchSpace, accel_name: str) -> list[CandidateResult]:
    """Complete rows of an earlier run of this search (a torn last line is dropped)."""
    try:
        with path.open(newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            rows = list(reader)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read for --resume ({exc.strerror or exc})") from None
    if header is None:
        return []
    if tuple(header) != COLUMNS:
        raise ConfigError(f"{path}: not a search results file (expected columns {','.join(COLUMNS)}); drop --resume or use another -o")
    out: list[CandidateResult] = []
    for number, row in enumerate(rows, start=2):
        if len(row) != len(COLUMNS):
            continue
        values = dict(zip(COLUMNS, row))
        try:
            candidate = Candidate(tuple(int(b) for b in values["allocation"].split("-")), int(values["conv1"]),
                                  values["shortcut"], float(values["width"]))
            result = CandidateResult(candidate, int(values["cycles"]), float(values["latency_ms"]),
                                     float(values["energy_uj"]), float(values["utilization"]),
                                     int(values["macs"]), int(values["params"]))
        except ValueError:
            continue  # a torn or hand-edited row: simulated again
        if values["accel"] != accel_name:
            raise ConfigError(f"{path}: line {number} was simulated on {values['accel']}, not {accel_name}; "
                              "drop --resume or use another -o")
        if not space.contains(candidate):
            raise ConfigError(f"{path}: line {number} ({candidate.allocation}, conv1 {candidate.conv1_kernel}, "
                              f"{candidate.shortcut}, width {candidate.width:g}) is not in this search's space; "
                              "drop --resume or use another -o")
        out.append(result)
    return out


def _write_all(path: Path, rows: Sequence[CandidateResult], accel_name: str, ranked: bool) -> None:
    """Replace ``path`` atomically with a header and ``rows`` (ranks 1.. when ``ranked``)."""
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with scratch.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows(_row(r, accel_name, i + 1 if ranked else None) for i, r in enumerate(rows))
        os.replace(scratch, path)
    except OSError as exc:
        raise HwsimError(f"cannot write {path}: {exc.strerror or exc}") from None
