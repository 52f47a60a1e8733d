"""MobileNet v1 (Howard et al. 2017, Table 1) and MobileNet v2 (Sandler et al. 2018, Table 2).

Every conv has no bias and is followed by batch-norm; the classifier FC has a bias. The
networks end in global average pooling, so any square input of at least 1 pixel works
(``input_size`` is the resolution multiplier rho of v1, given in pixels). The stage tables and
the papers' blocks per stage are in :mod:`hwsim.models.mobilenet_spec` (no torch); ``blocks``
gives another number of blocks per stage (the block-allocation search builds these).

MobileNet v1: conv 3x3/2 32 (pad 1), BN, ReLU; depthwise-separable pairs ``blocks.<i>``
(``depthwise`` 3x3 + BN + ReLU, ``pointwise`` 1x1 + BN + ReLU), numbered through the network,
in 5 stages of (first stride, pointwise out) (1,64) (2,128) (2,256) (2,512) (2,1024) with
1, 2, 2, 6, 2 pairs by default: the paper's 13 pairs (1,64) (2,128) (1,128) (2,256) (1,256)
(2,512) 5x(1,512) (2,1024) (1,1024); global average pool; ``fc``. The width multiplier alpha
scales every channel count as in the authors' TF-slim release: ``max(int(c * alpha), 8)``.

MobileNet v2: conv 3x3/2 32, BN, ReLU6; inverted residual bottlenecks ``blocks.<i>`` (numbered
through the network) with (t, c, n, s) = (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1)
(6,160,3,2) (6,320,1,1), n given by ``blocks``:
``expand`` 1x1 to ``in * t`` (omitted when t = 1) + BN + ReLU6 -> ``depthwise`` 3x3 (stride s
in a run's first block) + BN + ReLU6 -> ``project`` 1x1 + BN (linear); the input is added when
the stride is 1 and the channels match. Then ``head`` 1x1 to 1280 + BN + ReLU6, global average
pool, dropout 0.2 and ``fc``. Channels are ``c * width`` rounded to a multiple of 8 (never more
than 10 % down), as the reference implementation's ``_make_divisible`` does; the last conv
stays 1280 for width < 1 and scales above (1792 at 1.4).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from hwsim.models.mobilenet_spec import V1_BLOCKS, V1_STAGES, V2_BLOCKS, V2_STAGES, check_mobilenet

__all__ = [
    "ConvBNAct",
    "DepthwiseSeparable",
    "InvertedResidual",
    "MobileNetV1",
    "MobileNetV2",
    "make_divisible",
    "mobilenet_v1",
    "mobilenet_v2",
]

V1_STEM = 32
V1_MIN_DEPTH = 8  # TF-slim's min_depth

V2_STEM = 32
V2_LAST = 1280
V2_DIVISOR = 8
V2_DROPOUT = 0.2


class ConvBNAct(nn.Sequential):
    """Conv (no bias) -> BatchNorm [-> activation]; children ``conv``, ``bn`` [, ``act``]."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        groups: int = 1,
        activation: type[nn.Module] | None = nn.ReLU,
    ) -> None:
        layers: OrderedDict[str, nn.Module] = OrderedDict(
            conv=nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size,
                stride,
                padding=kernel_size // 2,
                groups=groups,
                bias=False,
            ),
            bn=nn.BatchNorm2d(out_channels),
        )
        if activation is not None:
            layers["act"] = activation()
        super().__init__(layers)


class DepthwiseSeparable(nn.Sequential):
    """MobileNet v1 pair: ``depthwise`` 3x3 (stride) and ``pointwise`` 1x1, each + BN + ReLU."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__(
            OrderedDict(
                depthwise=ConvBNAct(in_channels, in_channels, 3, stride, groups=in_channels),
                pointwise=ConvBNAct(in_channels, out_channels, 1),
            )
        )


class MobileNetV1(nn.Module):
    """MobileNet v1 with ``blocks`` separable pairs per stage; children ``stem``, ``blocks``, ``pool``, ``fc``."""

    def __init__(self, width: float, num_classes: int, blocks: tuple[int, ...] = V1_BLOCKS) -> None:
        super().__init__()

        def depth(channels: int) -> int:
            return max(int(channels * width), V1_MIN_DEPTH)

        self.stem = ConvBNAct(3, depth(V1_STEM), 3, stride=2)
        in_channels = depth(V1_STEM)
        pairs = []
        for (first_stride, channels), repeats in zip(V1_STAGES, blocks, strict=True):
            for index in range(repeats):
                pairs.append(DepthwiseSeparable(in_channels, depth(channels), first_stride if index == 0 else 1))
                in_channels = depth(channels)
        self.blocks = nn.Sequential(*pairs)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.blocks(self.stem(x)))
        return self.fc(torch.flatten(x, 1))


def make_divisible(value: float, divisor: int = V2_DIVISOR) -> int:
    """``value`` rounded to the nearest multiple of ``divisor`` (at least ``divisor``),
    rounded up one more step if rounding lost more than 10 % (MobileNet v2 channel rule)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


class InvertedResidual(nn.Module):
    """MobileNet v2 bottleneck: [``expand``] -> ``depthwise`` -> ``project`` (+ input)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = int(round(in_channels * expansion))
        self.use_residual = stride == 1 and in_channels == out_channels
        self.expand = (
            ConvBNAct(in_channels, hidden, 1, activation=nn.ReLU6) if expansion != 1 else None
        )
        self.depthwise = ConvBNAct(hidden, hidden, 3, stride, groups=hidden, activation=nn.ReLU6)
        self.project = ConvBNAct(hidden, out_channels, 1, activation=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x if self.expand is None else self.expand(x)
        out = self.project(self.depthwise(out))
        return x + out if self.use_residual else out


class MobileNetV2(nn.Module):
    """MobileNet v2 with ``blocks`` bottlenecks per stage; children ``stem``, ``blocks``, ``head``,
    ``pool``, ``dropout``, ``fc``."""

    def __init__(self, width: float, num_classes: int, blocks: tuple[int, ...] = V2_BLOCKS) -> None:
        super().__init__()
        in_channels = make_divisible(V2_STEM * width)
        self.stem = ConvBNAct(3, in_channels, 3, stride=2, activation=nn.ReLU6)
        bottlenecks = []
        for (expansion, channels, first_stride), repeats in zip(V2_STAGES, blocks, strict=True):
            out_channels = make_divisible(channels * width)
            for index in range(repeats):
                stride = first_stride if index == 0 else 1
                bottlenecks.append(InvertedResidual(in_channels, out_channels, stride, expansion))
                in_channels = out_channels
        self.blocks = nn.Sequential(*bottlenecks)
        last = make_divisible(V2_LAST * max(1.0, width))
        self.head = ConvBNAct(in_channels, last, 1, activation=nn.ReLU6)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(V2_DROPOUT)
        self.fc = nn.Linear(last, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.head(self.blocks(self.stem(x))))
        return self.fc(self.dropout(torch.flatten(x, 1)))


def mobilenet_v1(width: float = 1.0, num_classes: int = 1000, input_size: int = 224,
                 blocks: tuple[int, ...] = V1_BLOCKS) -> MobileNetV1:
    """Build MobileNet v1 at width multiplier ``width`` (paper: 1.0, 0.75, 0.5, 0.25) with
    ``blocks`` separable pairs in each of its 5 stages (default: the paper's 1, 2, 2, 6, 2).

    ``input_size`` (pixels, square) is only checked; the network pools globally.
    """
    pairs = check_mobilenet("mobilenet_v1", width, num_classes, input_size, blocks, len(V1_STAGES))
    return MobileNetV1(float(width), num_classes, pairs)


def mobilenet_v2(width: float = 1.0, num_classes: int = 1000, input_size: int = 224,
                 blocks: tuple[int, ...] = V2_BLOCKS) -> MobileNetV2:
    """Build MobileNet v2 at width multiplier ``width`` (paper: 0.35 .. 1.4) with ``blocks``
    bottlenecks in each of its 7 stages (default: the paper's 1, 2, 3, 4, 3, 3, 1).

    ``input_size`` (pixels, square) is only checked; the network pools globally.
    """
    bottlenecks = check_mobilenet("mobilenet_v2", width, num_classes, input_size, blocks, len(V2_STAGES))
    return MobileNetV2(float(width), num_classes, bottlenecks)
