"""Energy = access counts x energy per access (docs/MODEL.md §5; Accelergy's split of counting and pricing).

Counting happens in :mod:`hwsim.cost.evaluate`; this module only prices counts. All energies are pJ.

Events and what one of them is:

- ``mac``: one multiply-accumulate in a PE;
- ``rf_access``: one PE register-file access. Each MAC touches three registers (its input,
  its weight and its partial sum), so ``rf_accesses = 3 * MACs``;
- ``sram_byte``: one byte read from or written to an on-chip operand buffer;
- ``gbuf_byte``: one byte read from or written to the global buffer (docs/MODEL.md §9; its
  default price grows with the buffer's size, :func:`hwsim.cost.global_buffer.energy_pj_per_byte`);
- ``dram_byte``: one byte moved between DRAM and the buffers;
- ``vector_op``: one element operation on the vector unit (pool, add, concat copy, ...);
- ``leakage_per_cycle``: static energy per cycle of the whole accelerator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: Registers a MAC touches: input, weight, partial sum.
RF_ACCESSES_PER_MAC = 3

#: Energy components, in the order reports list them.
COMPONENTS: tuple[str, ...] = ("mac", "rf", "sram", "gbuf", "dram", "vector", "leakage")
#: Components that exist only on accelerators with a given optional memory level (outputs of an
#: accelerator without that level leave them out; their energy is 0 there).
COMPONENT_LEVELS: dict[str, str] = {"gbuf": "global_buffer"}
#: What each component prices (the meaning of the ``energy_<component>_pj`` metrics).
COMPONENT_EVENTS: dict[str, str] = {
    "mac": "multiply-accumulates",
    "rf": "PE register-file accesses (3 per MAC)",
    "sram": "buffer reads and writes",
    "gbuf": "global-buffer reads and writes",
    "dram": "DRAM reads and writes",
    "vector": "vector-unit element operations",
    "leakage": "leakage over the layer's cycles",
}


@dataclass(frozen=True)
class EnergyPrices:
    """Energy per event in pJ; fields broadcast (a column of configurations in a sweep)."""

    mac: ArrayLike
    rf_access: ArrayLike
    sram_byte: ArrayLike
    dram_byte: ArrayLike
    vector_op: ArrayLike
    leakage_per_cycle: ArrayLike
    gbuf_byte: ArrayLike = 0.0  #: per global-buffer byte (0 without a global buffer)


@dataclass(frozen=True)
class EnergyCounts:
    """Event counts of each layer (arrays over layers, or configs x layers)."""

    macs: ArrayLike
    sram_bytes: ArrayLike  #: buffer reads + writes, bytes
    dram_bytes: ArrayLike  #: DRAM reads + writes, bytes
    vector_ops: ArrayLike  #: element operations on the vector unit
    cycles: ArrayLike  #: for leakage
    gbuf_bytes: ArrayLike = 0.0  #: global-buffer reads + writes, bytes


def price(counts: EnergyCounts, prices: EnergyPrices) -> dict[str, FloatArray]:
    """Energy in pJ by component (keys of :data:`COMPONENTS`); the caller sums them for the total."""
    macs = np.asarray(counts.macs, dtype=np.float64)
    return {
        "mac": macs * prices.mac,
        "rf": RF_ACCESSES_PER_MAC * macs * prices.rf_access,
        "sram": np.asarray(counts.sram_bytes, dtype=np.float64) * prices.sram_byte,
        "gbuf": np.asarray(counts.gbuf_bytes, dtype=np.float64) * prices.gbuf_byte,
        "dram": np.asarray(counts.dram_bytes, dtype=np.float64) * prices.dram_byte,
        "vector": np.asarray(counts.vector_ops, dtype=np.float64) * prices.vector_op,
        "leakage": np.asarray(counts.cycles, dtype=np.float64) * prices.leakage_per_cycle,
    }
