"""The MobileNet v2 search family: inverted residual bottlenecks over the 7 stages of Table 2.

:data:`MOBILENET_V2` is the :class:`~hwsim.explore.search.families.base.Family`: the paper's 17
bottlenecks spread over the 7 rows of Table 2, (expansion, channels, first stride) (1, 16, 1)
(6, 24, 2) (6, 32, 2) (6, 64, 2) (6, 96, 1) (6, 160, 2) (6, 320, 1)
(:mod:`hwsim.models.mobilenet_spec`), at least one each; the width multiplier and the input
resolution (pixels) as settings; the paper's n = 1-2-3-4-3-3-1 marked as ``paper``. Candidates
are spliced from the templates of one traced reference network
(:mod:`~hwsim.explore.search.families.staged`); no torch is needed once they are cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hwsim.errors import ConfigError
from hwsim.explore.search.families.base import Family, Published, Setting, Variant
from hwsim.explore.search.families.staged import StagedNetworks, check_batch, counts, numbered_blocks
from hwsim.models.mobilenet_spec import V2_BLOCKS, V2_STAGES, check_mobilenet

__all__ = ["MOBILENET_V2", "NETWORKS", "check_settings", "describe_settings"]


def check_settings(stages: int, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Table 2's 7 stages, a positive width (as a float), positive classes and input size (pixels),
    a batch >= 1. Raises :class:`ConfigError`."""
    if stages != len(V2_STAGES):
        raise ConfigError(f"mobilenet_v2: stages={stages}; the family has the {len(V2_STAGES)} stages of "
                          "Table 2 (channels 16, 24, 32, 64, 96, 160, 320)")
    check_mobilenet("mobilenet_v2", settings["width"], settings["num_classes"], settings["input_size"],
                    V2_BLOCKS, stages)
    check_batch("mobilenet_v2", settings)
    return {**settings, "width": float(settings["width"])}


def describe_settings(settings: Mapping[str, Any]) -> str:
    """``width 1.0, input 224``."""
    return f"width {settings['width']!r}, input {settings['input_size']}"


def _model_kwargs(variant: Variant) -> dict[str, Any]:
    return {"width": variant.setting("width"), "num_classes": variant.setting("num_classes")}


#: How MobileNet v2 networks are traced, cut into templates and assembled.
NETWORKS = StagedNetworks(
    family="mobilenet_v2",
    sources=("export", "graph", "models/mobilenet.py", "models/mobilenet_spec.py"),
    prefix_of=numbered_blocks,
    model_kwargs=_model_kwargs,
    label=lambda variant: f"{variant.setting('width')!r}_{variant.setting('input_size')}",
    check=check_settings,
)

#: The MobileNet v2 family: 17 bottlenecks over 7 stages, width and resolution as settings.
MOBILENET_V2 = Family(
    name="mobilenet_v2",
    title="MobileNet v2",
    stages=len(V2_STAGES),
    blocks_total=sum(V2_BLOCKS),
    max_stages=len(V2_STAGES),
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
    published=(Published("paper", V2_BLOCKS),),
    published_title="Published network (Sandler et al. 2018, Table 2)",
    depth_note="bottleneck blocks",
    check=check_settings,
    describe=describe_settings,
)
