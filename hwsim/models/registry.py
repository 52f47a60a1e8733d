"""Model names -> :class:`ModelSpec` -> ``nn.Module``; importing this module never imports torch.

The canonical names are those of docs/ZOO.md's registry table (tests, docs and users
type them). :func:`resolve_model` also accepts the long spellings
``squeezenext_<width>[g]_23[v<n>]`` (widths 1.0/1.5/2.0, versions 1..5, e.g.
``squeezenext_1.0_23v5`` for ``squeezenext_23v5``) and ``shufflenet_v1_g<g>_<scale>`` for any
of the listed groups and scales. :func:`build_model` imports the family's module (and so torch)
only when a network is actually built.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from hwsim.errors import ConfigError, UnknownNameError
from hwsim.models.squeezenext_spec import VERSIONS, SqueezeNextSpec

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "ModelSpec",
    "build_model",
    "build_squeezenext",
    "model_names",
    "resolve_model",
    "squeezenext_spec",
]

#: family -> (module, builder function). Each builder takes its kwargs plus ``input_size``.
_BUILDERS: dict[str, tuple[str, str]] = {
    "alexnet": ("hwsim.models.alexnet", "alexnet"),
    "squeezenet": ("hwsim.models.squeezenet", "squeezenet"),
    "squeezenext": ("hwsim.models.squeezenext", "squeezenext"),
    "mobilenet_v1": ("hwsim.models.mobilenet", "mobilenet_v1"),
    "mobilenet_v2": ("hwsim.models.mobilenet", "mobilenet_v2"),
    "shufflenet_v1": ("hwsim.models.shufflenet", "shufflenet_v1"),
    "shufflenet_v2": ("hwsim.models.shufflenet", "shufflenet_v2"),
}

IMAGENET_227 = (3, 227, 227)  # Caffe crop of AlexNet, SqueezeNet, SqueezeNext
IMAGENET_224 = (3, 224, 224)  # MobileNet, ShuffleNet

SQUEEZENEXT_WIDTHS = (1.0, 1.5, 2.0)
SHUFFLENET_V1_GROUPS = (1, 2, 3, 4, 8)
SHUFFLENET_V1_SCALES = (0.25, 0.5, 1.0, 1.5, 2.0)


@dataclass(frozen=True)
class ModelSpec:
    """A named network: its family's builder parameters and its default input.

    Attributes:
        name: canonical registry name.
        family: builder family (a key of the registry's builder table, e.g. ``squeezenext``).
        kwargs: builder parameters as ``(name, value)`` pairs (hashable; see :meth:`kwargs_dict`).
        input_shape: default input (channels, height, width) in pixels, batch excluded.
    """

    name: str
    family: str
    kwargs: tuple[tuple[str, object], ...]
    input_shape: tuple[int, int, int]

    def __post_init__(self) -> None:
        if self.family not in _BUILDERS:
            raise ConfigError(
                f"model '{self.name}': unknown family '{self.family}'; "
                f"expected one of {', '.join(_BUILDERS)}"
            )

    def kwargs_dict(self) -> dict[str, object]:
        """The builder parameters as a fresh dict."""
        return dict(self.kwargs)

    def with_overrides(self, **overrides: object) -> ModelSpec:
        """A copy with builder parameters replaced or added.

        ``input_size`` (pixels, square) changes :attr:`input_shape` instead of the kwargs.
        Names the family's builder does not take raise :class:`ConfigError`; checking them
        imports the family's module (and torch), except for SqueezeNext, whose parameters are
        the fields of the torch-free :class:`SqueezeNextSpec` (validated here at once).
        """
        if not overrides:
            return self
        overrides = dict(overrides)
        input_shape = self.input_shape
        if "input_size" in overrides:
            size = overrides.pop("input_size")
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                raise ConfigError(
                    f"model '{self.name}': input_size must be a positive integer (pixels), got {size!r}"
                )
            input_shape = (input_shape[0], size, size)
        kwargs = self.kwargs_dict()
        if overrides:
            allowed = _builder_parameters(self.family)
            unknown = sorted(set(overrides) - set(allowed))
            if unknown:
                raise ConfigError(
                    f"model '{self.name}': unknown parameter(s) {', '.join(unknown)}; "
                    f"expected some of {', '.join(allowed + ('input_size',))}"
                )
            kwargs.update(overrides)
        pairs = tuple(kwargs.items())
        if self.family == "squeezenext":  # validate now and normalise (lists -> tuples)
            pairs = SqueezeNextSpec(**kwargs).as_kwargs()  # type: ignore[arg-type]
        return replace(self, kwargs=pairs, input_shape=input_shape)


def check_positive_int(model: str, field: str, value: object) -> None:
    """Raise :class:`ConfigError` unless ``value`` is an integer >= 1 (shared by the builders)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{model}: {field} must be a positive integer, got {value!r}")


def check_choice(model: str, field: str, value: object, choices: tuple[object, ...]) -> None:
    """Raise :class:`ConfigError` unless ``value`` is one of ``choices`` (shared by the builders)."""
    if isinstance(value, bool) or value not in choices:
        raise ConfigError(
            f"{model}: {field} must be one of {', '.join(map(str, choices))}, got {value!r}"
        )


def check_blocks(model: str, blocks: object, stages: int) -> tuple[int, ...]:
    """``blocks`` (blocks per stage) as a tuple of ``stages`` integers >= 1, else
    :class:`ConfigError` (shared by the builders)."""
    values = tuple(blocks) if isinstance(blocks, (tuple, list)) else None
    if values is None or len(values) != stages or any(
        isinstance(b, bool) or not isinstance(b, int) or b < 1 for b in values
    ):
        raise ConfigError(f"{model}: blocks must be {stages} integers >= 1 (blocks per stage), got {blocks!r}")
    return values


def _builder_parameters(family: str) -> tuple[str, ...]:
    """Parameter names a family's builder accepts (``input_size`` excluded)."""
    if family == "squeezenext":
        return tuple(f.name for f in fields(SqueezeNextSpec))
    builder = _load_builder(family)
    return tuple(p for p in inspect.signature(builder).parameters if p != "input_size")


def _load_builder(family: str) -> Any:
    module_name, function_name = _BUILDERS[family]
    return getattr(importlib.import_module(module_name), function_name)


def _fmt(value: float) -> str:
    """1.0 -> '1.0', 0.25 -> '0.25' (the spelling used in names)."""
    return repr(float(value))


def _spec(name: str, family: str, input_shape: tuple[int, int, int], **kwargs: object) -> ModelSpec:
    return ModelSpec(name=name, family=family, kwargs=tuple(kwargs.items()), input_shape=input_shape)


def _squeezenext_name(width: float, grouped: bool, version: int) -> str:
    suffix = "" if version == 1 else f"v{version}"
    if width == 1.0 and not grouped:
        return f"squeezenext_23{suffix}"
    return f"squeezenext_{_fmt(width)}{'g' if grouped else ''}_23{suffix}"


def _squeezenext(width: float, grouped: bool, version: int) -> ModelSpec:
    sqnxt = SqueezeNextSpec.for_version(version, width=width, grouped=grouped)
    return ModelSpec(
        name=_squeezenext_name(width, grouped, version),
        family="squeezenext",
        kwargs=sqnxt.as_kwargs(),
        input_shape=IMAGENET_227,
    )


def _shufflenet_v1_name(groups: int, scale: float) -> str:
    return f"shufflenet_v1_g{groups}" + ("" if scale == 1.0 else f"_{_fmt(scale)}")


def _shufflenet_v1(groups: int, scale: float) -> ModelSpec:
    return _spec(
        _shufflenet_v1_name(groups, scale), "shufflenet_v1", IMAGENET_224, groups=groups, scale=scale
    )


def _canonical_specs() -> tuple[ModelSpec, ...]:
    specs = [
        _spec("alexnet", "alexnet", IMAGENET_227, grouped=False),
        _spec("alexnet_grouped", "alexnet", IMAGENET_227, grouped=True),
        _spec("squeezenet1_0", "squeezenet", IMAGENET_227, version="1_0", bypass="none"),
        _spec("squeezenet1_1", "squeezenet", IMAGENET_227, version="1_1", bypass="none"),
        _spec("squeezenet1_0_simple_bypass", "squeezenet", IMAGENET_227, version="1_0",
              bypass="simple"),
        _spec("squeezenet1_0_complex_bypass", "squeezenet", IMAGENET_227, version="1_0",
              bypass="complex"),
    ]
    specs += [_squeezenext(1.0, False, version) for version in sorted(VERSIONS)]
    specs += [_squeezenext(width, False, version) for width in (1.5, 2.0) for version in (1, 5)]
    specs.append(_squeezenext(1.0, True, 1))
    specs.append(_spec("mobilenet_v1", "mobilenet_v1", IMAGENET_224, width=1.0))
    specs += [
        _spec(f"mobilenet_v1_{_fmt(w)}", "mobilenet_v1", IMAGENET_224, width=w)
        for w in (0.75, 0.5, 0.25)
    ]
    specs.append(_spec("mobilenet_v2", "mobilenet_v2", IMAGENET_224, width=1.0))
    specs += [
        _spec(f"mobilenet_v2_{_fmt(w)}", "mobilenet_v2", IMAGENET_224, width=w)
        for w in (0.5, 0.75, 1.4)
    ]
    specs += [_shufflenet_v1(g, 1.0) for g in SHUFFLENET_V1_GROUPS]
    specs += [_shufflenet_v1(3, s) for s in (0.25, 0.5, 1.5, 2.0)]
    specs += [
        _spec(f"shufflenet_v2_{_fmt(s)}", "shufflenet_v2", IMAGENET_224, scale=s)
        for s in (0.5, 1.0, 1.5, 2.0)
    ]
    return tuple(specs)


_CANONICAL: dict[str, ModelSpec] = {spec.name: spec for spec in _canonical_specs()}

_SQUEEZENEXT_LONG = re.compile(r"squeezenext_(?P<width>\d+\.\d+)(?P<g>g?)_23(?:v(?P<version>\d+))?")
_SHUFFLENET_V1 = re.compile(r"shufflenet_v1_g(?P<groups>\d+)(?:_(?P<scale>\d+\.\d+))?")


def model_names() -> tuple[str, ...]:
    """Canonical model names, in the order of docs/ZOO.md's registry table."""
    return tuple(_CANONICAL)


def _parse_alternate(name: str) -> ModelSpec | None:
    match = _SQUEEZENEXT_LONG.fullmatch(name)
    if match:
        width = float(match["width"])
        version = int(match["version"] or 1)
        if width in SQUEEZENEXT_WIDTHS and version in VERSIONS:
            return _squeezenext(width, bool(match["g"]), version)
        return None
    match = _SHUFFLENET_V1.fullmatch(name)
    if match:
        groups = int(match["groups"])
        scale = float(match["scale"] or 1.0)
        if groups in SHUFFLENET_V1_GROUPS and scale in SHUFFLENET_V1_SCALES:
            return _shufflenet_v1(groups, scale)
    return None


def resolve_model(name: str) -> ModelSpec:
    """The :class:`ModelSpec` of a canonical name or an accepted alternate spelling.

    Raises :class:`UnknownNameError` (with the closest canonical names) for anything else.
    """
    key = name.strip().lower() if isinstance(name, str) else name
    if not isinstance(key, str):
        raise UnknownNameError("model", repr(name), model_names())
    spec = _CANONICAL.get(key) or _parse_alternate(key)
    if spec is None:
        raise UnknownNameError("model", name, model_names())
    return spec


def squeezenext_spec(name_or_spec: str | ModelSpec, **overrides: object) -> SqueezeNextSpec:
    """The :class:`SqueezeNextSpec` of a SqueezeNext model name/spec, with fields overridden."""
    spec = resolve_model(name_or_spec) if isinstance(name_or_spec, str) else name_or_spec
    if spec.family != "squeezenext":
        raise ConfigError(f"model '{spec.name}' is a {spec.family}, not a SqueezeNext")
    spec = spec.with_overrides(**overrides)
    return SqueezeNextSpec(**spec.kwargs_dict())  # type: ignore[arg-type]


def build_squeezenext(spec: SqueezeNextSpec, input_size: int = IMAGENET_227[1]) -> nn.Module:
    """Build a SqueezeNext network from its spec (imports torch)."""
    from hwsim.models.squeezenext import squeezenext

    return squeezenext(spec, input_size=input_size)


def build_model(name_or_spec: str | ModelSpec, **overrides: object) -> nn.Module:
    """Build a network with random weights (imports torch and the family's module).

    ``overrides`` are builder parameters, e.g. ``num_classes=10``, ``input_size=160``, or for
    SqueezeNext any :class:`SqueezeNextSpec` field (``blocks=(3, 5, 12, 1)``, ``width=1.5``).
    Unknown parameters and invalid values raise :class:`ConfigError`.
    """
    spec = resolve_model(name_or_spec) if isinstance(name_or_spec, str) else name_or_spec
    spec = spec.with_overrides(**overrides)
    input_size = spec.input_shape[1]
    if spec.family == "squeezenext":
        sqnxt = SqueezeNextSpec(**spec.kwargs_dict())  # type: ignore[arg-type]
        return build_squeezenext(sqnxt, input_size=input_size)
    return _load_builder(spec.family)(**spec.kwargs_dict(), input_size=input_size)
