"""The numeric field types of accelerator files and their limits (pydantic ``Annotated`` types).

Each type carries the "expected ..." text of its error message (:class:`~hwsim.hardware.validation.Expect`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hwsim.hardware.validation import Expect

# --------------------------------------------------------------------------------------------
# Limits. Every numeric field is finite and bounded so that every count the cost core forms fits
# its int64 and float64 arrays (docs/MODEL.md §11 derives them). With a graph inside the limits
# of :mod:`hwsim.graph.limits` (at most 2^46 MACs, element transfers and vector operations in
# total), a layer's compute cycles stay below 2^46 x (1 + 3 x 4096) < 2^60, its DRAM bytes below
# 8 x 3 x 2^46 < 2^51 and its memory time (at 2^-10 bytes per cycle, fill and drain included)
# below 2^62, so network cycles fit int64 (< 2^63); latency (cycles / MHz) and energy
# (count x pJ) stay finite floats.

#: Largest ``array.rows`` and ``array.cols`` (the fill and drain of a fold grow with them).
MAX_ARRAY_SIDE = 4096
#: Largest ``word_bytes`` (8: 64-bit operands).
MAX_WORD_BYTES = 8
#: ``clock_mhz`` range: 1 kHz to 1 THz.
MIN_CLOCK_MHZ, MAX_CLOCK_MHZ = 1e-3, 1e6
#: Largest operand buffer: 2^30 KiB (1 TiB).
MAX_BUFFER_KIB = 2.0**30
#: ``dram.bandwidth_bytes_per_cycle`` range: 2^-10 (one byte every 1024 cycles) to 2^20.
MIN_BANDWIDTH, MAX_BANDWIDTH = 2.0**-10, 2.0**20
#: Largest ``vector.lanes``.
MAX_VECTOR_LANES = 2**24
#: Largest energy per event (pJ): 1 uJ per MAC, access or byte, or per cycle of leakage.
MAX_ENERGY_PJ = 1e6


# --------------------------------------------------------------------------------------------
# Field types. ``Expect`` carries the "expected ..." text of error messages; pydantic ignores it.


ArraySide = Annotated[
    int, Field(strict=True, gt=0, le=MAX_ARRAY_SIDE), Expect(f"an integer > 0 and <= {MAX_ARRAY_SIDE}")
]
WordBytes = Annotated[
    int, Field(strict=True, gt=0, le=MAX_WORD_BYTES), Expect(f"an integer > 0 and <= {MAX_WORD_BYTES} (bytes)")
]
ClockMhz = Annotated[
    float,
    Field(strict=True, ge=MIN_CLOCK_MHZ, le=MAX_CLOCK_MHZ, allow_inf_nan=False),
    Expect("a finite number > 0, from 0.001 to 1000000 (MHz)"),
]
#: ``dram.bandwidth_bytes_per_cycle: unlimited``: no DRAM stalls (SCALE-Sim's CALC mode); held as
#: ``math.inf``, so every ``bytes / bandwidth`` term of the cost model is 0 (docs/MODEL.md §3).
UNLIMITED = "unlimited"
DramBandwidth = Annotated[
    float,
    Field(strict=True, ge=MIN_BANDWIDTH, le=MAX_BANDWIDTH, allow_inf_nan=False),
    Expect("a finite number > 0, from 2^-10 = 0.0009765625 to 2^20 = 1048576 (bytes per cycle), or unlimited "
           "(no DRAM stalls, SCALE-Sim's CALC mode)"),
]
NonNegativeFloat = Annotated[
    float,
    Field(strict=True, ge=0, le=MAX_ENERGY_PJ, allow_inf_nan=False),
    Expect("a finite number >= 0 and <= 1000000 (pJ)"),
]
StrictBool = Annotated[bool, Field(strict=True), Expect("true or false")]
Kib = Annotated[
    float,
    Field(strict=True, gt=0, le=MAX_BUFFER_KIB, allow_inf_nan=False),
    Expect(
        "a finite number of KiB > 0 and <= 2^30 (1 TiB) that is a whole number of bytes (a multiple of 1/1024)"
    ),
]
