"""What a block-allocation search explores: allocations of blocks to stages, the space, candidates, constraints.

:func:`count_allocations` and :func:`allocations` (stars and bars), :class:`SearchSpace`
(validated: family, blocks, stages, conv1 kernels, shortcut styles, width, input size),
:class:`Candidate` (one network of the space) and :class:`Constraints` (upper bounds on MACs
and parameters). The search itself: :mod:`hwsim.explore.search.run`. Never imports torch.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass

from hwsim.errors import ConfigError
from hwsim.models.squeezenext_spec import CONV1_KERNELS, SHORTCUT_STYLES, SqueezeNextSpec

__all__ = [
    "FAMILIES",
    "MAX_CANDIDATES",
    "Candidate",
    "Constraints",
    "SearchSpace",
    "allocations",
    "count_allocations",
]

FAMILIES: tuple[str, ...] = ("squeezenext",)
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



# --------------------------------------------------------------------------- values
@dataclass(frozen=True)
class SearchSpace:
    """What is searched: block allocations of one family, times conv1 kernels and shortcut styles.

    ``blocks_total`` counts blocks only (SqueezeNext depth = blocks + 2: conv1 and the final
    1x1; see :meth:`from_depth`). ``input_size`` is the square input in pixels.
    """

    family: str = "squeezenext"
    blocks_total: int = 21
    stages: int = 4
    min_blocks: int = 1
    width: float = 1.0
    conv1_kernels: tuple[int, ...] = (5, 7)
    shortcuts: tuple[str, ...] = ("v1", "v5")
    grouped: bool = False
    num_classes: int = 1000
    input_size: int = 227
    batch: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "conv1_kernels", tuple(self.conv1_kernels))
        object.__setattr__(self, "shortcuts", tuple(self.shortcuts))
        if self.family not in FAMILIES:
            raise ConfigError(f"unknown family {self.family!r} for search; expected one of {', '.join(FAMILIES)}")
        for label, value in (("stages", self.stages), ("min_blocks", self.min_blocks), ("blocks_total", self.blocks_total)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{label} must be an integer >= 1, got {value!r}")
        if self.blocks_total < self.stages * self.min_blocks:
            raise ConfigError(
                f"blocks_total={self.blocks_total} < stages={self.stages} x min_blocks={self.min_blocks}: "
                "no allocation is possible"
            )
        if not self.conv1_kernels or any(k not in CONV1_KERNELS or isinstance(k, bool) for k in self.conv1_kernels) \
                or len(set(self.conv1_kernels)) != len(self.conv1_kernels):
            raise ConfigError(
                f"conv1 kernels {list(self.conv1_kernels)}: expected distinct values from "
                f"{', '.join(map(str, CONV1_KERNELS))}"
            )
        if not self.shortcuts or any(s not in SHORTCUT_STYLES for s in self.shortcuts) \
                or len(set(self.shortcuts)) != len(self.shortcuts):
            raise ConfigError(
                f"shortcut styles {list(self.shortcuts)}: expected distinct values from "
                f"{', '.join(SHORTCUT_STYLES)}"
            )
        spec = SqueezeNextSpec(width=self.width, blocks=(1,) * self.stages, grouped=self.grouped,
                               num_classes=self.num_classes)  # validates width, grouped, classes
        spec.check_input_size(self.input_size)
        object.__setattr__(self, "width", spec.width)
        if self.count > MAX_CANDIDATES:
            raise ConfigError(
                f"{self.count:,} candidates exceed the limit of {MAX_CANDIDATES:,}; "
                "use fewer blocks or stages, or a larger minimum per stage"
            )

    @classmethod
    def from_depth(cls, depth: int, **fields_: object) -> SearchSpace:
        """The space of SqueezeNext-``depth`` networks: ``depth - 2`` blocks (conv1 and the final 1x1)."""
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 3:
            raise ConfigError(f"depth must be an integer >= 3 (conv1 + blocks + final 1x1), got {depth!r}")
        stages, min_blocks = fields_.get("stages", 4), fields_.get("min_blocks", 1)
        if isinstance(stages, int) and isinstance(min_blocks, int) and depth - 2 < stages * min_blocks:
            raise ConfigError(
                f"depth {depth} gives {depth - 2} blocks < stages={stages} x min_blocks={min_blocks}: "
                "no allocation is possible"
            )
        return cls(blocks_total=depth - 2, **fields_)  # type: ignore[arg-type]

    @property
    def allocation_count(self) -> int:
        return count_allocations(self.blocks_total, self.stages, self.min_blocks)

    @property
    def count(self) -> int:
        """Candidates: allocations x conv1 kernels x shortcut styles."""
        return self.allocation_count * len(self.conv1_kernels) * len(self.shortcuts)

    def allocations(self) -> Iterator[tuple[int, ...]]:
        return allocations(self.blocks_total, self.stages, self.min_blocks)

    def balanced_allocation(self) -> tuple[int, ...]:
        """The blocks spread as evenly as possible (earlier stages get the remainder)."""
        base, extra = divmod(self.blocks_total, self.stages)
        return tuple(base + (1 if i < extra else 0) for i in range(self.stages))

    def contains(self, candidate: Candidate) -> bool:
        blocks = candidate.blocks
        return (
            len(blocks) == self.stages and sum(blocks) == self.blocks_total and min(blocks) >= self.min_blocks
            and candidate.conv1_kernel in self.conv1_kernels and candidate.shortcut in self.shortcuts
            and candidate.width == self.width
        )

    def describe(self) -> str:
        return (
            f"{self.blocks_total} blocks over {self.stages} stages (>= {self.min_blocks} each), width {self.width!r}"
            f"{' grouped' if self.grouped else ''}, conv1 {'/'.join(map(str, self.conv1_kernels))}, "
            f"shortcut {'/'.join(self.shortcuts)}"
        )


@dataclass(frozen=True)
class Candidate:
    """One network of the space: blocks per stage, conv1 kernel, shortcut style, width."""

    blocks: tuple[int, ...]
    conv1_kernel: int
    shortcut: str
    width: float

    @property
    def allocation(self) -> str:
        """Blocks per stage as written in the CSV, e.g. ``6-6-8-1``."""
        return "-".join(str(b) for b in self.blocks)

    @property
    def key(self) -> tuple[str, int, str, float]:
        return (self.allocation, self.conv1_kernel, self.shortcut, self.width)


@dataclass(frozen=True)
class Constraints:
    """Upper bounds a candidate must meet to be kept (None: no bound)."""

    max_macs: int | None = None
    max_params: int | None = None

    def allows(self, macs: int, params: int) -> bool:
        return (self.max_macs is None or macs <= self.max_macs) and (self.max_params is None or params <= self.max_params)

    def describe(self) -> str:
        parts = [f"MACs <= {self.max_macs:,}" if self.max_macs is not None else "",
                 f"params <= {self.max_params:,}" if self.max_params is not None else ""]
        return ", ".join(p for p in parts if p) or "none"
