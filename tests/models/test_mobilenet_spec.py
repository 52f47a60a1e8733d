"""hwsim.models.mobilenet_spec: the stage tables are the papers' (Table 1 of Howard et al. 2017, Table 2 of
Sandler et al. 2018) and bad arguments are one-line errors; no torch needed."""

from __future__ import annotations

import pytest

from hwsim.errors import ConfigError
from hwsim.models.mobilenet_spec import V1_BLOCKS, V1_STAGES, V2_BLOCKS, V2_STAGES, check_mobilenet


def test_v1_stages_with_the_default_blocks_are_table_1s_13_pairs() -> None:
    pairs = [(stride if j == 0 else 1, channels) for (stride, channels), n in zip(V1_STAGES, V1_BLOCKS)
             for j in range(n)]
    # Table 1: (stride, pointwise output channels) of the separable pairs
    assert pairs == [(1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512), *[(1, 512)] * 5, (2, 1024), (1, 1024)]


def test_v2_stages_with_the_default_blocks_are_table_2() -> None:
    rows = [(t, c, n, s) for (t, c, s), n in zip(V2_STAGES, V2_BLOCKS)]
    assert rows == [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                    (6, 320, 1, 1)]
    assert sum(V2_BLOCKS) == 17


def test_checks() -> None:
    assert check_mobilenet("mobilenet_v1", 0.5, 10, 160, [2, 2, 2, 2, 5], 5) == (2, 2, 2, 2, 5)
    for width, classes, size, blocks, message in [
        (0, 1000, 224, V1_BLOCKS, "width must be a positive number, got 0"),
        (True, 1000, 224, V1_BLOCKS, "width"),
        (1.0, 0, 224, V1_BLOCKS, "num_classes must be a positive integer, got 0"),
        (1.0, 1000, 2.5, V1_BLOCKS, "input_size"),
        (1.0, 1000, 224, (1, 2, 2, 6), "blocks must be 5 integers >= 1 (blocks per stage), got (1, 2, 2, 6)"),
        (1.0, 1000, 224, (1, 2, 0, 6, 2), "blocks must be 5 integers >= 1"),
        (1.0, 1000, 224, (1, 2, 2.0, 6, 2), "blocks must be 5 integers >= 1"),
        (1.0, 1000, 224, "12262", "blocks must be 5 integers >= 1"),
    ]:
        with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
            check_mobilenet("mobilenet_v1", width, classes, size, blocks, 5)
        assert str(info.value).startswith("mobilenet_v1: ") and "\n" not in str(info.value)
