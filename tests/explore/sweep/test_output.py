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
