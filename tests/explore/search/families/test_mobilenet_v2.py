"""hwsim.explore.search.families.mobilenet_v2: 17 bottlenecks over Table 2's 7 stages, counted in closed form;
candidates spliced from templates equal traced networks; the paper's 1-2-3-4-3-3-1 scores as the zoo's mobilenet_v2."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from hwsim.errors import ConfigError
from hwsim.explore.search.families.mobilenet_v2 import MOBILENET_V2, NETWORKS
from hwsim.explore.search.run import SearchSpace, search
from hwsim.hardware.load import load_accelerator
from tests.explore.search.families.helpers import first_difference, needs_torch, template_cache, zoo_totals


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_cache(tmp_path_factory)


def test_the_space_is_counted_by_stars_and_bars() -> None:
    space = SearchSpace(family="mobilenet_v2")
    # 17 bottlenecks over 7 stages, at least one each: C(17 - 7 + 6, 6) = C(16, 6) = 8008
    assert (space.blocks_total, space.stages, space.count) == (17, 7, 8008) == (17, 7, math.comb(16, 6))
    # at least two each: 3 left over 7 stages, C(3 + 6, 6) = 84
    narrow = SearchSpace(family="mobilenet_v2", min_blocks=2)
    listed = list(narrow.allocations())
    assert narrow.count == len(set(listed)) == math.comb(9, 6) == 84
    assert all(len(b) == 7 and sum(b) == 17 and min(b) >= 2 for b in listed)
    # the smallest network: one bottleneck per stage, one allocation
    assert SearchSpace.from_depth(7, family="mobilenet_v2").count == 1


def test_the_stages_are_table_2s() -> None:
    with pytest.raises(ConfigError, match="at most 7"):
        SearchSpace(family="mobilenet_v2", stages=8)
    with pytest.raises(ConfigError, match="the 7 stages of Table 2"):
        SearchSpace(family="mobilenet_v2", stages=4)


def test_the_paper_is_marked_and_settings_are_checked() -> None:
    # Table 2's n column: 1, 2, 3, 4, 3, 3, 1
    assert [(p.label, p.blocks, p.choices) for p in MOBILENET_V2.published] == [("paper", (1, 2, 3, 4, 3, 3, 1), ())]
    assert SearchSpace(family="mobilenet_v2", settings={"width": 1.4}).describe() == \
        "17 blocks over 7 stages (>= 1 each), width 1.4, input 224"
    for bad in ({"width": -1.0}, {"width": True}, {"input_size": 1.5}, {"num_classes": 0}, {"batch": "2"}):
        with pytest.raises(ConfigError, match="mobilenet_v2: "):
            SearchSpace(family="mobilenet_v2", settings=bad)


CASES = [
    # (allocation, settings): the paper, all in the last or the first stage, spread, other settings
    ((1, 2, 3, 4, 3, 3, 1), {}),
    ((1, 1, 1, 1, 1, 1, 11), {}),
    ((11, 1, 1, 1, 1, 1, 1), {}),
    ((3, 2, 3, 2, 3, 2, 2), {"width": 1.4, "input_size": 96, "num_classes": 10}),
]


@needs_torch
@pytest.mark.parametrize(("blocks", "settings"), CASES, ids=lambda v: "-".join(map(str, v)) if isinstance(v, tuple)
                         else ",".join(f"{k}={x}" for k, x in v.items()) or "default")
def test_assembled_graph_equals_traced_graph(blocks: tuple[int, ...], settings: dict, cache_dir: Path) -> None:
    variant = SearchSpace(family="mobilenet_v2", settings=settings).variant(())
    assembled = MOBILENET_V2.assemble(MOBILENET_V2.load_templates(variant, cache_dir), blocks)
    traced = NETWORKS.trace(variant, blocks)  # torch: the zoo builder with these blocks, exported
    assert assembled == traced, first_difference(assembled, traced)
    # stem conv; depthwise + project per bottleneck, plus expand outside stage 1 (t = 1 there); a residual
    # add in every block but a stage's first; head conv, pool, flatten, fc
    total = sum(blocks)
    assert len(traced.layers) == 1 + 2 * total + (total - blocks[0]) + (total - 7) + 4
    first = [sum(blocks[:i]) for i in range(7)]  # the index of each stage's first block
    assert [layer.name for layer in traced.layers if layer.stride_h == 2] == [
        "stem.conv", *(f"blocks.{first[i]}.depthwise.conv" for i in (1, 2, 3, 5))]  # Table 2's s = 2 rows


@needs_torch
@pytest.mark.parametrize(("width", "zoo"), [(1.0, "mobilenet_v2"), (0.5, "mobilenet_v2_0.5")])
def test_the_paper_scores_as_the_zoo_model(width: float, zoo: str, cache_dir: Path) -> None:
    ws = load_accelerator("ws_32x32")
    result = search(SearchSpace(family="mobilenet_v2", settings={"width": width}), ws, cache_dir=cache_dir)
    (paper,) = result.versions
    expected = zoo_totals(zoo, ws)
    assert paper.in_space and result.method == "units" and paper.result.candidate.blocks == (1, 2, 3, 4, 3, 3, 1)
    assert (paper.result.cycles, paper.result.macs, paper.result.params) == (
        int(expected.cycles), int(expected.macs), int(expected.params))
    assert paper.result.energy_uj == pytest.approx(float(expected.energy_pj) / 1e6, rel=1e-9)  # summed in another order
    if width == 1.0:  # Sandler et al. 2018, Table 4: MobileNetV2 (1.0), 300M multiply-adds
        assert abs(paper.result.macs / 1e6 - 300) < 1
