"""hwsim.explore.search.families.staged: cutting a reference graph into stem / (first, repeat) per stage / head,
splicing any allocation back (checked on hand-built graphs, no torch), unit counts, and searching the four
staged families from cached templates without torch."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from hwsim.errors import ConfigError
from hwsim.explore.search.families.base import Variant
from hwsim.explore.search.families.staged import (
    REFERENCE_BLOCKS,
    StagedNetworks,
    counts,
    cut,
    numbered_blocks,
    stage_blocks,
)
from hwsim.graph.layer_graph import Layer, LayerGraph
from tests.paths import REPO


def _conv(name: str, source: str, c: int, k: int, size: int, stride: int = 1) -> Layer:
    out = (size - 1) // stride + 1
    return Layer(name=name, op="conv", inputs=(source,), c=c, h=size, w=size, k=k, p=out, q=out, r=1, s=1,
                 stride_h=stride, stride_w=stride, params=c * k)


def toy(blocks: tuple[int, ...], prefix_of=numbered_blocks, name: str = "toy") -> LayerGraph:
    """A stem conv; per stage a first block (1x1 conv, stride 2 and doubled channels after stage 0) and
    repeats (1x1 conv + residual add); a pooled linear head. Block names from ``prefix_of``."""
    channels, size = 4, 16
    layers = [_conv("stem.conv", "input", 3, channels, size)]
    for i, n in enumerate(blocks):
        for j in range(n):
            prefix, before = prefix_of(i, j, blocks), layers[-1].name
            if j == 0 and i > 0:
                layers.append(_conv(prefix + "conv", before, channels, 2 * channels, size, stride=2))
                channels, size = 2 * channels, (size - 1) // 2 + 1
            else:
                layers.append(_conv(prefix + "conv", before, channels, channels, size))
                if j > 0:
                    layers.append(Layer(name=prefix + "add", op="add", inputs=(prefix + "conv", before), c=channels,
                                        h=size, w=size, k=channels, p=size, q=size))
    layers.append(Layer(name="pool", op="global_pool", inputs=(layers[-1].name,), c=channels, h=size, w=size,
                        k=channels, p=1, q=1, r=size, s=size, mode="avg"))
    layers.append(Layer(name="fc", op="linear", inputs=("pool",), c=channels, k=10, params=10 * channels + 10,
                        bias=True))
    return LayerGraph(name=name, input_shape=(1, 3, 16, 16), layers=tuple(layers),
                      metadata=(("tracer", "by hand"),))


def _networks(prefix_of=numbered_blocks) -> StagedNetworks:
    return StagedNetworks(family="toy", sources=(), prefix_of=prefix_of, model_kwargs=lambda variant: {},
                          label=lambda variant: "x", check=lambda stages, settings: settings)


@pytest.mark.parametrize("prefix_of", [numbered_blocks, stage_blocks], ids=["numbered", "per-stage"])
def test_any_allocation_is_spliced_from_the_two_block_reference(prefix_of) -> None:
    variant = Variant(3)
    templates = cut(toy((REFERENCE_BLOCKS,) * 3, prefix_of), variant, prefix_of)
    # stem (1 layer); stage 0: first (1 conv), repeat (conv + add); stages 1, 2 the same; head (pool + fc)
    assert [stop - start for start, stop in templates.spans] == [1, 1, 2, 1, 2, 1, 2, 2]
    assert [u.prefix for u in templates.units] == ["", *(prefix_of(i, j, (2, 2, 2)) for i in range(3) for j in (0, 1)),
                                                   ""]
    networks = _networks(prefix_of)
    for blocks in [(1, 1, 1), (2, 2, 2), (5, 1, 3), (1, 7, 1)]:
        assembled = networks.assemble(templates, blocks, name="toy")
        assert assembled == toy(blocks, prefix_of)  # every layer, with its renamed inputs
        # the unit counts say how many layers each unit puts in the graph
        sizes = np.array([stop - start for start, stop in templates.spans])
        assert (counts(np.array([blocks])) @ sizes).tolist() == [len(assembled.layers)]
    assert networks.assemble(templates, (1, 2, 3)).name == "toy_x_1-2-3"


def test_the_names_of_the_zoos_builders() -> None:
    # MobileNet numbers its blocks through the network; ShuffleNet per stage, stages from 2
    assert [numbered_blocks(2, j, (1, 2, 3)) for j in range(3)] == ["blocks.3.", "blocks.4.", "blocks.5."]
    assert [stage_blocks(i, 1, (4, 8, 4)) for i in range(3)] == ["stage2.1.", "stage3.1.", "stage4.1."]


def test_counts_by_closed_form() -> None:
    # one stem and one head; per stage one first block and n - 1 repeats
    blocks = np.array([[1, 2, 3], [4, 1, 1]])
    assert counts(blocks).tolist() == [[1, 1, 0, 1, 1, 1, 2, 1], [1, 1, 3, 1, 0, 1, 0, 1]]
    assert counts(blocks).dtype == np.int64


def test_model_kwargs_metadata_follows_the_allocation() -> None:
    graph = toy((2, 2))
    graph = replace(graph, metadata=(*graph.metadata, ("model_kwargs", '{"blocks": [2, 2], "width": 1.0}')))
    networks = replace(_networks(), model_kwargs=lambda variant: {"width": 1.0})
    assembled = networks.assemble(cut(graph, Variant(2), numbered_blocks), (3, 1))
    assert dict(assembled.metadata) == {"tracer": "by hand", "model_kwargs": '{"blocks": [3, 1], "width": 1.0}'}


def test_graphs_that_cannot_be_cut_are_refused() -> None:
    graph = toy((2, 2))
    with pytest.raises(ValueError, match="no layer named blocks.4"):
        cut(graph, Variant(3), numbered_blocks)  # a third stage it does not have
    # a layer of block 3 that reads block 1's output: not a unit that can be placed anywhere
    layers = list(graph.layers)
    index = next(i for i, layer in enumerate(layers) if layer.name == "blocks.3.add")
    layers[index] = replace(layers[index], inputs=("blocks.3.conv", "blocks.1.add"))
    with pytest.raises(ValueError, match="blocks.3.add reads blocks.1.add, outside its unit"):
        cut(replace(graph, layers=tuple(layers)), Variant(2), numbered_blocks)
    with pytest.raises(ValueError, match="unsupported"):
        cut(replace(graph, unsupported=(("aten.foo", 1),)), Variant(2), numbered_blocks)


def test_bad_allocations_raise_config_errors() -> None:
    templates = cut(toy((2, 2)), Variant(2), numbered_blocks)
    for blocks in [(1,), (1, 0), (1, 2, 3), (True, 2)]:
        with pytest.raises(ConfigError, match="must be 2 integers >= 1"):
            _networks().assemble(templates, blocks)


needs_torch = pytest.mark.skipif(not __import__("importlib").util.find_spec("torch"), reason="needs torch")


@needs_torch
def test_searching_from_cached_templates_needs_no_torch(tmp_path_factory: pytest.TempPathFactory) -> None:
    cache_dir = tmp_path_factory.getbasetemp() / "hwsim-template-cache"  # shared with the families' tests
    cache_dir.mkdir(exist_ok=True)
    code = (
        "import sys\n"
        "from hwsim.explore.search.run import SearchSpace, search\n"
        "from hwsim.hardware.load import load_accelerator\n"
        "ws = load_accelerator('ws_32x32')\n"
        "for name, stages in (('mobilenet_v1', 5), ('mobilenet_v2', 7), ('shufflenet_v1', 3), ('shufflenet_v2', 3)):\n"
        "    choices = {'groups': (3,)} if name == 'shufflenet_v1' else {}\n"
        "    space = SearchSpace(family=name, blocks_total=stages + 1, choices=choices)\n"
        f"    result = search(space, ws, cache_dir={str(cache_dir)!r})\n"
        "    print(name, len(result.ranked), result.method, 'torch' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # the first run may trace (and import torch); the second reads every template from the cache
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    # stages + 1 blocks over the stages, at least one each: one stage gets two, so `stages` allocations
    assert again.stdout.splitlines() == ["mobilenet_v1 5 units False", "mobilenet_v2 7 units False",
                                         "shufflenet_v1 3 units False", "shufflenet_v2 3 units False"]
