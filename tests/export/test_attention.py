"""Attention decomposed into layers: the parts' GEMM dims and elements in closed form (torch-free)."""

from hwsim.export.attention import multihead_attention_parts, sdpa_parts
from hwsim.export.neutral import Param
from hwsim.graph.layer_graph import Layer


def layers(parts):
    return {part.suffix: Layer(name=part.suffix, op=part.op, **part.fields) for part in parts}


def test_sdpa_is_qk_softmax_av_per_batch_and_head():
    # q, k, v of batch 2 x heads 3, L = S = 5 tokens, E = 8: g = 6
    parts = sdpa_parts((2, 3, 5, 8), (2, 3, 5, 8), (2, 3, 5, 8))
    assert [(p.suffix, p.op, p.reads) for p in parts] == [
        ("qk", "matmul", ("q", "k")), ("softmax", "softmax", ("qk",)), ("av", "matmul", ("softmax", "v"))]
    made = layers(parts)
    assert (made["qk"].groups, made["qk"].gemm_m, made["qk"].gemm_k, made["qk"].gemm_n) == (6, 5, 8, 5)
    assert made["qk"].macs == 6 * 5 * 8 * 5 and made["qk"].fused == ("scale",)
    assert made["softmax"].input_elements == 6 * 5 * 5
    assert (made["av"].gemm_m, made["av"].gemm_k, made["av"].gemm_n, made["av"].macs) == (5, 5, 8, 6 * 5 * 5 * 8)


def test_sdpa_with_a_mask_adds_it_before_the_softmax():
    parts = sdpa_parts((1, 2, 4, 8), (1, 2, 6, 8), (1, 2, 6, 3), (4, 6))
    assert [p.suffix for p in parts] == ["qk", "mask", "softmax", "av"]
    made = layers(parts)
    # scores 1x2x4x6 = 48 elements plus a 4x6 mask (broadcast over the heads)
    assert made["mask"].operand_elements == (48, 24)
    assert (made["av"].gemm_m, made["av"].gemm_k, made["av"].gemm_n) == (4, 6, 3)


def test_multihead_attention_projects_attends_per_head_and_projects_back():
    # batch_first (N, L, E) = (2, 5, 8), 2 heads of d = 4, self-attention (one packed in-projection)
    params = (Param("attn.in_proj_weight", 3 * 8 * 8), Param("attn.in_proj_bias", 24),
              Param("attn.out_proj.weight", 64), Param("attn.out_proj.bias", 8))
    parts = multihead_attention_parts((2, 5, 8), (2, 5, 8), (2, 5, 8), 2, True, params, packed=True)
    assert [p.suffix for p in parts] == ["in_proj", "qk", "softmax", "av", "out_proj"]
    made = layers(parts)
    assert (made["in_proj"].gemm_m, made["in_proj"].gemm_k, made["in_proj"].gemm_n) == (10, 8, 24)
    assert (made["qk"].groups, made["qk"].gemm_m, made["qk"].gemm_k, made["qk"].gemm_n) == (4, 5, 4, 5)
    assert (made["av"].groups, made["av"].gemm_m, made["av"].gemm_k, made["av"].gemm_n) == (4, 5, 5, 4)
    assert (made["out_proj"].gemm_m, made["out_proj"].macs) == (10, 10 * 8 * 8)
    assert [sum(p.elements for p in part.params) for part in parts] == [3 * 64 + 24, 0, 0, 0, 64 + 8]
    # MACs: 2*5 rows x 8 x 24, heads 4 x (5*4*5 + 5*5*4), 2*5 x 8 x 8
    assert sum(layer.macs for layer in made.values()) == 10 * 8 * 24 + 4 * 200 + 640


def test_cross_attention_projects_query_key_and_value_apart():
    # sequence-first query (L=3, N=1, E=8), key/value (S=7, N=1) of 6 and 5 features
    parts = multihead_attention_parts((3, 1, 8), (7, 1, 6), (7, 1, 5), 2, False, (), packed=False)
    made = layers(parts)
    assert [p.suffix for p in parts][:3] == ["q_proj", "k_proj", "v_proj"]
    assert (made["k_proj"].gemm_m, made["k_proj"].gemm_k, made["k_proj"].gemm_n) == (7, 6, 8)
    assert (made["qk"].gemm_m, made["qk"].gemm_n) == (3, 7)
