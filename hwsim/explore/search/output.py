"""The search's CSV file: the columns, one row per (candidate, configuration) pair, reading an
earlier run back for resume.

:func:`columns` (the family's choices and per-row settings, then the swept accelerator fields,
between the allocation and the metrics), :func:`row` (one pair as a CSV row), :func:`read_rows`
(the complete rows of an earlier run of the same search; a torn last line is dropped, rows from
another accelerator or outside the space are refused, a file that is not a search CSV, binary
ones included, is a one-line :class:`~hwsim.errors.ConfigError`) and :func:`write_all` (atomic
rewrite, ranked when the search ends).
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hwsim.errors import ConfigError, HwsimError
from hwsim.explore.search.configurations import Configurations, value_text
from hwsim.explore.search.families.base import Family
from hwsim.explore.search.results import CandidateResult
from hwsim.explore.search.space import Candidate, SearchSpace

__all__ = ["METRIC_COLUMNS", "Layout", "columns", "read_rows", "row", "write_all"]

#: Columns after the candidate's and the configuration's, in order (``edp_uj_ms``: energy-delay
#: product in uJ x ms; ``area_mm2``: the configuration's chip area; ``rank`` is filled when the
#: search ends). With an accuracy file, ``accuracy`` follows ``area_mm2``.
METRIC_COLUMNS: tuple[str, ...] = (
    "latency_ms", "cycles", "energy_uj", "edp_uj_ms", "utilization", "macs", "params", "area_mm2", "rank", "accel",
)


def columns(family: Family, paths: Sequence[str] = (), accuracy: bool = False) -> tuple[str, ...]:
    """Columns of the output CSV of a ``family`` search: ``allocation``, one per choice, one per
    per-row setting, one per swept accelerator field (``paths``), then :data:`METRIC_COLUMNS`
    (with ``accuracy`` when measured accuracies were given). SqueezeNext on one accelerator:
    allocation, conv1, shortcut, width, latency_ms, ..."""
    metrics = list(METRIC_COLUMNS)
    if accuracy:
        metrics.insert(metrics.index("area_mm2") + 1, "accuracy")
    return ("allocation", *(c.name for c in family.choices), *(s.name for s in family.settings if s.per_row),
            *paths, *metrics)


@dataclass(frozen=True)
class Layout:
    """What a search's rows hold: its space, configurations, accelerator name and whether they
    carry a measured accuracy; the cells every row of a candidate or a configuration repeats are
    written once (``config_cells``) and kept (a candidate's, as rows are written)."""

    space: SearchSpace
    configurations: Configurations
    accel_name: str
    accuracy: bool = False
    config_cells: tuple[tuple[str, ...], ...] = field(init=False, repr=False, compare=False)
    _candidate_cells: dict[Candidate, tuple[object, ...]] = field(default_factory=dict, init=False, repr=False,
                                                                   compare=False)

    def __post_init__(self) -> None:
        configurations = self.configurations
        cells = [tuple(value_text(v) for v in configurations.values(k)) for k in range(configurations.size)]
        object.__setattr__(self, "config_cells", tuple(cells))

    @property
    def columns(self) -> tuple[str, ...]:
        return columns(self.space.definition, self.configurations.paths, self.accuracy)

    def candidate_cells(self, candidate: Candidate) -> tuple[object, ...]:
        """The allocation, choices and per-row settings of ``candidate`` as CSV cells."""
        cells = self._candidate_cells.get(candidate)
        if cells is None:
            space = self.space
            settings = [repr(space.setting(s.name)) for s in space.definition.settings if s.per_row]
            cells = self._candidate_cells[candidate] = (candidate.allocation, *candidate.choices, *settings)
        return cells


def _legacy(expected: tuple[str, ...]) -> set[tuple[str, ...]]:
    """Headers of files written by earlier versions, read back by --resume: before the EDP column
    carried its unit (``edp``), and before rows carried the chip area (no ``area_mm2``: it is the
    configuration's)."""
    headers = {expected, tuple(c for c in expected if c != "area_mm2")}
    return headers | {tuple("edp" if c == "edp_uj_ms" else c for c in h) for h in headers}


def row(result: CandidateResult, layout: Layout, rank: int | None) -> list[object]:
    """One pair as a CSV row (floats as ``repr``, exact when read back)."""
    accuracy = [repr(result.accuracy)] if layout.accuracy else []
    return [*layout.candidate_cells(result.candidate), *layout.config_cells[result.config], repr(result.latency_ms),
            result.cycles, repr(result.energy_uj), repr(result.edp), repr(result.utilization), result.macs,
            result.params, repr(result.area_mm2), *accuracy, "" if rank is None else rank, layout.accel_name]


def _parse(values: dict[str, str], layout: Layout) -> tuple[CandidateResult, bool]:
    """The row's result, and whether it belongs to the search (ValueError: a torn row, or a number
    no search writes, which is scored again rather than kept).

    A choice cell that is none of the choice's values stays text, so the space does not contain it.
    """
    space, configurations = layout.space, layout.configurations
    family = space.definition
    choices = tuple(text if value is None else value
                    for text, value in ((values[c.name], c.value_of(values[c.name])) for c in family.choices))
    settings_fit = all(type(s.default)(values[s.name]) == space.setting(s.name) for s in family.settings if s.per_row)
    config = configurations.parse([values[p] for p in configurations.paths])
    fits_config = config is not None
    candidate = Candidate(tuple(int(b) for b in values["allocation"].split("-")), choices)
    accuracy = float(values["accuracy"]) if layout.accuracy else None
    config = 0 if config is None else config
    area = float(values["area_mm2"]) if "area_mm2" in values else float(configurations.area_mm2[config])
    result = CandidateResult(candidate, int(values["cycles"]), float(values["latency_ms"]), float(values["energy_uj"]),
                             float(values["utilization"]), int(values["macs"]), int(values["params"]), area, config,
                             accuracy)
    numbers = (result.cycles, result.latency_ms, result.energy_uj, result.macs, result.params, result.area_mm2)
    if not all(math.isfinite(v) and v >= 0 for v in numbers) or not 0 <= result.utilization <= 1 or (
            accuracy is not None and not math.isfinite(accuracy)):
        raise ValueError("a number no search writes (negative, NaN, infinite, utilization outside 0..1)")
    return result, settings_fit and fits_config and space.contains(candidate)


def read_rows(path: Path, layout: Layout) -> list[CandidateResult]:
    """Complete rows of an earlier run of this search: a torn last line (no newline at its end: a
    kill mid-row) is dropped whatever it holds, since a row cut in its last cell has all its
    cells (an accelerator name cut short would be refused); the search scores that pair again."""
    expected = layout.columns
    not_ours = (f"{path}: not a search results file of this search (expected columns {','.join(expected)}); "
                "drop --resume or use another -o")
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            text = handle.read()
        reader = csv.reader(io.StringIO(text[: text.rfind("\n") + 1]))  # whole lines only
        header = next(reader, None)
        rows = list(reader)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read for --resume ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, csv.Error):  # binary or not CSV at all
        raise ConfigError(not_ours) from None
    if header is None:
        return []
    if tuple(header) != expected and tuple(header) not in _legacy(expected):
        raise ConfigError(not_ours)
    out: list[CandidateResult] = []
    for number, cells in enumerate(rows, start=2):
        if len(cells) != len(header):
            continue
        values = dict(zip(header, cells))
        try:
            result, fits = _parse(values, layout)
        except (ValueError, KeyError):
            continue  # a torn or hand-edited row: scored again
        if values["accel"] != layout.accel_name:
            raise ConfigError(f"{path}: line {number} was simulated on {values['accel']}, not {layout.accel_name}; "
                              "drop --resume or use another -o")
        if not fits:
            described = ", ".join([values["allocation"], *(f"{name} {values[name]}" for name in expected[1:expected.index("latency_ms")])])
            raise ConfigError(f"{path}: line {number} ({described}) is not in this search's space; "
                              "drop --resume or use another -o")
        out.append(result)
    return out


def write_all(path: Path, rows: Sequence[CandidateResult], layout: Layout, ranked: bool) -> None:
    """Replace ``path`` atomically with a header and ``rows`` (ranks 1.. when ``ranked``)."""
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with scratch.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(layout.columns)
            writer.writerows(row(r, layout, i + 1 if ranked else None) for i, r in enumerate(rows))
        os.replace(scratch, path)
    except OSError as exc:
        raise HwsimError(f"cannot write {path}: {exc.strerror or exc}") from None
