"""hwsim.explore.search.families.squeezenext: SqueezeNext graphs spliced from block templates equal the
traced graphs; unit counts; the family's choices, settings and published versions."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from hwsim.errors import ConfigError
from hwsim.explore.search.families.base import Variant
from hwsim.explore.search.families.cache import cache_file
from hwsim.explore.search.families.squeezenext import (
    REFERENCE_BLOCKS_PER_STAGE,
    SOURCES,
    SQUEEZENEXT,
    TemplateKey,
    assemble,
    counts,
    graph_name,
    load_templates,
    squeezenext_graph,
    templates_for,
    trace_squeezenext,
)
from hwsim.explore.search.space import allocations
from hwsim.graph.layer_graph import LayerGraph
from hwsim.models.squeezenext_spec import VERSIONS, SqueezeNextSpec
from hwsim.sources.zoo import comparable
from tests.paths import REPO


def _cache_file(folder: Path, key: TemplateKey) -> Path:
    return cache_file(folder, "squeezenext", asdict(key), SOURCES)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # one folder for the whole pytest session: test_run and tests/cli/test_search reuse the traces
    folder = tmp_path_factory.getbasetemp() / "hwsim-template-cache"
    folder.mkdir(exist_ok=True)
    return folder


def _diff(a: LayerGraph, b: LayerGraph) -> str:
    """The first difference between two graphs, for a readable failure."""
    for field in ("name", "input_shape", "unsupported", "metadata"):
        if getattr(a, field) != getattr(b, field):
            return f"{field}: {getattr(a, field)!r} != {getattr(b, field)!r}"
    if len(a.layers) != len(b.layers):
        return f"{len(a.layers)} layers != {len(b.layers)}"
    for x, y in zip(a.layers, b.layers):
        if x != y:
            return f"layer {x.name}: " + ", ".join(f"{k}={v!r}/{asdict(y)[k]!r}" for k, v in asdict(x).items() if asdict(y)[k] != v)
    return "equal"


@pytest.mark.parametrize("n", range(1, 9))
def test_unit_counts_match_block_indices(n: int) -> None:
    # block 0 is the stage's first unit; blocks j >= 1 alternate 1x3-first (odd j) and 3x1-first (even j)
    odd = sum(1 for j in range(1, n) if j % 2 == 1)
    even = sum(1 for j in range(1, n) if j % 2 == 0)
    assert counts(np.array([(n, 1)])).tolist() == [[1, 1, odd, even, 1, 0, 0, 1]]
    assert counts(np.array([(n,)]))[0, 1:4].sum() == n  # every block counted once


def test_counts_are_integer_exact_for_large_spaces() -> None:
    # the unit counts of every allocation sum to its blocks per stage (no block lost or doubled)
    blocks = np.array(list(allocations(21, 4, 1)), dtype=np.int64)
    matrix = counts(blocks)
    assert matrix.shape == (1140, 1 + 4 * 3 + 1) and matrix.dtype == np.int64
    per_stage = matrix[:, 1:-1].reshape(len(blocks), 4, 3).sum(axis=2)
    assert (per_stage == blocks).all() and (matrix[:, [0, -1]] == 1).all()  # one stem, one head


def test_the_family_marks_v1_to_v5_and_validates_settings() -> None:
    assert SQUEEZENEXT.name == "squeezenext" and (SQUEEZENEXT.stages, SQUEEZENEXT.blocks_total) == (4, 21)
    assert SQUEEZENEXT.blocks_total + SQUEEZENEXT.depth_layers == 23  # SqNxt-23
    assert [(p.label, p.blocks, p.choices) for p in SQUEEZENEXT.published] == [
        (f"v{n}", blocks, (conv1, shortcut)) for n, (blocks, conv1, shortcut) in sorted(VERSIONS.items())]
    assert [c.name for c in SQUEEZENEXT.choices] == ["conv1", "shortcut"]
    conv1 = SQUEEZENEXT.choice("conv1")
    assert (conv1.show(5), conv1.say(5), conv1.value_of(" 7 "), conv1.value_of("3")) == ("5x5", "conv1 5", 7, None)
    settings = SQUEEZENEXT.check(4, {**SQUEEZENEXT.default_settings, "width": 2})
    assert settings["width"] == 2.0 and isinstance(settings["width"], float)
    assert SQUEEZENEXT.describe({**settings, "grouped": True}) == "width 2.0 grouped"
    for bad in ({"width": 0.3}, {"grouped": "yes"}, {"num_classes": 0}, {"input_size": 10}, {"batch": 0}):
        with pytest.raises(ConfigError):
            SQUEEZENEXT.check(4, {**SQUEEZENEXT.default_settings, **bad})


needs_torch = pytest.mark.skipif(not __import__("importlib").util.find_spec("torch"), reason="needs torch")

CASES = [
    # (template settings, allocations): v1 and v5 themselves, one-block stages, unequal stages
    (TemplateKey(conv1_kernel=7, shortcut="v1"), [(6, 6, 8, 1), (1, 2, 5, 1)]),
    (TemplateKey(conv1_kernel=5, shortcut="v5"), [(2, 4, 14, 1), (1, 1, 1, 4)]),
    (TemplateKey(width=1.5, conv1_kernel=5, shortcut="v1", grouped=True, stages=3, num_classes=10), [(2, 1, 4)]),
]


@needs_torch
@pytest.mark.parametrize(("key", "blocks_list"), CASES, ids=["k7-v1", "k5-v5", "w1.5-grouped-3-stages"])
def test_assembled_graph_equals_traced_graph(key: TemplateKey, blocks_list: list, cache_dir: Path) -> None:
    templates = load_templates(key, cache_dir)
    for blocks in blocks_list:
        spec = key.spec(blocks)
        traced = trace_squeezenext(spec)  # torch: build + export
        assembled = assemble(templates, blocks)
        # shipped templates record the hwsim and torch versions they were traced with
        assert comparable(assembled) == comparable(traced), _diff(comparable(assembled), comparable(traced))
        assert len(assembled.layers) == len(traced.layers)
        assert assembled.macs == traced.macs and assembled.params == traced.params
        # the unit counts say how many layers each unit puts in the graph
        sizes = np.array([stop - start for start, stop in templates.spans])
        assert (counts(np.array([blocks])) @ sizes).tolist() == [len(traced.layers)]


@needs_torch
def test_squeezenext_graph_and_names(cache_dir: Path) -> None:
    spec = SqueezeNextSpec.for_version(5)
    graph = squeezenext_graph(spec, cache_dir=cache_dir)
    assert graph.name == graph_name(spec) == "sqnxt_1.0_2-4-14-1_k5_v5"
    assert graph == assemble(load_templates(TemplateKey.of(spec), cache_dir), spec.blocks)
    # conv1, five convs in each of the 21 blocks, the four v5 stage-entry convs, the final 1x1, the FC
    assert len(graph.gemm_layers) == 1 + 5 * 21 + 4 + 1 + 1
    # one residual add per block, named after the block that makes it
    adds = [layer.name for layer in graph.layers if layer.op == "add"]
    assert adds == [f"stages.{i}.blocks.{j}.add" for i, n in enumerate(spec.blocks) for j in range(n)]
    # the family's hooks: a search variant's templates are the key's
    variant = Variant(4, tuple(SQUEEZENEXT.default_settings.items()), (5, "v5"))
    templates = SQUEEZENEXT.load_templates(variant, cache_dir)
    assert templates is templates_for(variant, cache_dir) is load_templates(TemplateKey.of(spec), cache_dir)
    assert SQUEEZENEXT.assemble(templates, spec.blocks) == graph


@needs_torch
def test_bad_allocations_raise_config_error(cache_dir: Path) -> None:
    templates = load_templates(TemplateKey(conv1_kernel=5, shortcut="v5"), cache_dir)
    with pytest.raises(ConfigError):
        assemble(templates, (2, 4, 14))  # three counts for four stages
    with pytest.raises(ConfigError):
        assemble(templates, (2, 0, 14, 1))  # an empty stage
    with pytest.raises(ConfigError):
        load_templates(TemplateKey(conv1_kernel=3), cache_dir)
    with pytest.raises(ConfigError):
        load_templates(TemplateKey(input_size=8), cache_dir)


@needs_torch
def test_cached_templates_need_no_torch(cache_dir: Path) -> None:
    key = TemplateKey(conv1_kernel=5, shortcut="v5", num_classes=10)  # not shipped: traced once, then cached
    load_templates(key, cache_dir)
    assert _cache_file(cache_dir, key).is_file()
    code = (
        "import sys\n"
        "from hwsim.explore.search.families.squeezenext import TemplateKey, assemble, load_templates\n"
        f"t = load_templates(TemplateKey(conv1_kernel=5, shortcut='v5', num_classes=10), {str(cache_dir)!r})\n"
        "g = assemble(t, (2, 4, 14, 1))\n"
        "print(len(g.layers), 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    expected = len(assemble(load_templates(key, cache_dir), (2, 4, 14, 1)).layers)
    assert out.stdout.split() == [str(expected), "False"]


@needs_torch
def test_damaged_cache_file_is_traced_again(tmp_path: Path) -> None:
    key = TemplateKey(conv1_kernel=5, shortcut="v1", stages=2, num_classes=7)
    path = _cache_file(tmp_path, key)  # a folder of its own: nothing of this key is in memory yet
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    templates = load_templates(key, tmp_path)
    assert len(templates.stages) == 2
    assert LayerGraph.load(path) == templates.reference  # rewritten with the fresh trace
    assert [len(u.layers) for u in templates.units][1:4] == [len(u.layers) for u in templates.units][4:7]
    assert templates.reference.name.endswith(f"2x{REFERENCE_BLOCKS_PER_STAGE}")


def test_template_fingerprint_follows_exporter_sources(tmp_path, monkeypatch):
    """The cache key hashes every exporter source file: editing one must change it."""
    import hwsim
    from hwsim.explore.search.families import cache

    package = tmp_path / "hwsim"
    real = Path(hwsim.__file__).resolve().parent
    for relative in ("export/__init__.py", "export/builder.py", "graph/layer_graph.py", "models/squeezenext.py",
                     "models/squeezenext_spec.py"):
        target = package / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((real / relative).read_bytes())
    monkeypatch.setattr(hwsim, "__file__", str(package / "__init__.py"))
    before = cache.fingerprint.__wrapped__(SOURCES)
    (package / "export" / "builder.py").write_text("# changed\n")
    assert cache.fingerprint.__wrapped__(SOURCES) != before
