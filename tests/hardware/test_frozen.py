"""FrozenAccelerator: the schema's values without the schema, agreeing with Accelerator everywhere."""

from __future__ import annotations

import math
import pickle
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from hwsim.errors import ConfigError
from hwsim.hardware.frozen import FrozenAccelerator, FrozenSection
from hwsim.hardware.load import Accelerator, accelerator_names, load_accelerator
from hwsim.hardware.spec import OPERANDS, gemm_dataflows
from hwsim.simulate import simulate
from hwsim.sources import load_graph
from tests.paths import REPO


def frozen(accel: Accelerator) -> FrozenAccelerator:
    """What the shipped snapshot holds for ``accel``: the schema's JSON dump."""
    return FrozenAccelerator(accel.model_dump(mode="json"))


def properties(cls: type) -> list[str]:
    """The public properties hwsim defines on a schema class (not pydantic's own)."""
    return sorted({name for klass in cls.__mro__ if klass.__module__.startswith("hwsim")
                   for name, member in vars(klass).items() if isinstance(member, property) and not name.startswith("_")})


def assert_agree(schema: Accelerator, copy: FrozenAccelerator) -> None:
    """Every field, section field, property and read method of the schema object, on the copy."""
    for name in Accelerator.model_fields:
        value = getattr(schema, name)
        if isinstance(value, BaseModel):  # a section
            section = getattr(copy, name)
            assert isinstance(section, FrozenSection)
            for field in type(value).model_fields:
                assert getattr(section, field) == getattr(value, field), f"{name}.{field}"
            for prop in properties(type(value)):
                assert getattr(section, prop) == getattr(value, prop), f"{name}.{prop}"
        else:
            assert getattr(copy, name) == value, name
            assert type(getattr(copy, name)) is type(value), name  # 500.0 stays a float, choices a tuple
    for prop in properties(Accelerator):
        assert getattr(copy, prop) == getattr(schema, prop), prop
    for operand in OPERANDS:
        assert copy.buffer_kib(operand) == schema.buffer_kib(operand)
        assert copy.buffer_bytes(operand) == schema.buffer_bytes(operand)
        assert copy.buffer_words(operand) == schema.buffer_words(operand)
    for path in Accelerator.field_paths():
        assert copy.get(path) == schema.get(path), path
    assert copy.to_dict() == schema.to_dict()


@pytest.mark.parametrize("name", accelerator_names())
def test_shipped_accelerators_agree_with_the_schema(name):
    assert_agree(load_accelerator(name), frozen(load_accelerator(name)))


@pytest.mark.parametrize("name", ["ws_32x32", "best_32x32"])
def test_a_pickled_copy_is_the_same_accelerator(name):
    """Search tasks carry the accelerator to worker processes (`hwsim search --workers 2`)."""
    copy = frozen(load_accelerator(name))
    again = pickle.loads(pickle.dumps(copy))
    assert type(again) is FrozenAccelerator and type(again.energy_pj) is type(copy.energy_pj)
    assert again == copy and again.to_dict() == copy.to_dict()
    assert_agree(load_accelerator(name), again)


def test_the_checks_see_every_property():
    """Guard against a comparison that passes because it compares nothing."""
    assert {"pes", "vector_lanes", "candidate_dataflows", "cycle_time_ns"} <= set(properties(Accelerator))
    assert "resolved_vector_op" in properties(type(load_accelerator("ws_32x32").energy_pj))


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(min_value=1, max_value=4096),
    cols=st.integers(min_value=1, max_value=4096),
    kib=st.integers(min_value=1, max_value=2**20).map(lambda b: b / 1024),
    dataflow=st.sampled_from([*gemm_dataflows(), "best"]),
    lanes=st.none() | st.integers(min_value=1, max_value=256),
    vector_op=st.none() | st.floats(min_value=0, max_value=10, allow_nan=False),
    gbuf_kib=st.integers(min_value=0, max_value=2**20).map(lambda b: b / 1024),
    gbuf_bandwidth=st.none() | st.floats(min_value=0.5, max_value=1024),
    pe_um2=st.none() | st.floats(min_value=1, max_value=1e4),
)
def test_any_valid_accelerator_agrees(rows, cols, kib, dataflow, lanes, vector_op, gbuf_kib, gbuf_bandwidth, pe_um2):
    schema = load_accelerator("best_32x32").with_overrides(
        {"array.rows": rows, "array.cols": cols, "buffers.ofmap_kib": kib, "dataflow": dataflow,
         "vector.lanes": lanes, "energy_pj.vector_op": vector_op, "global_buffer.kib": gbuf_kib,
         "global_buffer.bandwidth_bytes_per_cycle": gbuf_bandwidth, "area.pe_um2": pe_um2}
    )  # fmt: skip
    assert_agree(schema, frozen(schema))


@pytest.mark.parametrize("ports", ["shared", "per_operand"])
def test_unlimited_bandwidth_agrees(ports):
    """The snapshot holds ``unlimited`` as the schema writes it; the copy reads it as the schema does (inf)."""
    schema = load_accelerator("ws_32x32").with_overrides({"dram.bandwidth_bytes_per_cycle": "unlimited", "dram.ports": ports})
    assert schema.model_dump(mode="json")["dram"]["bandwidth_bytes_per_cycle"] == "unlimited"
    copy = frozen(schema)
    assert copy.dram.bandwidth_bytes_per_cycle == math.inf
    assert_agree(schema, copy)
    assert copy.validated() == schema
    assert pickle.loads(pickle.dumps(copy)) == copy
    graph = load_graph("squeezenext_23v5")
    assert np.array_equal(simulate(graph, copy).cycles, simulate(graph, schema).cycles)


def test_best_without_choices_may_use_every_registered_dataflow():
    schema = load_accelerator("ws_32x32").with_overrides({"dataflow": "best"})
    assert schema.dataflow_choices is None
    assert frozen(schema).candidate_dataflows == gemm_dataflows() == ("ws", "os", "is")


@pytest.mark.parametrize("name", ["best_32x32", "ws_8x8", "gemmini_16x16", "ws_32x32_gb1mib"])  # the last two: a global buffer
@pytest.mark.parametrize("model", ["squeezenext_23v5", "shufflenet_v1_g3"])
def test_simulating_on_the_copy_gives_the_same_numbers(name, model):
    graph = load_graph(model)
    a, b = simulate(graph, load_accelerator(name)), simulate(graph, frozen(load_accelerator(name)))
    assert (a.accelerator_name, a.clock_mhz, a.pes) == (b.accelerator_name, b.clock_mhz, b.pes)
    for metric, values in a.metrics.items():
        assert np.array_equal(np.asarray(values), np.asarray(b.metrics[metric])), metric


def test_overrides_are_validated_by_the_schema():
    copy = frozen(load_accelerator("best_32x32"))
    changed = copy.with_overrides({"array.rows": 64})
    assert isinstance(changed, Accelerator)
    assert changed == load_accelerator("best_32x32").with_overrides({"array.rows": 64})
    assert copy.validated() == load_accelerator("best_32x32")
    with pytest.raises(ConfigError, match=r"array.rows = 0: expected an integer > 0"):
        copy.with_overrides({"array.rows": 0})


def test_read_only_and_unknown_paths():
    copy = frozen(load_accelerator("ws_32x32"))
    with pytest.raises(AttributeError):
        copy.name = "other"
    with pytest.raises(AttributeError):
        copy.array.rows = 1
    with pytest.raises(AttributeError, match="no field 'colz'"):
        copy.array.colz  # noqa: B018
    with pytest.raises(ConfigError, match="unknown accelerator field path 'array.colz'"):
        copy.get("array.colz")
    with pytest.raises(ValueError, match="unknown operand"):
        copy.buffer_kib("psum")
    assert copy.array == frozen(load_accelerator("ws_32x32")).array
    assert copy.array != frozen(load_accelerator("ws_16x16")).array


def test_import_needs_neither_pydantic_nor_yaml():
    code = "import sys, hwsim.hardware.frozen; print(sorted({'pydantic', 'yaml'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"
