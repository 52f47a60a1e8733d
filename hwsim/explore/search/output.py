"""The search's CSV file: the columns, one row per candidate, reading an earlier run back for resume.

:data:`COLUMNS`, :func:`_row` (one candidate as a CSV row), :func:`_read_rows` (the complete
rows of an earlier run of the same search; a torn last line is dropped, rows from another
accelerator or outside the space are refused, a file that is not a search CSV, binary ones
included, is a one-line :class:`~hwsim.errors.ConfigError`) and :func:`_write_all` (atomic
rewrite, ranked when the search ends).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

from hwsim.errors import ConfigError, HwsimError
from hwsim.explore.search.results import CandidateResult
from hwsim.explore.search.space import Candidate, SearchSpace

__all__ = ["COLUMNS"]

#: Columns of the output CSV, in order (``edp_uj_ms``: energy-delay product in uJ x ms; ``rank``
#: is filled when the search ends).
COLUMNS: tuple[str, ...] = (
    "allocation", "conv1", "shortcut", "width", "latency_ms", "cycles", "energy_uj", "edp_uj_ms",
    "utilization", "macs", "params", "rank", "accel",
)
#: The header files written before the EDP column carried its unit (read back by --resume).
_LEGACY_COLUMNS: tuple[str, ...] = tuple("edp" if c == "edp_uj_ms" else c for c in COLUMNS)


# --------------------------------------------------------------------------- the output file
def _row(result: CandidateResult, accel_name: str, rank: int | None) -> list[object]:
    c = result.candidate
    return [c.allocation, c.conv1_kernel, c.shortcut, repr(c.width), repr(result.latency_ms), result.cycles,
            repr(result.energy_uj), repr(result.edp), repr(result.utilization), result.macs, result.params,
            "" if rank is None else rank, accel_name]


def _read_rows(path: Path, space: SearchSpace, accel_name: str) -> list[CandidateResult]:
    """Complete rows of an earlier run of this search (a torn last line is dropped)."""
    not_ours = (f"{path}: not a search results file (expected columns {','.join(COLUMNS)}); "
                "drop --resume or use another -o")
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            rows = list(reader)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read for --resume ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, csv.Error):  # binary or not CSV at all
        raise ConfigError(not_ours) from None
    if header is None:
        return []
    if tuple(header) not in (COLUMNS, _LEGACY_COLUMNS):
        raise ConfigError(not_ours)
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
