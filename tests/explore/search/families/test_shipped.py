"""Shipped search templates: current (equal to a fresh trace), the default search's variants, and no torch to search them."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap

import pytest

from hwsim.explore.search.families.base import Variant
from hwsim.explore.search.families.cache import SHIPPED_DIR
from hwsim.explore.search.families.shipped import (
    SHIPPED_KEYS,
    STAGED,
    STAGED_VARIANTS,
    is_current,
    references,
    shipped_path,
    staged_path,
)
from hwsim.explore.search.families.squeezenext import SQUEEZENEXT, TemplateKey, load_templates
from hwsim.graph.layer_graph import LayerGraph
from tests.paths import REPO


def test_shipped_keys_are_the_default_search_variants():
    defaults = [c.default for c in SQUEEZENEXT.choices]
    variants = [Variant(SQUEEZENEXT.stages, tuple(SQUEEZENEXT.default_settings.items()), choice)
                for choice in itertools.product(*defaults)]  # fmt: skip
    assert sorted(map(repr, SHIPPED_KEYS)) == sorted(repr(TemplateKey.of_variant(v)) for v in variants)
    assert len(SHIPPED_KEYS) == 4  # conv1 5/7 x shortcut v1/v5


def test_staged_variants_are_the_default_search_variants():
    # MobileNet v1/v2 and ShuffleNet v2 have no choice: one variant each; ShuffleNet v1 searches
    # every group count of the paper (1, 2, 3, 4, 8) by default: five.
    assert {name: len(v) for name, v in STAGED_VARIANTS.items()} == {
        "mobilenet_v1": 1, "mobilenet_v2": 1, "shufflenet_v1": 5, "shufflenet_v2": 1}  # fmt: skip
    for family, _ in STAGED:
        for variant in STAGED_VARIANTS[family.name]:
            assert variant.stages == family.stages and dict(variant.settings) == family.default_settings
    assert sorted(v.choices for v in STAGED_VARIANTS["shufflenet_v1"]) == [(1,), (2,), (3,), (4,), (8,)]


def test_one_file_per_shipped_reference():
    assert sorted((SHIPPED_DIR / "squeezenext").glob("*.json")) == sorted(shipped_path(k) for k in SHIPPED_KEYS)
    assert sorted(SHIPPED_DIR.glob("*/*.json")) == sorted(path for path, _ in references())
    assert len(references()) == 4 + 8


@pytest.mark.slow
@pytest.mark.parametrize("path, trace", references(), ids=lambda item: getattr(item, "stem", ""))
def test_shipped_reference_equals_a_fresh_trace(path, trace):
    """The guard that shipped_templates/ is current: `make graphs` when this fails."""
    assert is_current(path, trace), f"{path} is stale: run `python -m hwsim.explore.search.families.shipped --regenerate`"


@pytest.mark.parametrize("key", SHIPPED_KEYS, ids=lambda k: f"k{k.conv1_kernel}-{k.shortcut}")
def test_shipped_templates_load_without_a_cache(key):
    templates = load_templates(key, cache_dir="")  # no disk cache: only the shipped file can give them
    assert templates.reference == LayerGraph.load(shipped_path(key))


@pytest.mark.parametrize("family, networks", STAGED, ids=lambda item: getattr(item, "name", ""))
def test_staged_templates_load_without_a_cache(family, networks):
    for variant in STAGED_VARIANTS[family.name]:
        templates = networks.load_templates(variant, cache_dir="")  # no disk cache: only the shipped file
        assert templates.reference == LayerGraph.load(staged_path(networks, variant))


def test_search_with_the_default_variants_never_imports_torch(tmp_path):
    cache = tmp_path / "empty-cache"
    code = textwrap.dedent(
        f"""
        import contextlib, io, sys
        from hwsim.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            rcs = [main(["search", family, "--accel", "ws_16x16", "--blocks-total", "8", "-o", {str(tmp_path)!r} + f"/{{family}}.csv"])
                   for family in ("squeezenext", "mobilenet_v1", "mobilenet_v2", "shufflenet_v1", "shufflenet_v2")]
        print(*rcs, "torch" in sys.modules)
        """
    )
    env = {**os.environ, "HWSIM_CACHE_DIR": str(cache)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO, env=env)
    assert out.stdout.split() == ["0"] * 5 + ["False"], out.stderr
    assert not cache.exists()  # nothing traced, nothing cached
    for csv in tmp_path.glob("*.csv"):
        assert len(csv.read_text().splitlines()) > 1, csv
