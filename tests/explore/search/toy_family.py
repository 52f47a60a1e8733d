"""A toy search family written by hand, no torch: what adding a family takes (this module + ``register``).

``chain``: a stem conv, then per stage a chain of residual blocks (a k x k conv and an add), the
first block of every stage after the first behind a stride-2 1x1 ``entry`` conv that doubles
the channels, then global pooling and a 10-way linear head. Input 1 x 3 x 16 x 16.

Units (the columns of :func:`counts`): the stem; per stage its ``first`` unit (entry + block 0)
and its ``next`` unit (one more block); the head. A stage with ``n`` blocks uses one ``first``
and ``n - 1`` ``next``. The templates are the network with two blocks per stage, and
:func:`assemble` builds a candidate's graph layer by layer (nothing to splice: it is small).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hwsim.explore.search.families.base import Choice, Family, Published, Setting, Variant
from hwsim.graph.layer_graph import Layer, LayerGraph

INPUT_SIZE = 16
CLASSES = 10


def _conv(name: str, source: str, c: int, k: int, size: int, kernel: int = 1, stride: int = 1) -> Layer:
    out = (size + 2 * (kernel // 2) - kernel) // stride + 1
    return Layer(name=name, op="conv", inputs=(source,), c=c, h=size, w=size, k=k, p=out, q=out, r=kernel, s=kernel,
                 stride_h=stride, stride_w=stride, pad_h=kernel // 2, pad_w=kernel // 2, params=c * k * kernel * kernel)


def chain(variant: Variant, blocks: tuple[int, ...]) -> LayerGraph:
    """The chain network of ``variant`` (setting ``channels``, choice ``kernel``) with ``blocks`` per stage."""
    (kernel,) = variant.choices
    channels, size = variant.setting("channels"), INPUT_SIZE
    layers = [_conv("stem.conv", "input", 3, channels, size, kernel=3)]
    for i, n in enumerate(blocks):
        if i > 0:
            layers.append(_conv(f"stages.{i}.entry", layers[-1].name, channels, 2 * channels, size, stride=2))
            channels, size = 2 * channels, (size - 1) // 2 + 1
        for j in range(n):
            before = layers[-1].name
            layers.append(_conv(f"stages.{i}.blocks.{j}.conv", before, channels, channels, size, kernel=kernel))
            layers.append(Layer(name=f"stages.{i}.blocks.{j}.add", op="add", inputs=(layers[-1].name, before),
                                c=channels, h=size, w=size, k=channels, p=size, q=size))
    layers.append(Layer(name="head.pool", op="global_pool", inputs=(layers[-1].name,), c=channels, h=size, w=size,
                        k=channels, p=1, q=1, r=size, s=size, mode="avg"))
    layers.append(Layer(name="head.fc", op="linear", inputs=("head.pool",), c=channels, k=CLASSES,
                        params=channels * CLASSES + CLASSES, bias=True))
    return LayerGraph(name=f"chain_{'-'.join(map(str, blocks))}_k{kernel}", input_shape=(1, 3, INPUT_SIZE, INPUT_SIZE),
                      layers=tuple(layers))


@dataclass(frozen=True)
class ChainTemplates:
    """The network with two blocks per stage, and where each unit lies in it."""

    variant: Variant
    reference: LayerGraph
    spans: tuple[tuple[int, int], ...]


def load_templates(variant: Variant, cache_dir: object = None) -> ChainTemplates:
    reference = chain(variant, (2,) * variant.stages)
    names = [layer.name for layer in reference.layers]
    starts = [0]
    for i in range(variant.stages):
        starts.append(names.index(f"stages.{i}.entry" if i else f"stages.{i}.blocks.0.conv"))
        starts.append(names.index(f"stages.{i}.blocks.1.conv"))
    starts.append(names.index("head.pool"))
    stops = [*starts[1:], len(names)]
    return ChainTemplates(variant, reference, tuple(zip(starts, stops)))


def assemble(templates: ChainTemplates, blocks: tuple[int, ...]) -> LayerGraph:
    return chain(templates.variant, tuple(blocks))


def counts(blocks: NDArray[np.int64]) -> NDArray[np.int64]:
    """Stem, then per stage one ``first`` and ``n - 1`` ``next``, then the head."""
    ones = np.ones(len(blocks), dtype=np.int64)
    columns = [ones]
    for i in range(blocks.shape[1]):
        columns += [ones, blocks[:, i] - 1]
    return np.stack([*columns, ones], axis=1)


CHAIN = Family(
    name="chain",
    title="Chain",
    stages=2,
    blocks_total=5,
    max_stages=3,
    load_templates=load_templates,
    assemble=assemble,
    counts=counts,
    choices=(Choice("kernel", (1, 3), (1, 3), noun="kernel sizes", help="block kernel sizes to try",
                    cell="{value}x{value}"),),
    settings=(Setting("channels", 8, help="channels of the first stage", per_row=True),),
    published=(Published("c1", (1, 4), (3,)), Published("c2", (3, 2), (1,)), Published("c3", (1, 1, 1), (3,))),
    published_title="Published chains",
    depth_layers=2,
    depth_note="stem + blocks + head",
)
