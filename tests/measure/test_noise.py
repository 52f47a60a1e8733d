"""Trust in measurements (hwsim/measure/noise.py): spread, machine load, the warning line. No torch."""

from __future__ import annotations

import os

import pytest

from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.measure.host_info import HostInfo
from hwsim.measure.noise import (
    MachineLoad,
    calibration_reasons,
    load_reason,
    machine_load,
    noise_reasons,
    relative_spread,
    warning_line,
)
from hwsim.measure.results import LatencyStats, ModelMeasurement

GRAPH = LayerGraph("m", (1, 4), (Layer(name="fc", op="linear", inputs=("input",), c=4, k=2),))
INFO = HostInfo(device="cpu", device_model="Test CPU", cpu_model="Test CPU", torch_version="2.0", threads=2)


def measured(samples_ms):
    stats = LatencyStats(tuple(s * 1e-3 for s in samples_ms))
    return ModelMeasurement(model="m", graph=GRAPH, info=INFO, batch=1, warmup=0, repeats=len(samples_ms),
                            end_to_end=stats, instrumented=stats, layer_seconds=(stats.median_s,))


def test_relative_spread_is_iqr_over_median():
    # samples 1..5 ms: p25 = 2, p75 = 4 (numpy's linear interpolation), median 3 -> IQR/median = 2/3
    assert relative_spread(LatencyStats((1.0, 2.0, 3.0, 4.0, 5.0))) == pytest.approx(2 / 3)
    assert relative_spread(LatencyStats((0.01,))) == 0.0


def test_quiet_measurements_give_no_reason():
    quiet = measured([10.0, 10.1, 10.2, 10.1, 10.0])  # IQR 0.1 of median 10.1: 1 %
    assert noise_reasons(quiet, MachineLoad(cpus=4, load_1min=0.5, threads=2)) == []
    assert warning_line("the times of m", [], threads=2) is None


def test_a_spread_above_ten_percent_is_a_reason():
    # the 60x slowdowns of an overcommitted machine: p25 12 ms, p75 60 ms, IQR 48 ms over a median of 20 ms
    noisy = measured([10.0, 12.0, 20.0, 60.0, 600.0])
    assert noise_reasons(noisy) == ["end-to-end times spread by 240% of the median (IQR; above 10%)"]


def test_more_threads_than_free_cores_is_a_reason():
    busy = MachineLoad(cpus=2, load_1min=1.9, threads=2)  # 0.1 core free
    assert busy.free_cores == pytest.approx(0.1) and busy.overcommitted
    assert load_reason(busy) == "2 threads but only 0.1 of 2 cores free (load average 1.90)"
    assert not MachineLoad(cpus=2, load_1min=0.4, threads=2).overcommitted  # 1.6 free + half a core of slack
    assert MachineLoad(cpus=2, load_1min=5.0, threads=1).free_cores == 0.0


def test_the_warning_says_how_to_get_clean_numbers():
    line = warning_line("the times of m", ["a", "b"], threads=2)
    assert line == ("the times of m may not be trustworthy: a; b; for clean numbers measure on a quiet machine "
                    "with --threads 1")
    assert warning_line("x", ["a"], threads=1, extra=" and --fresh").endswith("with more --repeats and --fresh")


def test_machine_load_reads_this_machine():
    load = machine_load(3)
    if hasattr(os, "getloadavg"):
        assert load is not None and load.cpus == (os.cpu_count() or 1) and load.threads == 3 and load.load_1min >= 0


def test_calibration_reasons():
    quiet, noisy = measured([10.0, 10.1, 10.2, 10.1, 10.0]), measured([10.0, 12.0, 20.0, 60.0, 600.0])
    assert calibration_reasons([quiet, quiet], None, 0.05) == []
    busy = MachineLoad(cpus=2, load_1min=2.0, threads=2)
    # the audit's case: a fit to noisy data on a loaded machine, with a median layer error of 1,269 %
    assert calibration_reasons([quiet, noisy], busy, 12.69) == [
        "1 of 2 models spread by more than 10% of their median (m 240%)",
        "2 threads but only 0.0 of 2 cores free (load average 2.00)",
        "the median layer error of the fit is 1269%",
    ]
