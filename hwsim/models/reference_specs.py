"""Names of the reference networks (:mod:`hwsim.models.reference`), outside the zoo; torch-free.

``hwsim measure`` and ``hwsim calibrate`` take these names besides zoo names; they start with
``ref_`` so they never read as zoo models, and ``hwsim list models`` does not list them.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn

__all__ = ["REFERENCE_MODELS", "ReferenceSpec", "build_reference", "reference_spec"]


@dataclass(frozen=True)
class ReferenceSpec:
    """A reference network: its factory in :mod:`hwsim.models.reference` and its input."""

    name: str
    factory: str  #: function name in hwsim.models.reference
    input_shape: tuple[int, int, int]  #: (channels, height, width)
    description: str


REFERENCE_MODELS: Mapping[str, ReferenceSpec] = {
    spec.name: spec
    for spec in (
        ReferenceSpec("ref_vit_tiny", "vit_tiny", (3, 224, 224), "ViT, 192 dims, 4 blocks of 3 heads (calibration)"),
        ReferenceSpec("ref_resnet_mini", "resnet_mini", (3, 224, 224), "ResNet, 1 basic block per stage, 32-256 channels (calibration)"),
        ReferenceSpec("ref_vit_small", "vit_small", (3, 224, 224), "ViT, 384 dims, 6 blocks of 6 heads"),
        ReferenceSpec("ref_resnet18", "resnet18", (3, 224, 224), "ResNet-18"),
        ReferenceSpec("ref_efficientnet_se", "efficientnet_se", (3, 224, 224), "EfficientNet-B0-like with squeeze-excitation"),
    )
}


def reference_spec(name: str) -> ReferenceSpec | None:
    """The reference network called ``name``, else None."""
    return REFERENCE_MODELS.get(name)


def build_reference(spec: ReferenceSpec) -> nn.Module:
    """Build the network (imports torch)."""
    module = importlib.import_module("hwsim.models.reference")
    return getattr(module, spec.factory)()
