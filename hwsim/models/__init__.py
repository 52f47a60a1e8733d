"""The model zoo: AlexNet, SqueezeNet, SqueezeNext, MobileNet v1/v2, ShuffleNet v1/v2.

One module per family builds plain ``nn.Module`` s with random weights (nothing is
downloaded); docs/ZOO.md states the architecture facts each follows. This package
and its registry import without torch; only :func:`build_model` / :func:`build_squeezenext`
import it. Networks outside the zoo (a ViT, ResNets, an EfficientNet-like network, for host
calibration and tests) are in :mod:`hwsim.models.reference`, named in
:mod:`hwsim.models.reference_specs` (``ref_*``); the zoo's registry does not list them.
"""

from hwsim.models.registry import (
    ModelSpec,
    build_model,
    build_squeezenext,
    model_names,
    resolve_model,
    squeezenext_spec,
)
from hwsim.models.squeezenext_spec import SqueezeNextSpec

__all__ = [
    "ModelSpec",
    "SqueezeNextSpec",
    "build_model",
    "build_squeezenext",
    "model_names",
    "resolve_model",
    "squeezenext_spec",
]
