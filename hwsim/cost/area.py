"""Chip area in mm², vectorised over configurations (docs/MODEL.md §10).

area_mm2 = PEs x pe_um2 / 10^6 + operand-buffer KiB x buffer_mm2_per_kib
+ global-buffer KiB x global_buffer_mm2_per_kib.

The default figures are those of a 45 nm process, the node of the default energy prices
(Horowitz, ISSCC 2014), each from a cited public figure:

- a PE is a multiplier, an adder and three registers of the word size (input, weight and
  partial sum: the registers of a systolic PE, and the three register-file accesses per MAC of
  docs/MODEL.md §5). Multiplier and adder: Horowitz, "Computing's energy problem (and what we
  can do about it)", ISSCC 2014, 45 nm: 8-bit multiply 282 um², 32-bit multiply 3495 um², 8-bit
  add 36 um², 32-bit add 137 um²; other word sizes follow the power law through the 8- and 32-bit
  points (:func:`multiplier_um2`). Register bit: one D flip-flop of the NanGate FreePDK45 Open Cell
  Library (DFF_X1), 4.522 um². One byte words: 282 + 36 + 3 x 8 x 4.522 = 426.528 um² per PE;
- SRAM (operand buffers, global buffer): Intel's 45 nm 153 Mbit SRAM test chip, 119 mm² with a
  0.346 um² 6T cell (Intel, January 2006; Mistry et al., IEDM 2007): 119 mm² / (153 x 2^20 bits)
  = 0.006076 mm² per KiB, periphery, redundancy and I/O of that chip included (the cells alone
  are 0.346 um² x 8192 bits = 0.002834 mm² per KiB, 47 % of it).

Not counted: the vector unit, control, the DRAM interface, clock tree and wiring between blocks.
An accelerator's optional ``area`` section replaces the figures (:class:`AreaFigures`). Numpy only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: The technology node of the default figures, nm.
NODE_NM = 45
#: Horowitz (ISSCC 2014, 45 nm): integer multiplier area at 8 and 32 bits, um².
MULTIPLIER_UM2: dict[int, float] = {8: 282.0, 32: 3495.0}
#: Horowitz (ISSCC 2014, 45 nm): integer adder area at 8 and 32 bits, um².
ADDER_UM2: dict[int, float] = {8: 36.0, 32: 137.0}
#: NanGate FreePDK45 Open Cell Library, DFF_X1: one register bit, um².
FLIP_FLOP_UM2 = 4.522
#: Registers of one PE: input, weight, partial sum (each of the word size).
REGISTERS_PER_PE = 3
#: Intel's 45 nm SRAM test chip: die area in mm² and capacity in Mbit (2^20 bits).
SRAM_CHIP_MM2 = 119.0
SRAM_CHIP_MBIT = 153
#: SRAM area per KiB (8192 bits), mm²: the test chip's area over its capacity.
SRAM_MM2_PER_KIB = SRAM_CHIP_MM2 / (SRAM_CHIP_MBIT * 2**20 / 8192)


def _power_law(points: dict[int, float], bits: ArrayLike) -> FloatArray:
    """The power law a x (bits / 8)^e through the 8- and 32-bit points."""
    exponent = math.log(points[32] / points[8]) / math.log(32 / 8)
    return points[8] * (np.asarray(bits, dtype=np.float64) / 8.0) ** exponent


def multiplier_um2(word_bytes: ArrayLike) -> FloatArray:
    """Multiplier area at the word size, um²: 282 at 1 byte, 3495 at 4 bytes, the power law
    282 x (bits / 8)^1.816 between and beyond them."""
    return _power_law(MULTIPLIER_UM2, 8 * np.asarray(word_bytes))


def adder_um2(word_bytes: ArrayLike) -> FloatArray:
    """Adder area at the word size, um²: 36 at 1 byte, 137 at 4 bytes (36 x (bits / 8)^0.964)."""
    return _power_law(ADDER_UM2, 8 * np.asarray(word_bytes))


def pe_um2(word_bytes: ArrayLike) -> FloatArray:
    """Area of one PE at the word size, um²: multiplier + adder + 3 registers of the word size."""
    bits = 8 * np.asarray(word_bytes, dtype=np.float64)
    return multiplier_um2(word_bytes) + adder_um2(word_bytes) + REGISTERS_PER_PE * bits * FLIP_FLOP_UM2


@dataclass(frozen=True)
class AreaFigures:
    """The area of one PE (um²) and of one KiB of operand buffer and of global buffer (mm²);
    fields broadcast (a ``(configs, 1)`` column in a sweep)."""

    pe_um2: ArrayLike
    buffer_mm2_per_kib: ArrayLike
    global_buffer_mm2_per_kib: ArrayLike

    @classmethod
    def resolve(cls, word_bytes: ArrayLike, pe: ArrayLike = np.nan, buffer: ArrayLike = np.nan,
                global_buffer: ArrayLike = np.nan) -> AreaFigures:
        """The figures of an accelerator's ``area`` section, NaN where it gives none: a PE of
        :func:`pe_um2` at the word size, :data:`SRAM_MM2_PER_KIB` for the operand buffers, and
        the operand buffers' figure for the global buffer."""
        pe, buffer, global_buffer = (np.asarray(v, dtype=np.float64) for v in (pe, buffer, global_buffer))
        buffer = np.where(np.isnan(buffer), SRAM_MM2_PER_KIB, buffer)
        return cls(
            pe_um2=np.where(np.isnan(pe), pe_um2(word_bytes), pe),
            buffer_mm2_per_kib=buffer,
            global_buffer_mm2_per_kib=np.where(np.isnan(global_buffer), buffer, global_buffer),
        )


@dataclass(frozen=True)
class Area:
    """Area by part, mm² (scalars, or arrays with one value per configuration)."""

    pe_mm2: Any  #: the PE array
    buffer_mm2: Any  #: the ifmap, filter and ofmap buffers
    global_buffer_mm2: Any  #: the global buffer (0 without one)

    @property
    def total_mm2(self) -> Any:
        """PE array + operand buffers + global buffer, mm²."""
        return self.pe_mm2 + self.buffer_mm2 + self.global_buffer_mm2

    def at(self, index: int) -> Area:
        """The area of configuration ``index`` (of arrays with one value per configuration), as floats."""
        return Area(**{f.name: float(np.asarray(getattr(self, f.name)).reshape(-1)[index]) for f in fields(self)})


def area(pes: ArrayLike, buffer_bytes: ArrayLike, global_buffer_bytes: ArrayLike, figures: AreaFigures) -> Area:
    """Area of configurations with ``pes`` PEs, ``buffer_bytes`` of operand buffers (all three) and
    ``global_buffer_bytes`` of global buffer, priced by ``figures``; arrays broadcast."""
    kib = 1024.0
    return Area(
        pe_mm2=np.asarray(pes, dtype=np.float64) * figures.pe_um2 / 1e6,
        buffer_mm2=np.asarray(buffer_bytes, dtype=np.float64) / kib * figures.buffer_mm2_per_kib,
        global_buffer_mm2=np.asarray(global_buffer_bytes, dtype=np.float64) / kib * figures.global_buffer_mm2_per_kib,
    )

