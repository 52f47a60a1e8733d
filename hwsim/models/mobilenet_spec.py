"""MobileNet v1 and v2 as data, without torch: the stage tables, the papers' blocks per stage, the checks.

:mod:`hwsim.models.mobilenet` builds the networks from these tables; the block-allocation search
(:mod:`hwsim.explore.search.families`) reads them without importing torch. A *stage* is a run
of blocks with the same output channels: its first block takes the stage's stride and channel
change, every other block keeps both (stride 1, ``c -> c``), so a network is its table plus the
number of blocks in each stage.

MobileNet v1 (Howard et al. 2017, Table 1): depthwise-separable pairs in 5 stages, (first
stride, pointwise output channels) (1, 64) (2, 128) (2, 256) (2, 512) (2, 1024), with
1, 2, 2, 6, 2 pairs: the paper's 13 pairs (1,64) (2,128) (1,128) (2,256) (1,256) (2,512)
5x(1,512) (2,1024) (1,1024).

MobileNet v2 (Sandler et al. 2018, Table 2): inverted residual bottlenecks in 7 stages,
(expansion t, output channels c, first stride s) (1,16,1) (6,24,2) (6,32,2) (6,64,2) (6,96,1)
(6,160,2) (6,320,1), with the paper's n = 1, 2, 3, 4, 3, 3, 1 blocks.
"""

from __future__ import annotations

from hwsim.errors import ConfigError
from hwsim.models.registry import check_blocks, check_positive_int

__all__ = [
    "V1_BLOCKS",
    "V1_STAGES",
    "V2_BLOCKS",
    "V2_STAGES",
    "check_mobilenet",
]

#: MobileNet v1 stages: (stride of the first pair, pointwise output channels).
V1_STAGES: tuple[tuple[int, int], ...] = ((1, 64), (2, 128), (2, 256), (2, 512), (2, 1024))
#: MobileNet v1 Table 1: separable pairs per stage (13 in all).
V1_BLOCKS: tuple[int, ...] = (1, 2, 2, 6, 2)

#: MobileNet v2 Table 2 without its n column: (expansion t, output channels c, first stride s).
V2_STAGES: tuple[tuple[int, int, int], ...] = (
    (1, 16, 1),
    (6, 24, 2),
    (6, 32, 2),
    (6, 64, 2),
    (6, 96, 1),
    (6, 160, 2),
    (6, 320, 1),
)
#: MobileNet v2 Table 2's n: bottlenecks per stage (17 in all).
V2_BLOCKS: tuple[int, ...] = (1, 2, 3, 4, 3, 3, 1)


def check_mobilenet(model: str, width: object, num_classes: object, input_size: object,
                    blocks: object, stages: int) -> tuple[int, ...]:
    """Check a MobileNet's arguments (``width`` > 0, ``num_classes`` and ``input_size`` in pixels
    positive integers, ``blocks`` per stage); the blocks as a tuple. Raises :class:`ConfigError`."""
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not width > 0:
        raise ConfigError(f"{model}: width must be a positive number, got {width!r}")
    check_positive_int(model, "num_classes", num_classes)
    check_positive_int(model, "input_size", input_size)
    return check_blocks(model, blocks, stages)
