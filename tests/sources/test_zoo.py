"""Shipped zoo graphs and the zoo source: current, torch-free to load, re-exported when resized."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from hwsim.errors import ConfigError, UnknownNameError
from hwsim.graph.layer_graph import LayerGraph
from hwsim.models import model_names, resolve_model
from hwsim.sources import load_graph
from hwsim.sources.zoo import (
    GRAPHS_DIR,
    comparable,
    export_zoo_graph,
    graph_path,
    load_zoo_graph,
    main,
    regenerate,
)


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """One intra-op thread: on a small shared machine extra threads spin and slow tracing ~4x."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_one_shipped_graph_per_canonical_model():
    assert sorted(p.stem for p in GRAPHS_DIR.glob("*.json")) == sorted(model_names())


def test_functional_layers_are_named_after_their_module():
    # ShuffleNet v2: stages 2-4 of 4, 8 and 4 units (docs/ZOO.md), each ending in a concat and a shuffle
    graph = load_zoo_graph("shufflenet_v2_1.0")
    units = [f"stage{stage}.{unit}" for stage, n in zip((2, 3, 4), (4, 8, 4)) for unit in range(n)]
    assert [l.name for l in graph.layers if l.op in ("concat", "shuffle")] == [
        f"{unit}.{word}" for unit in units for word in ("cat", "shuffle")
    ]
    # SqueezeNet 1.0: fire2 .. fire9 each end in a concat of their two expand convs
    graph = load_zoo_graph("squeezenet1_0")
    assert [l.name for l in graph.layers if l.op == "concat"] == [f"features.fire{i}.cat" for i in range(2, 10)]
    assert graph["features.fire3.cat"].inputs == ("features.fire3.expand1x1", "features.fire3.expand3x3")


@pytest.mark.slow
@pytest.mark.parametrize("name", model_names())
def test_shipped_graph_equals_a_fresh_export(name):
    """The guard that hwsim/sources/zoo_graphs/ is current: regenerate with `make graphs` when this fails."""
    shipped = LayerGraph.load(graph_path(name))
    fresh = export_zoo_graph(name)
    assert comparable(shipped) == comparable(fresh), f"{graph_path(name)} is stale: run `make graphs`"
    assert shipped.input_shape == (1, *resolve_model(name).input_shape)
    assert shipped.unsupported == ()


def test_loading_shipped_and_json_graphs_does_not_import_torch(tmp_path):
    copy = tmp_path / "copy.json"
    copy.write_text(graph_path("squeezenext_23v5").read_text())
    code = textwrap.dedent(
        f"""
        import sys
        from hwsim.sources import load_graph
        from hwsim.sources.zoo import load_zoo_graph
        a = load_zoo_graph("squeezenext_23v5")
        b = load_graph({str(copy)!r})
        c = load_graph("squeezenext_1.0_23v5")  # the long spelling resolves to the same file
        assert a == b == c, "graphs differ"
        assert "torch" not in sys.modules, "torch was imported"
        print(len(a))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(LayerGraph.load(graph_path("squeezenext_23v5")))


def test_other_input_size_or_batch_re_exports():
    name = "mobilenet_v1_0.25"
    base = load_zoo_graph(name)
    resized = load_zoo_graph(name, input_size=(128, 128))
    assert resized.input_shape == (1, 3, 128, 128)
    first = resized.layers[0]
    # conv 3x3 stride 2 pad 1 on 128: (128 + 2 - 3) // 2 + 1 = 64
    assert (first.h, first.w, first.p, first.q) == (128, 128, 64, 64)
    # every conv output scales with the pixel count, (128/224)^2, up to rounding: check the first
    assert first.macs * 224 * 224 == base.layers[0].macs * 128 * 128
    assert base.params == resized.params  # pooled globally: same weights
    batched = load_zoo_graph(name, batch=3)
    assert batched.input_shape == (3, 3, 224, 224)
    assert batched.macs == 3 * base.macs
    assert comparable(load_zoo_graph(name, input_size=224)) == comparable(base)


def test_non_square_input_on_a_global_pooled_net():
    graph = load_zoo_graph("shufflenet_v2_0.5", input_size=(160, 224))
    assert graph.input_shape == (1, 3, 160, 224)
    assert (graph.layers[0].p, graph.layers[0].q) == (80, 112)


def test_bad_sizes_and_names():
    with pytest.raises(ConfigError, match=r"mobilenet_v1: input size must be \(height, width\)"):
        load_zoo_graph("mobilenet_v1", input_size=(0, 10))
    with pytest.raises(ConfigError, match="batch must be a positive integer"):
        load_zoo_graph("mobilenet_v1", batch=0)
    with pytest.raises(UnknownNameError, match="did you mean squeezenext_23v5"):
        load_graph("squeezenext_23v6")


def test_regenerate_writes_a_loadable_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("hwsim.sources.zoo.GRAPHS_DIR", tmp_path)
    assert main(["--regenerate", "mobilenet_v1_0.25"]) == 0
    path = tmp_path / "mobilenet_v1_0.25.json"
    assert capsys.readouterr().out == f"wrote {path}\n"
    assert regenerate(["mobilenet_v1_0.25", "mobilenet_v1_0.25"]) == (path,)
    assert main(["--regenerate", "mobilenet_v9"]) == 2
    assert "unknown model 'mobilenet_v9'" in capsys.readouterr().err
    written = LayerGraph.load(path)
    assert comparable(written) == comparable(LayerGraph.load(GRAPHS_DIR / path.name))
    data = json.loads(path.read_text())
    assert json.loads(data["metadata"]["model_kwargs"]) == resolve_model("mobilenet_v1_0.25").kwargs_dict()


def mobilenet_v1_macs() -> int:
    """MobileNet v1 (width 1.0, 224x224) MACs in closed form from the paper's Table 1."""
    size, channels = 112, 32
    macs = size * size * (3 * 3 * 3) * 32  # conv 3x3/2, 3 -> 32
    for stride, out in [(1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512)] + [(1, 512)] * 5 + [(2, 1024), (1, 1024)]:
        size //= stride
        macs += size * size * 9 * channels  # depthwise 3x3
        macs += size * size * channels * out  # pointwise 1x1
        channels = out
    return macs + 1024 * 1000  # classifier


# Golden (MACs, params) counted by an independent parser from the authors' own Caffe definitions
# (amirgholami/SqueezeNext *.prototxt, forresti/SqueezeNet v1.1), BN counted as 2 params/channel.
# They pin the spatial facts (strides, pools, padding) that parameter counts cannot see.
GOLDEN = {
    "squeezenext_23": (277_999_808, 717_280),
    "squeezenext_23v5": (224_916_480, 930_016),
    "squeezenext_1.0g_23": (224_191_552, 543_072),
    "squeezenext_2.0_23": (742_070_464, 2_361_728),
    "squeezenext_2.0_23v5": (702_592_000, 3_222_912),
}


def test_zoo_macs_against_closed_form_and_authors_definitions():
    assert load_zoo_graph("mobilenet_v1").macs == mobilenet_v1_macs()  # 568.7M: the paper's "569M"
    for name, (macs, params) in GOLDEN.items():
        graph = load_zoo_graph(name)
        assert (graph.macs, graph.params) == (macs, params), name
    assert load_zoo_graph("squeezenet1_1").macs == 387_747_520  # forresti/SqueezeNet v1.1 prototxt at 227


@pytest.mark.parametrize("name", ["squeezenext_23v5", "shufflenet_v2_0.5", "mobilenet_v2_0.5", "alexnet_grouped"])
def test_rescaled_batch_equals_a_fresh_export(name):
    """--batch rescales the shipped graph without torch; it must equal tracing at that batch."""
    assert comparable(load_zoo_graph(name, batch=3)) == comparable(export_zoo_graph(name, batch=3))


def test_the_regenerate_script_runs_beside_the_registered_module():
    """`python -m hwsim.sources.zoo` runs a second copy of the module: it must not register twice."""
    done = subprocess.run([sys.executable, "-m", "hwsim.sources.zoo", "--help"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m hwsim.sources.zoo")
