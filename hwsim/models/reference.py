"""Reference networks outside the zoo: a small vision transformer, ResNets and an EfficientNet-like
network with squeeze-excitation, plain ``nn.Module`` s with random weights.

They calibrate the host latency model on the layer kinds the CNN zoo lacks (attention matmuls,
softmax, layer norm, GELU) and serve as well-known workloads for tests; they are not zoo models
(``hwsim list models`` does not show them). By name (``ref_vit_tiny`` ...) through
:mod:`hwsim.models.reference_specs` in ``hwsim measure`` and ``hwsim calibrate``, or as model
factories anywhere a model is accepted: ``hwsim profile hwsim/models/reference.py:resnet18
--input-size 224x224``.

- :class:`VisionTransformer`: patch embedding (a stride-p conv), a class token and position
  embedding, pre-norm blocks of multi-head self-attention written with ``@`` and ``softmax``
  (qkv linear, QK^T scaled, softmax, AV, projection) and a GELU MLP, a final LayerNorm and a
  linear head on the class token (ViT, Dosovitskiy et al. 2021).
- :class:`ResNet`: the basic-block ResNet (He et al. 2016): 7x7/2 conv, 3x3/2 max pool, four
  stages of two-conv residual blocks (1x1/2 projection shortcut where the shape changes),
  global average pool, linear.
- :class:`EfficientNetSE`: MBConv blocks (1x1 expand, depthwise kxk, squeeze-excitation with
  SiLU and sigmoid, 1x1 project, residual where shapes allow) after EfficientNet-B0 (Tan & Le
  2019), with fewer blocks.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = [
    "EfficientNetSE",
    "ResNet",
    "VisionTransformer",
    "efficientnet_se",
    "resnet18",
    "resnet_mini",
    "vit_small",
    "vit_tiny",
]


# ---------------------------------------------------------------------------------------------
# Vision transformer
# ---------------------------------------------------------------------------------------------
class Attention(nn.Module):
    """Multi-head self-attention: qkv linear, (q @ k^T) * d^-1/2, softmax, @ v, projection."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, dim = x.shape
        qkv = self.qkv(x).reshape(batch, tokens, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = (q @ k.transpose(-2, -1)) * self.scale
        weights = scores.softmax(dim=-1)
        out = (weights @ v).transpose(1, 2).reshape(batch, tokens, dim)
        return self.proj(out)


class Block(nn.Module):
    """x + attn(norm1(x)), then x + fc2(gelu(fc1(norm2(x))))."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, mlp_ratio * dim)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(mlp_ratio * dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(self.act(self.fc1(self.norm2(x))))


class VisionTransformer(nn.Module):
    """ViT on ``image`` x ``image`` inputs cut into ``patch`` x ``patch`` patches (one token each, plus the class token)."""

    def __init__(self, dim: int = 192, depth: int = 4, heads: int = 3, patch: int = 16, image: int = 224,
                 mlp_ratio: int = 4, classes: int = 1000) -> None:
        super().__init__()
        tokens = (image // patch) ** 2
        self.patch_embed = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens + 1, dim))
        self.blocks = nn.Sequential(*(Block(dim, heads, mlp_ratio) for _ in range(depth)))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        x = self.norm(self.blocks(x))
        return self.head(x[:, 0])


def vit_tiny() -> VisionTransformer:
    """ViT with 192 dims, 4 blocks of 3 heads, 16x16 patches of a 224x224 image (197 tokens): the
    calibration transformer."""
    return VisionTransformer(dim=192, depth=4, heads=3)


def vit_small() -> VisionTransformer:
    """ViT with 384 dims, 6 blocks of 6 heads, 16x16 patches of a 224x224 image (197 tokens)."""
    return VisionTransformer(dim=384, depth=6, heads=6)


# ---------------------------------------------------------------------------------------------
# ResNet
# ---------------------------------------------------------------------------------------------
def _conv_bn(c_in: int, c_out: int, kernel: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(c_out))


class BasicBlock(nn.Module):
    """relu(bn(conv3x3(relu(bn(conv3x3(x))))) + shortcut(x))."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = _conv_bn(c_in, c_out, 3, stride)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv_bn(c_out, c_out, 3, 1)
        self.shortcut = _conv_bn(c_in, c_out, 1, stride) if stride != 1 or c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.conv2(self.relu(self.conv1(x))) + self.shortcut(x))


class ResNet(nn.Module):
    """Basic-block ResNet with ``blocks[i]`` blocks of ``widths[i]`` channels in stage i."""

    def __init__(self, blocks: Sequence[int] = (2, 2, 2, 2), widths: Sequence[int] = (64, 128, 256, 512),
                 classes: int = 1000) -> None:
        super().__init__()
        self.stem = nn.Sequential(_conv_bn(3, widths[0], 7, 2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
        stages, c_in = [], widths[0]
        for index, (count, width) in enumerate(zip(blocks, widths)):
            stride = 1 if index == 0 else 2
            stages.append(nn.Sequential(*(BasicBlock(c_in if i == 0 else width, width, stride if i == 0 else 1)
                                          for i in range(count))))
            c_in = width
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c_in, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.stages(self.stem(x))), 1))


def resnet18() -> ResNet:
    """ResNet-18: two basic blocks per stage, 64-128-256-512 channels (1.82 GMACs at 224x224)."""
    return ResNet((2, 2, 2, 2), (64, 128, 256, 512))


def resnet_mini() -> ResNet:
    """One basic block per stage, 32-64-128-256 channels: the calibration ResNet."""
    return ResNet((1, 1, 1, 1), (32, 64, 128, 256))


# ---------------------------------------------------------------------------------------------
# EfficientNet-like with squeeze-excitation
# ---------------------------------------------------------------------------------------------
class SqueezeExcite(nn.Module):
    """x * sigmoid(conv1x1(silu(conv1x1(mean over H, W of x))))."""

    def __init__(self, channels: int, reduced: int) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, reduced, 1)
        self.act = nn.SiLU()
        self.expand = nn.Conv2d(reduced, channels, 1)
        self.gate = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(self.expand(self.act(self.reduce(self.pool(x)))))


class MBConv(nn.Module):
    """1x1 expand (ratio), depthwise kxk, squeeze-excitation (1/4 of the input channels), 1x1 project."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, ratio: int) -> None:
        super().__init__()
        hidden = c_in * ratio
        self.expand = nn.Sequential(_conv_bn(c_in, hidden, 1, 1), nn.SiLU()) if ratio != 1 else nn.Identity()
        self.depthwise = nn.Sequential(nn.Conv2d(hidden, hidden, kernel, stride, kernel // 2, groups=hidden, bias=False),
                                       nn.BatchNorm2d(hidden), nn.SiLU())
        self.se = SqueezeExcite(hidden, max(1, c_in // 4))
        self.project = _conv_bn(hidden, c_out, 1, 1)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.se(self.depthwise(self.expand(x))))
        return x + y if self.residual else y


class EfficientNetSE(nn.Module):
    """Stem 3x3/2 conv, MBConv stages (ratio, channels, blocks, stride, kernel), 1x1 head conv, pool, linear."""

    STAGES = ((1, 16, 1, 1, 3), (6, 24, 2, 2, 3), (6, 40, 2, 2, 5), (6, 80, 2, 2, 3), (6, 112, 1, 1, 5))

    def __init__(self, classes: int = 1000) -> None:
        super().__init__()
        self.stem = nn.Sequential(_conv_bn(3, 32, 3, 2), nn.SiLU())
        blocks, c_in = [], 32
        for ratio, width, count, stride, kernel in self.STAGES:
            for i in range(count):
                blocks.append(MBConv(c_in, width, kernel, stride if i == 0 else 1, ratio))
                c_in = width
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(_conv_bn(c_in, 640, 1, 1), nn.SiLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(640, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.head(self.blocks(self.stem(x)))), 1))


def efficientnet_se() -> EfficientNetSE:
    """EfficientNet-B0-like: five MBConv stages (8 blocks) with squeeze-excitation and SiLU."""
    return EfficientNetSE()
