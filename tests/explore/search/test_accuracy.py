"""--accuracy FILE.csv (hwsim.explore.search.accuracy): measured accuracy per candidate, read with
one-line errors, ranks and fronts by it, and candidates without one left out (the output says so)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hwsim.errors import ConfigError
from hwsim.explore.search.accuracy import read_accuracy
from hwsim.explore.search.families.base import Family
from hwsim.explore.search.families.registry import register, unregister
from hwsim.explore.search.run import Candidate, SearchSpace, format_report, search
from hwsim.hardware.load import load_accelerator
from tests.explore.search.toy_family import CHAIN


@pytest.fixture(autouse=True)
def family() -> Iterator[Family]:
    register(CHAIN)
    yield CHAIN
    unregister(CHAIN.name)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "accuracy.csv"
    path.write_text(text)
    return path


def test_rows_name_candidates_and_a_missing_choice_column_means_every_value(tmp_path: Path) -> None:
    space = SearchSpace(family="chain")  # 5 blocks over 2 stages, kernels 1 and 3
    path = _write(tmp_path, "allocation,kernel,accuracy\n1-4,3,71.5\n3-2,1,69.0\n\n")
    assert read_accuracy(path, space) == {Candidate((1, 4), (3,)): 71.5, Candidate((3, 2), (1,)): 69.0}
    path = _write(tmp_path, "accuracy,allocation\n70,2-3\n")  # no kernel column: both kernels
    assert read_accuracy(path, space) == {Candidate((2, 3), (1,)): 70.0, Candidate((2, 3), (3,)): 70.0}


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty; expected a header with the columns allocation, accuracy and optionally kernel"),
    ("allocation,top1\n1-4,70\n", "unknown column 'top1'; expected the columns allocation, accuracy"),
    ("allocation,kernel\n1-4,3\n", "no column 'accuracy'"),
    ("allocation,accuracy\n1-4\n", "line 2: 1 cells for 2 columns"),
    ("allocation,accuracy\n1-4,high\n", "line 2: accuracy 'high': expected a finite number (higher is better)"),
    ("allocation,accuracy\n1-4,nan\n", "line 2: accuracy 'nan': expected a finite number"),
    ("allocation,accuracy\n1/4,70\n", "line 2: allocation '1/4': expected blocks per stage such as 3-2"),
    ("allocation,accuracy\n1-1-3,70\n", "line 2: allocation 1-1-3 (kernel 1) is not in this search's space"),
    ("allocation,kernel,accuracy\n1-4,5,70\n", "line 2: kernel '5': expected one of 1, 3"),
    ("allocation,accuracy\n1-4,70\n1-4,71\n", "line 3: allocation 1-4 (kernel 1) is given twice"),
    ("allocation,accuracy\n", "no rows; expected one row per measured candidate"),
])
def test_bad_files_are_one_line_errors_naming_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=f"^{path}: ") as info:
        read_accuracy(path, SearchSpace(family="chain"))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_accuracy_ranks_and_replaces_macs_and_params_on_the_front(tmp_path: Path) -> None:
    space = SearchSpace(family="chain")
    measured = {Candidate((1, 4), (3,)): 71.5, Candidate((3, 2), (1,)): 69.0, Candidate((2, 3), (1,)): 70.0}
    accel = load_accelerator("ws_8x8")
    result = search(space, accel, objective="accuracy", accuracy=measured, accuracy_source="acc.csv",
                    sets={"array.rows": [4, 8]}, cache_dir="")
    assert len(result.ranked) == 3 * 2 and result.unmeasured == (8 - 3) * 2  # 8 candidates x 2 configurations
    assert [r.accuracy for r in result.ranked] == [71.5, 71.5, 70.0, 70.0, 69.0, 69.0]  # highest first
    # the front: no pair with latency, energy and area no higher and accuracy no lower, one strictly
    for i, r in enumerate(result.ranked):
        dominated = any(o.latency_ms <= r.latency_ms and o.energy_uj <= r.energy_uj and o.area_mm2 <= r.area_mm2
                        and o.accuracy >= r.accuracy and o is not r
                        and (o.latency_ms, o.energy_uj, o.area_mm2, o.accuracy) != (r.latency_ms, r.energy_uj,
                                                                                    r.area_mm2, r.accuracy)
                        for o in result.ranked)
        assert (i in result.pareto) == (not dominated)
    text = format_report(result)
    assert "accuracy: measured, from acc.csv; 10 pairs without a measured accuracy left out" in text
    assert "vs measured accuracy" in text and "MACs and params (more" not in text
    plain = search(space, accel, cache_dir="")
    assert "accuracy: not measured (no --accuracy FILE.csv), so MACs and params stand in for it" in format_report(plain)
    with pytest.raises(ConfigError, match="--objective accuracy needs measured accuracies: --accuracy FILE.csv"):
        search(space, accel, objective="accuracy", cache_dir="")
