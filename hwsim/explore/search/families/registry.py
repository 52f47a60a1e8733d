"""The search families by name: :func:`register` (refuses a name taken), :func:`family`, :func:`names`.

The CLI's FAMILY choices, its per-family flags, the CSV columns, the report and the figures all
derive from the registered :class:`~hwsim.explore.search.families.base.Family` values. A new
family is one module next to :mod:`~hwsim.explore.search.families.squeezenext` plus one line in
:data:`BUILT_IN`.
"""

from __future__ import annotations

from hwsim.errors import ConfigError
from hwsim.explore.search.families.base import Family
from hwsim.explore.search.families.mobilenet_v1 import MOBILENET_V1
from hwsim.explore.search.families.mobilenet_v2 import MOBILENET_V2
from hwsim.explore.search.families.shufflenet_v1 import SHUFFLENET_V1
from hwsim.explore.search.families.shufflenet_v2 import SHUFFLENET_V2
from hwsim.explore.search.families.squeezenext import SQUEEZENEXT

__all__ = ["BUILT_IN", "families", "family", "names", "register", "unregister"]

#: The families shipped with hwsim, registered on import (named as the zoo's model prefixes).
BUILT_IN: tuple[Family, ...] = (SQUEEZENEXT, MOBILENET_V1, MOBILENET_V2, SHUFFLENET_V1, SHUFFLENET_V2)

_REGISTRY: dict[str, Family] = {}


def register(new: Family) -> Family:
    """Add ``new`` under its name; a name already registered raises ``ValueError``."""
    if new.name in _REGISTRY:
        raise ValueError(f"search family {new.name!r} is already registered")
    _REGISTRY[new.name] = new
    return new


def unregister(name: str) -> None:
    """Remove the family ``name`` (a name not registered raises ``KeyError``)."""
    del _REGISTRY[name]


def family(name: str) -> Family:
    """The family registered as ``name``; an unknown name raises :class:`ConfigError`."""
    if name not in _REGISTRY:
        raise ConfigError(f"unknown family {name!r}; expected one of {', '.join(names())}")
    return _REGISTRY[name]


def names() -> tuple[str, ...]:
    """Registered family names, in the order they were registered."""
    return tuple(_REGISTRY)


def families() -> tuple[Family, ...]:
    """Registered families, in the order they were registered."""
    return tuple(_REGISTRY.values())


for _built_in in BUILT_IN:
    register(_built_in)
