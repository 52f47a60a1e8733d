"""The per-layer metric schema: what it declares, and that every output follows it (columns,
order, dtypes) — evaluate(), SimResult, the profile frame and the README's column table."""

import re

import pytest

from hwsim.cost.energy import COMPONENTS
from hwsim.cost.evaluate import METRICS, evaluate
from hwsim.cost.metrics import BY_NAME, DTYPES, EVALUATED, HELD, LAYER_METRICS, LEVELS, REPORTED, SOURCES, reported, select
from hwsim.cost.result import SimResult
from hwsim.report.profile import LAYER_COLUMNS, to_frame
from hwsim.simulate import hardware_arrays, layer_arrays, simulate
from tests.cost.test_evaluate import accel, vector_graph
from tests.paths import REPO

#: Unit a metric must carry when its name ends so (units in names).
SUFFIX_UNITS = {"_cycles": "cycles", "_bytes": "bytes", "_pj": "pJ", "_us": "us"}


def test_declarations_are_well_formed():
    names = [m.name for m in LAYER_METRICS]
    assert len(names) == len(set(names))
    for m in LAYER_METRICS:
        assert m.dtype in DTYPES and m.source in SOURCES, m
        assert m.meaning and "\n" not in m.meaning, m
        for suffix, unit in SUFFIX_UNITS.items():
            if m.name.endswith(suffix):
                assert m.unit == unit, m
        assert m.source != "derived" or m.reported, m  # a derived metric exists to be reported
    assert [m.name for m in LAYER_METRICS if m.name.startswith("energy_") and m.name != "energy_pj"] == [
        f"energy_{c}_pj" for c in COMPONENTS
    ]


def test_readme_column_table_lists_the_reported_metrics_in_order():
    text = (REPO / "README.md").read_text()
    table = text.split("## CSV / JSON columns", 1)[1].split("\n## ", 1)[0]
    documented = [name for row in table.splitlines() if row.startswith("| `") for name in re.findall(r"`(\w+)`", row.split(" | ")[0])]
    assert documented == list(REPORTED)


@pytest.mark.parametrize("kib", [0.0, 1.0])
def test_profile_columns_are_the_reported_metrics_with_their_dtypes(kib):
    # Without a global buffer its metrics are left out; with one every reported metric is a column.
    result = simulate(vector_graph(), accel(rows=4, cols=4, bw=16.0, lanes=4, global_buffer={"kib": kib}))
    frame = to_frame(result)
    levels = ("global_buffer",) if kib else ()
    assert list(frame.columns) == list(reported(levels)) == list(REPORTED if kib else LAYER_COLUMNS)
    assert set(REPORTED) - set(LAYER_COLUMNS) == {m.name for m in LAYER_METRICS if m.reported and m.level == "global_buffer"}
    for m in select(reported(levels)):
        kind = frame[m.name].dtype.kind
        assert kind == {"int": "i", "float": "f", "bool": "b", "str": "O"}[m.dtype], m.name


def test_levels_are_declared():
    assert LEVELS == ("global_buffer",)
    assert {m.level for m in LAYER_METRICS} == {"", "global_buffer"}
    assert BY_NAME["energy_gbuf_pj"].level == "global_buffer" and BY_NAME["energy_dram_pj"].level == ""


def test_evaluate_returns_the_evaluated_metrics_with_their_dtypes():
    out = evaluate(layer_arrays(vector_graph()), hardware_arrays([accel(dataflow="best"), accel(dataflow="os", word=2)]))
    assert tuple(out) == METRICS == EVALUATED
    for name, values in out.items():
        assert values.dtype == BY_NAME[name].numpy_dtype and values.shape == (2, 7), name


def test_a_result_holds_the_held_metrics_and_names_them_as_attributes():
    result = simulate(vector_graph(), accel())
    assert set(result.metrics) == set(HELD) == set(REPORTED) - {"latency_us", "arithmetic_intensity", "dram_bytes_per_cycle"}
    for name in REPORTED:
        assert len(getattr(result, name)) == len(result) == 7, name
    assert "(cycles)" in SimResult.cycles.__doc__  # the schema's meaning and unit


def test_select_names_the_undeclared():
    assert [m.name for m in select(["cycles", "layer"])] == ["cycles", "layer"]
    with pytest.raises(ValueError, match="not in the metric schema: gb_bytes"):
        select(["cycles", "gb_bytes"])
