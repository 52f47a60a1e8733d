"""The neutral op list: its kinds are closed, every kind has a pass, the PyTorch front end maps into them."""

from __future__ import annotations

import pytest

from hwsim.export.neutral import KINDS, Attrs, NeutralGraph, NeutralOp, Tensor
from hwsim.export.builder import build_layers


def test_an_op_of_an_unknown_kind_or_without_outputs_is_refused():
    x = Tensor("x", (1, 2), 1)
    with pytest.raises(ValueError, match="op 'f': unknown kind 'softmax2'; expected one of input, constant, conv"):
        NeutralOp("softmax2", "f", "softmax2", (x,), (x,))
    with pytest.raises(ValueError, match="op 'f': no outputs"):
        NeutralOp("add", "f", "add", (x, x), ())


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_has_a_pass(kind):
    """One op of each kind on a 1x2x4x4 tensor makes at most one layer or one unsupported entry."""
    x, y = Tensor("x", (1, 2, 4, 4), 1), Tensor("y", (1, 2, 4, 4), 1)
    ops = (NeutralOp("input", "input", "input", (), (x,)), NeutralOp(kind, "op", kind, (x,), (y,), Attrs(mode="relu")))
    built = build_layers(NeutralGraph("one", ops))
    assert len(built.layers) + sum(count for _, count in built.unsupported) <= 1


def test_the_pytorch_front_end_maps_into_the_neutral_kinds():
    from hwsim.export.ops import _FUNCTION_KINDS

    assert set(_FUNCTION_KINDS.values()) <= set(KINDS)
