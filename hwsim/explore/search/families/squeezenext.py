"""The SqueezeNext search family: networks assembled from per-block layer templates (exact, no torch once cached).

:data:`SQUEEZENEXT` is the :class:`~hwsim.explore.search.families.base.Family`: blocks over
stages (default 21 over 4, SqNxt-23), the conv1 kernel and shortcut style as choices, the width
(and grouped, classes, input size, batch) as settings, v1..v5 as published networks.

Tracing a SqueezeNext with :func:`hwsim.export.export` takes about a second; the block-allocation
search needs thousands of graphs. A SqueezeNext graph is a fixed stem, then per stage a first
block (with the stage's projection shortcut, or the v5 ``entry`` conv) followed by identity
blocks that differ only in the order of their 3x1 and 1x3 convs, then a fixed head. Nothing in
a block's layers depends on how many blocks its stage has, so one traced *reference* network with
three blocks in every stage holds every piece any allocation needs:

- the **stem**: the layers before ``stages.``;
- per stage ``i``, three **unit templates**: ``first`` (block 0, with ``stages.i.entry`` in v5
  style), ``odd`` (block 1: 1x3 first) and ``even`` (block 2: 3x1 first);
- the **head**: the layers from ``head.`` on.

:func:`assemble` splices them for an allocation ``(n_1, .., n_S)``: block ``j > 0`` of stage
``i`` is a copy of ``odd`` or ``even`` with the qualified prefix ``stages.i.blocks.<ref>.``
renamed to ``stages.i.blocks.j.`` (every layer of a block has it: the exporter names the
block's residual add after its module, ``stages.i.blocks.<ref>.add``) and its external input
rewired to the previous unit's output; the stem, the first units and the head keep their names.
The result equals ``export(build_squeezenext(spec), ...)`` field for field (tests check this); each set
of templates is checked on load by reassembling its own reference graph. :func:`counts` says
how many copies of each unit an allocation uses.

Templates are traced once per (width, conv1 kernel, shortcut style, grouped, classes, stages,
input size, batch) and cached on disk as the reference graph's JSON
(:mod:`hwsim.explore.search.families.cache`; the file name hashes the key, hwsim's and torch's
versions and the source of the exporter and the SqueezeNext builder, so a change to either
retraces). After that no torch import is needed. The reference graphs of the variants a search
runs by default (width 1.0, conv1 5 or 7, shortcut v1 or v5) ship with hwsim
(:mod:`hwsim.explore.search.families.shipped`): they are never traced at all.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hwsim.errors import ConfigError
from hwsim.explore.search.families.base import Choice, Family, Published, Setting, Variant
from hwsim.explore.search.families.cache import cached_graph, default_cache_dir
from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.models.squeezenext_spec import CONV1_KERNELS, SHORTCUT_STYLES, VERSIONS, SqueezeNextSpec

__all__ = [
    "REFERENCE_BLOCKS_PER_STAGE",
    "SQUEEZENEXT",
    "SqueezeNextTemplates",
    "TemplateKey",
    "UnitTemplate",
    "assemble",
    "counts",
    "graph_name",
    "load_templates",
    "squeezenext_graph",
    "templates_from_graph",
    "trace_reference",
    "trace_squeezenext",
]

#: Blocks per stage of the traced reference network: block 0 (first), 1 (odd), 2 (even).
REFERENCE_BLOCKS_PER_STAGE = 3

#: Sources the traced templates depend on; a folder stands for every .py file in it.
SOURCES = ("export", "graph", "models/squeezenext.py", "models/squeezenext_spec.py")


@dataclass(frozen=True)
class TemplateKey:
    """What a set of templates depends on: everything of a SqueezeNext but its allocation.

    ``input_size`` is the square input in pixels; ``batch`` the N of the traced input.
    """

    width: float = 1.0
    conv1_kernel: int = 7
    shortcut: str = "v1"
    grouped: bool = False
    num_classes: int = 1000
    stages: int = 4
    input_size: int = 227
    batch: int = 1

    @classmethod
    def of(cls, spec: SqueezeNextSpec, input_size: int = 227, batch: int = 1) -> TemplateKey:
        """The key of ``spec``'s templates."""
        return cls(spec.width, spec.conv1_kernel, spec.shortcut, spec.grouped, spec.num_classes,
                   len(spec.blocks), input_size, batch)

    @classmethod
    def of_variant(cls, variant: Variant) -> TemplateKey:
        """The key of a search variant (settings of :data:`SQUEEZENEXT`, choices conv1 and shortcut)."""
        conv1_kernel, shortcut = variant.choices
        return cls(variant.setting("width"), conv1_kernel, shortcut, variant.setting("grouped"),
                   variant.setting("num_classes"), variant.stages, variant.setting("input_size"),
                   variant.setting("batch"))

    def spec(self, blocks: Sequence[int]) -> SqueezeNextSpec:
        """The SqueezeNext with these settings and ``blocks`` per stage."""
        return SqueezeNextSpec(width=self.width, blocks=tuple(blocks), conv1_kernel=self.conv1_kernel,
                               grouped=self.grouped, shortcut=self.shortcut, num_classes=self.num_classes)

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        """N x C x H x W of the network input."""
        return (self.batch, 3, self.input_size, self.input_size)


@dataclass(frozen=True)
class UnitTemplate:
    """A contiguous run of layers of the reference graph (stem, one block, or head).

    ``prefix`` is the qualified-name prefix renamed when the unit is placed at another block
    index ("" for units that are never renamed); ``external_input`` is the name of the previous
    unit's output as the reference graph spells it ("" for the stem, which reads ``input``).
    ``start``/``stop`` locate the layers in the reference graph.
    """

    layers: tuple[Layer, ...]
    prefix: str
    external_input: str
    start: int
    stop: int


@dataclass(frozen=True)
class SqueezeNextTemplates:
    """Stem, per-stage unit templates and head cut from one traced reference graph."""

    key: TemplateKey
    reference: LayerGraph  #: the traced network with :data:`REFERENCE_BLOCKS_PER_STAGE` blocks per stage
    stem: UnitTemplate
    stages: tuple[tuple[UnitTemplate, UnitTemplate, UnitTemplate], ...]  #: (first, odd, even) per stage
    head: UnitTemplate

    @property
    def units(self) -> tuple[UnitTemplate, ...]:
        """Stem, every stage's (first, odd, even), head: the columns of :func:`counts`."""
        return (self.stem, *(u for stage in self.stages for u in stage), self.head)

    @property
    def spans(self) -> tuple[tuple[int, int], ...]:
        """``(start, stop)`` of each of :attr:`units` in :attr:`reference`."""
        return tuple((u.start, u.stop) for u in self.units)


def counts(blocks: NDArray[np.int64]) -> NDArray[np.int64]:
    """Copies of each unit (columns: :attr:`SqueezeNextTemplates.units`) for a ``(candidates, stages)`` block matrix.

    One stem and one head; a stage with ``n`` blocks: one ``first``, ``n // 2`` ``odd``
    (blocks 1, 3, ..) and ``(n - 1) // 2`` ``even`` (blocks 2, 4, ..).
    """
    blocks = np.asarray(blocks, dtype=np.int64)
    ones = np.ones(len(blocks), dtype=np.int64)
    cols = [ones]
    for i in range(blocks.shape[1]):
        n = blocks[:, i]
        cols += [ones, n // 2, (n - 1) // 2]
    cols.append(ones)
    return np.stack(cols, axis=1)


def graph_name(spec: SqueezeNextSpec) -> str:
    """Deterministic graph name of a searched SqueezeNext, e.g. ``sqnxt_1.0_6-6-8-1_k7_v1``."""
    blocks = "-".join(str(b) for b in spec.blocks)
    grouped = "g" if spec.grouped else ""
    return f"sqnxt_{spec.width!r}{grouped}_{blocks}_k{spec.conv1_kernel}_{spec.shortcut}"


def _model_kwargs_json(spec: SqueezeNextSpec) -> str:
    # export() records model_kwargs exactly this way (json.dumps, sort_keys, default=str)
    return json.dumps(dict(spec.as_kwargs()), sort_keys=True, default=str)


def trace_squeezenext(spec: SqueezeNextSpec, input_size: int = 227, batch: int = 1,
                      name: str | None = None) -> LayerGraph:
    """Build and export ``spec`` with torch (the slow, reference path; imports torch).

    The graph is named ``name`` (default :func:`graph_name`) and records ``spec``'s fields as
    ``model_kwargs`` metadata, as the assembled graphs do.
    """
    from hwsim.export import export
    from hwsim.models import build_squeezenext

    module = build_squeezenext(spec, input_size=input_size)
    return export(module, (batch, 3, input_size, input_size), name=name or graph_name(spec),
                  model_kwargs=dict(spec.as_kwargs()))


# --------------------------------------------------------------------------- cutting templates
def _start_of(layers: Sequence[Layer], prefix: str, after: int) -> int:
    for index in range(after, len(layers)):
        if layers[index].name.startswith(prefix):
            return index
    raise ValueError(f"reference graph has no layer named {prefix}*")


def templates_from_graph(reference: LayerGraph, key: TemplateKey) -> SqueezeNextTemplates:
    """Cut ``reference`` (``key``'s network with 3 blocks per stage) into templates, and check them.

    Raises ``ValueError`` if the graph does not have the expected structure or if reassembling
    the reference allocation does not give ``reference`` back exactly.
    """
    if reference.unsupported:
        raise ValueError(f"{reference.name}: unsupported ops {reference.unsupported} cannot be assembled")
    layers = reference.layers
    n_ref = REFERENCE_BLOCKS_PER_STAGE
    starts: list[tuple[int, str]] = []  # (start index, prefix renamed) per unit after the stem
    position = 0
    for i in range(key.stages):
        position = _start_of(layers, f"stages.{i}.", position)
        starts.append((position, ""))  # the first unit (entry + block 0) keeps its names
        for j in range(1, n_ref):
            prefix = f"stages.{i}.blocks.{j}."
            position = _start_of(layers, prefix, position + 1)
            starts.append((position, prefix))
    head_start = _start_of(layers, "head.", position + 1)
    bounds = [(0, ""), *starts, (head_start, "")]
    units = []
    for index, (start, prefix) in enumerate(bounds):
        stop = bounds[index + 1][0] if index + 1 < len(bounds) else len(layers)
        external = layers[start - 1].name if start > 0 else ""
        units.append(UnitTemplate(tuple(layers[start:stop]), prefix, external, start, stop))
    stages = tuple(
        (units[1 + 3 * i], units[2 + 3 * i], units[3 + 3 * i]) for i in range(key.stages)
    )
    templates = SqueezeNextTemplates(key, reference, units[0], stages, units[-1])
    for unit in templates.units:
        inside = {layer.name for layer in unit.layers}
        for layer in unit.layers:
            if unit.prefix and not layer.name.startswith(unit.prefix):
                raise ValueError(f"{reference.name}: layer {layer.name} of a block is not named {unit.prefix}*")
            for source in layer.inputs:
                if source not in inside and source not in ("input", unit.external_input):
                    raise ValueError(f"{reference.name}: layer {layer.name} reads {source}, outside its unit")
    spec = key.spec((n_ref,) * key.stages)
    again = assemble(templates, spec.blocks, name=reference.name)
    if again != reference:
        raise ValueError(f"{reference.name}: templates do not reassemble the reference graph")
    return templates


# --------------------------------------------------------------------------- assembling
def assemble(templates: SqueezeNextTemplates, blocks: Sequence[int], name: str | None = None) -> LayerGraph:
    """The LayerGraph of the SqueezeNext with ``blocks`` per stage, spliced from ``templates``.

    Equal (every field of every layer, name, input shape and metadata) to what
    :func:`trace_squeezenext` returns for the same network and ``name`` (default
    :func:`graph_name`). Raises :class:`~hwsim.errors.ConfigError` for an invalid allocation.
    """
    blocks = tuple(blocks)
    key = templates.key
    if len(blocks) != key.stages:
        raise ConfigError(f"squeezenext: {len(blocks)} block counts {blocks} for templates of {key.stages} stages")
    spec = key.spec(blocks)  # validates the allocation
    out: list[Layer] = []
    previous = ""  # assembled name of the previous unit's output

    def place(unit: UnitTemplate, new_prefix: str) -> None:
        nonlocal previous
        renames = {unit.external_input: previous} if unit.external_input else {}
        for layer in unit.layers:  # every layer of a renamed unit starts with its prefix
            renames[layer.name] = new_prefix + layer.name[len(unit.prefix):] if unit.prefix else layer.name
        for layer in unit.layers:
            inputs = tuple(renames.get(source, source) for source in layer.inputs)
            new = renames[layer.name]
            out.append(layer if (new, inputs) == (layer.name, layer.inputs) else replace(layer, name=new, inputs=inputs))
        previous = out[-1].name

    place(templates.stem, "")
    for i, n in enumerate(blocks):
        first, odd, even = templates.stages[i]
        place(first, "")
        for j in range(1, n):
            place(odd if j % 2 else even, f"stages.{i}.blocks.{j}.")
    place(templates.head, "")
    metadata = tuple(
        (k, _model_kwargs_json(spec)) if k == "model_kwargs" else (k, v) for k, v in templates.reference.metadata
    )
    return LayerGraph(name=name or graph_name(spec), input_shape=templates.reference.input_shape,
                      layers=tuple(out), unsupported=(), metadata=metadata)


# --------------------------------------------------------------------------- caching
def trace_reference(key: TemplateKey) -> LayerGraph:
    """The reference graph of ``key`` (:data:`REFERENCE_BLOCKS_PER_STAGE` blocks in every stage), traced (imports torch)."""
    spec = key.spec((REFERENCE_BLOCKS_PER_STAGE,) * key.stages)
    name = f"sqnxt_reference_{key.stages}x{REFERENCE_BLOCKS_PER_STAGE}"
    return trace_squeezenext(spec, key.input_size, key.batch, name=name)


@functools.lru_cache(maxsize=64)
def _templates_cached(key: TemplateKey, cache_dir: str) -> SqueezeNextTemplates:
    return cached_graph(cache_dir, "squeezenext", asdict(key), SOURCES,
                        trace=lambda: trace_reference(key), check=lambda graph: templates_from_graph(graph, key))


def load_templates(key: TemplateKey, cache_dir: str | Path | None = None) -> SqueezeNextTemplates:
    """Templates for ``key``: from memory, else the disk cache, else traced once (imports torch).

    ``cache_dir`` defaults to :func:`~hwsim.explore.search.families.cache.default_cache_dir`;
    ``""`` disables the disk cache.
    Invalid settings (width, kernel, shortcut) raise :class:`~hwsim.errors.ConfigError`.
    """
    key.spec((1,) * key.stages).check_input_size(key.input_size)  # validate before any tracing
    folder = str(default_cache_dir() if cache_dir is None else cache_dir)
    return _templates_cached(key, folder)


def squeezenext_graph(spec: SqueezeNextSpec, input_size: int = 227, batch: int = 1, name: str | None = None,
                      cache_dir: str | Path | None = None) -> LayerGraph:
    """The exported graph of ``spec`` (as :func:`trace_squeezenext` gives it), assembled from templates."""
    spec.check_input_size(input_size)
    return assemble(load_templates(TemplateKey.of(spec, input_size, batch), cache_dir), spec.blocks, name)


# --------------------------------------------------------------------------- the family
def check_settings(stages: int, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Width, grouped and classes as :class:`SqueezeNextSpec` takes them, an input size the
    ``stages`` stages fit; the width as a float. Raises :class:`ConfigError`."""
    spec = SqueezeNextSpec(width=settings["width"], blocks=(1,) * stages, grouped=settings["grouped"],
                           num_classes=settings["num_classes"])
    spec.check_input_size(settings["input_size"])
    batch = settings["batch"]
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ConfigError(f"squeezenext: batch must be an integer >= 1, got {batch!r}")
    return {**settings, "width": spec.width}


def describe_settings(settings: Mapping[str, Any]) -> str:
    """``width 1.0``, ``width 1.5 grouped``."""
    return f"width {settings['width']!r}{' grouped' if settings['grouped'] else ''}"


def templates_for(variant: Variant, cache_dir: str | Path | None = None) -> SqueezeNextTemplates:
    """The templates of a search variant (:func:`load_templates` of :meth:`TemplateKey.of_variant`)."""
    return load_templates(TemplateKey.of_variant(variant), cache_dir)


#: The SqueezeNext family: SqNxt-23's 21 blocks over 4 stages by default, conv1 kernel and
#: shortcut style chosen per candidate, v1..v5 marked (:data:`~hwsim.models.squeezenext_spec.VERSIONS`).
SQUEEZENEXT = Family(
    name="squeezenext",
    title="SqueezeNext",
    stages=4,
    blocks_total=21,
    load_templates=templates_for,
    assemble=assemble,
    counts=counts,
    choices=(
        Choice("conv1", CONV1_KERNELS, (5, 7), noun="kernel sizes", help="conv1 kernel sizes to try",
               cell="{value}x{value}", prose="conv1 {value}"),
        Choice("shortcut", SHORTCUT_STYLES, ("v1", "v5"), noun="styles", help="shortcut styles to try",
               prose="{value}"),
    ),
    settings=(
        Setting("width", 1.0, help="width multiplier of the stage channels", per_row=True),
        Setting("grouped", False),
        Setting("num_classes", 1000),
        Setting("input_size", 227),
        Setting("batch", 1),
    ),
    published=tuple(Published(f"v{n}", blocks, (conv1, shortcut)) for n, (blocks, conv1, shortcut)
                    in sorted(VERSIONS.items())),
    published_title="Published versions (SqueezeNextSpec.for_version)",
    depth_layers=2,
    depth_note="conv1 + blocks + final 1x1",
    check=check_settings,
    describe=describe_settings,
)
