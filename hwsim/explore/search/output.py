"""The search's CSV file: the columns, one row per candidate, reading an earlier run back for resume.

:func:`columns` (the family's choices and per-row settings between the allocation and the
metrics), :func:`row` (one candidate as a CSV row), :func:`read_rows` (the complete rows of an
earlier run of the same search; a torn last line is dropped, rows from another accelerator or
outside the space are refused, a file that is not a search CSV, binary ones included, is a
one-line :class:`~hwsim.errors.ConfigError`) and :func:`write_all` (atomic rewrite, ranked when
the search ends).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

from hwsim.errors import ConfigError, HwsimError
from hwsim.explore.search.families.base import Family
from hwsim.explore.search.results import CandidateResult
from hwsim.explore.search.space import Candidate, SearchSpace

__all__ = ["METRIC_COLUMNS", "columns", "read_rows", "row", "write_all"]

#: Columns after the candidate's, in order (``edp_uj_ms``: energy-delay product in uJ x ms;
#: ``rank`` is filled when the search ends).
METRIC_COLUMNS: tuple[str, ...] = (
    "latency_ms", "cycles", "energy_uj", "edp_uj_ms", "utilization", "macs", "params", "rank", "accel",
)


def columns(family: Family) -> tuple[str, ...]:
    """Columns of the output CSV of a ``family`` search: ``allocation``, one per choice, one per
    per-row setting, then :data:`METRIC_COLUMNS` (SqueezeNext: allocation, conv1, shortcut, width, ...)."""
    return ("allocation", *(c.name for c in family.choices), *(s.name for s in family.settings if s.per_row),
            *METRIC_COLUMNS)


def _legacy(header: tuple[str, ...]) -> tuple[str, ...]:
    """The header files written before the EDP column carried its unit (read back by --resume)."""
    return tuple("edp" if c == "edp_uj_ms" else c for c in header)


def row(result: CandidateResult, space: SearchSpace, accel_name: str, rank: int | None) -> list[object]:
    """One candidate as a CSV row (floats as ``repr``, exact when read back)."""
    c = result.candidate
    settings = [repr(space.setting(s.name)) for s in space.definition.settings if s.per_row]
    return [c.allocation, *c.choices, *settings, repr(result.latency_ms), result.cycles, repr(result.energy_uj),
            repr(result.edp), repr(result.utilization), result.macs, result.params, "" if rank is None else rank,
            accel_name]


def _parse(values: dict[str, str], space: SearchSpace) -> tuple[CandidateResult, bool]:
    """The row's result, and whether it belongs to ``space`` (ValueError: a torn row).

    A choice cell that is none of the choice's values stays text, so the space does not contain it.
    """
    family = space.definition
    choices = tuple(text if value is None else value
                    for text, value in ((values[c.name], c.value_of(values[c.name])) for c in family.choices))
    settings_fit = all(type(s.default)(values[s.name]) == space.setting(s.name) for s in family.settings if s.per_row)
    candidate = Candidate(tuple(int(b) for b in values["allocation"].split("-")), choices)
    result = CandidateResult(candidate, int(values["cycles"]), float(values["latency_ms"]), float(values["energy_uj"]),
                             float(values["utilization"]), int(values["macs"]), int(values["params"]))
    return result, settings_fit and space.contains(candidate)


def read_rows(path: Path, space: SearchSpace, accel_name: str) -> list[CandidateResult]:
    """Complete rows of an earlier run of this search (a torn last line is dropped)."""
    expected = columns(space.definition)
    not_ours = (f"{path}: not a search results file (expected columns {','.join(expected)}); "
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
    if tuple(header) not in (expected, _legacy(expected)):
        raise ConfigError(not_ours)
    out: list[CandidateResult] = []
    for number, cells in enumerate(rows, start=2):
        if len(cells) != len(expected):
            continue
        values = dict(zip(expected, cells))
        try:
            result, fits = _parse(values, space)
        except ValueError:
            continue  # a torn or hand-edited row: simulated again
        if values["accel"] != accel_name:
            raise ConfigError(f"{path}: line {number} was simulated on {values['accel']}, not {accel_name}; "
                              "drop --resume or use another -o")
        if not fits:
            described = ", ".join([values["allocation"], *(f"{name} {values[name]}" for name in expected[1:-len(METRIC_COLUMNS)])])
            raise ConfigError(f"{path}: line {number} ({described}) is not in this search's space; "
                              "drop --resume or use another -o")
        out.append(result)
    return out


def write_all(path: Path, rows: Sequence[CandidateResult], space: SearchSpace, accel_name: str, ranked: bool) -> None:
    """Replace ``path`` atomically with a header and ``rows`` (ranks 1.. when ``ranked``)."""
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with scratch.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns(space.definition))
            writer.writerows(row(r, space, accel_name, i + 1 if ranked else None) for i, r in enumerate(rows))
        os.replace(scratch, path)
    except OSError as exc:
        raise HwsimError(f"cannot write {path}: {exc.strerror or exc}") from None
