"""The ShuffleNet v1 search family: units over stages 2, 3 and 4 of Table 1, the groups chosen per candidate.

:data:`SHUFFLENET_V1` is the :class:`~hwsim.explore.search.families.base.Family`: the paper's 16
units spread over its 3 stages (at least one each; each stage's first unit has stride 2 and
concatenates an average-pooled shortcut), the number of groups g of the 1x1 convs (1, 2, 3, 4, 8)
as a choice, the scale factor as the ``width`` setting (0.25, 0.5, 1.0, 1.5, 2.0; the zoo's
``scale``), and the paper's 4-8-4 at every g marked as ``g1`` .. ``g8``.

Why the groups are a choice and not a setting: Table 1 sizes the channels of every g so that the
networks cost about the same (~140 MFLOPs at 1x), so the g are alternatives a designer picks
among, as SqueezeNext's conv1 kernel; and on a systolic array the groups run one after another
(docs/MODEL.md §1), so which g is fastest is a hardware question the ranking should answer.

Candidates are spliced from the templates of one traced reference network per g
(:mod:`~hwsim.explore.search.families.staged`); no torch is needed once they are cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hwsim.errors import ConfigError
from hwsim.explore.search.families.base import Choice, Family, Published, Setting, Variant
from hwsim.explore.search.families.staged import StagedNetworks, check_batch, counts, stage_blocks
from hwsim.models.shufflenet_spec import STAGE_UNITS, V1_GROUPS, V1_SCALES, check_shufflenet_v1

__all__ = ["NETWORKS", "SHUFFLENET_V1", "check_settings", "describe_settings"]


def check_settings(stages: int, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Table 1's 3 stages, a width (scale) of Table 1, positive classes and input size (pixels), a
    batch >= 1; the width as a float. Raises :class:`ConfigError`."""
    if stages != len(STAGE_UNITS):
        raise ConfigError(f"shufflenet_v1: stages={stages}; the family has the {len(STAGE_UNITS)} stages of "
                          "Table 1 (stages 2, 3, 4)")
    width = settings["width"]
    if isinstance(width, bool) or width not in V1_SCALES:
        raise ConfigError(f"shufflenet_v1: width (scale factor) must be one of {', '.join(map(str, V1_SCALES))}, "
                          f"got {width!r}")
    check_shufflenet_v1(V1_GROUPS[0], width, settings["num_classes"], settings["input_size"], STAGE_UNITS)
    check_batch("shufflenet_v1", settings)
    return {**settings, "width": float(width)}


def describe_settings(settings: Mapping[str, Any]) -> str:
    """``width 1.0``."""
    return f"width {settings['width']!r}"


def _model_kwargs(variant: Variant) -> dict[str, Any]:
    (groups,) = variant.choices
    return {"groups": groups, "scale": variant.setting("width"), "num_classes": variant.setting("num_classes")}


#: How ShuffleNet v1 networks are traced, cut into templates and assembled.
NETWORKS = StagedNetworks(
    family="shufflenet_v1",
    sources=("export", "graph", "models/mobilenet.py", "models/shufflenet.py", "models/shufflenet_spec.py"),
    prefix_of=stage_blocks,
    model_kwargs=_model_kwargs,
    label=lambda variant: f"g{variant.choices[0]}_{variant.setting('width')!r}",
    check=check_settings,
)

#: The ShuffleNet v1 family: 16 units over 3 stages, groups chosen per candidate, scale as ``width``.
SHUFFLENET_V1 = Family(
    name="shufflenet_v1",
    title="ShuffleNet v1",
    stages=len(STAGE_UNITS),
    blocks_total=sum(STAGE_UNITS),
    max_stages=len(STAGE_UNITS),
    load_templates=NETWORKS.load_templates,
    assemble=NETWORKS.assemble,
    counts=counts,
    choices=(Choice("groups", V1_GROUPS, V1_GROUPS, noun="group counts",
                    help="groups of the 1x1 convs to try", prose="g={value}"),),
    settings=(
        Setting("width", 1.0, help="width multiplier of the stage channels", per_row=True),
        Setting("num_classes", 1000),
        Setting("input_size", 224),
        Setting("batch", 1),
    ),
    published=tuple(Published(f"g{g}", STAGE_UNITS, (g,)) for g in V1_GROUPS),
    published_title="Published networks (Zhang et al. 2017, Table 1: 4-8-4 units at each g)",
    depth_note="units",
    check=check_settings,
    describe=describe_settings,
)
