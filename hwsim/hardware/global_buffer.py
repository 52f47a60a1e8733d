"""The ``global_buffer`` section of an accelerator file: an on-chip buffer that keeps tensors
between layers (docs/MODEL.md §9).

Optional: absent, or ``kib: 0``, the accelerator has no global buffer and every tensor goes
through DRAM between layers, as in SCALE-Sim. The defaults of the two optional fields are
computed by the cost core from the rest of the accelerator:

- ``bandwidth_bytes_per_cycle: null``: (rows + cols) x word_bytes, one word for every array row
  and column per cycle (:func:`hwsim.cost.global_buffer.default_bandwidth_bytes_per_cycle`);
- ``energy_pj_per_byte: null``: 1.25 pJ x sqrt(kib / 8), Horowitz's (ISSCC 2014, 45 nm) SRAM
  read energies of 10 / 20 / 100 pJ per 64 bits at 8 KB / 32 KB / 1 MB, which grow about as
  the square root of the capacity (:func:`hwsim.cost.global_buffer.energy_pj_per_byte`).
"""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from hwsim.hardware.validation import Expect

__all__ = ["GlobalBufferSpec"]


class GlobalBufferSpec(BaseModel):
    """Capacity in KiB (1 KiB = 1024 bytes; 0: none), bandwidth to the operand buffers in bytes
    per cycle and energy per byte read or written in pJ (null: the defaults in the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kib: Annotated[
        float,
        Field(strict=True, ge=0, allow_inf_nan=False),
        Expect("a finite number of KiB >= 0 that is a whole number of bytes (0: no global buffer)"),
    ] = 0.0
    bandwidth_bytes_per_cycle: Annotated[
        Optional[float],
        Field(strict=True, gt=0, allow_inf_nan=False),
        Expect("a finite number > 0 or null (null: (rows + cols) x word_bytes)"),
    ] = None
    energy_pj_per_byte: Annotated[
        Optional[float],
        Field(strict=True, ge=0, allow_inf_nan=False),
        Expect("a finite number >= 0 or null (null: 1.25 x sqrt(kib / 8) pJ)"),
    ] = None

    @field_validator("kib")
    @classmethod
    def _whole_bytes(cls, kib: float) -> float:
        if not float(kib * 1024).is_integer():
            raise PydanticCustomError("whole_bytes", "not a whole number of bytes")
        return kib
