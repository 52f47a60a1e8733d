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


def test_matmul_fields_one_group_per_batch_and_head():
    from hwsim.export.layer_fields import matmul_fields

    # (2, 3, 5, 4) @ (2, 3, 4, 6): g = 2*3 GEMMs of M = 5, K = 4, N = 6
    assert matmul_fields((2, 3, 5, 4), (2, 3, 4, 6)) == dict(n=1, c=6 * 4, h=5, w=1, k=6 * 6, p=5, q=1, groups=6)
    # a B without batch dims serves every row of A: one GEMM of 2*3*5 = 30 rows
    assert matmul_fields((2, 3, 5, 4), (4, 6)) == dict(n=6, c=4, h=5, w=1, k=6, p=5, q=1, groups=1)
    # broadcast batch dims: (1, 3) with (2, 1) -> 2*3 groups; a 1-D B is a column (N = 1)
    assert matmul_fields((1, 3, 5, 4), (2, 1, 4, 6))["groups"] == 6
    assert matmul_fields((5, 4), (4,)) == dict(n=1, c=4, h=5, w=1, k=1, p=5, q=1, groups=1)


def test_einsum_fields_sort_letters_into_batch_contracted_rows_and_columns():
    from hwsim.export.layer_fields import einsum_fields

    # attention scores: b, h batch (2*3); d contracted (8); i rows (5), j columns (7)
    assert einsum_fields("bhid,bhjd->bhij", (2, 3, 5, 8), (2, 3, 7, 8)) == dict(
        n=1, c=6 * 8, h=5, w=1, k=6 * 7, p=5, q=1, groups=6)
    # a weight-like B: b and l are rows of A (M = 2*5), d contracted, e columns
    assert einsum_fields("bld,de->ble", (2, 5, 8), (8, 3)) == dict(n=1, c=8, h=10, w=1, k=3, p=10, q=1, groups=1)
    assert einsum_fields("...ld,...md->...lm", (2, 5, 8), (2, 7, 8))["groups"] == 2
    # not a product of two matrices: a repeated letter, a sum over one operand only, no output
    assert einsum_fields("iid,jd->ij", (3, 3, 4), (5, 4)) is None
    assert einsum_fields("ik,jl->ij", (3, 4), (5, 6)) is None
    assert einsum_fields("ij,jk", (3, 4), (4, 5)) is None


def test_conv_fields_of_a_1d_conv_and_resize_fields():
    from hwsim.export.layer_fields import resize_fields

    conv = NeutralOp("conv", "c", "Conv1d", (Tensor("x", (2, 4, 16), 1),), (Tensor("y", (2, 6, 8), 1),),
                     Attrs(kernel=(3, 1), stride=(2, 1), padding=(1, 0), spatial_dims=1))
    fields = conv_fields(conv)
    # (N, C, L) -> (N, C, L, 1): H = 16, W = 1, kernel 3x1; (16 + 2 - 3) // 2 + 1 = 8 outputs
    assert (fields["n"], fields["c"], fields["h"], fields["w"], fields["p"], fields["q"], fields["r"], fields["s"]) == (
        2, 4, 16, 1, 8, 1, 3, 1)
    # a permute that moves the batch: N stays the input's, the output's other dims fold into K
    assert resize_fields((2, 5, 3, 4), (3, 2, 4, 5)) == dict(n=2, c=5, h=3, w=4, k=60, p=1, q=1)
    assert resize_fields((1, 3, 4, 4), (1, 3, 8, 8)) == dict(n=1, c=3, h=4, w=4, k=3, p=8, q=8)
