"""plots.profile: the figure of `hwsim profile --plot` stays readable at any depth, read from the Figure."""

from __future__ import annotations

import pytest

from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.hardware.load import load_accelerator
from hwsim.plots import block_labels, stage_labels
from hwsim.plots.profile import AUTO_MAX_BARS, BAR_HEIGHT_IN, LABEL_FONTSIZE, plot_profile, profile_groups
from hwsim.simulate import simulate
from hwsim.sources import load_graph
from tests.plots.test_plots import tiny_graph

#: Points per inch: a label of LABEL_FONTSIZE points needs LABEL_FONTSIZE / 72 inches of height.
POINTS_PER_INCH = 72


@pytest.fixture(scope="module")
def deep():
    """The deepest zoo network: SqueezeNext-23v5, 136 layers (the old plot: 2832 px wide, 6-point labels)."""
    return simulate(load_graph("squeezenext_23v5"), load_accelerator("ws_32x32"))


def bars(fig):
    """(tick labels, bars of the first stacked series) of the cycles panel."""
    ax = fig.axes[0]
    return [t.get_text() for t in ax.get_yticklabels()], list(ax.containers[0])


def test_deep_network_groups_into_blocks_with_legible_labels(deep):
    fig = plot_profile(deep)
    labels, first = bars(fig)
    blocks = list(dict.fromkeys(block_labels(deep)[i] for i in range(len(deep)) if deep.cycles[i] > 0))
    assert labels == blocks and len(first) == len(blocks) <= AUTO_MAX_BARS
    assert labels[:4] == ["stem.conv1", "stem.pool1", "stages.0.entry", "stages.0.blocks.0"]
    assert {t.get_fontsize() for t in fig.axes[0].get_yticklabels()} == {LABEL_FONTSIZE}
    width, height = fig.get_size_inches()
    assert width == 10.0 and height == pytest.approx(1.9 + BAR_HEIGHT_IN * len(blocks))
    assert BAR_HEIGHT_IN >= 1.5 * LABEL_FONTSIZE / POINTS_PER_INCH  # each label has a row 1.5x its height
    # each bar is the sum of its layers: stem.conv1 is the one layer stem.conv1.conv
    conv1 = deep.names.index("stem.conv1.conv")
    stacked = sum(c[0].get_width() for c in fig.axes[0].containers)
    assert stacked == pytest.approx(deep.cycles[conv1])


def test_every_layer_on_request_still_legible(deep):
    fig = plot_profile(deep, by="layer")
    labels, first = bars(fig)
    costly = [deep.names[i] for i in range(len(deep)) if deep.cycles[i] > 0]
    assert labels == costly and len(first) == len(costly) > 100
    assert {t.get_fontsize() for t in fig.axes[0].get_yticklabels()} == {LABEL_FONTSIZE}
    assert fig.get_size_inches()[0] == 10.0  # grows downwards, never wider


def test_top_keeps_the_bars_with_the_most_cycles_in_network_order(deep):
    fig = plot_profile(deep, by="layer", top=5)
    labels, first = bars(fig)
    slowest = sorted(range(len(deep)), key=lambda i: -deep.cycles[i])[:5]
    assert labels == [deep.names[i] for i in sorted(slowest)] and len(first) == 5
    assert f"(the 5 of {sum(1 for c in deep.cycles if c > 0)} layers with the most cycles)" in fig.get_suptitle()


def test_stages_and_log_scale(deep):
    fig = plot_profile(deep, by="stage", log=True)
    labels, _ = bars(fig)
    assert labels == list(dict.fromkeys(stage_labels(deep)))
    assert fig.axes[0].get_xscale() == "log"
    assert fig.axes[0].get_xlabel() == "cycles (log scale)"


def test_utilization_panel_is_macs_over_gemm_cycles():
    result = simulate(tiny_graph(), load_accelerator("ws_32x32").with_overrides({"array.rows": 4, "array.cols": 4}))
    by, table = profile_groups(result, "layer")
    assert by == "layer"  # 9 layers: one bar each, the free reshape left out
    assert list(table.index) == [n for n, c in zip(result.names, result.cycles) if c > 0]
    fig = plot_profile(result, by="layer")
    util = fig.axes[1]
    widths = {round(bar.get_y() + bar.get_height() / 2): bar.get_width() for bar in util.patches}
    conv = result.names.index("stem.conv")
    assert widths[0] == pytest.approx(100 * result.macs[conv] / (result.cycles[conv] * 16))
    assert len(util.patches) == sum(op in ("conv", "linear") for op in result.ops)


def test_auto_draws_one_bar_per_layer_for_a_shallow_network():
    result = simulate(load_graph("alexnet"), load_accelerator("ws_32x32"))
    by, table = profile_groups(result)
    assert by == "layer" and len(table) == sum(1 for c in result.cycles if c > 0)


def test_bad_grouping():
    result = simulate(tiny_graph(), load_accelerator("ws_8x8"))
    with pytest.raises(ValueError, match="by='blocks'"):
        profile_groups(result, "blocks")


def test_block_labels_of_the_zoo_naming_schemes():
    names = ("stem.conv1.conv", "stages.0.entry.conv", "stages.0.blocks.1.conv1x1_a.conv", "add_3",
             "blocks.4.depthwise.conv", "stage2.0.compress.conv", "features.fire2.squeeze", "fc")
    layers, previous = [], "input"
    for name in names:
        op = "add" if name == "add_3" else "linear"
        layers.append(Layer(name=name, op=op, inputs=(previous,) * (2 if op == "add" else 1), c=4, k=4,
                            **({"operand_elements": (4, 4)} if op == "add" else {})))
        previous = name
    result = simulate(LayerGraph(name="n", input_shape=(1, 4, 1, 1), layers=tuple(layers)), load_accelerator("ws_8x8"))
    assert block_labels(result) == ("stem.conv1", "stages.0.entry", "stages.0.blocks.1", "stages.0.blocks.1",
                                    "blocks.4", "stage2.0", "features.fire2", "fc")
