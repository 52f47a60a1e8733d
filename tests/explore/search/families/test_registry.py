"""hwsim.explore.search.families.registry: families by name, duplicates refused, unknown names one line."""

from __future__ import annotations

import dataclasses

import pytest

from hwsim.errors import ConfigError
from hwsim.explore.search.families.registry import BUILT_IN, families, family, names, register, unregister
from hwsim.explore.search.families.squeezenext import SQUEEZENEXT
from hwsim.explore.search.space import SearchSpace
from tests.explore.search.toy_family import CHAIN


def test_squeezenext_is_built_in() -> None:
    assert BUILT_IN == (SQUEEZENEXT,)
    assert names()[0] == "squeezenext" and families()[0] is SQUEEZENEXT
    assert family("squeezenext") is SQUEEZENEXT


def test_duplicates_are_refused() -> None:
    with pytest.raises(ValueError, match="'squeezenext' is already registered"):
        register(SQUEEZENEXT)
    with pytest.raises(ValueError, match="already registered"):  # another family under a taken name
        register(dataclasses.replace(CHAIN, name="squeezenext"))
    assert family("squeezenext") is SQUEEZENEXT  # the first one stays


def test_register_and_unregister() -> None:
    with pytest.raises(ConfigError, match="unknown family 'chain'; expected one of squeezenext$"):
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
