"""The ShuffleNet v2 search family: units over stages 2, 3 and 4 of Table 5.

:data:`SHUFFLENET_V2` is the :class:`~hwsim.explore.search.families.base.Family`: the paper's 16
units spread over its 3 stages (at least one each; each stage's first unit has stride 2 and runs
both branches on the whole input), the scale factor as the ``width`` setting (0.5, 1.0, 1.5, 2.0
of Table 5; the zoo's ``scale``), and the paper's 4-8-4 marked as ``paper``. The family has no
other knob: Table 5 fixes the channels of each scale. Candidates are spliced from the templates
of one traced reference network (:mod:`~hwsim.explore.search.families.staged`); no torch is
needed once they are cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hwsim.errors import ConfigError
from hwsim.explore.search.families.base import Family, Published, Setting, Variant
from hwsim.explore.search.families.staged import StagedNetworks, check_batch, counts, stage_blocks
from hwsim.models.shufflenet_spec import STAGE_UNITS, V2_CHANNELS, check_shufflenet_v2

__all__ = ["NETWORKS", "SHUFFLENET_V2", "check_settings", "describe_settings"]


def check_settings(stages: int, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Table 5's 3 stages, a width (scale) of Table 5, positive classes and input size (pixels), a
    batch >= 1; the width as a float. Raises :class:`ConfigError`."""
    if stages != len(STAGE_UNITS):
        raise ConfigError(f"shufflenet_v2: stages={stages}; the family has the {len(STAGE_UNITS)} stages of "
                          "Table 5 (stages 2, 3, 4)")
    width = settings["width"]
    if isinstance(width, bool) or width not in V2_CHANNELS:
        raise ConfigError(f"shufflenet_v2: width (scale factor) must be one of {', '.join(map(str, V2_CHANNELS))}, "
                          f"got {width!r}")
    check_shufflenet_v2(width, settings["num_classes"], settings["input_size"], STAGE_UNITS)
    check_batch("shufflenet_v2", settings)
    return {**settings, "width": float(width)}


def describe_settings(settings: Mapping[str, Any]) -> str:
    """``width 1.0``."""
    return f"width {settings['width']!r}"


def _model_kwargs(variant: Variant) -> dict[str, Any]:
    return {"scale": variant.setting("width"), "num_classes": variant.setting("num_classes")}


#: How ShuffleNet v2 networks are traced, cut into templates and assembled.
NETWORKS = StagedNetworks(
    family="shufflenet_v2",
    sources=("export", "graph", "models/mobilenet.py", "models/shufflenet.py", "models/shufflenet_spec.py"),
    prefix_of=stage_blocks,
    model_kwargs=_model_kwargs,
    label=lambda variant: repr(variant.setting("width")),
    check=check_settings,
)

#: The ShuffleNet v2 family: 16 units over 3 stages, scale as ``width``.
SHUFFLENET_V2 = Family(
    name="shufflenet_v2",
    title="ShuffleNet v2",
    stages=len(STAGE_UNITS),
    blocks_total=sum(STAGE_UNITS),
    max_stages=len(STAGE_UNITS),
    load_templates=NETWORKS.load_templates,
    assemble=NETWORKS.assemble,
    counts=counts,
    settings=(
        Setting("width", 1.0, help="width multiplier of the stage channels", per_row=True),
        Setting("num_classes", 1000),
        Setting("input_size", 224),
        Setting("batch", 1),
    ),
    published=(Published("paper", STAGE_UNITS),),
    published_title="Published network (Ma et al. 2018, Table 5)",
    depth_note="units",
    check=check_settings,
    describe=describe_settings,
)
