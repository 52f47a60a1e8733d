"""Size limits of layer graphs: every count the cost model forms from a graph fits int64.

A layer's sizes are Python integers, but the cost core (``hwsim.cost``) turns them into int64
and float64 arrays and multiplies them. These limits keep every product inside int64, together
with the accelerator limits of :mod:`hwsim.hardware.spec` (docs/MODEL.md §11 derives both):

- every integer field of a layer (sizes, strides, padding, dilation, groups) is at most
  :data:`MAX_SIZE` = 2^31 - 1, and ``params`` at most :data:`MAX_TENSOR_ELEMENTS`;
- every tensor (the input, each operand, the weights, the output) holds at most
  :data:`MAX_TENSOR_ELEMENTS` = 2^40 elements;
- a graph has at most :data:`MAX_LAYERS` = 2^16 layers, and its *work* -- the sum over its layers
  of MACs, vector-unit operations and worst-case element transfers (input elements x filters
  per group for a conv or linear layer, which bounds the ifmap re-reads; weights; outputs) --
  is at most :data:`MAX_GRAPH_WORK` = 2^46 (7.0e13; a batch-64 ResNet-50 is about 2^39).

:func:`check_layer` and :func:`check_graph` raise :class:`~hwsim.errors.SizeLimitError` (a ``ValueError``) naming the layer or graph, the
quantity and the limit (the graph's JSON reader turns it into a one-line
:class:`~hwsim.errors.GraphFileError`). They take any object with :class:`~hwsim.graph.layer_graph.Layer`'s
fields, so this module imports nothing from the rest of the package.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable
from typing import Any

from hwsim.errors import SizeLimitError

__all__ = [
    "INTEGER_FIELDS",
    "MAX_GRAPH_WORK",
    "MAX_LAYERS",
    "MAX_SIZE",
    "MAX_TENSOR_ELEMENTS",
    "check_graph",
    "check_layer",
    "count_text",
    "shown",
    "layer_work",
    "vector_ops",
]

#: Largest value of any one integer field of a layer.
MAX_SIZE = 2**31 - 1
#: Most elements of one tensor (input, operand, weights, output), and most parameters of a layer.
MAX_TENSOR_ELEMENTS = 2**40
#: Most layers in one graph.
MAX_LAYERS = 2**16
#: Most work (MACs + vector operations + worst-case element transfers) of one graph.
MAX_GRAPH_WORK = 2**46

#: A layer's integer size fields, each at most :data:`MAX_SIZE`.
INTEGER_FIELDS: tuple[str, ...] = (
    "n", "c", "h", "w", "k", "p", "q", "r", "s", "stride_h", "stride_w", "pad_h", "pad_w",
    "dilation_h", "dilation_w", "groups",
)  # fmt: skip


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 80
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = 8


def shown(value: Any) -> str:
    """``repr(value)`` cut short (80 characters of a string, 8 items of a list) for an error message."""
    return _SHORT.repr(value)


def _power(limit: int) -> str:
    return f"2^{limit.bit_length() - 1} = {limit:,}" if limit & (limit - 1) == 0 else f"{limit:,}"


def count_text(value: int) -> str:
    """An integer with thousands separators, or its size when it is too long to print."""
    if abs(value).bit_length() > 200:
        return f"an integer of about {int((abs(value).bit_length() - 1) * 0.30103) + 1} digits"
    return f"{value:,}"


def vector_ops(op: str, input_elements: int, output_elements: int, window: int) -> int:
    """Element operations of a non-GEMM op, as the cost model counts them (docs/MODEL.md §4):
    pools ``window`` per output, LRN ``window`` per input element, the others one per input element."""
    if op == "pool":
        return output_elements * window
    if op == "lrn":
        return input_elements * window
    return input_elements


def check_layer(layer: Any) -> None:
    """Refuse a layer whose fields or tensors exceed the limits (SizeLimitError naming the layer)."""
    name = shown(layer.name)
    large = {field: getattr(layer, field) for field in INTEGER_FIELDS if getattr(layer, field) > MAX_SIZE}
    if large:
        field, value = next(iter(large.items()))
        raise SizeLimitError(f"layer {name}: {field} = {count_text(value)}: expected at most 2^31 - 1 = {MAX_SIZE:,}")
    if not 0 <= layer.params <= MAX_TENSOR_ELEMENTS:
        raise SizeLimitError(f"layer {name}: params = {count_text(layer.params)}: expected an integer from 0 to "
                         f"{_power(MAX_TENSOR_ELEMENTS)}")
    operands = tuple(layer.operand_elements)
    if any(e < 0 for e in operands):
        raise SizeLimitError(f"layer {name}: operand_elements has a negative count: expected counts >= 0")
    tensors = [
        ("input", layer.n * layer.c * layer.h * layer.w),
        *((f"operand {i}", e) for i, e in enumerate(operands)),
        ("output", layer.output_elements),
        ("weights", layer.weight_elements),
    ]
    for what, elements in tensors:
        if elements > MAX_TENSOR_ELEMENTS:
            raise SizeLimitError(f"layer {name}: {what} of {count_text(elements)} elements: expected at most "
                             f"{_power(MAX_TENSOR_ELEMENTS)} per tensor")


def layer_work(layer: Any) -> int:
    """A layer's share of :data:`MAX_GRAPH_WORK`: MACs + vector operations + worst-case element
    transfers (input x max(K/groups, 1) for conv/linear layers, then weights and outputs)."""
    if layer.is_gemm:
        return layer.macs + layer.input_elements * max(layer.gemm_n, 1) + layer.weight_elements + layer.output_elements
    ops = vector_ops(layer.op, layer.input_elements, layer.output_elements, layer.r * layer.s)
    return ops + layer.input_elements + layer.output_elements


def check_graph(name: str, layers: Iterable[Any]) -> None:
    """Refuse a graph with more than :data:`MAX_LAYERS` layers or more than :data:`MAX_GRAPH_WORK` work."""
    layers = tuple(layers)
    if len(layers) > MAX_LAYERS:
        raise SizeLimitError(f"graph {shown(name)}: {len(layers):,} layers: expected at most {_power(MAX_LAYERS)}")
    work = 0
    for layer in layers:
        work += layer_work(layer)
        if work > MAX_GRAPH_WORK:
            raise SizeLimitError(
                f"graph {shown(name)}: more than {_power(MAX_GRAPH_WORK)} MACs, vector operations and worst-case element "
                f"transfers in total (reached at layer {shown(layer.name)}): expected a smaller network or batch "
                "(the limit keeps every count of the cost model within int64)"
            )
