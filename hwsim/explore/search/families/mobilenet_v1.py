"""The MobileNet v1 search family: depthwise-separable pairs over the 5 stages of Table 1.

:data:`MOBILENET_V1` is the :class:`~hwsim.explore.search.families.base.Family`: the paper's 13
pairs spread over its 5 stages of (first stride, pointwise channels) (1, 64) (2, 128) (2, 256)
(2, 512) (2, 1024) (:mod:`hwsim.models.mobilenet_spec`), at least one pair each; the width
multiplier alpha and the input resolution (the paper's resolution multiplier rho, in pixels) as
settings; the paper's 1-2-2-6-2 marked as ``paper``. Candidates are spliced from the templates of
one traced reference network (:mod:`~hwsim.explore.search.families.staged`); no torch is needed
once they are cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hwsim.errors import ConfigError
from hwsim.explore.search.families.base import Family, Published, Setting, Variant
from hwsim.explore.search.families.staged import StagedNetworks, check_batch, counts, numbered_blocks
from hwsim.models.mobilenet_spec import V1_BLOCKS, V1_STAGES, check_mobilenet

__all__ = ["MOBILENET_V1", "NETWORKS", "check_settings", "describe_settings"]


def check_settings(stages: int, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Table 1's 5 stages, a positive width (as a float), positive classes and input size (pixels),
    a batch >= 1. Raises :class:`ConfigError`."""
    if stages != len(V1_STAGES):
        raise ConfigError(f"mobilenet_v1: stages={stages}; the family has the {len(V1_STAGES)} stages of "
                          "Table 1 (channels 64, 128, 256, 512, 1024)")
    check_mobilenet("mobilenet_v1", settings["width"], settings["num_classes"], settings["input_size"],
                    V1_BLOCKS, stages)
    check_batch("mobilenet_v1", settings)
    return {**settings, "width": float(settings["width"])}


def describe_settings(settings: Mapping[str, Any]) -> str:
    """``width 1.0, input 224``."""
    return f"width {settings['width']!r}, input {settings['input_size']}"


def _model_kwargs(variant: Variant) -> dict[str, Any]:
    return {"width": variant.setting("width"), "num_classes": variant.setting("num_classes")}


#: How MobileNet v1 networks are traced, cut into templates and assembled.
NETWORKS = StagedNetworks(
    family="mobilenet_v1",
    sources=("export", "graph", "models/mobilenet.py", "models/mobilenet_spec.py"),
    prefix_of=numbered_blocks,
    model_kwargs=_model_kwargs,
    label=lambda variant: f"{variant.setting('width')!r}_{variant.setting('input_size')}",
    check=check_settings,
)

#: The MobileNet v1 family: 13 separable pairs over 5 stages, width and resolution as settings.
MOBILENET_V1 = Family(
    name="mobilenet_v1",
    title="MobileNet v1",
    stages=len(V1_STAGES),
    blocks_total=sum(V1_BLOCKS),
    max_stages=len(V1_STAGES),
    load_templates=NETWORKS.load_templates,
    assemble=NETWORKS.assemble,
    counts=counts,
    settings=(
        Setting("width", 1.0, help="width multiplier of the stage channels", per_row=True),
        Setting("input_size", 224, help="input resolution in pixels (square; MobileNet's resolution multiplier)",
                per_row=True),
        Setting("num_classes", 1000),
        Setting("batch", 1),
    ),
    published=(Published("paper", V1_BLOCKS),),
    published_title="Published network (Howard et al. 2017, Table 1)",
    depth_note="depthwise-separable pairs",
    check=check_settings,
    describe=describe_settings,
)
