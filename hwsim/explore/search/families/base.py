"""The interface a search family implements: :class:`Family` and the values it is made of.

A family is one frozen :class:`Family` value, defined in its own module next to this one and
listed in :mod:`~hwsim.explore.search.families.registry`. It says

- what is allocated: the default number of stages and of blocks (``max_stages`` bounds the
  stages), and how a network depth counts (``depth_layers`` fixed layers beside the blocks);
- what else a candidate chooses (:class:`Choice`: one CSV column and one CLI flag each, such as
  SqueezeNext's conv1 kernel) and what a whole space fixes (:class:`Setting`, such as its width);
- the published networks to mark in the ranking (:class:`Published`);
- how to get the unit templates of one :class:`Variant` (built once and cached by the family),
  how to assemble a candidate's graph from them, and how many copies of each unit every
  candidate uses (``counts``). A candidate's totals are its counts times the unit totals, since
  network totals sum the layers (docs/MODEL.md §6).

Why a frozen dataclass and not a Protocol: a family is mostly data (defaults, bounds, choices,
published networks) plus three plain functions. One value can be checked once when it is
registered, a test can write a whole family inline, and there is no class per family to subclass.
The unit templates are each family's own type: the search needs only :class:`Templates` of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from hwsim.graph.layer_graph import LayerGraph

__all__ = ["RESERVED_NAMES", "Choice", "Family", "Published", "Setting", "Templates", "Value", "Variant"]

#: Names a choice or setting may not take: the search's own CSV columns and CLI flags.
RESERVED_NAMES = frozenset({
    "allocation", "latency_ms", "cycles", "energy_uj", "edp_uj_ms", "edp", "utilization", "macs", "params",
    "rank", "accel", "depth", "blocks_total", "stages", "min_blocks", "objective", "max_macs", "max_params",
    "top", "output", "resume", "plot", "family", "help", "area_mm2", "accuracy", "sets", "max_area", "max_latency",
    "workers", "scheduler",
})

#: A value a choice can take: written to the CSV as ``str(value)``.
Value = int | str


@dataclass(frozen=True)
class Choice:
    """A choice each candidate makes besides its allocation (one CSV column, CLI flag ``--<name>``).

    ``values`` are the allowed values, ``default`` the ones searched when none are asked for;
    ``noun`` names them in messages ("kernel sizes"); ``help`` is the CLI help. ``cell`` and
    ``prose`` are format strings (fields ``name`` and ``value``) for a table cell ("5x5") and a
    value inside a sentence ("conv1 5").
    """

    name: str
    values: tuple[Value, ...]
    default: tuple[Value, ...]
    noun: str = "values"
    help: str = ""
    cell: str = "{value}"
    prose: str = "{name} {value}"

    def __post_init__(self) -> None:
        if not self.values or len(set(self.values)) != len(self.values):
            raise ValueError(f"choice {self.name!r}: values {self.values!r} must be distinct and not empty")
        if any(isinstance(v, bool) or not isinstance(v, (int, str)) for v in self.values):
            raise ValueError(f"choice {self.name!r}: values {self.values!r} must be integers or strings")
        if len({str(v).lower() for v in self.values}) != len(self.values):
            raise ValueError(f"choice {self.name!r}: values {self.values!r} must differ as (lower-case) text")
        if not self.default or len(set(self.default)) != len(self.default) or not set(self.default) <= set(self.values):
            raise ValueError(f"choice {self.name!r}: default {self.default!r} must be distinct values of {self.values!r}")

    def value_of(self, text: str) -> Value | None:
        """The value written as ``text`` (in the CSV or on the command line, any case), else None."""
        return next((v for v in self.values if str(v).lower() == text.strip().lower()), None)

    def show(self, value: Value) -> str:
        """``value`` as a table cell."""
        return self.cell.format(name=self.name, value=value)

    def say(self, value: Value) -> str:
        """``value`` inside a sentence."""
        return self.prose.format(name=self.name, value=value)


@dataclass(frozen=True)
class Setting:
    """A value fixed for a whole space (SqueezeNext's width multiplier, input size, ...).

    A setting with ``help`` is a CLI flag ``--<name>`` (its text parsed as ``type(default)``).
    ``per_row`` settings are written on every CSV row, after the choices, and ``--resume``
    refuses rows with another value.
    """

    name: str
    default: int | float | str | bool
    help: str = ""
    per_row: bool = False


@dataclass(frozen=True)
class Published:
    """A published network of the family, marked in the ranking: its label, blocks and choices."""

    label: str
    blocks: tuple[int, ...]
    choices: tuple[Value, ...] = ()


@dataclass(frozen=True)
class Variant:
    """Everything of a network of the family but its allocation: stages, settings and choices.

    ``settings`` are ``(name, value)`` pairs in the family's order; ``choices`` one value per
    :attr:`Family.choices`. The key of one set of unit templates.
    """

    stages: int
    settings: tuple[tuple[str, Any], ...] = ()
    choices: tuple[Value, ...] = ()

    def setting(self, name: str) -> Any:
        return dict(self.settings)[name]


class Templates(Protocol):
    """What the search needs of a family's unit templates.

    ``reference`` is a graph holding every unit once, ``spans`` the ``(start, stop)`` layer
    indices of each unit in it, in the order of the columns of :attr:`Family.counts`.
    """

    @property
    def reference(self) -> LayerGraph: ...

    @property
    def spans(self) -> tuple[tuple[int, int], ...]: ...


def accept_settings(stages: int, settings: Mapping[str, Any]) -> Mapping[str, Any]:
    """The default check of a family's settings: every value as given."""
    return settings


def describe_nothing(settings: Mapping[str, Any]) -> str:
    """The default description of a family's settings: nothing."""
    return ""


@dataclass(frozen=True)
class Family:
    """One network family the block-allocation search can explore (see the module docstring).

    Functions:
        load_templates(variant, cache_dir) -> the variant's unit templates (a :class:`Templates`);
            ``cache_dir`` is where templates traced with torch are kept (None: the default).
        assemble(templates, blocks) -> the LayerGraph of the network with ``blocks`` per stage.
        counts(blocks) -> for a ``(candidates, stages)`` integer matrix of blocks, the
            ``(candidates, units)`` matrix of how many copies of each template unit each uses.
        check(stages, settings) -> the settings, validated (raise ConfigError) and normalised.
        describe(settings) -> the settings in a few words ("width 1.0"), "" for none.
    """

    name: str  #: as on the command line (``hwsim search NAME``)
    title: str  #: in figure titles ("SqueezeNext")
    stages: int  #: default number of stages
    blocks_total: int  #: default number of blocks to allocate
    load_templates: Callable[[Variant, str | Path | None], Templates]
    assemble: Callable[[Any, tuple[int, ...]], LayerGraph]
    counts: Callable[[NDArray[np.int64]], NDArray[np.int64]]
    choices: tuple[Choice, ...] = ()
    settings: tuple[Setting, ...] = ()
    published: tuple[Published, ...] = ()
    published_title: str = "Published networks"  #: heading of the table of published networks
    max_stages: int | None = None  #: most stages the family can have (None: no bound)
    depth_layers: int = 0  #: layers a network depth counts besides the blocks
    depth_note: str = "blocks"  #: what a depth counts, in words ("conv1 + blocks + final 1x1")
    check: Callable[[int, Mapping[str, Any]], Mapping[str, Any]] = accept_settings
    describe: Callable[[Mapping[str, Any]], str] = describe_nothing

    def __post_init__(self) -> None:
        where = f"search family {self.name!r}"
        if not self.name.isidentifier() or self.name != self.name.lower():
            raise ValueError(f"{where}: the name must be a lower-case identifier")
        if self.stages < 1 or self.blocks_total < self.stages or (self.max_stages or self.stages) < self.stages:
            raise ValueError(f"{where}: default stages {self.stages} and blocks {self.blocks_total} are not possible")
        names = [c.name for c in self.choices] + [s.name for s in self.settings]
        if len(set(names)) != len(names) or RESERVED_NAMES & set(names):
            raise ValueError(f"{where}: choice and setting names {names} must be distinct and none of "
                             f"{sorted(RESERVED_NAMES)}")
        for p in self.published:
            if len(p.choices) != len(self.choices) or any(v not in c.values for v, c in zip(p.choices, self.choices)):
                raise ValueError(f"{where}: published {p.label} has choices {p.choices}, not one value of each choice")
        for s in self.settings:
            if (s.per_row or s.help) and type(s.default) not in (int, float, str):
                raise ValueError(f"{where}: setting {s.name!r} is a flag or a CSV column, so its default must be "
                                 f"an int, float or str, not {type(s.default).__name__}")
        if len({p.label for p in self.published}) != len(self.published):
            raise ValueError(f"{where}: published labels must be distinct")

    def choice(self, name: str) -> Choice:
        return next(c for c in self.choices if c.name == name)

    @property
    def default_settings(self) -> dict[str, Any]:
        return {s.name: s.default for s in self.settings}
