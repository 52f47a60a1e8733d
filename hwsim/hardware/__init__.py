"""Accelerators: the validated specification (:mod:`~hwsim.hardware.spec`), one-line schema errors
(:mod:`~hwsim.hardware.validation`), strict YAML (:mod:`~hwsim.hardware.yaml_reader`), SCALE-Sim
``.cfg`` files (:mod:`~hwsim.hardware.scalesim_config`), lookup by name or path
(:mod:`~hwsim.hardware.load`), where a spec's values come from (:mod:`~hwsim.hardware.describe`),
and the shipped accelerators validated at build time (:mod:`~hwsim.hardware.shipped`,
:mod:`~hwsim.hardware.frozen`). Never imports torch.

The names below are imported from :mod:`~hwsim.hardware.load` when first used, so importing a
module of this package (the shipped snapshot, on the way to a profile) does not load the schema
and pydantic.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Accelerator", "accelerator_from_dict", "accelerator_names", "load_accelerator"]


def __getattr__(name: str) -> Any:
    """``hwsim.hardware.<name>`` for the names of ``__all__``, imported from :mod:`~hwsim.hardware.load` when asked."""
    if name in __all__:
        from hwsim.hardware import load

        return getattr(load, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
