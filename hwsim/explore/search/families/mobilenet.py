"""What the MobileNet v1 and v2 search families share: a family of one MobileNet version, built
from its stage table (:mod:`hwsim.models.mobilenet_spec`).

Blocks (separable pairs or bottlenecks) are spread over the paper's stages, at least one each;
the width multiplier and the input resolution (the paper's resolution multiplier, in pixels) are
settings; the paper's blocks per stage are marked as ``paper``. Candidates are spliced from the
templates of one traced reference network (:mod:`~hwsim.explore.search.families.staged`); no
torch is needed once they are cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable

from hwsim.errors import ConfigError
from hwsim.explore.search.families.base import Family, Published, Setting, Variant
from hwsim.explore.search.families.staged import StagedNetworks, check_batch, counts, numbered_blocks
from hwsim.models.mobilenet_spec import check_mobilenet

__all__ = ["describe_settings", "mobilenet_family"]


def describe_settings(settings: Mapping[str, Any]) -> str:
    """``width 1.0, input 224``."""
    return f"width {settings['width']!r}, input {settings['input_size']}"


def _model_kwargs(variant: Variant) -> dict[str, Any]:
    return {"width": variant.setting("width"), "num_classes": variant.setting("num_classes")}


def _checker(name: str, stages: tuple[Any, ...], blocks: tuple[int, ...], table: str,
             channels: str) -> Callable[[int, Mapping[str, Any]], dict[str, Any]]:
    def check_settings(count: int, settings: Mapping[str, Any]) -> dict[str, Any]:
        """The table's stages, a positive width (as a float), positive classes and input size
        (pixels), a batch >= 1. Raises :class:`ConfigError`."""
        if count != len(stages):
            raise ConfigError(f"{name}: stages={count}; the family has the {len(stages)} stages of "
                              f"{table} (channels {channels})")
        check_mobilenet(name, settings["width"], settings["num_classes"], settings["input_size"], blocks, count)
        check_batch(name, settings)
        return {**settings, "width": float(settings["width"])}

    return check_settings


def mobilenet_family(name: str, title: str, stages: tuple[Any, ...], blocks: tuple[int, ...], table: str,
                     channels: str, published_title: str, depth_note: str) -> tuple[StagedNetworks, Family]:
    """How the networks of one MobileNet version are traced, cut and assembled, and its family."""
    check = _checker(name, stages, blocks, table, channels)
    networks = StagedNetworks(
        family=name,
        sources=("export", "graph", "models/mobilenet.py", "models/mobilenet_spec.py"),
        prefix_of=numbered_blocks,
        model_kwargs=_model_kwargs,
        label=lambda variant: f"{variant.setting('width')!r}_{variant.setting('input_size')}",
        check=check,
    )
    family = Family(
        name=name,
        title=title,
        stages=len(stages),
        blocks_total=sum(blocks),
        max_stages=len(stages),
        load_templates=networks.load_templates,
        assemble=networks.assemble,
        counts=counts,
        settings=(
            Setting("width", 1.0, help="width multiplier of the stage channels", per_row=True),
            Setting("input_size", 224, help="input resolution in pixels (square; MobileNet's resolution multiplier)",
                    per_row=True),
            Setting("num_classes", 1000),
            Setting("batch", 1),
        ),
        published=(Published("paper", blocks),),
        published_title=published_title,
        depth_note=depth_note,
        check=check,
        describe=describe_settings,
    )
    return networks, family
