"""SqueezeNext layer graphs assembled from per-block layer templates (exact, no torch once cached).

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
of templates is checked on load by reassembling its own reference graph.

Templates are traced once per (width, conv1 kernel, shortcut style, grouped, classes, stages,
input size, batch) and cached on disk as the reference graph's JSON
(``$HWSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/hwsim``, else ``~/.cache/hwsim``; the file name
is a hash of the key, hwsim's and torch's versions and the source of the exporter and the
SqueezeNext builder, so a change to either retraces). After that no torch import is needed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import hwsim
from hwsim.errors import ConfigError, HwsimError
from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.models.squeezenext_spec import SqueezeNextSpec

__all__ = [
    "REFERENCE_BLOCKS_PER_STAGE",
    "SqueezeNextTemplates",
    "TemplateKey",
    "UnitTemplate",
    "assemble",
    "default_cache_dir",
    "graph_name",
    "load_templates",
    "squeezenext_graph",
    "templates_from_graph",
    "trace_squeezenext",
    "unit_counts",
]

#: Blocks per stage of the traced reference network: block 0 (first), 1 (odd), 2 (even).
REFERENCE_BLOCKS_PER_STAGE = 3

#: Sources the traced templates depend on; a folder stands for every .py file in it.
_SOURCES = ("export", "graph", "models/squeezenext.py", "models/squeezenext_spec.py")


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
        """Stem, every stage's (first, odd, even), head: the order of :func:`unit_counts`."""
        return (self.stem, *(u for stage in self.stages for u in stage), self.head)


def unit_counts(blocks: Sequence[int]) -> tuple[int, ...]:
    """How many copies of each template (order of :attr:`SqueezeNextTemplates.units`) a network uses.

    Stage with ``n`` blocks: one ``first``, ``n // 2`` ``odd`` (blocks 1, 3, ..) and
    ``(n - 1) // 2`` ``even`` (blocks 2, 4, ..).
    """
    counts = [1]
    for n in blocks:
        counts += [1, n // 2, (n - 1) // 2]
    return (*counts, 1)


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
def default_cache_dir() -> Path:
    """``$HWSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/hwsim``, else ``~/.cache/hwsim``."""
    if os.environ.get("HWSIM_CACHE_DIR"):
        return Path(os.environ["HWSIM_CACHE_DIR"])
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "hwsim"


@functools.lru_cache(maxsize=1)
def _fingerprint() -> str:
    """Versions and source hashes that invalidate cached templates when they change."""
    from importlib import metadata

    try:
        torch_version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = "none"
    digest = hashlib.sha256(f"hwsim {hwsim.__version__} torch {torch_version}".encode())
    package = Path(hwsim.__file__).resolve().parent
    for relative in _SOURCES:
        path = package / relative
        for file in sorted(path.glob("*.py")) if path.is_dir() else [path]:
            digest.update(file.relative_to(package).as_posix().encode())
            digest.update(file.read_bytes() if file.is_file() else b"missing")
    return digest.hexdigest()


def _cache_file(folder: Path, key: TemplateKey) -> Path:
    text = json.dumps({"key": asdict(key), "fingerprint": _fingerprint()}, sort_keys=True)
    return folder / "squeezenext_templates" / f"{hashlib.sha256(text.encode()).hexdigest()[:24]}.json"


@functools.lru_cache(maxsize=64)
def _templates_cached(key: TemplateKey, cache_dir: str) -> SqueezeNextTemplates:
    name = f"sqnxt_reference_{key.stages}x{REFERENCE_BLOCKS_PER_STAGE}"
    path = _cache_file(Path(cache_dir), key) if cache_dir else None
    if path is not None and path.is_file():
        try:
            return templates_from_graph(LayerGraph.load(path), key)
        except (ValueError, HwsimError):
            pass  # a stale or damaged cache file: trace again and overwrite it
    spec = key.spec((REFERENCE_BLOCKS_PER_STAGE,) * key.stages)
    graph = trace_squeezenext(spec, key.input_size, key.batch, name=name)
    templates = templates_from_graph(graph, key)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            scratch = path.with_suffix(f".{os.getpid()}.tmp")
            graph.save(scratch)
            os.replace(scratch, path)
        except OSError:
            pass  # no writable cache: keep the templates in memory only
    return templates


def load_templates(key: TemplateKey, cache_dir: str | Path | None = None) -> SqueezeNextTemplates:
    """Templates for ``key``: from memory, else the disk cache, else traced once (imports torch).

    ``cache_dir`` defaults to :func:`default_cache_dir`; ``""`` disables the disk cache.
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
