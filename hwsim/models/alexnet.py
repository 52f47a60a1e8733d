"""AlexNet (Krizhevsky, Sutskever, Hinton, NIPS 2012, Section 3 and Figure 2).

Two variants, both with biases on every conv and FC and no batch-norm, as in the original:

- ``grouped=True`` (registry ``alexnet_grouped``): the paper's two-tower network as one graph:
  conv1 96 11x11/4 (no padding; 55x55 at 227), ReLU, LRN, max-pool 3x3/2; conv2 256 5x5 pad 2
  groups 2, ReLU, LRN, max-pool; conv3 384 3x3 pad 1; conv4 384 3x3 pad 1 groups 2; conv5 256
  3x3 pad 1 groups 2, max-pool (6x6 at 227). LRN uses the paper's constants (Section 3.3:
  size 5, alpha 1e-4, beta 0.75, k 2) via ``nn.LocalResponseNorm``.
- ``grouped=False`` (registry ``alexnet``): the common single-tower version in torchvision's
  layout: conv 64 11x11/4 pad 2, conv 192 5x5 pad 2, convs 384, 256, 256 3x3 pad 1, no LRN.

The grouped net pools 3x3/2 in Caffe ceil mode, the single tower in floor mode as torchvision
(docs/ZOO.md); both end in the paper's classifier: dropout, fc6 4096, ReLU, dropout, fc7 4096,
ReLU, fc8. fc6's input size follows from ``input_size`` (no adaptive pooling): 256x6x6 for both
at 227 (the single tower's padded conv1 gives 56x56, floor pooling 27, 13, 6) and at 224. So the
single tower has torchvision's 61,100,840 parameters at 227 and 224; torchvision's
``AdaptiveAvgPool2d((6, 6))`` is left out, as at these sizes it receives 6x6 and passes it on.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from hwsim.errors import ConfigError
from hwsim.models.registry import check_positive_int

__all__ = ["AlexNet", "alexnet", "feature_size"]

LRN_SIZE, LRN_ALPHA, LRN_BETA, LRN_K = 5, 1e-4, 0.75, 2.0  # paper, Section 3.3


def _pool(size: int, ceil_mode: bool) -> int:
    """Output size of a 3x3/2 max-pool (no padding), in ceil or floor mode."""
    return (-(-(size - 3) // 2) if ceil_mode else (size - 3) // 2) + 1


def feature_size(input_size: int, grouped: bool) -> int:
    """Height (= width) of conv5's pooled output for a square input of ``input_size`` pixels.

    Raises :class:`ConfigError` if the input is too small for the three pools.
    """
    conv1 = (input_size - 11) // 4 + 1 if grouped else (input_size + 2 * 2 - 11) // 4 + 1
    size = conv1
    for _ in range(3):  # pool1, pool2, pool5; the convs between keep the size
        if size < 3:
            raise ConfigError(f"alexnet: input size {input_size} is too small (pixels)")
        size = _pool(size, ceil_mode=grouped)
    return size


class AlexNet(nn.Module):
    """AlexNet; children ``features`` (conv1..pool5) and ``classifier`` (fc6..fc8)."""

    def __init__(self, grouped: bool, num_classes: int, input_size: int, dropout: float) -> None:
        super().__init__()
        if grouped:
            widths, groups, conv1_padding = (96, 256, 384, 384, 256), (1, 2, 1, 2, 2), 0
        else:
            widths, groups, conv1_padding = (64, 192, 384, 256, 256), (1, 1, 1, 1, 1), 2
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        layers["conv1"] = nn.Conv2d(3, widths[0], 11, stride=4, padding=conv1_padding)
        layers["relu1"] = nn.ReLU()
        if grouped:
            layers["norm1"] = nn.LocalResponseNorm(LRN_SIZE, LRN_ALPHA, LRN_BETA, LRN_K)
        layers["pool1"] = nn.MaxPool2d(3, 2, ceil_mode=grouped)
        layers["conv2"] = nn.Conv2d(widths[0], widths[1], 5, padding=2, groups=groups[1])
        layers["relu2"] = nn.ReLU()
        if grouped:
            layers["norm2"] = nn.LocalResponseNorm(LRN_SIZE, LRN_ALPHA, LRN_BETA, LRN_K)
        layers["pool2"] = nn.MaxPool2d(3, 2, ceil_mode=grouped)
        for index in (3, 4, 5):
            layers[f"conv{index}"] = nn.Conv2d(
                widths[index - 2], widths[index - 1], 3, padding=1, groups=groups[index - 1]
            )
            layers[f"relu{index}"] = nn.ReLU()
        layers["pool5"] = nn.MaxPool2d(3, 2, ceil_mode=grouped)
        self.features = nn.Sequential(layers)
        size = feature_size(input_size, grouped)
        self.classifier = nn.Sequential(
            OrderedDict(
                drop6=nn.Dropout(dropout),
                fc6=nn.Linear(widths[-1] * size * size, 4096),
                relu6=nn.ReLU(),
                drop7=nn.Dropout(dropout),
                fc7=nn.Linear(4096, 4096),
                relu7=nn.ReLU(),
                fc8=nn.Linear(4096, num_classes),
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


def alexnet(
    grouped: bool = False, num_classes: int = 1000, input_size: int = 227, dropout: float = 0.5
) -> AlexNet:
    """Build AlexNet (random init); ``input_size`` is the square input in pixels and sizes fc6."""
    if not isinstance(grouped, bool):
        raise ConfigError(f"alexnet: grouped must be true or false, got {grouped!r}")
    check_positive_int("alexnet", "num_classes", num_classes)
    check_positive_int("alexnet", "input_size", input_size)
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ConfigError(f"alexnet: dropout must be in [0, 1), got {dropout!r}")
    return AlexNet(grouped, num_classes, input_size, dropout)

