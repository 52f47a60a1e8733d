"""ShuffleNet v1 (Zhang et al. 2017, Table 1) and ShuffleNet v2 (Ma et al. 2018, Table 5).

Every conv has no bias and is followed by batch-norm; the classifier FC has a bias. Both start
with conv1 3x3/2 (pad 1) + BN + ReLU and a 3x3/2 max-pool with ``padding=1``, run stages 2, 3,
4 (children ``stage2`` .. ``stage4``) of 4, 8, 4 units (``blocks`` gives other counts) whose
first unit has stride 2, and end in global average pooling, so any square input of at least 1
pixel works. The channel tables are in :mod:`hwsim.models.shufflenet_spec` (no torch).

Channel shuffle (:func:`channel_shuffle`) is written as view -> transpose -> reshape, which
torch.fx traces with shape propagation.

ShuffleNet v1 unit (``compress``, ``depthwise``, ``expand``, ``shortcut``): 1x1 group conv to
out/4 + BN + ReLU -> channel shuffle -> 3x3 depthwise (stride) + BN -> 1x1 group conv + BN ->
ReLU(input + branch) at stride 1, or ReLU(concat(3x3/2 avg-pool of the input, branch)) at
stride 2, where the branch then gives out - in channels. The first 1x1 of stage 2 is not
grouped. Stage output channels at scale 1.0 (Table 1): g=1 144, g=2 200, g=3 240, g=4 272,
g=8 384, doubling per stage. The scale factor s multiplies every channel count, the 24-channel
stem included (docs/ZOO.md). hwsim's rounding rule, which leaves every listed g=3 size and every
scale-1.0 size unchanged: stage channels are rounded to the nearest multiple of 4g (so the
bottleneck splits into g groups), and the stem is ``round(24 s)`` raised to the next count
that leaves the stage-2 branch (out - stem) divisible by g (for g=8 at 0.5x that gives 16, as
the authors' release uses). ``stem_channels`` overrides the stem: the authors' release
(github.com/megvii-model/ShuffleNet-Series, ShuffleNetV1) keeps a 24-channel stem at 1.5x
where the scaling rule gives 36.

ShuffleNet v2 (torchvision's layout; the authors' release builds stage 2's first unit slightly
differently): stride-1 unit: split the channels in halves, ``branch2`` (1x1 + BN + ReLU -> dw
3x3 + BN -> 1x1 + BN + ReLU) on the second half, concat with the first half, shuffle (2
groups). Stride-2 unit: ``branch1`` (dw 3x3/2 + BN -> 1x1 + BN + ReLU) and ``branch2`` both on
the full input, out/2 channels each, concat, shuffle. Then ``conv5`` 1x1 + BN + ReLU. Output
channels (stage 2/3/4, conv5): 0.5x 48/96/192, 1024; 1x 116/232/464, 1024; 1.5x 176/352/704,
1024; 2x 244/488/976, 2048.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from hwsim.errors import ConfigError
from hwsim.models.mobilenet import ConvBNAct
from hwsim.models.registry import check_positive_int
from hwsim.models.shufflenet_spec import (
    STAGE_UNITS,
    V1_STAGE2_CHANNELS,
    V2_CHANNELS,
    check_shufflenet_v1,
    check_shufflenet_v2,
)

__all__ = [
    "ShuffleNetV1",
    "ShuffleNetV2",
    "ShuffleUnitV1",
    "ShuffleUnitV2",
    "channel_shuffle",
    "shufflenet_v1",
    "shufflenet_v1_channels",
    "shufflenet_v2",
]

STEM_CHANNELS = 24


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Interleave the channels of ``groups`` equal groups (ShuffleNet v1 Fig. 1c)."""
    n, c, h, w = x.size()
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


def _stem_and_pool(stem_channels: int) -> tuple[nn.Module, nn.Module]:
    return ConvBNAct(3, stem_channels, 3, stride=2), nn.MaxPool2d(3, 2, padding=1)


class ShuffleUnitV1(nn.Module):
    """ShuffleNet v1 unit (Fig. 2b at stride 1, Fig. 2c at stride 2)."""

    def __init__(
        self, in_channels: int, out_channels: int, stride: int, groups: int, group_first: bool
    ) -> None:
        super().__init__()
        mid = out_channels // 4
        branch = out_channels - in_channels if stride == 2 else out_channels
        self.groups = groups
        self.compress = ConvBNAct(in_channels, mid, 1, groups=groups if group_first else 1)
        self.depthwise = ConvBNAct(mid, mid, 3, stride, groups=mid, activation=None)
        self.expand = ConvBNAct(mid, branch, 1, groups=groups, activation=None)
        self.shortcut = nn.AvgPool2d(3, 2, padding=1) if stride == 2 else None
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.compress(x)
        if self.groups > 1:
            out = channel_shuffle(out, self.groups)
        out = self.expand(self.depthwise(out))
        if self.shortcut is None:
            return self.relu(x + out)
        return self.relu(torch.cat([self.shortcut(x), out], 1))


def shufflenet_v1_channels(groups: int, scale: float) -> tuple[int, int, int, int]:
    """(stem, stage 2, stage 3, stage 4) output channels of ShuffleNet v1 (rule: module doc)."""
    multiple = 4 * groups
    stages = tuple(
        max(multiple, int(V1_STAGE2_CHANNELS[groups] * 2**i * scale / multiple + 0.5) * multiple)
        for i in range(3)
    )
    stem = max(1, int(STEM_CHANNELS * scale + 0.5))
    while (stages[0] - stem) % groups:
        stem += 1
    return (stem, *stages)  # type: ignore[return-value]


class ShuffleNetV1(nn.Module):
    """ShuffleNet v1 with ``units`` per stage; children ``stem``, ``maxpool``, ``stage2``..``stage4``,
    ``pool``, ``fc``."""

    def __init__(self, groups: int, channels: tuple[int, int, int, int], num_classes: int,
                 units: tuple[int, ...] = STAGE_UNITS) -> None:
        super().__init__()
        self.stem, self.maxpool = _stem_and_pool(channels[0])
        in_channels = channels[0]
        for index, (count, out_channels) in enumerate(zip(units, channels[1:], strict=True)):
            stage = []
            for unit in range(count):
                stage.append(
                    ShuffleUnitV1(
                        in_channels,
                        out_channels,
                        stride=2 if unit == 0 else 1,
                        groups=groups,
                        group_first=not (index == 0 and unit == 0),
                    )
                )
                in_channels = out_channels
            setattr(self, f"stage{index + 2}", nn.Sequential(*stage))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.stem(x))
        x = self.stage4(self.stage3(self.stage2(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


def shufflenet_v1(
    groups: int = 3,
    scale: float = 1.0,
    num_classes: int = 1000,
    input_size: int = 224,
    stem_channels: int | None = None,
    blocks: tuple[int, ...] = STAGE_UNITS,
) -> ShuffleNetV1:
    """Build ShuffleNet v1 with ``groups`` (1, 2, 3, 4, 8) at ``scale`` (0.25 .. 2.0) and
    ``blocks`` units in stages 2, 3, 4 (default: the paper's 4, 8, 4).

    ``stem_channels`` overrides conv1's channels (default: the scaling rule of the module
    docstring). ``input_size`` (pixels, square) is only checked.
    """
    units = check_shufflenet_v1(groups, scale, num_classes, input_size, blocks)
    channels = shufflenet_v1_channels(groups, float(scale))
    if stem_channels is not None:
        check_positive_int("shufflenet_v1", "stem_channels", stem_channels)
        if stem_channels >= channels[1] or (channels[1] - stem_channels) % groups:
            raise ConfigError(
                f"shufflenet_v1: stem_channels {stem_channels} must be below {channels[1]} and "
                f"leave {channels[1]} - stem_channels divisible by groups={groups}"
            )
        channels = (stem_channels, *channels[1:])
    return ShuffleNetV1(groups, channels, num_classes, units)


class ShuffleUnitV2(nn.Module):
    """ShuffleNet v2 unit (Fig. 3c at stride 1, Fig. 3d at stride 2)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        half = out_channels // 2
        self.stride = stride
        if stride == 2:
            self.branch1: nn.Module | None = nn.Sequential(
                OrderedDict(
                    dw=ConvBNAct(in_channels, in_channels, 3, 2, groups=in_channels, activation=None),
                    pw=ConvBNAct(in_channels, half, 1),
                )
            )
            branch2_in = in_channels
        else:
            self.branch1 = None
            branch2_in = half
        self.branch2 = nn.Sequential(
            OrderedDict(
                pw1=ConvBNAct(branch2_in, half, 1),
                dw=ConvBNAct(half, half, 3, stride, groups=half, activation=None),
                pw2=ConvBNAct(half, half, 1),
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.branch1 is None:
            kept, processed = x.chunk(2, dim=1)
            out = torch.cat([kept, self.branch2(processed)], 1)
        else:
            out = torch.cat([self.branch1(x), self.branch2(x)], 1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """ShuffleNet v2 with ``units`` per stage; children ``stem``, ``maxpool``, ``stage2``..``stage4``,
    ``conv5``, ``pool``, ``fc``."""

    def __init__(self, channels: tuple[int, int, int, int], num_classes: int,
                 units: tuple[int, ...] = STAGE_UNITS) -> None:
        super().__init__()
        self.stem, self.maxpool = _stem_and_pool(STEM_CHANNELS)
        in_channels = STEM_CHANNELS
        for index, (count, out_channels) in enumerate(zip(units, channels[:3], strict=True)):
            stage = [ShuffleUnitV2(in_channels, out_channels, 2)]
            stage += [ShuffleUnitV2(out_channels, out_channels, 1) for _ in range(count - 1)]
            setattr(self, f"stage{index + 2}", nn.Sequential(*stage))
            in_channels = out_channels
        self.conv5 = ConvBNAct(in_channels, channels[3], 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels[3], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.stem(x))
        x = self.conv5(self.stage4(self.stage3(self.stage2(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


def shufflenet_v2(scale: float = 1.0, num_classes: int = 1000, input_size: int = 224,
                  blocks: tuple[int, ...] = STAGE_UNITS) -> ShuffleNetV2:
    """Build ShuffleNet v2 at ``scale`` (0.5, 1.0, 1.5, 2.0; Table 5) with ``blocks`` units in
    stages 2, 3, 4 (default: the paper's 4, 8, 4).

    ``input_size`` (pixels, square) is only checked.
    """
    units = check_shufflenet_v2(scale, num_classes, input_size, blocks)
    return ShuffleNetV2(V2_CHANNELS[float(scale)], num_classes, units)
