"""Measured accuracy of candidates, from the user's CSV file (``hwsim search --accuracy FILE.csv``).

hwsim does not predict accuracy: a user who trained some candidates gives their measured accuracy
(top-1 %, or any number where higher is better), and the search ranks by it and puts it on the
Pareto front instead of the MACs and parameters that stand in for it otherwise.

The file: a header with ``allocation`` (blocks per stage as the search writes them, ``2-4-14-1``)
and ``accuracy``, and optionally a column per choice of the family (SqueezeNext: ``conv1``,
``shortcut``); a choice without a column means the accuracy holds for each of its values. Every
row names a candidate of the search's space once. Errors name the file, the line and what was
expected (:func:`read_accuracy`).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from pathlib import Path

from hwsim.errors import ConfigError, read_text
from hwsim.explore.search.space import Candidate, SearchSpace

__all__ = ["read_accuracy"]


def read_accuracy(path: str | Path, space: SearchSpace) -> dict[Candidate, float]:
    """Candidate -> measured accuracy for the candidates of ``space`` the file at ``path`` names."""
    family = space.definition
    choice_names = [c.name for c in family.choices]
    text = read_text(path, ConfigError, "the accuracy file")
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ConfigError(f"{path}: not a CSV file ({exc})") from None
    expected = f"allocation, accuracy{''.join(f' and optionally {n}' for n in choice_names)}"
    if not rows or not rows[0]:
        raise ConfigError(f"{path}: empty; expected a header with the columns {expected}")
    header = [h.strip() for h in rows[0]]
    unknown = [h for h in header if h not in ("allocation", "accuracy", *choice_names)]
    missing = [h for h in ("allocation", "accuracy") if h not in header]
    if unknown or missing or len(set(header)) != len(header):
        what = f"unknown column {unknown[0]!r}" if unknown else (f"no column {missing[0]!r}" if missing else "a column twice")
        raise ConfigError(f"{path}: {what}; expected the columns {expected}")
    out: dict[Candidate, float] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise ConfigError(f"{path}: line {number}: {len(cells)} cells for {len(header)} columns: expected {len(header)}")
        values = {h: c.strip() for h, c in zip(header, cells)}
        for candidate in _candidates(path, number, values, space):
            if candidate in out:
                raise ConfigError(f"{path}: line {number}: allocation {candidate.allocation}"
                                  f"{_choices(space, candidate)} is given twice: expected one row per candidate")
            out[candidate] = _accuracy(path, number, values["accuracy"])
    if not out:
        raise ConfigError(f"{path}: no rows; expected one row per measured candidate ({expected})")
    return out


def _accuracy(path: str | Path, number: int, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ConfigError(f"{path}: line {number}: accuracy {text!r}: expected a finite number (higher is better)")
    return value


def _candidates(path: str | Path, number: int, values: dict[str, str], space: SearchSpace) -> list[Candidate]:
    """The candidates a row names: its allocation with its choices (every searched value of a
    choice without a column)."""
    try:
        blocks = tuple(int(b) for b in values["allocation"].split("-"))
    except ValueError:
        raise ConfigError(f"{path}: line {number}: allocation {values['allocation']!r}: expected blocks per stage "
                          f"such as {'-'.join(map(str, space.balanced_allocation()))}") from None
    per_choice = []
    for choice, searched in zip(space.definition.choices, space.choice_values):
        if choice.name not in values:
            per_choice.append(searched)
            continue
        value = choice.value_of(values[choice.name])
        if value is None:
            raise ConfigError(f"{path}: line {number}: {choice.name} {values[choice.name]!r}: expected one of "
                              f"{', '.join(map(str, choice.values))}")
        per_choice.append((value,))
    candidates = [Candidate(blocks, combo) for combo in itertools.product(*per_choice)]
    outside = [c for c in candidates if not space.contains(c)]
    if outside:
        raise ConfigError(f"{path}: line {number}: allocation {values['allocation']}{_choices(space, outside[0])} "
                          f"is not in this search's space: expected a candidate of {space.describe()}")
    return candidates


def _choices(space: SearchSpace, candidate: Candidate) -> str:
    words = ", ".join(f"{c.name} {v}" for c, v in zip(space.definition.choices, candidate.choices))
    return f" ({words})" if words else ""
