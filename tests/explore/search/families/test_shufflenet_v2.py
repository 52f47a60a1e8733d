"""hwsim.explore.search.families.shufflenet_v2: 16 units over Table 5's 3 stages, counted in closed form; candidates
spliced from templates equal traced networks; the paper's 4-8-4 scores as the zoo's shufflenet_v2 at each scale."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from hwsim.errors import ConfigError
from hwsim.explore.search.families.shufflenet_v2 import NETWORKS, SHUFFLENET_V2
from hwsim.explore.search.run import SearchSpace, search
from hwsim.hardware.load import load_accelerator
from tests.explore.search.families.helpers import first_difference, needs_torch, template_cache, zoo_totals


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_cache(tmp_path_factory)


def test_the_space_is_counted_by_stars_and_bars() -> None:
    space = SearchSpace(family="shufflenet_v2")
    # 16 units over 3 stages, at least one each: C(16 - 3 + 2, 2) = C(15, 2) = 105
    assert (space.blocks_total, space.stages, space.count) == (16, 3, 105) == (16, 3, math.comb(15, 2))
    # 20 units, at least three each: 11 left over 3 stages, C(11 + 2, 2) = 78
    wide = SearchSpace(family="shufflenet_v2", blocks_total=20, min_blocks=3)
    listed = list(wide.allocations())
    assert wide.count == len(set(listed)) == math.comb(13, 2) == 78
    assert all(len(b) == 3 and sum(b) == 20 and min(b) >= 3 for b in listed)


def test_the_stages_are_table_5s() -> None:
    with pytest.raises(ConfigError, match="at most 3"):
        SearchSpace(family="shufflenet_v2", stages=4)
    with pytest.raises(ConfigError, match="the 3 stages of Table 5"):
        SearchSpace(family="shufflenet_v2", stages=1)


def test_the_paper_is_marked_and_settings_are_checked() -> None:
    assert [(p.label, p.blocks, p.choices) for p in SHUFFLENET_V2.published] == [("paper", (4, 8, 4), ())]
    assert SHUFFLENET_V2.choices == ()
    assert SearchSpace(family="shufflenet_v2", settings={"width": 2}).describe() == \
        "16 blocks over 3 stages (>= 1 each), width 2.0"
    for bad in ({"width": 0.25}, {"width": None}, {"num_classes": -1}, {"input_size": 0}, {"batch": 1.0}):
        with pytest.raises(ConfigError, match="shufflenet_v2: "):
            SearchSpace(family="shufflenet_v2", settings=bad)


CASES = [
    # (allocation, settings): the paper, one long stage, uneven, other settings
    ((4, 8, 4), {}),
    ((14, 1, 1), {}),
    ((1, 1, 14), {}),
    ((6, 3, 7), {"width": 2.0, "input_size": 128, "num_classes": 10}),
]


@needs_torch
@pytest.mark.parametrize(("blocks", "settings"), CASES, ids=lambda v: "-".join(map(str, v)) if isinstance(v, tuple)
                         else ",".join(f"{k}={x}" for k, x in v.items()) or "default")
def test_assembled_graph_equals_traced_graph(blocks: tuple[int, ...], settings: dict, cache_dir: Path) -> None:
    variant = SearchSpace(family="shufflenet_v2", settings=settings).variant(())
    assembled = SHUFFLENET_V2.assemble(SHUFFLENET_V2.load_templates(variant, cache_dir), blocks)
    traced = NETWORKS.trace(variant, blocks)  # torch: the zoo builder with these units, exported
    assert assembled == traced, first_difference(assembled, traced)
    # stem conv and max-pool; a stride-2 unit: 2 + 3 convs, concat, shuffle; a stride-1 unit: 3 convs, concat,
    # shuffle (the channel split folds into the convs); conv5, pool, flatten, fc
    assert len(traced.layers) == 2 + 3 * 7 + (sum(blocks) - 3) * 5 + 4
    units = [f"stage{k}.{j}" for k, n in zip((2, 3, 4), blocks) for j in range(n)]
    assert [layer.name for layer in traced.layers if layer.op == "shuffle"] == [f"{u}.shuffle" for u in units]


@needs_torch
@pytest.mark.parametrize(("width", "zoo"), [(1.0, "shufflenet_v2_1.0"), (0.5, "shufflenet_v2_0.5")])
def test_the_paper_scores_as_the_zoo_model(width: float, zoo: str, cache_dir: Path) -> None:
    ws = load_accelerator("ws_32x32")
    result = search(SearchSpace(family="shufflenet_v2", settings={"width": width}), ws, cache_dir=cache_dir)
    (paper,) = result.versions
    expected = zoo_totals(zoo, ws)
    assert paper.in_space and result.method == "units" and paper.result.candidate.blocks == (4, 8, 4)
    assert (paper.result.cycles, paper.result.macs, paper.result.params) == (
        int(expected.cycles), int(expected.macs), int(expected.params))
    assert paper.result.energy_uj == pytest.approx(float(expected.energy_pj) / 1e6, rel=1e-9)  # summed in another order
    if width == 1.0:  # Ma et al. 2018, Table 5: ShuffleNet v2 1x, 146 MFLOPs (mult-adds), 2.3M parameters
        assert abs(paper.result.macs / 146e6 - 1) < 0.01 and round(paper.result.params / 1e5) == 23
