"""hardware.describe: where a spec's values come from, and the README's table of accelerator fields."""

from __future__ import annotations

import pytest

from hwsim.errors import ConfigError
from hwsim.hardware.describe import field_reference, field_rows, schema_rows
from hwsim.hardware.load import accelerator_from_dict
from hwsim.hardware.spec import Accelerator
from tests.paths import REPO

MINIMAL = {
    "name": "mini",
    "array": {"rows": 4, "cols": 8},
    "dataflow": "ws",
    "clock_mhz": 100.0,
    "buffers": {"ifmap_kib": 1.0, "filter_kib": 1.0, "ofmap_kib": 1.0},
    "dram": {"bandwidth_bytes_per_cycle": 2.0},
}


def test_required_fields_are_exactly_those_a_minimal_file_gives():
    required = {row.path for row in schema_rows() if row.required}
    assert required == {"name", "array.rows", "array.cols", "dataflow", "clock_mhz", "buffers.ifmap_kib",
                        "buffers.filter_kib", "buffers.ofmap_kib", "dram.bandwidth_bytes_per_cycle"}
    accelerator_from_dict(MINIMAL)  # enough
    for path in required - {"name"}:
        section, _, field = path.partition(".")
        data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in MINIMAL.items()}
        if field:
            del data[section][field]
        else:
            del data[section]
        with pytest.raises(ConfigError, match=path.replace(".", r"\.")):
            accelerator_from_dict(data)


def test_every_leaf_field_is_in_the_schema_rows():
    assert [row.path for row in schema_rows()] == list(Accelerator.field_paths())


def test_energy_source_is_required_once_energy_is_given():
    prices = {"mac": 0.2, "rf_access": 0.2, "sram_byte": 1.0, "dram_byte": 100.0}
    with pytest.raises(ConfigError, match=r"energy_pj\.source"):
        accelerator_from_dict({**MINIMAL, "energy_pj": prices})
    assert "| `energy_pj.source` | required once `energy_pj` is given" in field_reference()
    assert "| `energy_pj.vector_op` | default: null |" in field_reference()


def test_field_rows_tell_file_from_default_and_resolve_nulls():
    accel = accelerator_from_dict({**MINIMAL, "vector": {}, "dram": {"bandwidth_bytes_per_cycle": 2.0, "ports": "shared"}})
    rows = {row.path: row for row in field_rows(accel)}
    assert rows["dram.ports"].origin == "file"  # given, even though it equals the default
    assert rows["word_bytes"].origin == "default" and rows["energy_pj.mac"].origin == "default"
    assert (rows["vector.lanes"].value, rows["vector.lanes"].resolved) == (None, 8)  # null: 8 columns
    rows = {row.path: row for row in field_rows(accel, {"clock_mhz": "why", "energy_pj.": "prices"})}
    assert (rows["clock_mhz"].origin, rows["clock_mhz"].note) == ("assumed", "why")
    assert rows["energy_pj.source"].origin == "assumed"


def test_readme_documents_every_field_its_default_and_what_is_required():
    readme = (REPO / "README.md").read_text()
    assert field_reference() in readme, "README's accelerator field table is out of date: paste field_reference()"
