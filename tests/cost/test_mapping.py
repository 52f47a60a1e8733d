"""Hand-worked mapping cases on tiny arrays; every expected number is derived in the test."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwsim.cost.mapping import compute_cycles, map_gemm, mapping_efficiency, per_fold_cycles, spatial_dims, sram_reads


def test_os_on_2x2():
    # OS: Sr = M = 3 -> 2 row folds, Sc = N = 3 -> 2 column folds, T = K = 4 streams.
    # per fold = T + R + C - 2 = 4 + 2 + 2 - 2 = 6; cycles = 4 folds * 6 - 1 = 23.
    mapping = map_gemm("os", 3, 4, 3, 2, 2)
    assert (mapping.row_folds, mapping.col_folds, mapping.per_fold_cycles) == (2, 2, 6)
    assert compute_cycles("os", 3, 4, 3, 2, 2) == 23
    # 9 of the 16 PE-slots of the 4 folds hold work.
    assert mapping_efficiency(mapping, 2, 2) == pytest.approx(9 / 16)


def test_ws_on_2x2():
    # WS: Sr = K = 3 -> 2 row folds, Sc = N = 2 -> 1 column fold, T = M = 5.
    # per fold = 2R + C + T - 2 = 4 + 2 + 5 - 2 = 9; cycles = 2 * 9 - 1 = 17.
    assert compute_cycles("ws", 5, 3, 2, 2, 2) == 17


def test_is_on_4x4():
    # IS: Sr = K = 4 -> 1 row fold, Sc = M = 6 -> 2 column folds, T = N = 3.
    # per fold = 2*4 + 4 + 3 - 2 = 13; cycles = 2 * 13 - 1 = 25.
    assert compute_cycles("is", 6, 4, 3, 4, 4) == 25


def test_non_square_array_swaps_roles():
    # OS, M=8, N=2, K=5 on 4 rows x 2 cols: 2 row folds x 1 col fold, per fold 5+4+2-2 = 9 -> 17.
    assert compute_cycles("os", 8, 5, 2, 4, 2) == 17
    # On 2 rows x 4 cols: 4 row folds x 1 col fold, per fold 5+2+4-2 = 9 -> 35.
    assert compute_cycles("os", 8, 5, 2, 2, 4) == 35


def test_broadcast_configs_by_layers():
    rows = np.array([[2], [4]])  # two configurations
    m = np.array([3, 5, 6])  # three layers
    cycles = compute_cycles("ws", m, 3, 2, rows, rows)
    # WS, K = 3 on rows, N = 2 on columns, T = M; per fold 2R + C + M - 2 with R = C.
    # 2x2: ceil(3/2) = 2 folds of 4 + M -> 2*(4 + M) - 1 = 13, 17, 19 for M = 3, 5, 6.
    # 4x4: 1 fold of 10 + M -> 10 + M - 1 = 12, 14, 15.
    np.testing.assert_array_equal(cycles, [[13, 17, 19], [12, 14, 15]])


def test_sram_reads_per_dataflow():
    m, k, n, r, c = 5, 3, 6, 2, 4
    os_ = sram_reads("os", m, k, n, r, c)
    assert (os_.ifmap_reads, os_.filter_reads, os_.ofmap_writes) == (m * k * 2, k * n * 3, m * n)
    ws = sram_reads("ws", m, k, n, r, c)
    assert (ws.ifmap_reads, ws.filter_reads, ws.ofmap_writes) == (m * k * 2, k * n, m * n * 2)
    is_ = sram_reads("is", m, k, n, r, c)
    assert (is_.ifmap_reads, is_.filter_reads, is_.ofmap_writes) == (k * m, k * n * 2, m * n * 2)


def test_unknown_dataflow():
    with pytest.raises(ValueError, match="unknown dataflow"):
        spatial_dims("xs", 1, 1, 1)
    with pytest.raises(ValueError, match="unknown dataflow"):
        per_fold_cycles("xs", 1, 1, 1)


dims = st.integers(min_value=1, max_value=300)


@given(m=dims, k=dims, n=dims, rows=st.integers(2, 64), cols=st.integers(1, 64), flow=st.sampled_from(["os", "ws", "is"]))
def test_cycles_at_least_macs_over_pes(m, k, n, rows, cols, flow):
    assert compute_cycles(flow, m, k, n, rows, cols) * rows * cols >= m * k * n
    eff = mapping_efficiency(map_gemm(flow, m, k, n, rows, cols), rows, cols)
    assert 0 < eff <= 1
