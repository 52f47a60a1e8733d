"""hwsim.explore.search.families.registry: families by name, duplicates refused, unknown names one line."""

from __future__ import annotations

import dataclasses

import pytest

from hwsim.errors import ConfigError
from hwsim.explore.search.families.mobilenet_v1 import MOBILENET_V1
from hwsim.explore.search.families.mobilenet_v2 import MOBILENET_V2
from hwsim.explore.search.families.registry import BUILT_IN, families, family, names, register, unregister
from hwsim.explore.search.families.shufflenet_v1 import SHUFFLENET_V1
from hwsim.explore.search.families.shufflenet_v2 import SHUFFLENET_V2
from hwsim.explore.search.families.squeezenext import SQUEEZENEXT
from hwsim.models import model_names
from hwsim.explore.search.space import SearchSpace
from tests.explore.search.toy_family import CHAIN


def test_the_built_in_families_are_registered_under_the_zoos_prefixes() -> None:
    assert BUILT_IN == (SQUEEZENEXT, MOBILENET_V1, MOBILENET_V2, SHUFFLENET_V1, SHUFFLENET_V2)
    assert names()[:5] == ("squeezenext", "mobilenet_v1", "mobilenet_v2", "shufflenet_v1", "shufflenet_v2")
    assert families()[0] is SQUEEZENEXT and family("squeezenext") is SQUEEZENEXT
    for built_in in BUILT_IN:  # each name is the prefix of zoo models of the family (docs/ZOO.md)
        assert family(built_in.name) is built_in
        assert any(model.startswith(built_in.name) for model in model_names())


def test_duplicates_are_refused() -> None:
    with pytest.raises(ValueError, match="'squeezenext' is already registered"):
        register(SQUEEZENEXT)
    with pytest.raises(ValueError, match="already registered"):  # another family under a taken name
        register(dataclasses.replace(CHAIN, name="squeezenext"))
    assert family("squeezenext") is SQUEEZENEXT  # the first one stays


def test_register_and_unregister() -> None:
    with pytest.raises(ConfigError, match="unknown family 'chain'; expected one of squeezenext, mobilenet_v1, "
                                          "mobilenet_v2, shufflenet_v1, shufflenet_v2$"):
        family("chain")
    assert register(CHAIN) is CHAIN
    try:
        assert names()[-1] == "chain" and family("chain") is CHAIN
        assert SearchSpace(family="chain").definition is CHAIN
        with pytest.raises(ValueError):
            register(CHAIN)
    finally:
        unregister("chain")
    assert "chain" not in names()
    with pytest.raises(ConfigError, match="unknown family 'chain'"):
        SearchSpace(family="chain")
    with pytest.raises(KeyError):
        unregister("chain")
