"""Attention ops decomposed into hwsim layers: scaled dot-product and multi-head attention.

Pure functions of the operands' shapes, used by :mod:`hwsim.export.builder`. Each returns the
:class:`Part` s the op becomes, in order; a part reads the op's operands (``q``, ``k``, ``v``,
``mask``) or earlier parts by their suffix, and the builder names its layer
``<op's layer name>.<suffix>``.

- **Scaled dot-product attention** of q (..., L, E), k (..., S, E), v (..., S, Ev): ``qk`` =
  q @ k^T, a ``matmul`` with one group per batch x head (the 1/sqrt(E) scale is applied as the
  scores leave the array: fused, ``fused = ("scale",)``); ``mask`` = an ``add`` of the mask
  when one is given; ``softmax`` over the (..., L, S) scores; ``av`` = scores @ v, a ``matmul``.
- **nn.MultiheadAttention** (E = embed dim, H heads, d = E/H): the in-projections (one
  ``linear`` E -> 3E, ``in_proj``, when query, key and value are one tensor, else ``q_proj``,
  ``k_proj``, ``v_proj``), then the attention above per batch x head, then ``out_proj``
  (``linear`` E -> E). Splitting into heads and merging them back are strided reads
  (addressing), not layers. The head-averaged attention weights the module can also return are
  not costed.

Torch-free.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hwsim.export.layer_fields import elementwise_fields, matmul_fields, numel
from hwsim.export.neutral import Param

__all__ = ["Part", "multihead_attention_parts", "sdpa_parts"]


@dataclass(frozen=True)
class Part:
    """One layer an attention op becomes."""

    suffix: str  #: the layer's name after the op's own (``qk``, ``softmax``, ...)
    op: str  #: hwsim layer op kind
    reads: tuple[str, ...]  #: operands (``q``, ``k``, ``v``, ``mask``) or earlier parts' suffixes
    fields: Mapping[str, Any]  #: the layer's other fields (Timeloop letters, groups, ...)
    params: tuple[Param, ...] = field(default=())


def _transposed(shape: Sequence[int]) -> tuple[int, ...]:
    """``shape`` with its last two dims swapped."""
    dims = tuple(int(d) for d in shape)
    return (*dims[:-2], dims[-1], dims[-2])


def _scores_shape(shape_q: Sequence[int], shape_k: Sequence[int]) -> tuple[int, ...]:
    """(..., L, S): the batch dims of q (the longer of q's and k's), L of q, S of k."""
    batch = tuple(shape_q[:-2]) if len(shape_q) >= len(shape_k) else tuple(shape_k[:-2])
    return (*batch, int(shape_q[-2]), int(shape_k[-2]))


def sdpa_parts(
    shape_q: Sequence[int], shape_k: Sequence[int], shape_v: Sequence[int], shape_mask: Sequence[int] | None = None
) -> tuple[Part, ...]:
    """The layers of scaled dot-product attention (module docstring)."""
    scores = _scores_shape(shape_q, shape_k)
    parts = [Part("qk", "matmul", ("q", "k"), {**matmul_fields(shape_q, _transposed(shape_k)), "fused": ("scale",)})]
    source = "qk"
    if shape_mask is not None:
        parts.append(Part("mask", "add", ("qk", "mask"),
                          {**elementwise_fields(scores), "operand_elements": (numel(scores), numel(shape_mask))}))
        source = "mask"
    parts.append(Part("softmax", "softmax", (source,), {**elementwise_fields(scores), "mode": "softmax"}))
    parts.append(Part("av", "matmul", ("softmax", "v"), matmul_fields(scores, shape_v)))
    return tuple(parts)


def multihead_attention_parts(
    shape_q: Sequence[int],
    shape_k: Sequence[int],
    shape_v: Sequence[int],
    heads: int,
    batch_first: bool,
    params: Sequence[Param],
    packed: bool,
) -> tuple[Part, ...]:
    """The layers of one ``nn.MultiheadAttention`` call (module docstring).

    ``shape_*`` are the query, key and value as the module takes them ((L, N, E), or (N, L, E)
    with ``batch_first``, or unbatched (L, E)); ``packed`` says query, key and value are one
    tensor (one in-projection). Parameters whose key contains ``out_proj`` go to ``out_proj``,
    the others to the first in-projection.
    """
    def rows_and_batch(shape: Sequence[int]) -> tuple[int, int, int]:
        """(sequence length, batch, features)."""
        if len(shape) == 2:
            return int(shape[0]), 1, int(shape[1])
        length, batch = (shape[1], shape[0]) if batch_first else (shape[0], shape[1])
        return int(length), int(batch), int(shape[-1])

    length, batch, embed = rows_and_batch(shape_q)
    source_length, _, key_dim = rows_and_batch(shape_k)
    _, _, value_dim = rows_and_batch(shape_v)
    head_dim = embed // heads
    out_params = tuple(p for p in params if "out_proj" in p.key)
    in_params = tuple(p for p in params if "out_proj" not in p.key)
    has_bias = any(p.key.endswith("bias") for p in in_params)
    parts: list[Part] = []
    if packed:
        parts.append(Part("in_proj", "linear", ("q",), dict(n=batch * length, c=embed, k=3 * embed, bias=has_bias), in_params))
        q_source = k_source = v_source = "in_proj"
    else:
        for suffix, operand, rows, features, taken in (
            ("q_proj", "q", length, embed, in_params),
            ("k_proj", "k", source_length, key_dim, ()),
            ("v_proj", "v", source_length, value_dim, ()),
        ):
            parts.append(Part(suffix, "linear", (operand,), dict(n=batch * rows, c=features, k=embed, bias=has_bias), taken))
        q_source, k_source, v_source = "q_proj", "k_proj", "v_proj"
    groups = batch * heads
    q_heads, k_heads, v_heads = (groups, length, head_dim), (groups, source_length, head_dim), (groups, source_length, head_dim)
    scores = (groups, length, source_length)
    parts += [
        Part("qk", "matmul", (q_source, k_source), {**matmul_fields(q_heads, _transposed(k_heads)), "fused": ("scale",)}),
        Part("softmax", "softmax", ("qk",), {**elementwise_fields(scores), "mode": "softmax"}),
        Part("av", "matmul", ("softmax", v_source), matmul_fields(scores, v_heads)),
        Part("out_proj", "linear", ("av",), dict(n=batch * length, c=embed, k=embed, bias=any(p.key.endswith("bias") for p in out_params)), out_params),
    ]
    return tuple(parts)
