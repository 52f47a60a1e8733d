"""hwsim.explore.search.configurations: the accelerator configurations of a search (numbering,
values, CSV cells, area) and the template units evaluated on all of them at once, here, in local
processes or on a Dask cluster, equal to evaluating each configuration alone."""

from __future__ import annotations

import numpy as np
import pytest

from hwsim.explore.search.configurations import Configurations, span_totals, unit_totals, value_text
from hwsim.explore.search.families.base import Variant
from hwsim.hardware.load import load_accelerator
from hwsim.simulate import hardware_arrays, layer_arrays, simulate
from tests.explore.search.toy_family import chain

SETS = {"array.cols": [4, 8, 16], "dataflow": ["ws", "best"], "vector.lanes": [None, 2], "clock_mhz": [100, 250.5]}


@pytest.fixture(scope="module")
def configurations() -> Configurations:
    return Configurations.build(load_accelerator("ws_8x8"), SETS)


def test_numbering_values_and_csv_cells(configurations: Configurations) -> None:
    assert configurations.size == 3 * 2 * 2 * 2 and configurations.paths == tuple(SETS)
    # the last field varies fastest: configuration 1 is the first values with clock 250.5
    assert configurations.values(0) == (4, "ws", None, 100.0)
    assert configurations.values(1) == (4, "ws", None, 250.5)
    assert configurations.values(23) == (16, "best", 2, 250.5)
    for k in range(configurations.size):
        values = configurations.values(k)
        assert configurations.ordinal(values) == k
        assert configurations.parse([value_text(v) for v in values]) == k  # as the CSV writes them
    assert configurations.parse(["4", "ws", "null", "100"]) == 0
    assert configurations.parse(["32", "ws", "null", "100"]) is None  # not one of these configurations
    with pytest.raises(ValueError):
        configurations.parse(["four", "ws", "null", "100"])
    assert configurations.labels() == ("cols", "dataflow", "lanes", "clock_mhz")
    assert configurations.describe(23) == "cols 16, dataflow best, lanes 2, clock_mhz 250.5"
    assert configurations.describe_space() == "array.cols 4/8/16, dataflow ws/best, vector.lanes null/2, clock_mhz 100/250.5"
    alone = Configurations.build(load_accelerator("ws_8x8"))
    assert (alone.size, alone.paths, alone.values(0), alone.describe(0)) == (1, (), (), "")


def test_area_clock_and_pes_are_each_configurations(configurations: Configurations) -> None:
    for k in range(configurations.size):
        accel = configurations.accelerator(k)
        area = hardware_arrays([accel]).area().at(0).total_mm2
        assert configurations.area_mm2[k] == area
        assert (configurations.clock_mhz[k], configurations.pes[k]) == (accel.clock_mhz, accel.pes)
    # 8 rows x 4 / 8 / 16 columns of 426.528 um² PEs, the same 3 x 16 KiB of buffers (docs/MODEL.md §10)
    buffers = 48 * 119 / (153 * 2**20) * 8192
    assert configurations.area_mm2[0] == pytest.approx(32 * 426.528e-6 + buffers, rel=1e-12)
    assert configurations.area_mm2[-1] == pytest.approx(128 * 426.528e-6 + buffers, rel=1e-12)


def _templates():
    variant = Variant(stages=2, settings=(("channels", 8),), choices=(3,))
    graph = chain(variant, (2, 2))
    spans = ((0, 3), (3, 7), (7, len(graph.layers)))  # any split of the layers into consecutive units
    return graph, spans


def test_units_on_all_configurations_equal_each_configuration_alone(configurations: Configurations) -> None:
    graph, spans = _templates()
    together = unit_totals(layer_arrays(graph), spans, configurations)
    assert together.cycles.shape == (configurations.size, len(spans)) and together.macs.shape == (len(spans),)
    for k in range(configurations.size):
        result = simulate(graph, configurations.accelerator(k))
        for u, (a, b) in enumerate(spans):
            assert together.cycles[k, u] == result.cycles[a:b].sum()
            assert together.energy_pj[k, u] == pytest.approx(result.energy_pj[a:b].sum(), rel=1e-12)
        assert together.macs.sum() == result.total_macs and together.params.sum() == int(result.params.sum())
    one = span_totals(layer_arrays(graph), spans, configurations.hardware(np.array([5])))
    np.testing.assert_array_equal(one.cycles[0], together.cycles[5])


def test_blocks_processes_and_dask_give_the_same_totals(configurations: Configurations, monkeypatch) -> None:
    from hwsim.explore.search import configurations as module

    graph, spans = _templates()
    layers = layer_arrays(graph)
    serial = unit_totals(layers, spans, configurations)
    monkeypatch.setattr(module, "TASK_CONFIGS", 5)  # 24 configurations in 5 tasks
    monkeypatch.setattr(module, "BLOCK_ELEMENTS", 20)  # and each task in blocks of one or two
    for workers in (1, 2):
        split = unit_totals(layers, spans, configurations, workers=workers)
        np.testing.assert_array_equal(split.cycles, serial.cycles)
        np.testing.assert_array_equal(split.energy_pj, serial.energy_pj)
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            on_dask = unit_totals(layers, spans, configurations, scheduler=client)
    np.testing.assert_array_equal(on_dask.cycles, serial.cycles)
    np.testing.assert_array_equal(on_dask.energy_pj, serial.energy_pj)
