"""hwsim.measure.cache: a torn last line (no newline) is cut before appending, never glued to the next one."""

import io

import pytest

from hwsim.measure import cache as cache_module
from hwsim.measure.cache import cut_torn_tail


@pytest.mark.parametrize(
    "data, kept",
    [(b"", b""), (b"a\n", b"a\n"), (b"a\nb", b"a\n"), (b"a\nb\n", b"a\nb\n"), (b"torn", b""), (b"a\n\nbc", b"a\n\n")],
)
def test_cut_torn_tail_keeps_whole_lines(data, kept):
    handle = io.BytesIO(data)
    assert cut_torn_tail(handle) == len(data) - len(kept)
    assert handle.getvalue() == kept and handle.tell() == len(kept)


def test_cut_torn_tail_looks_back_across_blocks(monkeypatch):
    monkeypatch.setattr(cache_module, "_TAIL_BLOCK_BYTES", 4)  # the newline is 3 blocks back
    handle = io.BytesIO(b"first\n" + b"x" * 11)
    assert cut_torn_tail(handle) == 11 and handle.getvalue() == b"first\n"
    handle = io.BytesIO(b"y" * 9)  # no newline at all: everything is torn
    assert cut_torn_tail(handle) == 9 and handle.getvalue() == b""
