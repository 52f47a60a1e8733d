"""SCALE-Sim topology CSVs in and out (no SCALE-Sim needed; see tests/cost/test_scalesim_crosscheck.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.errors import ConfigError, GraphFileError, HwsimError
from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.sources import load_graph
from hwsim.sources.scalesim_topology import (
    load_topology,
    load_topology_text,
    save_topology,
    scalesim_output_size,
    topology_text,
)
from tests.paths import SCALESIM_DATA

DATA = SCALESIM_DATA
HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"


def topo(*rows: str) -> str:
    return HEADER + "".join(row + "\n" for row in rows)


# ------------------------------------------------------------------------------------ loading conv
def test_conv_rows_become_chained_convs_with_scalesim_output_size() -> None:
    graph = load_topology_text(topo("a, 10, 12, 3, 5, 4, 6, 2,", "b, 7, 7, 1, 1, 6, 9, 1,"), "net.csv")
    a, b = graph.layers
    assert graph.name == "net"
    assert graph.input_shape == (1, 4, 10, 12)
    assert a == Layer(
        name="a", op="conv", inputs=("input",), c=4, h=10, w=12, k=6,
        # ceil((10-3+2)/2) = 5 (PyTorch's floor((10-3)/2)+1 would give 4); ceil((12-5+2)/2) = 5
        p=5, q=5, r=3, s=5, stride_h=2, stride_w=2, params=6 * 4 * 3 * 5,
    )  # fmt: skip
    assert (a.pad_h, a.pad_w, a.groups) == (0, 0, 1)
    assert b.inputs == ("a",)
    assert (b.gemm_m, b.gemm_k, b.gemm_n) == (49, 6, 9)


@pytest.mark.parametrize("size,filt,stride", [(10, 3, 2), (11, 3, 3), (18, 3, 2), (8, 3, 1), (7, 7, 1), (9, 1, 4)])
def test_output_size_is_ceil_rule(size: int, filt: int, stride: int) -> None:
    expected = math.ceil((size - filt + stride) / stride)
    assert scalesim_output_size(size, filt, stride) == expected
    floor_rule = (size - filt) // stride + 1
    assert expected == floor_rule + (1 if (size - filt) % stride else 0)


def test_last_field_is_dropped_like_scalesim() -> None:
    # SCALE-Sim drops whatever follows the last comma: a comment there is harmless ...
    graph = load_topology_text(topo("a, 8, 8, 3, 3, 3, 8, 1,#dw"), "t.csv")
    assert graph.layers[0].stride_h == 1
    # ... and a row without the trailing comma loses its stride: an error naming the line.
    with pytest.raises(GraphFileError, match=r"t\.csv: line 3: 7 field\(s\).*must end with a comma"):
        load_topology_text(topo("a, 8, 8, 3, 3, 3, 8, 1,", "b, 8, 8, 3, 3, 3, 8, 1"), "t.csv")


def test_header_blank_lines_crlf_and_bom() -> None:
    text = "\ufeff" + HEADER.replace("\n", "\r\n") + "\r\n  \r\nx, 5, 5, 3, 3, 2, 6, 1, \r\n\r\n"
    graph = load_topology_text(text, "w.csv")
    assert [layer.name for layer in graph.layers] == ["x"]
    assert (graph.layers[0].p, graph.layers[0].q) == (3, 3)


def test_depthwise_dp_layer_is_one_grouped_conv() -> None:
    # SCALE-Sim splits a 'DP' layer into C one-channel layers of N filters each.
    layer = load_topology_text(topo("conv_DP1, 6, 6, 3, 3, 5, 2, 1,"), "d.csv").layers[0]
    assert (layer.c, layer.groups, layer.k) == (5, 5, 10)
    assert (layer.gemm_m, layer.gemm_k, layer.gemm_n) == (16, 9, 2)
    # SCALE-Sim's MACs: 5 layers x (4*4 outputs x 3*3*1 window x 2 filters)
    assert layer.macs == 5 * 16 * 9 * 2
    assert layer.params == 5 * 2 * 9
    # 'dp' in lower case is not depthwise for SCALE-Sim (the test is case-sensitive).
    assert load_topology_text(topo("conv_dp, 6, 6, 3, 3, 5, 2, 1,"), "d.csv").layers[0].groups == 1


def test_sparsity_column_and_repeated_names() -> None:
    graph = load_topology_text(topo("a, 5, 5, 3, 3, 2, 6, 1, 2:4,", "a, 5, 5, 3, 3, 6, 6, 1, 4:4,"), "s.csv")
    assert [layer.name for layer in graph.layers] == ["a", "a#2"]
    assert dict(graph.metadata)["scalesim_sparsity_ignored"] == "a=2:4"
    assert graph.layers[1].inputs == ("a",)


def test_gemm_format_is_detected_and_read_as_linear() -> None:
    graph = load_topology_text("Layer Name, M, N, K,\nmm, 12, 7, 30,\nmm2, 1, 3, 7,\n", "g.csv")
    first, second = graph.layers
    assert first.op == "linear"
    assert (first.gemm_m, first.gemm_k, first.gemm_n) == (12, 30, 7)
    assert first.macs == 12 * 30 * 7
    assert (first.input_elements, first.weight_elements, first.output_elements) == (12 * 30, 7 * 30, 12 * 7)
    assert second.inputs == ("mm",)
    assert graph.input_shape == (12, 30)
    # The same file forced to conv fails on the missing columns.
    with pytest.raises(GraphFileError, match="line 2"):
        load_topology_text("Layer Name, M, N, K,\nmm, 12, 7, 30,\n", "g.csv", fmt="conv")


def test_shipped_topologies_load() -> None:
    dlrm = load_topology(DATA / "DLRM.csv")  # CRLF line ends, trailing spaces
    assert dlrm.name == "DLRM" and len(dlrm) == 10
    emb0 = dlrm.layers[0]  # Emb0,1024,16,1,16,1,4,1,
    assert (emb0.gemm_m, emb0.gemm_k, emb0.gemm_n) == (1024, 16, 4)
    mobilenet = load_topology(DATA / "mobilnet_paper.csv")  # rows end with ',#dw'
    assert len(mobilenet) == 28
    conv1 = mobilenet.layers[0]  # Conv1, 224, 224, 3, 3, 3, 32, 2: ceil((224-3+2)/2) = 112
    assert (conv1.p, conv1.q, conv1.k) == (112, 112, 32)
    gemm = load_topology(DATA / "sparsity_gemm.csv")
    assert [layer.op for layer in gemm.layers] == ["linear", "linear"]


@pytest.mark.parametrize(
    "row,message",
    [
        ("a, 8, x, 3, 3, 3, 8, 1,", r"line 2, column 3 \(IFMAP Width\) = 'x': expected an integer"),
        ("a, 8, 8, 3, 9, 3, 8, 1,", r"line 2, column 5 \(Filter Width\) = 9: expected at most the IFMAP Width 8"),
        ("a, 8, 8, 3, 3, 3, 8, 0,", r"line 2, column 8 \(Strides\) = 0: expected an integer >= 1"),
        ("a, 8, 8, 3, 3, 3, 8, 1, 2:4, 7,", r"line 2, column 10: 10 fields.*at most 9"),
        ("a, 8, 8, 3, 3, 3, 8, 1, 8,", r"line 2, column 9 \(sparsity\) = '8': expected a ratio N:M"),
        (", 8, 8, 3, 3, 3, 8, 1,", r"line 2, column 1 \(Layer name\): empty"),
    ],
)
def test_topology_errors_name_file_line_and_column(tmp_path: Path, row: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(topo(row))
    with pytest.raises(GraphFileError, match=rf"^{str(path)}: {message}"):
        load_topology(path)


def test_topology_file_errors(tmp_path: Path) -> None:
    with pytest.raises(GraphFileError, match="cannot read topology"):
        load_topology(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text(HEADER)
    with pytest.raises(GraphFileError, match="no layers"):
        load_topology(tmp_path / "empty.csv")
    with pytest.raises(GraphFileError, match="unknown topology format 'xml'"):
        load_topology(DATA / "DLRM.csv", fmt="xml")
    assert issubclass(GraphFileError, HwsimError)


def test_a_topology_is_a_model_source_of_fixed_shape(tmp_path: Path) -> None:
    topology = tmp_path / "tiny.csv"
    topology.write_text(topo("conv1, 8, 8, 3, 3, 2, 4, 1,"))
    graph = load_graph(str(topology))
    (layer,) = graph.gemm_layers
    # SCALE-Sim's IFMAP size includes padding: an 8x8 map, 3x3 filters, stride 1 -> 6x6 outputs
    assert (layer.c, layer.k, layer.r, layer.s, layer.macs) == (2, 4, 3, 3, 6 * 6 * 2 * 9 * 4)
    assert load_graph(str(topology), input_size=8) == graph
    with pytest.raises(ConfigError, match="tiny.csv: the graph's input is 1x2x8x8; a saved graph cannot be resized"):
        load_graph(str(topology), input_size=(16, 16))
    with pytest.raises(ConfigError, match="tiny.csv: the graph's batch is 1; a saved graph cannot be re-batched to 2"):
        load_graph(str(topology), batch=2)


# ------------------------------------------------------------------------------------ saving
def conv(name: str, **kw: int) -> Layer:
    """A PyTorch-convention conv: output size by floor((H + 2*pad - R) / stride) + 1."""
    h, w, r, s = kw.get("h", 8), kw.get("w", 8), kw.get("r", 3), kw.get("s", 3)
    sh, pad = kw.get("stride", 1), kw.get("pad", 0)
    p = (h + 2 * pad - r) // sh + 1
    q = (w + 2 * pad - s) // sh + 1
    return Layer(
        name=name, op="conv", inputs=("input",), c=kw.get("c", 4), h=h, w=w, k=kw.get("k", 8), p=p, q=q,
        r=r, s=s, stride_h=sh, stride_w=sh, pad_h=pad, pad_w=pad, groups=kw.get("groups", 1),
    )  # fmt: skip


def test_save_conv_rows(tmp_path: Path) -> None:
    graph = LayerGraph(
        name="g",
        input_shape=(1, 4, 8, 8),
        layers=(
            conv("padded", pad=1),  # 8 + 2 = 10 rows written
            conv("strided", pad=1, stride=2),  # padded 10, (10-3) % 2 = 1 -> write (4-1)*2+3 = 9
            conv("dw", c=6, k=12, groups=6),  # depthwise x2 -> one DP row, Num Filter = 2
            conv("grouped", c=4, k=8, groups=2),  # one row per group
            conv("odd,DP name"),  # comma replaced; 'DP' would make SCALE-Sim split it
            Layer(name="pool", op="pool", inputs=("input",), c=8, h=8, w=8, k=8, p=4, q=4, r=2, s=2),
            Layer(name="fc", op="linear", inputs=("pool",), n=3, c=128, k=10),
            Layer(name="batched", op="conv", inputs=("fc",), n=2, c=4, h=8, w=8, k=8, p=6, q=6, r=3, s=3),
        ),
    )
    path = tmp_path / "out.csv"
    skipped = save_topology(graph, path)
    assert skipped == ("pool", "batched")
    lines = path.read_text().splitlines()
    assert lines[0] == HEADER.strip()
    assert all(line.endswith(",") for line in lines)
    assert lines[1:] == [
        "padded, 10, 10, 3, 3, 4, 8, 1,",
        "strided, 9, 9, 3, 3, 4, 8, 2,",
        "dw_DP, 8, 8, 3, 3, 6, 2, 1,",
        "grouped_g0, 8, 8, 3, 3, 2, 4, 1,",
        "grouped_g1, 8, 8, 3, 3, 2, 4, 1,",
        "odd_Dp name, 8, 8, 3, 3, 4, 8, 1,",
        "fc, 3, 1, 1, 1, 128, 10, 1,",
    ]
    back = load_topology(path)
    originals = [graph["padded"], graph["strided"], graph["dw"], graph["grouped"], graph["grouped"], graph["odd,DP name"], graph["fc"]]
    for original, loaded in zip(originals, back.layers):
        share = original.groups if loaded.groups == 1 else 1  # grouped conv -> one row per group
        assert (loaded.gemm_m, loaded.gemm_k, loaded.gemm_n) == (original.gemm_m, original.gemm_k, original.gemm_n)
        assert loaded.macs * share == original.macs


def test_save_gemm_format_keeps_every_gemm_layer(tmp_path: Path) -> None:
    graph = LayerGraph(
        name="g",
        input_shape=(2, 4, 8, 8),
        layers=(
            Layer(name="batched", op="conv", inputs=("input",), n=2, c=4, h=8, w=8, k=6, p=6, q=6, r=3, s=3, groups=2),
            Layer(name="fc", op="linear", inputs=("batched",), n=2, c=216, k=10),
        ),
    )
    text, skipped = topology_text(graph, fmt="gemm")
    assert skipped == ()
    # batched: per group M = 2*6*6 = 72, N = 6/2 = 3, K = 2*3*3 = 18
    assert text.splitlines() == ["Layer name, M, N, K,", "batched_g0, 72, 3, 18,", "batched_g1, 72, 3, 18,", "fc, 2, 10, 216,"]
    path = tmp_path / "g.csv"
    save_topology(graph, path, fmt="gemm")
    back = load_topology(path)
    assert sum(layer.macs for layer in back.layers) == graph.macs


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(1, 20), extra_w=st.integers(0, 5), r=st.integers(1, 5), s=st.integers(1, 5),
    stride=st.integers(1, 4), pad=st.integers(0, 2), c=st.integers(1, 6), k=st.integers(1, 6),
)  # fmt: skip
def test_save_load_round_trip_keeps_gemm_dims(h: int, extra_w: int, r: int, s: int, stride: int, pad: int, c: int, k: int) -> None:
    w = h + extra_w
    if h + 2 * pad < r or w + 2 * pad < s:
        return
    layer = conv("x", h=h, w=w, r=r, s=s, stride=stride, pad=pad, c=c, k=k)
    graph = LayerGraph(name="g", input_shape=(1, c, h, w), layers=(layer,))
    back = load_topology_text(topology_text(graph)[0], "g.csv").layers[0]
    assert (back.p, back.q) == (layer.p, layer.q)
    assert (back.gemm_m, back.gemm_k, back.gemm_n, back.macs) == (layer.gemm_m, layer.gemm_k, layer.gemm_n, layer.macs)


def test_save_unwritable_path(tmp_path: Path) -> None:
    graph = LayerGraph(name="g", input_shape=(1, 4, 8, 8), layers=(conv("a"),))
    with pytest.raises(GraphFileError, match="cannot write topology"):
        save_topology(graph, tmp_path / "no" / "such" / "dir.csv")


def test_matmuls_and_transposed_convs_are_written_in_gemm_format_only():
    from hwsim.sources.scalesim_topology import topology_text

    qk = Layer(name="attn.qk", op="matmul", inputs=("input",), c=2 * 8, h=5, k=2 * 5, p=5, groups=2)
    up = Layer(name="up", op="conv_transpose", inputs=("attn.qk",), c=4, h=3, w=3, k=2, p=6, q=6, r=2, s=2,
               stride_h=2, stride_w=2)
    graph = LayerGraph(name="t", input_shape=(1, 2, 5, 8), layers=(qk, up))
    text, skipped = topology_text(graph, "conv")
    assert skipped == ("attn.qk", "up") and text.count("\n") == 1  # the header alone
    text, skipped = topology_text(graph, "gemm")
    # one row per head of M = 5, N = 5, K = 8; the transposed conv: M = 9 input pixels, N = 2*2*2, K = 4
    assert text.splitlines()[1:] == ["attn.qk_g0, 5, 5, 8,", "attn.qk_g1, 5, 5, 8,", "up, 9, 8, 4,"]
    assert skipped == ()
