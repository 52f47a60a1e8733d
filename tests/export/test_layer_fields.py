"""Layer fields from neutral shapes: the (N, C, H, W) folding and the per-kind field rules."""

from __future__ import annotations

from hwsim.export.layer_fields import conv_fields, linear_fields, nchw, numel, reshape_fields
from hwsim.export.neutral import Attrs, NeutralOp, Tensor


def test_shapes_fold_into_nchw():
    assert nchw(()) == (1, 1, 1, 1)
    assert nchw((7,)) == (1, 7, 1, 1)
    assert nchw((2, 7)) == (2, 7, 1, 1)
    assert nchw((2, 7, 5)) == (2, 7, 5, 1)
    assert nchw((2, 7, 5, 3)) == (2, 7, 5, 3)
    assert nchw((2, 7, 5, 3, 4)) == (2, 7, 5 * 3, 4)  # middle dims fold into H
    assert numel(()) == 1 and numel((2, 7, 5)) == 70


def test_a_reshape_that_folds_the_batch_keeps_n_and_puts_the_rest_in_k():
    # (2, 3, 4, 4) -> (6, 16): N would become 6, so N stays 2 and K = 96 / 2 = 48
    assert reshape_fields((2, 3, 4, 4), (6, 16)) == dict(n=2, c=3, h=4, w=4, k=48, p=1, q=1)
    # a flatten keeps the batch: (2, 3, 4, 4) -> (2, 48) is K = 48 on a 1x1 map
    assert reshape_fields((2, 3, 4, 4), (2, 48)) == dict(n=2, c=3, h=4, w=4, k=48, p=1, q=1)


def test_conv_fields_of_an_unbatched_input_and_linear_rows():
    conv = NeutralOp("conv", "c", "Conv2d", (Tensor("x", (3, 9, 9), 1),), (Tensor("y", (6, 4, 4), 1),),
                     Attrs(kernel=(3, 3), stride=(2, 2), groups=3, bias=True))
    fields = conv_fields(conv)
    # (9 - 3) // 2 + 1 = 4 outputs per axis; an unbatched (C, H, W) input is N = 1
    assert (fields["n"], fields["c"], fields["h"], fields["k"], fields["p"], fields["stride_h"]) == (1, 3, 9, 6, 4, 2)
    assert (fields["groups"], fields["bias"]) == (3, True)
    linear = NeutralOp("linear", "fc", "Linear", (Tensor("x", (2, 5, 16), 1),), (Tensor("y", (2, 5, 10), 1),))
    # rows are the product of the leading dims: 2 * 5
    assert linear_fields(linear) == dict(n=10, c=16, k=10, bias=False)
