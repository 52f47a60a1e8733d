"""What MobileNet v1/v2 and ShuffleNet v1/v2 share as search families: stages of one first block and
copies of one repeated block, spliced from a traced reference network (exact, no torch once cached).

In these networks every stage starts with a block that takes the stage's stride and channel
change, then repeats one block that keeps both; nothing in a block's layers depends on how many
blocks its stage has. One traced *reference* network with :data:`REFERENCE_BLOCKS` blocks in
every stage therefore holds every piece any allocation needs:

- the **stem**: the layers before the first block;
- per stage, two **unit templates**: ``first`` (block 0) and ``repeat`` (block 1);
- the **head**: the layers after the last block.

:meth:`StagedNetworks.assemble` places them for an allocation ``(n_1, .., n_S)``: the stem, per
stage ``first`` and ``n_i - 1`` copies of ``repeat``, the head. Every layer of a block carries
its block's qualified-name prefix (the exporter names functional layers such as a residual add
after their module: ``blocks.3.add``), which is renamed from the one the block has in the
reference to the one the builder gives the block at its new place (:data:`BlockPrefix`:
``blocks.<i>.`` numbered through the network for MobileNet, ``stage<k>.<j>.`` for ShuffleNet),
and the block's external input is rewired to the previous unit's output. The result equals the
traced network field for field (the families' tests check this); each set of templates is checked
on load by reassembling its own reference graph. :func:`counts` says how many copies of each unit
an allocation uses.

The networks are the zoo's (:func:`hwsim.models.build_model` of a :class:`~hwsim.models.ModelSpec`
of the family, which takes ``blocks`` per stage), traced once per variant (settings, choices,
stages) and cached on disk by :mod:`~hwsim.explore.search.families.cache`. Every staged
family has the settings ``input_size`` (pixels, square) and ``batch``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hwsim.errors import ConfigError
from hwsim.explore.search.families.base import Variant
from hwsim.explore.search.families.cache import cached_graph, default_cache_dir
from hwsim.graph.layer_graph import Layer, LayerGraph

__all__ = [
    "REFERENCE_BLOCKS",
    "BlockPrefix",
    "StagedNetworks",
    "StagedTemplates",
    "Unit",
    "check_batch",
    "counts",
    "numbered_blocks",
    "stage_blocks",
]

#: Blocks per stage of the traced reference network: block 0 (``first``) and block 1 (``repeat``).
REFERENCE_BLOCKS = 2

#: ``(stage index, block index in the stage, blocks per stage) -> qualified-name prefix`` of that block.
BlockPrefix = Callable[[int, int, Sequence[int]], str]


def numbered_blocks(stage: int, block: int, blocks: Sequence[int]) -> str:
    """MobileNet's naming: ``blocks.<i>.``, ``i`` counted through the whole network."""
    return f"blocks.{sum(blocks[:stage]) + block}."


def stage_blocks(stage: int, block: int, blocks: Sequence[int]) -> str:
    """ShuffleNet's naming: ``stage<k>.<j>.``, stages numbered from 2 as in the papers."""
    return f"stage{stage + 2}.{block}."


def check_batch(family: str, settings: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` unless the ``batch`` setting is an integer >= 1."""
    batch = settings["batch"]
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ConfigError(f"{family}: batch must be an integer >= 1, got {batch!r}")


@dataclass(frozen=True)
class Unit:
    """A contiguous run of layers of the reference graph: the stem, one block, or the head.

    ``prefix`` is the qualified-name prefix of a block ("" for the stem and the head, which keep
    their names); ``external_input`` the previous unit's output as the reference spells it
    ("" for the stem, which reads ``input``); ``start``/``stop`` locate the layers in the reference.
    """

    layers: tuple[Layer, ...]
    prefix: str
    external_input: str
    start: int
    stop: int


@dataclass(frozen=True)
class StagedTemplates:
    """Stem, per-stage ``(first, repeat)`` templates and head cut from one traced reference graph."""

    variant: Variant
    reference: LayerGraph  #: the traced network with :data:`REFERENCE_BLOCKS` blocks per stage
    stem: Unit
    stages: tuple[tuple[Unit, Unit], ...]
    head: Unit

    @property
    def units(self) -> tuple[Unit, ...]:
        """Stem, every stage's ``first`` and ``repeat``, head: the columns of :func:`counts`."""
        return (self.stem, *(u for stage in self.stages for u in stage), self.head)

    @property
    def spans(self) -> tuple[tuple[int, int], ...]:
        """``(start, stop)`` of each of :attr:`units` in :attr:`reference`."""
        return tuple((u.start, u.stop) for u in self.units)


def counts(blocks: NDArray[np.int64]) -> NDArray[np.int64]:
    """Copies of each unit (columns: :attr:`StagedTemplates.units`) for a ``(candidates, stages)``
    block matrix: one stem and one head; a stage with ``n`` blocks one ``first`` and ``n - 1`` ``repeat``."""
    blocks = np.asarray(blocks, dtype=np.int64)
    ones = np.ones(len(blocks), dtype=np.int64)
    columns = [ones]
    for i in range(blocks.shape[1]):
        columns += [ones, blocks[:, i] - 1]
    return np.stack([*columns, ones], axis=1)


def _splice(templates: StagedTemplates, blocks: Sequence[int], prefix_of: BlockPrefix) -> tuple[Layer, ...]:
    """The layers of the network with ``blocks`` per stage: the units placed and renamed."""
    out: list[Layer] = []
    previous = ""  # placed name of the previous unit's output

    def place(unit: Unit, new_prefix: str) -> None:
        nonlocal previous
        renames = {unit.external_input: previous} if unit.external_input else {}
        for layer in unit.layers:
            renames[layer.name] = new_prefix + layer.name[len(unit.prefix):] if unit.prefix else layer.name
        for layer in unit.layers:
            inputs = tuple(renames.get(source, source) for source in layer.inputs)
            name = renames[layer.name]
            same = (name, inputs) == (layer.name, layer.inputs)
            out.append(layer if same else replace(layer, name=name, inputs=inputs))
        previous = out[-1].name

    place(templates.stem, "")
    for i, n in enumerate(blocks):
        first, repeat = templates.stages[i]
        for j in range(n):
            place(first if j == 0 else repeat, prefix_of(i, j, blocks))
    place(templates.head, "")
    return tuple(out)


def _start_of(layers: Sequence[Layer], prefix: str, after: int) -> int:
    for index in range(after, len(layers)):
        if layers[index].name.startswith(prefix):
            return index
    raise ValueError(f"reference graph has no layer named {prefix}* after layer {after}")


def _check_unit(graph: str, unit: Unit) -> None:
    inside = {layer.name for layer in unit.layers}
    for layer in unit.layers:
        if unit.prefix and not layer.name.startswith(unit.prefix):
            raise ValueError(f"{graph}: layer {layer.name} of a block is not named {unit.prefix}*")
        for source in layer.inputs:
            if source not in inside and source not in ("input", unit.external_input):
                raise ValueError(f"{graph}: layer {layer.name} reads {source}, outside its unit")


def cut(reference: LayerGraph, variant: Variant, prefix_of: BlockPrefix) -> StagedTemplates:
    """Cut ``reference`` (``variant``'s network with :data:`REFERENCE_BLOCKS` blocks per stage) into
    templates, and check them: ``ValueError`` if a unit reads a layer outside it or reassembling the
    reference allocation does not give its layers back exactly."""
    if reference.unsupported:
        raise ValueError(f"{reference.name}: unsupported ops {reference.unsupported} cannot be assembled")
    layers = reference.layers
    ref_blocks = (REFERENCE_BLOCKS,) * variant.stages
    bounds: list[tuple[int, str]] = [(0, "")]  # (start index, prefix) of each unit
    position = 0
    for i in range(variant.stages):
        for j in range(REFERENCE_BLOCKS):
            prefix = prefix_of(i, j, ref_blocks)
            position = _start_of(layers, prefix, position)
            bounds.append((position, prefix))
    last = bounds[-1][1]
    head = next((k for k in range(position, len(layers)) if not layers[k].name.startswith(last)), len(layers))
    bounds.append((head, ""))
    units = []
    for index, (start, prefix) in enumerate(bounds):
        stop = bounds[index + 1][0] if index + 1 < len(bounds) else len(layers)
        if stop <= start:
            raise ValueError(f"{reference.name}: unit {prefix or 'stem/head'} has no layers")
        external = layers[start - 1].name if start > 0 else ""
        units.append(Unit(tuple(layers[start:stop]), prefix, external, start, stop))
    stages = tuple((units[1 + 2 * i], units[2 + 2 * i]) for i in range(variant.stages))
    templates = StagedTemplates(variant, reference, units[0], stages, units[-1])
    for unit in templates.units:
        _check_unit(reference.name, unit)
    if _splice(templates, ref_blocks, prefix_of) != layers:
        raise ValueError(f"{reference.name}: templates do not reassemble the reference graph")
    return templates


@dataclass(frozen=True)
class StagedNetworks:
    """How one staged family's networks are built, named and cached (see the module docstring).

    ``family`` is both the zoo builder family (:class:`~hwsim.models.ModelSpec` ``family``) and the
    search family's name; ``sources`` the files the traces depend on (the cache's fingerprint);
    ``prefix_of`` the builder's block names; ``model_kwargs(variant)`` the builder's arguments
    but ``blocks`` and ``input_size``; ``label(variant)`` the middle of a graph name
    (``mobilenet_v2_<label>_1-2-3-4-3-3-1``); ``check(stages, settings)`` the family's check of a
    variant (raises :class:`ConfigError`).
    """

    family: str
    sources: tuple[str, ...]
    prefix_of: BlockPrefix
    model_kwargs: Callable[[Variant], dict[str, Any]]
    label: Callable[[Variant], str]
    check: Callable[[int, Mapping[str, Any]], Mapping[str, Any]]

    def kwargs(self, variant: Variant, blocks: Sequence[int]) -> dict[str, Any]:
        """The builder's arguments for ``variant`` with ``blocks`` per stage (recorded as metadata)."""
        return {**self.model_kwargs(variant), "blocks": tuple(blocks)}

    def graph_name(self, variant: Variant, blocks: Sequence[int]) -> str:
        """``<family>_<label>_<blocks joined by ->``, e.g. ``mobilenet_v2_1.0_1-2-3-4-3-3-1``."""
        return f"{self.family}_{self.label(variant)}_{'-'.join(map(str, blocks))}"

    def trace(self, variant: Variant, blocks: Sequence[int], name: str | None = None) -> LayerGraph:
        """Build the zoo network with ``blocks`` per stage and export it (the slow reference path;
        imports torch). Named ``name`` (default :meth:`graph_name`), ``model_kwargs`` recorded."""
        from hwsim.export import export
        from hwsim.models import ModelSpec, build_model

        size, batch = variant.setting("input_size"), variant.setting("batch")
        kwargs = self.kwargs(variant, blocks)
        module = build_model(ModelSpec(self.family, self.family, tuple(kwargs.items()), (3, size, size)))
        return export(module, (batch, 3, size, size), name=name or self.graph_name(variant, blocks),
                      model_kwargs=kwargs)

    def load_templates(self, variant: Variant, cache_dir: str | Path | None = None) -> StagedTemplates:
        """Templates of ``variant``: from memory, else the disk cache, else traced once (imports torch).

        ``cache_dir`` defaults to :func:`~hwsim.explore.search.families.cache.default_cache_dir`;
        ``""`` disables the disk cache. An invalid variant raises :class:`ConfigError` before any tracing.
        """
        self.check(variant.stages, dict(variant.settings))
        folder = str(default_cache_dir() if cache_dir is None else cache_dir)
        return _templates_cached(self, variant, folder)

    def assemble(self, templates: StagedTemplates, blocks: Sequence[int], name: str | None = None) -> LayerGraph:
        """The LayerGraph of the network with ``blocks`` per stage, spliced from ``templates``.

        Equal (every field of every layer, name, input shape and metadata) to :meth:`trace` of the
        same network and ``name``. Raises :class:`ConfigError` for an invalid allocation.
        """
        blocks = tuple(blocks)
        stages = templates.variant.stages
        if len(blocks) != stages or any(isinstance(b, bool) or not isinstance(b, int) or b < 1 for b in blocks):
            raise ConfigError(f"{self.family}: blocks {blocks} must be {stages} integers >= 1 (blocks per stage)")
        kwargs = json.dumps(self.kwargs(templates.variant, blocks), sort_keys=True, default=str)  # as export()
        metadata = tuple((k, kwargs) if k == "model_kwargs" else (k, v) for k, v in templates.reference.metadata)
        return LayerGraph(name=name or self.graph_name(templates.variant, blocks),
                          input_shape=templates.reference.input_shape,
                          layers=_splice(templates, blocks, self.prefix_of), unsupported=(), metadata=metadata)

    def reference_key(self, variant: Variant) -> dict[str, Any]:
        """What the reference graph of ``variant`` depends on, as JSON-able fields (its cache and shipped-file key)."""
        return {"stages": variant.stages, "settings": dict(variant.settings), "choices": list(variant.choices)}

    def trace_reference(self, variant: Variant) -> LayerGraph:
        """The reference network of ``variant``, :data:`REFERENCE_BLOCKS` blocks per stage, traced (imports torch)."""
        return self.trace(variant, (REFERENCE_BLOCKS,) * variant.stages,
                          name=f"{self.family}_reference_{variant.stages}x{REFERENCE_BLOCKS}")


@functools.lru_cache(maxsize=64)
def _templates_cached(networks: StagedNetworks, variant: Variant, folder: str) -> StagedTemplates:
    return cached_graph(folder, networks.family, networks.reference_key(variant), networks.sources,
                        trace=lambda: networks.trace_reference(variant),
                        check=lambda graph: cut(graph, variant, networks.prefix_of))
