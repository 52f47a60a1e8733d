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
from hwsim.explore.search.families.shipped import SHIPPED_KEYS, is_current, shipped_path
from hwsim.explore.search.families.squeezenext import SQUEEZENEXT, TemplateKey, load_templates
from hwsim.graph.layer_graph import LayerGraph
from tests.paths import REPO


def test_shipped_keys_are_the_default_search_variants():
    defaults = [c.default for c in SQUEEZENEXT.choices]
    variants = [Variant(SQUEEZENEXT.stages, tuple(SQUEEZENEXT.default_settings.items()), choice)
                for choice in itertools.product(*defaults)]  # fmt: skip
    assert sorted(map(repr, SHIPPED_KEYS)) == sorted(repr(TemplateKey.of_variant(v)) for v in variants)
    assert len(SHIPPED_KEYS) == 4  # conv1 5/7 x shortcut v1/v5


def test_one_file_per_shipped_key():
    assert sorted((SHIPPED_DIR / "squeezenext").glob("*.json")) == sorted(shipped_path(k) for k in SHIPPED_KEYS)


@pytest.mark.slow
@pytest.mark.parametrize("key", SHIPPED_KEYS, ids=lambda k: f"k{k.conv1_kernel}-{k.shortcut}")
def test_shipped_reference_equals_a_fresh_trace(key):
    """The guard that shipped_templates/ is current: `make graphs` when this fails."""
    assert is_current(key), f"{shipped_path(key)} is stale: run `python -m hwsim.explore.search.families.shipped --regenerate`"


@pytest.mark.parametrize("key", SHIPPED_KEYS, ids=lambda k: f"k{k.conv1_kernel}-{k.shortcut}")
def test_shipped_templates_load_without_a_cache(key):
    templates = load_templates(key, cache_dir="")  # no disk cache: only the shipped file can give them
    assert templates.reference == LayerGraph.load(shipped_path(key))


def test_search_with_the_default_variants_never_imports_torch(tmp_path):
    cache = tmp_path / "empty-cache"
    code = textwrap.dedent(
        f"""
        import contextlib, io, sys
        from hwsim.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            rc = main(["search", "squeezenext", "--accel", "ws_16x16", "--blocks-total", "8", "-o", {str(tmp_path / "s.csv")!r}])
        print(rc, "torch" in sys.modules)
        """
    )
    env = {**os.environ, "HWSIM_CACHE_DIR": str(cache)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO, env=env)
    assert out.stdout.split() == ["0", "False"], out.stderr
    assert not cache.exists()  # nothing traced, nothing cached
    assert len((tmp_path / "s.csv").read_text().splitlines()) > 1
