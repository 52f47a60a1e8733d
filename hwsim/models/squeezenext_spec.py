"""SqueezeNext as data: :class:`SqueezeNextSpec`, torch-free.

One frozen value describes any member of the SqueezeNext family (Gholami et al., "SqueezeNext:
Hardware-Aware Neural Network Design", CVPR-W 2018): the width multiplier, the number of blocks
in each stage, the stem kernel, grouped or not, and the shortcut style. The model zoo
(:func:`hwsim.models.squeezenext.squeezenext`) and the block-allocation search build from the
same value, so a searched allocation is exactly the network that gets simulated.

Facts follow the authors' Caffe definitions (github.com/amirgholami/SqueezeNext:
``1.0-SqNxt-23``, ``1.0-SqNxt-23v5``, ``2.0-SqNxt-23``, ``2.0-SqNxt-23v5``, ``1.0-G-SqNxt-23``);
see docs/ZOO.md and the builder's docstring for the layer-level rules.

Block allocations per version (:meth:`SqueezeNextSpec.for_version`):

==== ============== ====== ========== =========================================
ver  blocks         conv1  shortcuts  source
==== ============== ====== ========== =========================================
v1   (6, 6, 8, 1)   7x7    v1         authors' ``1.0-SqNxt-23`` (confirmed)
v2   (6, 6, 8, 1)   5x5    v1         NOT confirmed from a primary source
v3   (4, 8, 8, 1)   5x5    v1         NOT confirmed from a primary source
v4   (2, 10, 8, 1)  5x5    v1         NOT confirmed from a primary source
v5   (2, 4, 14, 1)  5x5    v5         authors' ``1.0-SqNxt-23v5`` (confirmed)
==== ============== ====== ========== =========================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from hwsim.errors import ConfigError

#: Largest width multiplier: stage channels 32 x 2^i x width (width 8 gives 2048 .. 16384
#: channels, and tracing it already takes a while); wider networks would build weights for minutes.
MAX_WIDTH = 8.0
#: Stem output channels; not scaled by the width multiplier (authors' 2.0-SqNxt-23 keeps 64).
STEM_CHANNELS = 64
#: Block output channels of the first stage at width 1.0; each later stage doubles it.
BASE_STAGE_CHANNELS = 32
#: Output channels of the final 1x1 conv before global pooling; not scaled by width.
HEAD_CHANNELS = 128
#: Stride of conv1 and of the stem max-pool.
STEM_STRIDE = 2
#: Stem max-pool window (3x3, stride 2, Caffe ceil mode).
STEM_POOL_KERNEL = 3

CONV1_KERNELS = (5, 7)
SHORTCUT_STYLES = ("v1", "v5")

#: version -> (blocks per stage, conv1 kernel, shortcut style); see the module docstring.
VERSIONS: dict[int, tuple[tuple[int, int, int, int], int, str]] = {
    1: ((6, 6, 8, 1), 7, "v1"),
    2: ((6, 6, 8, 1), 5, "v1"),  # unconfirmed: docs/ZOO.md's choice
    3: ((4, 8, 8, 1), 5, "v1"),  # unconfirmed: docs/ZOO.md's choice
    4: ((2, 10, 8, 1), 5, "v1"),  # unconfirmed: docs/ZOO.md's choice
    5: ((2, 4, 14, 1), 5, "v5"),
}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class SqueezeNextSpec:
    """One SqueezeNext network, as data (no torch).

    Attributes:
        width: width multiplier of the stage channels (1.0, 1.5, 2.0 in the paper); the stem
            (64) and the head conv (128) are not scaled.
        blocks: number of blocks in each stage (at least 1 each; any number of stages >= 1;
            the paper uses four). Stage ``i`` has ``32 * 2**i * width`` output channels and
            every stage after the first halves the spatial size.
        conv1_kernel: stem conv kernel size: 7 (v1) or 5 (v2..v5).
        grouped: ``True`` for the ``G`` variant: groups = 2 on each block's first 1x1 and on
            both separable (3x1, 1x3) convs.
        shortcut: ``"v1"`` (projection shortcut in each stage's first block) or ``"v5"``
            (one shared 1x1 conv at each stage entry feeding the shortcut and the main path).
        num_classes: classifier outputs.
    """

    width: float = 1.0
    blocks: tuple[int, ...] = (6, 6, 8, 1)
    conv1_kernel: int = 7
    grouped: bool = False
    shortcut: str = "v1"
    num_classes: int = 1000

    def __post_init__(self) -> None:
        blocks = self.blocks
        if isinstance(blocks, list):
            blocks = tuple(blocks)
            object.__setattr__(self, "blocks", blocks)
        if not isinstance(blocks, tuple) or not blocks:
            raise ConfigError(
                "squeezenext: blocks must be a non-empty tuple of block counts per stage, "
                f"got {self.blocks!r}"
            )
        if not all(_is_int(b) and b >= 1 for b in blocks):
            raise ConfigError(
                f"squeezenext: blocks must be integers >= 1 (one per stage), got {blocks!r}"
            )
        width = self.width
        if isinstance(width, bool) or not isinstance(width, (int, float)) or not 0 < width <= MAX_WIDTH:
            raise ConfigError(f"squeezenext: width = {self.width!r}: expected a number > 0 and <= {MAX_WIDTH:g}")
        object.__setattr__(self, "width", float(self.width))
        if self.conv1_kernel not in CONV1_KERNELS or not _is_int(self.conv1_kernel):
            raise ConfigError(
                f"squeezenext: conv1_kernel must be one of {CONV1_KERNELS}, got {self.conv1_kernel!r}"
            )
        if not isinstance(self.grouped, bool):
            raise ConfigError(f"squeezenext: grouped must be true or false, got {self.grouped!r}")
        if self.shortcut not in SHORTCUT_STYLES:
            raise ConfigError(
                f"squeezenext: shortcut must be one of {SHORTCUT_STYLES}, got {self.shortcut!r}"
            )
        if not _is_int(self.num_classes) or self.num_classes < 1:
            raise ConfigError(
                f"squeezenext: num_classes must be an integer >= 1, got {self.num_classes!r}"
            )
        self._check_stage_channels()

    def _check_stage_channels(self) -> None:
        # Each block needs C/4 whole channels; the grouped variant splits C/4 into 2 groups.
        multiple = 8 if self.grouped else 4
        for i in range(len(self.blocks)):
            exact = BASE_STAGE_CHANNELS * 2**i * self.width
            if not math.isclose(exact, round(exact)) or round(exact) % multiple:
                raise ConfigError(
                    f"squeezenext: width {self.width} gives stage {i + 1} {exact:g} channels; "
                    f"expected a whole multiple of {multiple}"
                )

    @classmethod
    def for_version(
        cls, version: int, width: float = 1.0, grouped: bool = False, num_classes: int = 1000
    ) -> SqueezeNextSpec:
        """The published SqueezeNext-23 version ``version`` (1..5) at ``width``.

        v1 and v5 follow the authors' Caffe definitions; the allocations of v2, v3 and v4 are
        not confirmed from a primary source (see the module docstring).
        """
        if version not in VERSIONS or not _is_int(version):
            raise ConfigError(
                f"squeezenext: version must be one of {sorted(VERSIONS)}, got {version!r}"
            )
        blocks, conv1_kernel, shortcut = VERSIONS[version]
        return cls(
            width=width,
            blocks=blocks,
            conv1_kernel=conv1_kernel,
            grouped=grouped,
            shortcut=shortcut,
            num_classes=num_classes,
        )

    def as_kwargs(self) -> tuple[tuple[str, object], ...]:
        """The fields as ``(name, value)`` pairs, in declaration order (a ModelSpec's kwargs)."""
        return tuple((f.name, getattr(self, f.name)) for f in fields(self))

    @property
    def stage_channels(self) -> tuple[int, ...]:
        """Block output channels of each stage."""
        return tuple(
            round(BASE_STAGE_CHANNELS * 2**i * self.width) for i in range(len(self.blocks))
        )

    @property
    def depth(self) -> int:
        """Weighted layers counted as in the name "SqNxt-23": conv1 + blocks + the head 1x1."""
        return 1 + sum(self.blocks) + 1

    def stage_spatial_sizes(self, input_size: int) -> tuple[int, ...]:
        """Output height (= width) of each stage for a square ``input_size`` input, in pixels.

        conv1 (no padding, stride 2) and a 3x3/2 ceil-mode max-pool, then a stride-2 1x1 at
        the entry of every stage after the first. A size < 1 means the input is too small.
        """
        size = (input_size - self.conv1_kernel) // STEM_STRIDE + 1
        size = -(-(size - STEM_POOL_KERNEL) // STEM_STRIDE) + 1  # ceil mode
        sizes = [size]
        for _ in self.blocks[1:]:
            size = (size - 1) // 2 + 1
            sizes.append(size)
        return tuple(sizes)

    def check_input_size(self, input_size: int) -> None:
        """Raise :class:`ConfigError` if ``input_size`` is too small for this network."""
        minimum = self.conv1_kernel + STEM_STRIDE * (STEM_POOL_KERNEL - 1)
        if not _is_int(input_size) or input_size < minimum:
            raise ConfigError(
                f"squeezenext: input size must be an integer >= {minimum} pixels, got {input_size!r}"
            )
