"""SqueezeNext (Gholami et al., CVPR-W 2018), built from a :class:`SqueezeNextSpec`.

Follows the authors' Caffe definitions (github.com/amirgholami/SqueezeNext, ``*/train_val.prototxt``)
and the paper's Fig. 2 block and Table 1 (1.0-SqNxt-23), not the popular third-party PyTorch
port (which scales the stem, keeps a 7x7 conv1 in v5, uses v1 shortcuts everywhere and biases):

- stem: conv1 64 x k x k (k = 7 in v1, 5 in v2..v5), stride 2, no padding, BN, ReLU; max-pool
  3x3/2 in Caffe ceil mode. 64 channels at every width.
- stage ``i`` (0-based) has block output channels ``C = 32 * 2**i * width``; stages after the
  first halve the spatial size (55, 28, 14, 7 at 227 input for v1; 56, 28, 14, 7 for v5).
- block: ``conv1x1_a`` (to C/2, carries the stage stride in v1 style) -> ``conv1x1_b`` (to C/4)
  -> ``conv3x1`` (pad 1,0; to C/2) and ``conv1x3`` (pad 0,1; to C/2) -> ``conv1x1_c`` (to C)
  -> add the shortcut -> ReLU. The first separable conv takes C/4 channels, the second C/2.
  Blocks with an even index within their stage run 3x1 first, odd ones 1x3 first. The order
  restarts at every stage: this matches all published Caffe files, but they cannot tell it apart
  from a running alternation (their stages have even block counts, or one block), so for
  searched allocations with odd counts it is our choice, not a confirmed fact. Every conv has no bias and is followed by
  BN and ReLU, the shortcut convs included. The first 1x1 of the first block maps 64 -> 16.
- v1 shortcuts: a stage's first block has a 1x1 projection ``shortcut`` (input -> C, stride 2
  in stages 2-4); other blocks add their input.
- v5 shortcuts: each stage opens with one shared 1x1 conv ``stages.<i>.entry`` (input -> C,
  stride 2 in stages 2-4), as in the authors' ``1.0-SqNxt-23v5``: its C-channel output feeds
  both the identity shortcut and the main path of the stage's first block, whose first 1x1
  then maps C -> C/2; every block of the stage adds its input.
- grouped ("1.0-G"): groups = 2 on ``conv1x1_a``, ``conv3x1`` and ``conv1x3``.
- head: 1x1 conv to 128 (not scaled by width), BN, ReLU, global average pool, FC without bias.

Qualified names read like ``stages.0.blocks.3.conv1x1_a.conv``, ``stages.0.blocks.0.shortcut``
and ``stages.1.entry``.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from hwsim.models.squeezenext_spec import (
    HEAD_CHANNELS,
    STEM_CHANNELS,
    STEM_POOL_KERNEL,
    STEM_STRIDE,
    SqueezeNextSpec,
)

__all__ = ["ConvBNReLU", "SqueezeNext", "SqueezeNextBlock", "SqueezeNextStage", "squeezenext"]


class ConvBNReLU(nn.Sequential):
    """Conv (no bias) -> BatchNorm -> ReLU; children ``conv``, ``bn``, ``relu``."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int = 1,
        padding: int | tuple[int, int] = 0,
        groups: int = 1,
    ) -> None:
        super().__init__(
            OrderedDict(
                conv=nn.Conv2d(
                    in_channels, out_channels, kernel_size, stride, padding, groups=groups, bias=False
                ),
                bn=nn.BatchNorm2d(out_channels),
                relu=nn.ReLU(),
            )
        )


class SqueezeNextBlock(nn.Module):
    """One SqueezeNext block (paper Fig. 2): two 1x1 squeezes, 3x1 + 1x3, 1x1 expand, shortcut.

    Args:
        in_channels: block input channels.
        channels: block output channels C.
        stride: stride of ``conv1x1_a`` and of the projection shortcut (v1 style).
        projection: ``True`` gives the block a 1x1 projection ``shortcut``; ``False`` adds
            the input itself (it must have ``channels`` channels and ``stride`` must be 1).
        vertical_first: run ``conv3x1`` before ``conv1x3`` (else the reverse).
        groups: groups of ``conv1x1_a``, ``conv3x1`` and ``conv1x3`` (2 in the G variant).
    """

    def __init__(
        self,
        in_channels: int,
        channels: int,
        stride: int,
        projection: bool,
        vertical_first: bool,
        groups: int = 1,
    ) -> None:
        super().__init__()
        if not projection and (in_channels != channels or stride != 1):
            raise ValueError("an identity shortcut needs equal channels and stride 1")
        half, quarter = channels // 2, channels // 4
        self.vertical_first = vertical_first
        self.conv1x1_a = ConvBNReLU(in_channels, half, 1, stride=stride, groups=groups)
        self.conv1x1_b = ConvBNReLU(half, quarter, 1)
        # Registered in execution order so that printing the module reads top to bottom.
        if vertical_first:
            self.conv3x1 = ConvBNReLU(quarter, half, (3, 1), padding=(1, 0), groups=groups)
            self.conv1x3 = ConvBNReLU(half, half, (1, 3), padding=(0, 1), groups=groups)
        else:
            self.conv1x3 = ConvBNReLU(quarter, half, (1, 3), padding=(0, 1), groups=groups)
            self.conv3x1 = ConvBNReLU(half, half, (3, 1), padding=(1, 0), groups=groups)
        self.conv1x1_c = ConvBNReLU(half, channels, 1)
        self.shortcut = ConvBNReLU(in_channels, channels, 1, stride=stride) if projection else None
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1x1_b(self.conv1x1_a(x))
        if self.vertical_first:
            out = self.conv1x3(self.conv3x1(out))
        else:
            out = self.conv3x1(self.conv1x3(out))
        out = self.conv1x1_c(out)
        identity = x if self.shortcut is None else self.shortcut(x)
        return self.relu(out + identity)


class SqueezeNextStage(nn.Module):
    """A run of blocks at one resolution; ``entry`` is the v5 shared 1x1 (``None`` in v1)."""

    def __init__(
        self, in_channels: int, channels: int, num_blocks: int, stride: int, shortcut: str, groups: int
    ) -> None:
        super().__init__()
        shared = shortcut == "v5"
        self.entry = ConvBNReLU(in_channels, channels, 1, stride=stride) if shared else None
        blocks = []
        for index in range(num_blocks):
            first = index == 0
            blocks.append(
                SqueezeNextBlock(
                    in_channels=in_channels if first and not shared else channels,
                    channels=channels,
                    stride=stride if first and not shared else 1,
                    projection=first and not shared,
                    vertical_first=index % 2 == 0,
                    groups=groups,
                )
            )
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.entry is not None:
            x = self.entry(x)
        return self.blocks(x)


class SqueezeNext(nn.Module):
    """A SqueezeNext network; ``spec`` is kept as the (immutable) description it was built from."""

    def __init__(self, spec: SqueezeNextSpec) -> None:
        super().__init__()
        self.spec = spec
        self.stem = nn.Sequential(
            OrderedDict(
                conv1=ConvBNReLU(3, STEM_CHANNELS, spec.conv1_kernel, stride=STEM_STRIDE),
                pool1=nn.MaxPool2d(STEM_POOL_KERNEL, STEM_STRIDE, ceil_mode=True),
            )
        )
        groups = 2 if spec.grouped else 1
        stages = []
        in_channels = STEM_CHANNELS
        for index, (channels, num_blocks) in enumerate(zip(spec.stage_channels, spec.blocks)):
            stride = 1 if index == 0 else 2
            stages.append(
                SqueezeNextStage(in_channels, channels, num_blocks, stride, spec.shortcut, groups)
            )
            in_channels = channels
        self.stages = nn.Sequential(*stages)
        self.head = ConvBNReLU(in_channels, HEAD_CHANNELS, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(HEAD_CHANNELS, spec.num_classes, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.head(self.stages(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


def squeezenext(spec: SqueezeNextSpec, input_size: int = 227) -> SqueezeNext:
    """Build the network ``spec`` describes (random init).

    ``input_size`` (pixels, square) is only checked: the network itself accepts any size at
    least as large as the stem needs; raises :class:`hwsim.errors.ConfigError` if smaller.
    """
    spec.check_input_size(input_size)
    return SqueezeNext(spec)
