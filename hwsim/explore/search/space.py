"""What a block-allocation search explores: allocations of blocks to stages, the space, candidates, constraints.

:func:`count_allocations` and :func:`allocations` (stars and bars), :class:`SearchSpace`
(validated: a registered family, blocks, stages, the values of each of the family's choices
and its settings), :class:`Candidate` (one network of the space) and :class:`Constraints`
(upper bounds on MACs, parameters, chip area and latency). The search itself: :mod:`hwsim.explore.search.run`.
Never imports torch.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from hwsim.errors import ConfigError
from hwsim.explore.search.families.base import Family, Value, Variant
from hwsim.explore.search.families.registry import family as registered_family

__all__ = [
    "MAX_CANDIDATES",
    "Candidate",
    "Constraints",
    "SearchSpace",
    "allocations",
    "count_allocations",
]

#: Refuse spaces larger than this many candidates (the file alone would be hundreds of MB).
MAX_CANDIDATES = 1_000_000


# --------------------------------------------------------------------------- enumeration
def count_allocations(total: int, stages: int, min_blocks: int = 1) -> int:
    """Allocations of ``total`` blocks over ``stages`` stages, each at least ``min_blocks``.

    Stars and bars: the ``total - stages*min_blocks`` free blocks and ``stages - 1`` bars are
    arranged in ``C(free + stages - 1, stages - 1)`` ways; 0 when ``free < 0``.
    """
    free = total - stages * min_blocks
    return math.comb(free + stages - 1, stages - 1) if free >= 0 and stages >= 1 else 0


def allocations(total: int, stages: int, min_blocks: int = 1) -> Iterator[tuple[int, ...]]:
    """Every allocation counted by :func:`count_allocations`, in lexicographic order."""
    free = total - stages * min_blocks
    if free < 0 or stages < 1:
        return
    slots = free + stages - 1
    for bars in itertools.combinations(range(slots), stages - 1):
        edges = (-1, *bars, slots)
        yield tuple(edges[i + 1] - edges[i] - 1 + min_blocks for i in range(stages))


def _positive(label: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{label} must be an integer >= 1, got {value!r}")


# --------------------------------------------------------------------------- values
@dataclass(frozen=True, slots=True)
class Candidate:
    """One network of a space: blocks per stage and one value per choice of its family."""

    blocks: tuple[int, ...]
    choices: tuple[Value, ...] = ()

    @property
    def allocation(self) -> str:
        """Blocks per stage as written in the CSV, e.g. ``6-6-8-1``."""
        return "-".join(str(b) for b in self.blocks)


@dataclass(frozen=True)
class SearchSpace:
    """What is searched: block allocations of one family, times the values of its choices.

    ``family`` is a registered family name; ``blocks_total`` and ``stages`` default to the
    family's (``blocks_total`` counts blocks only: see :meth:`from_depth`). ``choices`` maps a
    choice name to the values searched (default: the choice's default), ``settings`` a setting
    name to its value (default: the setting's); both are kept as ``(name, ...)`` pairs in the
    family's order. ``definition`` is the registered :class:`~hwsim.explore.search.families.base.Family`.
    """

    family: str = "squeezenext"
    blocks_total: int | None = None
    stages: int | None = None
    min_blocks: int = 1
    choices: Mapping[str, Sequence[Value]] | tuple[tuple[str, tuple[Value, ...]], ...] = ()
    settings: Mapping[str, Any] | tuple[tuple[str, Any], ...] = ()
    definition: Family = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        definition = registered_family(self.family)
        object.__setattr__(self, "definition", definition)
        if self.stages is None:
            object.__setattr__(self, "stages", definition.stages)
        if self.blocks_total is None:
            object.__setattr__(self, "blocks_total", definition.blocks_total)
        for label, value in (("stages", self.stages), ("min_blocks", self.min_blocks), ("blocks_total", self.blocks_total)):
            _positive(label, value)
        stages, total = self._stages, self._total
        if definition.max_stages is not None and stages > definition.max_stages:
            raise ConfigError(f"stages={stages}: the {definition.name} family has at most {definition.max_stages}")
        if total < stages * self.min_blocks:
            raise ConfigError(
                f"blocks_total={total} < stages={stages} x min_blocks={self.min_blocks}: no allocation is possible "
                "(expected blocks_total >= stages x min_blocks)"
            )
        object.__setattr__(self, "choices", self._checked_choices(definition, dict(self.choices)))
        settings = self._known(definition, "setting", dict(self.settings), [s.name for s in definition.settings])
        checked = definition.check(stages, {**definition.default_settings, **settings})
        for s in definition.settings:  # a CSV column reads back as the default's type
            if s.per_row and type(checked[s.name]) is not type(s.default):
                raise ConfigError(f"setting {s.name} {checked[s.name]!r}: expected {type(s.default).__name__} "
                                  f"like {s.default!r}")
        object.__setattr__(self, "settings", tuple((s.name, checked[s.name]) for s in definition.settings))
        if self.count > MAX_CANDIDATES:
            raise ConfigError(
                f"{self.count:,} candidates exceed the limit of {MAX_CANDIDATES:,}; "
                "use fewer blocks or stages, or a larger minimum per stage"
            )

    @staticmethod
    def _known(definition: Family, kind: str, given: dict[str, Any], known: list[str]) -> dict[str, Any]:
        unknown = [name for name in given if name not in known]
        if unknown:
            raise ConfigError(f"the {definition.name} family has no {kind} {unknown[0]!r}; "
                              f"expected one of {', '.join(known) or '(none)'}")
        return given

    @classmethod
    def _checked_choices(cls, definition: Family, given: dict[str, Any]) -> tuple[tuple[str, tuple[Value, ...]], ...]:
        cls._known(definition, "choice", given, [c.name for c in definition.choices])
        out = []
        for choice in definition.choices:
            values = tuple(given.get(choice.name, choice.default))
            exact = [next((a for a in choice.values if a == v and type(a) is type(v)), None) for v in values]
            if not values or None in exact or len(set(values)) != len(values):
                raise ConfigError(f"{choice.name} {list(values)}: expected distinct values from "
                                  f"{', '.join(map(str, choice.values))}")
            out.append((choice.name, values))
        return tuple(out)

    @classmethod
    def from_depth(cls, depth: int, family: str = "squeezenext", **fields_: Any) -> SearchSpace:
        """The space of networks ``depth`` deep: ``depth`` minus the family's fixed layers are blocks
        (SqueezeNext-23: 23 - 2 (conv1 and the final 1x1) = 21 blocks)."""
        definition = registered_family(family)
        fixed = definition.depth_layers
        if isinstance(depth, bool) or not isinstance(depth, int) or depth <= fixed:
            raise ConfigError(f"depth must be an integer >= {fixed + 1} ({definition.depth_note}), got {depth!r}")
        stages, min_blocks = fields_.get("stages") or definition.stages, fields_.get("min_blocks", 1)
        if isinstance(stages, int) and isinstance(min_blocks, int) and depth - fixed < stages * min_blocks:
            raise ConfigError(
                f"depth {depth} gives {depth - fixed} blocks < stages={stages} x min_blocks={min_blocks}: "
                "no allocation is possible (expected blocks >= stages x min_blocks)"
            )
        return cls(family=family, blocks_total=depth - fixed, **fields_)

    # ---------------------------------------------------------------- reading (after __post_init__)
    @property
    def _stages(self) -> int:
        return cast(int, self.stages)

    @property
    def _total(self) -> int:
        return cast(int, self.blocks_total)

    @property
    def choice_pairs(self) -> tuple[tuple[str, tuple[Value, ...]], ...]:
        """``(choice name, values searched)`` in the family's order."""
        return cast("tuple[tuple[str, tuple[Value, ...]], ...]", self.choices)

    @property
    def setting_pairs(self) -> tuple[tuple[str, Any], ...]:
        """``(setting name, value)`` in the family's order."""
        return cast("tuple[tuple[str, Any], ...]", self.settings)

    @property
    def choice_values(self) -> tuple[tuple[Value, ...], ...]:
        """The values searched of each choice, in the family's order."""
        return tuple(values for _, values in self.choice_pairs)

    def values(self, name: str) -> tuple[Value, ...]:
        """The values searched of the choice ``name``."""
        return dict(self.choice_pairs)[name]

    def setting(self, name: str) -> Any:
        """The value of the setting ``name``."""
        return dict(self.setting_pairs)[name]

    def variant(self, choices: tuple[Value, ...]) -> Variant:
        """The family variant with this space's stages and settings and ``choices``."""
        return Variant(self._stages, self.setting_pairs, choices)

    @property
    def allocation_count(self) -> int:
        return count_allocations(self._total, self._stages, self.min_blocks)

    @property
    def count(self) -> int:
        """Candidates: allocations x the number of values of each choice."""
        return self.allocation_count * math.prod(len(values) for values in self.choice_values)

    def allocations(self) -> Iterator[tuple[int, ...]]:
        return allocations(self._total, self._stages, self.min_blocks)

    def balanced_allocation(self) -> tuple[int, ...]:
        """The blocks spread as evenly as possible (earlier stages get the remainder)."""
        base, extra = divmod(self._total, self._stages)
        return tuple(base + (1 if i < extra else 0) for i in range(self._stages))

    def contains(self, candidate: Candidate) -> bool:
        blocks = candidate.blocks
        return (
            len(blocks) == self.stages and sum(blocks) == self.blocks_total and min(blocks) >= self.min_blocks
            and len(candidate.choices) == len(self.choices)
            and all(v in values for v, values in zip(candidate.choices, self.choice_values))
        )

    def describe(self) -> str:
        """``21 blocks over 4 stages (>= 1 each), width 1.0, conv1 5/7, shortcut v1/v5``."""
        parts = [f"{self.blocks_total} blocks over {self.stages} stages (>= {self.min_blocks} each)",
                 self.definition.describe(dict(self.setting_pairs))]
        parts += [f"{name} {'/'.join(map(str, values))}" for name, values in self.choice_pairs]
        return ", ".join(part for part in parts if part)


@dataclass(frozen=True)
class Constraints:
    """Upper bounds a (candidate, configuration) pair must meet to be kept (None: no bound): the
    candidate's MACs and parameters, the configuration's chip area in mm², the pair's latency in ms
    (a latency target)."""

    max_macs: int | None = None
    max_params: int | None = None
    max_area_mm2: float | None = None
    max_latency_ms: float | None = None

    def __post_init__(self) -> None:
        for name, flag in (("max_area_mm2", "--max-area"), ("max_latency_ms", "--max-latency")):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not math.isfinite(value) or value <= 0):
                raise ConfigError(f"{flag} {value!r}: expected a finite number > 0")

    def allows(self, macs: int, params: int) -> bool:
        """Whether a candidate's MACs and parameters are within the bounds."""
        return (self.max_macs is None or macs <= self.max_macs) and (self.max_params is None or params <= self.max_params)

    def allows_area(self, area_mm2: float) -> bool:
        return self.max_area_mm2 is None or area_mm2 <= self.max_area_mm2

    def allows_latency(self, latency_ms: float) -> bool:
        return self.max_latency_ms is None or latency_ms <= self.max_latency_ms

    def allows_pair(self, macs: int, params: int, area_mm2: float, latency_ms: float) -> bool:
        """Whether a pair meets every bound."""
        return self.allows(macs, params) and self.allows_area(area_mm2) and self.allows_latency(latency_ms)

    def describe(self) -> str:
        parts = [f"MACs <= {self.max_macs:,}" if self.max_macs is not None else "",
                 f"params <= {self.max_params:,}" if self.max_params is not None else "",
                 f"area <= {self.max_area_mm2:g} mm2" if self.max_area_mm2 is not None else "",
                 f"latency <= {self.max_latency_ms:g} ms" if self.max_latency_ms is not None else ""]
        return ", ".join(p for p in parts if p) or "none"
