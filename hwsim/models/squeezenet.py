"""SqueezeNet v1.0 and v1.1, with the paper's bypass variants (Iandola et al. 2016).

Follows Table 1 (v1.0), Section 6 (simple and complex bypass) and the authors' v1.1 release
(github.com/forresti/SqueezeNet, "SqueezeNet_v1.1": 2.4x less computation than v1.0, same
accuracy). Every conv carries a bias and no batch-norm, as in the original Caffe models.

Fire module ``fire<i>`` (Section 3.2): ``squeeze`` 1x1 (s) -> ReLU -> [``expand1x1`` (e1) -> ReLU,
``expand3x3`` pad 1 (e3) -> ReLU] -> channel concat (e1 + e3 channels).

- v1.0: conv1 96 7x7/2; pool1; fire2 (16,64,64) fire3 (16,64,64) fire4 (32,128,128); pool4;
  fire5 (32,128,128) fire6 (48,192,192) fire7 (48,192,192) fire8 (64,256,256); pool8;
  fire9 (64,256,256); dropout 0.5; conv10 1x1 num_classes; ReLU; global average pool.
- v1.1: conv1 64 3x3/2; pools after conv1, fire3 and fire5; the same fires and classifier.
- ``bypass="simple"``: an identity shortcut added to the output of fire3, fire5, fire7, fire9
  (their input and output channel counts match). ``bypass="complex"``: those plus a 1x1 conv
  ``shortcut`` (with bias) around fire2, fire4, fire6, fire8. The paper defines both on v1.0;
  the same positions also fit v1.1.

Max-pools are 3x3/2 in Caffe ceil mode (55, 27, 13 at 227 input for v1.0).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from hwsim.errors import ConfigError
from hwsim.models.registry import check_choice, check_positive_int

__all__ = ["Fire", "SqueezeNet", "squeezenet"]

VERSIONS = ("1_0", "1_1")
BYPASSES = ("none", "simple", "complex")

#: (squeeze s, expand e1, expand e3) of fire2..fire9, Table 1 (the same in v1.1).
FIRE_CHANNELS = (
    (16, 64, 64),
    (16, 64, 64),
    (32, 128, 128),
    (32, 128, 128),
    (48, 192, 192),
    (48, 192, 192),
    (64, 256, 256),
    (64, 256, 256),
)
#: version -> (conv1 channels, conv1 kernel, fire indices followed by a max-pool)
STEMS = {"1_0": (96, 7, (4, 8)), "1_1": (64, 3, (3, 5))}
SIMPLE_BYPASS_FIRES = (3, 5, 7, 9)
COMPLEX_BYPASS_FIRES = (2, 4, 6, 8)


class Fire(nn.Module):
    """Fire module with an optional bypass.

    Args:
        in_channels: input channels.
        squeeze, expand1x1, expand3x3: filter counts s, e1, e3; the output has e1 + e3 channels.
        bypass: ``"none"``, ``"identity"`` (adds the input; needs in == e1 + e3) or ``"conv"``
            (adds a 1x1 conv of the input, child ``shortcut``).
    """

    def __init__(
        self, in_channels: int, squeeze: int, expand1x1: int, expand3x3: int, bypass: str = "none"
    ) -> None:
        super().__init__()
        out_channels = expand1x1 + expand3x3
        if bypass == "identity" and in_channels != out_channels:
            raise ValueError("an identity bypass needs equal input and output channels")
        self.squeeze = nn.Conv2d(in_channels, squeeze, 1)
        self.squeeze_relu = nn.ReLU()
        self.expand1x1 = nn.Conv2d(squeeze, expand1x1, 1)
        self.expand1x1_relu = nn.ReLU()
        self.expand3x3 = nn.Conv2d(squeeze, expand3x3, 3, padding=1)
        self.expand3x3_relu = nn.ReLU()
        self.identity_bypass = bypass == "identity"
        self.shortcut = nn.Conv2d(in_channels, out_channels, 1) if bypass == "conv" else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.squeeze_relu(self.squeeze(x))
        out = torch.cat(
            [self.expand1x1_relu(self.expand1x1(s)), self.expand3x3_relu(self.expand3x3(s))], 1
        )
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        elif self.identity_bypass:
            out = out + x
        return out


def _fire_bypass(index: int, bypass: str) -> str:
    if bypass in ("simple", "complex") and index in SIMPLE_BYPASS_FIRES:
        return "identity"
    if bypass == "complex" and index in COMPLEX_BYPASS_FIRES:
        return "conv"
    return "none"


class SqueezeNet(nn.Module):
    """SqueezeNet; children ``features`` (conv1..fire9) and ``classifier`` (drop9..pool10)."""

    def __init__(self, version: str, bypass: str, num_classes: int) -> None:
        super().__init__()
        conv1_channels, conv1_kernel, pooled_after = STEMS[version]
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        layers["conv1"] = nn.Conv2d(3, conv1_channels, conv1_kernel, stride=2)
        layers["relu1"] = nn.ReLU()
        layers["pool1"] = nn.MaxPool2d(3, 2, ceil_mode=True)
        in_channels = conv1_channels
        for index, (s, e1, e3) in enumerate(FIRE_CHANNELS, start=2):
            layers[f"fire{index}"] = Fire(in_channels, s, e1, e3, _fire_bypass(index, bypass))
            in_channels = e1 + e3
            if index in pooled_after:
                layers[f"pool{index}"] = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.features = nn.Sequential(layers)
        self.classifier = nn.Sequential(
            OrderedDict(
                drop9=nn.Dropout(0.5),
                conv10=nn.Conv2d(in_channels, num_classes, 1),
                relu10=nn.ReLU(),
                pool10=nn.AdaptiveAvgPool2d(1),
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.classifier(self.features(x)), 1)


def pooled_sizes(version: str, input_size: int) -> tuple[int, ...]:
    """Height (= width) after each of the three 3x3/2 ceil-mode max-pools, in pixels.

    Raises :class:`ConfigError` if a pool would see fewer than 3 pixels.
    """
    _, conv1_kernel, _ = STEMS[version]
    size = (input_size - conv1_kernel) // 2 + 1  # conv1: stride 2, no padding
    sizes = []
    for _ in range(3):
        if size < 3:
            raise ConfigError(f"squeezenet: input size {input_size} is too small (pixels)")
        size = -(-(size - 3) // 2) + 1
        sizes.append(size)
    return tuple(sizes)


def squeezenet(
    version: str = "1_0", bypass: str = "none", num_classes: int = 1000, input_size: int = 227
) -> SqueezeNet:
    """Build SqueezeNet ``version`` ("1_0" or "1_1") with ``bypass`` ("none", "simple", "complex").

    ``input_size`` (pixels, square) is only checked (see :func:`pooled_sizes`).
    """
    check_choice("squeezenet", "version", version, VERSIONS)
    check_choice("squeezenet", "bypass", bypass, BYPASSES)
    check_positive_int("squeezenet", "num_classes", num_classes)
    check_positive_int("squeezenet", "input_size", input_size)
    pooled_sizes(version, input_size)
    return SqueezeNet(version, bypass, num_classes)
