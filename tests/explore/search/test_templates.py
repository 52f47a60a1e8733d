"""hwsim.explore.search.templates: SqueezeNext graphs spliced from block templates equal the traced graphs."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from hwsim.explore.search.templates import (
    REFERENCE_BLOCKS_PER_STAGE,
    TemplateKey,
    _cache_file,
    _templates_cached,
    assemble,
    graph_name,
    load_templates,
    squeezenext_graph,
    trace_squeezenext,
    unit_counts,
)
from hwsim.errors import ConfigError
from hwsim.graph.layer_graph import LayerGraph
from hwsim.models.squeezenext_spec import SqueezeNextSpec
from tests.paths import REPO

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # one folder for the whole pytest session: test_search and test_cli_search reuse the traces
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
    assert unit_counts((n, 1)) == (1, 1, odd, even, 1, 0, 0, 1)
    assert sum(unit_counts((n,))[1:4]) == n  # every block counted once


CASES = [
    # (template settings, allocations): v1 and v5 themselves, one-block stages, unequal stages
    (TemplateKey(conv1_kernel=7, shortcut="v1"), [(6, 6, 8, 1), (1, 2, 5, 1)]),
    (TemplateKey(conv1_kernel=5, shortcut="v5"), [(2, 4, 14, 1), (1, 1, 1, 4)]),
    (TemplateKey(width=1.5, conv1_kernel=5, shortcut="v1", grouped=True, stages=3, num_classes=10), [(2, 1, 4)]),
]


@pytest.mark.parametrize(("key", "allocations"), CASES, ids=["k7-v1", "k5-v5", "w1.5-grouped-3-stages"])
def test_assembled_graph_equals_traced_graph(key: TemplateKey, allocations: list, cache_dir: Path) -> None:
    templates = load_templates(key, cache_dir)
    for blocks in allocations:
        spec = key.spec(blocks)
        traced = trace_squeezenext(spec)  # torch: build + export
        assembled = assemble(templates, blocks)
        assert assembled == traced, _diff(assembled, traced)
        assert len(assembled.layers) == len(traced.layers)
        assert assembled.macs == traced.macs and assembled.params == traced.params


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


def test_cached_templates_need_no_torch(cache_dir: Path) -> None:
    key = TemplateKey(conv1_kernel=5, shortcut="v5")
    load_templates(key, cache_dir)
    assert _cache_file(cache_dir, key).is_file()
    code = (
        "import sys\n"
        "from hwsim.explore.search.templates import TemplateKey, assemble, load_templates\n"
        f"t = load_templates(TemplateKey(conv1_kernel=5, shortcut='v5'), {str(cache_dir)!r})\n"
        "g = assemble(t, (2, 4, 14, 1))\n"
        "print(len(g.layers), 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    expected = len(assemble(load_templates(key, cache_dir), (2, 4, 14, 1)).layers)
    assert out.stdout.split() == [str(expected), "False"]


def test_damaged_cache_file_is_traced_again(cache_dir: Path) -> None:
    key = TemplateKey(conv1_kernel=5, shortcut="v1", stages=2, num_classes=7)
    path = _cache_file(cache_dir, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    _templates_cached.cache_clear()
    templates = load_templates(key, cache_dir)
    assert len(templates.stages) == 2
    assert LayerGraph.load(path) == templates.reference  # rewritten with the fresh trace
    assert [len(u.layers) for u in templates.units][1:4] == [len(u.layers) for u in templates.units][4:7]
    assert templates.reference.name.endswith(f"2x{REFERENCE_BLOCKS_PER_STAGE}")


def test_template_fingerprint_follows_exporter_sources(tmp_path, monkeypatch):
    """The cache key hashes every exporter source file: editing one must change it."""
    import hwsim
    from hwsim.explore.search import templates as assemble

    package = tmp_path / "hwsim"
    real = __import__("pathlib").Path(hwsim.__file__).resolve().parent
    for relative in ("export/__init__.py", "export/builder.py", "graph/layer_graph.py", "models/squeezenext.py", "models/squeezenext_spec.py"):
        target = package / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((real / relative).read_bytes())
    monkeypatch.setattr(hwsim, "__file__", str(package / "__init__.py"))
    before = assemble._fingerprint.__wrapped__()
    (package / "export" / "builder.py").write_text("# changed\n")
    assert assemble._fingerprint.__wrapped__() != before
