"""hwsim.explore.search.families.shufflenet_v1: 16 units over Table 1's 3 stages times the groups, counted in
closed form; candidates spliced from templates equal traced networks; the paper's 4-8-4 scores as the zoo's model
at every g."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from hwsim.errors import ConfigError
from hwsim.explore.search.families.shufflenet_v1 import NETWORKS, SHUFFLENET_V1
from hwsim.explore.search.run import SearchSpace, search
from hwsim.hardware.load import load_accelerator
from tests.explore.search.families.helpers import first_difference, needs_torch, template_cache, zoo_totals


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_cache(tmp_path_factory)


def test_the_space_is_counted_by_stars_and_bars() -> None:
    space = SearchSpace(family="shufflenet_v1")
    # 16 units over 3 stages, at least one each: C(16 - 3 + 2, 2) = C(15, 2) = 105; times the 5 groups
    assert (space.blocks_total, space.stages, space.allocation_count) == (16, 3, 105) == (16, 3, math.comb(15, 2))
    assert space.count == 105 * 5 and space.values("groups") == (1, 2, 3, 4, 8)
    # at least four each (the paper's smallest stage): 4 left over 3 stages, C(4 + 2, 2) = 15; one g
    narrow = SearchSpace(family="shufflenet_v1", min_blocks=4, choices={"groups": (3,)})
    listed = list(narrow.allocations())
    assert narrow.count == len(set(listed)) == math.comb(6, 2) == 15
    assert (4, 8, 4) in listed and all(len(b) == 3 and sum(b) == 16 and min(b) >= 4 for b in listed)


def test_the_stages_are_table_1s() -> None:
    with pytest.raises(ConfigError, match="at most 3"):
        SearchSpace(family="shufflenet_v1", stages=4)
    with pytest.raises(ConfigError, match="the 3 stages of Table 1"):
        SearchSpace(family="shufflenet_v1", stages=2)


def test_the_paper_is_marked_at_every_g_and_settings_are_checked() -> None:
    assert [(p.label, p.blocks, p.choices) for p in SHUFFLENET_V1.published] == [
        (f"g{g}", (4, 8, 4), (g,)) for g in (1, 2, 3, 4, 8)]
    groups = SHUFFLENET_V1.choice("groups")
    assert (groups.value_of(" 8"), groups.value_of("5"), groups.say(3)) == (8, None, "g=3")
    with pytest.raises(ConfigError, match="groups"):
        SearchSpace(family="shufflenet_v1", choices={"groups": (5,)})
    assert SearchSpace(family="shufflenet_v1", settings={"width": 2}).setting("width") == 2.0
    for bad in ({"width": 0.75}, {"width": "1.0"}, {"num_classes": 0}, {"input_size": 0}, {"batch": 0}):
        with pytest.raises(ConfigError, match="shufflenet_v1: "):
            SearchSpace(family="shufflenet_v1", settings=bad)


CASES = [
    # (allocation, groups, settings): the paper, one long stage, uneven, ungrouped, other settings
    ((4, 8, 4), 3, {}),
    ((1, 1, 14), 8, {}),
    ((14, 1, 1), 2, {}),
    ((2, 9, 5), 1, {}),
    ((3, 5, 8), 4, {"width": 0.5, "input_size": 160, "num_classes": 10}),
]


@needs_torch
@pytest.mark.parametrize(("blocks", "groups", "settings"), CASES,
                         ids=lambda v: "-".join(map(str, v)) if isinstance(v, tuple) else
                         f"g{v}" if isinstance(v, int) else ",".join(f"{k}={x}" for k, x in v.items()) or "default")
def test_assembled_graph_equals_traced_graph(blocks: tuple[int, ...], groups: int, settings: dict,
                                             cache_dir: Path) -> None:
    variant = SearchSpace(family="shufflenet_v1", settings=settings).variant((groups,))
    assembled = SHUFFLENET_V1.assemble(SHUFFLENET_V1.load_templates(variant, cache_dir), blocks)
    traced = NETWORKS.trace(variant, blocks)  # torch: the zoo builder with these units, exported
    assert assembled == traced, first_difference(assembled, traced)
    # stem conv and max-pool; a stride-2 unit: compress, [shuffle,] depthwise, expand, avg-pool shortcut, concat,
    # ReLU; a stride-1 unit: compress, [shuffle,] depthwise, expand, add (ReLU fused); pool, flatten, fc.
    shuffle = 1 if groups > 1 else 0  # no shuffle with one group
    assert len(traced.layers) == 2 + 3 * (6 + shuffle) + (sum(blocks) - 3) * (4 + shuffle) + 3
    assert [layer.name for layer in traced.layers if layer.op == "concat"] == ["stage2.0.cat", "stage3.0.cat",
                                                                               "stage4.0.cat"]
    assert len([layer for layer in traced.layers if layer.op == "add"]) == sum(blocks) - 3


@needs_torch
def test_the_paper_scores_as_the_zoo_model(cache_dir: Path) -> None:
    ws = load_accelerator("ws_32x32")
    result = search(SearchSpace(family="shufflenet_v1"), ws, cache_dir=cache_dir)
    assert result.method == "units" and [v.label for v in result.versions] == ["g1", "g2", "g3", "g4", "g8"]
    for version, g in zip(result.versions, (1, 2, 3, 4, 8)):
        expected = zoo_totals(f"shufflenet_v1_g{g}", ws)
        assert version.in_space and version.result.candidate.choices == (g,)
        assert (version.result.cycles, version.result.macs, version.result.params) == (
            int(expected.cycles), int(expected.macs), int(expected.params))
        assert version.result.energy_uj == pytest.approx(float(expected.energy_pj) / 1e6, rel=1e-9)
        # Zhang et al. 2017, Table 2: ShuffleNet 1x costs about 140 MFLOPs (mult-adds) at every g
        assert abs(version.result.macs / 140e6 - 1) < 0.05
    # at scale 0.5 with g = 3 only: g3 is searched, the other g are scored beside the space
    half = search(SearchSpace(family="shufflenet_v1", settings={"width": 0.5}, choices={"groups": (3,)}), ws,
                  cache_dir=cache_dir)
    g3 = next(v for v in half.versions if v.label == "g3")
    expected = zoo_totals("shufflenet_v1_g3_0.5", ws)
    assert g3.in_space and [v.label for v in half.versions if not v.in_space] == ["g1", "g2", "g4", "g8"]
    assert (g3.result.cycles, g3.result.macs, g3.result.params) == (
        int(expected.cycles), int(expected.macs), int(expected.params))
