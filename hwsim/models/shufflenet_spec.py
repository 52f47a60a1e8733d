"""ShuffleNet v1 and v2 as data, without torch: channel tables, the papers' units per stage, the checks.

:mod:`hwsim.models.shufflenet` builds the networks from these tables; the block-allocation
search (:mod:`hwsim.explore.search.families`) reads them without importing torch. Both networks
have stages 2, 3 and 4; each stage's first unit has stride 2 and changes the channels, every
other unit keeps both, so a network is its channel table plus the number of units per stage
(the papers': 4, 8, 4; ShuffleNet v1 Table 1, ShuffleNet v2 Table 5).
"""

from __future__ import annotations

from hwsim.models.registry import check_blocks, check_choice, check_positive_int

__all__ = [
    "STAGE_UNITS",
    "V1_GROUPS",
    "V1_SCALES",
    "V1_STAGE2_CHANNELS",
    "V2_CHANNELS",
    "check_shufflenet_v1",
    "check_shufflenet_v2",
]

#: Units in stages 2, 3 and 4 (both papers).
STAGE_UNITS: tuple[int, ...] = (4, 8, 4)
#: ShuffleNet v1 Table 1: stage-2 output channels at scale 1.0 by groups g.
V1_STAGE2_CHANNELS: dict[int, int] = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}
V1_GROUPS: tuple[int, ...] = tuple(V1_STAGE2_CHANNELS)
V1_SCALES: tuple[float, ...] = (0.25, 0.5, 1.0, 1.5, 2.0)
#: ShuffleNet v2 Table 5: scale -> (stage 2, 3, 4 output channels, conv5 channels).
V2_CHANNELS: dict[float, tuple[int, int, int, int]] = {
    0.5: (48, 96, 192, 1024),
    1.0: (116, 232, 464, 1024),
    1.5: (176, 352, 704, 1024),
    2.0: (244, 488, 976, 2048),
}


def _check_common(model: str, num_classes: object, input_size: object, units: object) -> tuple[int, ...]:
    check_positive_int(model, "num_classes", num_classes)
    check_positive_int(model, "input_size", input_size)
    return check_blocks(model, units, len(STAGE_UNITS))


def check_shufflenet_v1(groups: object, scale: object, num_classes: object, input_size: object,
                        blocks: object) -> tuple[int, ...]:
    """Check ShuffleNet v1's arguments (``groups`` and ``scale`` from the tables, ``num_classes``
    and ``input_size`` in pixels positive, ``blocks``: units per stage); the units as a tuple.
    Raises :class:`~hwsim.errors.ConfigError`."""
    check_choice("shufflenet_v1", "groups", groups, V1_GROUPS)
    check_choice("shufflenet_v1", "scale", scale, V1_SCALES)
    return _check_common("shufflenet_v1", num_classes, input_size, blocks)


def check_shufflenet_v2(scale: object, num_classes: object, input_size: object, blocks: object) -> tuple[int, ...]:
    """Check ShuffleNet v2's arguments (``scale`` from Table 5, ``num_classes`` and ``input_size``
    in pixels positive, ``blocks``: units per stage); the units as a tuple.
    Raises :class:`~hwsim.errors.ConfigError`."""
    check_choice("shufflenet_v2", "scale", scale, tuple(V2_CHANNELS))
    return _check_common("shufflenet_v2", num_classes, input_size, blocks)
