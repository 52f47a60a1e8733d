"""hwsim.models.shufflenet_spec: the tables are the papers' (Table 1 of Zhang et al. 2017, Table 5 of Ma et al.
2018) and bad arguments are one-line errors; no torch needed."""

from __future__ import annotations

import pytest

from hwsim.errors import ConfigError
from hwsim.models.shufflenet_spec import (
    STAGE_UNITS,
    V1_GROUPS,
    V1_SCALES,
    V1_STAGE2_CHANNELS,
    V2_CHANNELS,
    check_shufflenet_v1,
    check_shufflenet_v2,
)


def test_tables() -> None:
    assert STAGE_UNITS == (4, 8, 4) and sum(STAGE_UNITS) == 16  # stages 2, 3, 4 of both papers
    assert V1_GROUPS == (1, 2, 3, 4, 8) and V1_STAGE2_CHANNELS[3] == 240 and V1_SCALES == (0.25, 0.5, 1.0, 1.5, 2.0)
    assert V2_CHANNELS[1.0] == (116, 232, 464, 1024) and tuple(V2_CHANNELS) == (0.5, 1.0, 1.5, 2.0)


def test_checks() -> None:
    assert check_shufflenet_v1(8, 0.5, 10, 160, [1, 1, 14]) == (1, 1, 14)
    assert check_shufflenet_v2(2.0, 10, 160, (14, 1, 1)) == (14, 1, 1)
    for call, message in [
        (lambda: check_shufflenet_v1(5, 1.0, 1000, 224, STAGE_UNITS), "shufflenet_v1: groups must be one of"),
        (lambda: check_shufflenet_v1(3, 0.75, 1000, 224, STAGE_UNITS), "shufflenet_v1: scale must be one of"),
        (lambda: check_shufflenet_v1(3, 1.0, 1000, 224, (4, 8)), "shufflenet_v1: blocks must be 3 integers >= 1"),
        (lambda: check_shufflenet_v2(0.75, 1000, 224, STAGE_UNITS), "shufflenet_v2: scale must be one of"),
        (lambda: check_shufflenet_v2(1.0, 0, 224, STAGE_UNITS), "shufflenet_v2: num_classes"),
        (lambda: check_shufflenet_v2(1.0, 1000, 224, (4, 0, 4)), "shufflenet_v2: blocks must be 3 integers >= 1"),
    ]:
        with pytest.raises(ConfigError, match=message):
            call()
