"""hwsim.explore.sweep.output: a fresh sweep empties only the Parquet folders that a sweep created."""

import pandas as pd
import pytest

from hwsim.errors import ConfigError
from hwsim.explore.sweep.output import MARKER, open_sink

FRAME = pd.DataFrame({"model": ["m", "m"], "config_id": ["a", "b"]})


def test_a_fresh_sweep_creates_its_folder_with_a_marker_and_empties_it_the_next_time(tmp_path):
    out = tmp_path / "s.parquet"
    sink = open_sink(out, {})
    sink.reset()
    assert (out / MARKER).is_file()
    sink.write(FRAME, "part-0000-0000000000-a.parquet")
    assert pd.read_parquet(out).equals(FRAME)  # Parquet readers skip the hidden marker
    sink.reset()  # a folder this sweep made: its parts go
    assert [p.name for p in out.iterdir()] == [MARKER]


def test_an_empty_folder_is_taken(tmp_path):
    (tmp_path / "empty").mkdir()
    open_sink(tmp_path / "empty", {}).reset()
    assert (tmp_path / "empty" / MARKER).is_file()


@pytest.mark.parametrize("name", ["part-0000-0000000000-a.parquet", "notes.txt", ".part-x.tmp"])
def test_a_folder_a_sweep_did_not_create_is_refused_untouched(tmp_path, name):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / name).write_bytes(b"keep me")
    with pytest.raises(ConfigError, match="did not create"):
        open_sink(folder, {}).reset()
    assert [p.name for p in folder.iterdir()] == [name] and (folder / name).read_bytes() == b"keep me"


def test_a_file_where_the_dataset_folder_goes_is_refused_untouched(tmp_path):
    single = tmp_path / "one.parquet"
    FRAME.to_parquet(single)
    with pytest.raises(ConfigError, match="is a file"):
        open_sink(single, {}).reset()
    assert pd.read_parquet(single).equals(FRAME)


def test_parquet_written_without_pandas_reads_back_as_the_sweep_returns_it(tmp_path):
    """Optional fields (None: unset) come back as nullable Int64 / Float64 columns, strings as strings."""
    import pandas as pd

    from hwsim.explore.sweep.run import read_sweep, sweep

    grid = {"vector.lanes": [None, 8], "energy_pj.vector_op": [None, 0.5], "dataflow": ["ws", "best"]}
    expected = sweep("alexnet", "ws_8x8", grid)
    for name in ("s.parquet", "s.csv"):
        sweep("alexnet", "ws_8x8", grid, output=tmp_path / name)
        found = read_sweep(tmp_path / name)
        assert str(found["vector.lanes"].dtype) == "Int64" and found["vector.lanes"].isna().sum() == 4
        assert str(found["energy_pj.vector_op"].dtype) == "Float64"
        pd.testing.assert_frame_equal(found, expected, check_dtype=False, check_flags=False)
