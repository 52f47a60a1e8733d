"""Paths the tests share: the repository, the test data and the benchmarks' cached runs."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
SCALESIM_DATA = TESTS / "data" / "scalesim"
NOTEBOOKS = REPO / "notebooks"
