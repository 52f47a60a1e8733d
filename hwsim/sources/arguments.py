"""Checks of the arguments every model-source loader takes (batch, input size), shared by them.

Each raises :class:`~hwsim.errors.ConfigError` with one line naming the source and the value.
"""

from __future__ import annotations

from collections.abc import Sequence

from hwsim.errors import ConfigError
from hwsim.graph.layer_graph import LayerGraph

__all__ = ["check_batch", "check_input_size", "fixed_shape"]

_SIZE_FORMS = {2: "(height, width)", 3: "(channels, height, width)"}


def check_batch(source: str, batch: int) -> int:
    """``batch`` if it is a positive int."""
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ConfigError(f"{source}: batch must be a positive integer, got {batch!r}")
    return batch


def check_input_size(
    source: str, input_size: int | Sequence[int] | None, lengths: tuple[int, ...] = (2,)
) -> tuple[int, ...] | None:
    """``input_size`` as a tuple of positive ints in pixels, of one of ``lengths`` (2: (height,
    width), 3: (channels, height, width)); an int means a square H = W; None stays None."""
    if input_size is None:
        return None
    size = (input_size, input_size) if isinstance(input_size, int) and not isinstance(input_size, bool) else input_size
    try:
        dims = tuple(size)  # type: ignore[arg-type]
    except TypeError:
        dims = ()
    if len(dims) not in lengths or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in dims):
        what = " or ".join(_SIZE_FORMS[n] for n in lengths)
        raise ConfigError(f"{source}: input size must be {what} in positive pixels, got {input_size!r}")
    return dims


def fixed_shape(graph: LayerGraph, source: str, input_size: tuple[int, ...] | None, batch: int) -> LayerGraph:
    """``graph`` if it fits ``input_size`` and ``batch``: a saved graph has fixed shapes, so an
    input size or batch it was not made for is refused."""
    shape = graph.input_shape
    if input_size is not None and tuple(shape[-len(input_size):]) != input_size:
        raise ConfigError(
            f"{source}: the graph's input is {'x'.join(map(str, shape))}; a saved graph cannot be "
            f"resized to {'x'.join(map(str, input_size))} (export the model instead)"
        )
    if batch != 1 and shape and shape[0] != batch:
        raise ConfigError(f"{source}: the graph's batch is {shape[0]}; a saved graph cannot be re-batched to {batch}")
    return graph
