"""hwsim.explore.search.families.mobilenet_v1: 13 separable pairs over Table 1's 5 stages, counted in closed form;
candidates spliced from templates equal traced networks; the paper's 1-2-2-6-2 scores as the zoo's mobilenet_v1."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from hwsim.errors import ConfigError
from hwsim.explore.search.families.mobilenet_v1 import MOBILENET_V1, NETWORKS
from hwsim.explore.search.run import SearchSpace, search
from hwsim.hardware.load import load_accelerator
from tests.explore.search.families.helpers import first_difference, needs_torch, template_cache, zoo_totals


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_cache(tmp_path_factory)


def test_the_space_is_counted_by_stars_and_bars() -> None:
    space = SearchSpace(family="mobilenet_v1")
    # 13 pairs over 5 stages, at least one each: C(13 - 5 + 4, 4) = C(12, 4) = 12*11*10*9/24 = 495
    assert (space.blocks_total, space.stages, space.count) == (13, 5, 495) == (13, 5, math.comb(12, 4))
    # at least two each: 3 pairs left over 5 stages, C(3 + 4, 4) = 35
    narrow = SearchSpace(family="mobilenet_v1", min_blocks=2)
    listed = list(narrow.allocations())
    assert narrow.count == len(set(listed)) == math.comb(7, 4) == 35
    assert all(len(b) == 5 and sum(b) == 13 and min(b) >= 2 for b in listed)
    # --depth counts pairs only: depth 15 is 15 pairs, C(14, 4)
    assert SearchSpace.from_depth(15, family="mobilenet_v1").count == math.comb(14, 4)


def test_the_stages_are_table_1s() -> None:
    with pytest.raises(ConfigError, match="at most 5"):
        SearchSpace(family="mobilenet_v1", stages=6)
    with pytest.raises(ConfigError, match="the 5 stages of Table 1"):
        SearchSpace(family="mobilenet_v1", stages=4)


def test_the_paper_is_marked_and_settings_are_checked() -> None:
    # Table 1: (1, 64) x1, (2, 128) (1, 128), (2, 256) (1, 256), (2, 512) + 5 x (1, 512), (2, 1024) (1, 1024)
    assert [(p.label, p.blocks, p.choices) for p in MOBILENET_V1.published] == [("paper", (1, 2, 2, 6, 2), ())]
    assert MOBILENET_V1.choices == ()
    space = SearchSpace(family="mobilenet_v1", settings={"width": 1, "input_size": 160})
    assert space.setting("width") == 1.0 and isinstance(space.setting("width"), float)
    assert space.describe() == "13 blocks over 5 stages (>= 1 each), width 1.0, input 160"
    for bad in ({"width": 0}, {"width": "wide"}, {"input_size": 0}, {"num_classes": 0}, {"batch": 0}):
        with pytest.raises(ConfigError, match="mobilenet_v1: "):
            SearchSpace(family="mobilenet_v1", settings=bad)


CASES = [
    # (allocation, settings): the paper, everything in one stage, every stage but one minimal, other settings
    ((1, 2, 2, 6, 2), {}),
    ((9, 1, 1, 1, 1), {}),
    ((1, 1, 1, 1, 9), {}),
    ((3, 1, 4, 1, 4), {"width": 0.5, "input_size": 160, "num_classes": 10}),
]


@needs_torch
@pytest.mark.parametrize(("blocks", "settings"), CASES, ids=lambda v: "-".join(map(str, v)) if isinstance(v, tuple)
                         else ",".join(f"{k}={x}" for k, x in v.items()) or "default")
def test_assembled_graph_equals_traced_graph(blocks: tuple[int, ...], settings: dict, cache_dir: Path) -> None:
    variant = SearchSpace(family="mobilenet_v1", settings=settings).variant(())
    assembled = MOBILENET_V1.assemble(MOBILENET_V1.load_templates(variant, cache_dir), blocks)
    traced = NETWORKS.trace(variant, blocks)  # torch: the zoo builder with these blocks, exported
    assert assembled == traced, first_difference(assembled, traced)
    # the stem conv, a depthwise and a pointwise conv per pair, then pool, flatten and fc
    assert len(traced.layers) == 1 + 2 * sum(blocks) + 3
    assert [layer.name for layer in traced.layers if layer.stride_h == 2] == [
        "stem.conv", *(f"blocks.{sum(blocks[:i])}.depthwise.conv" for i in range(1, 5))]


@needs_torch
@pytest.mark.parametrize(("width", "zoo"), [(1.0, "mobilenet_v1"), (0.5, "mobilenet_v1_0.5")])
def test_the_paper_scores_as_the_zoo_model(width: float, zoo: str, cache_dir: Path) -> None:
    ws = load_accelerator("ws_32x32")
    result = search(SearchSpace(family="mobilenet_v1", settings={"width": width}), ws, cache_dir=cache_dir)
    (paper,) = result.versions
    expected = zoo_totals(zoo, ws)
    assert paper.in_space and result.method == "units" and paper.result.candidate.blocks == (1, 2, 2, 6, 2)
    assert (paper.result.cycles, paper.result.macs, paper.result.params) == (
        int(expected.cycles), int(expected.macs), int(expected.params))
    assert paper.result.energy_uj == pytest.approx(float(expected.energy_pj) / 1e6, rel=1e-9)  # summed in another order
    if width == 1.0:  # Howard et al. 2017, Table 8: 1.0 MobileNet-224, 569 million mult-adds, 4.2 million parameters
        assert (round(paper.result.macs / 1e6), round(paper.result.params / 1e5)) == (569, 42)
