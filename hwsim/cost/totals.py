"""``Totals``: a network's totals (sums over its layers), one type for profiles, sweeps and searches.

Layers run one after another (docs/MODEL.md §6), so every total is a sum over layers: MACs,
parameters, cycles, DRAM, SRAM and global-buffer bytes, roofline cycles, energy by component and
in all. (The global buffer's peak occupancy is a maximum, not a sum: see
:attr:`hwsim.cost.result.SimResult.gbuf_peak_bytes`.) Fields
are scalars for one network on one accelerator, or arrays (one value per configuration of a
sweep, per template unit or candidate of a search); every operation broadcasts.

- :meth:`Totals.from_layers`: sum per-layer metrics (arrays with layers on the last axis), each
  layer weighted by how many layers it stands for (a sweep evaluates identical layers once);
- ``a + b``: the totals of two parts of a network; ``t * 3``: a part repeated three times;
- :meth:`Totals.stack` and :meth:`Totals.combine`: template-unit totals (one value per unit) and a
  ``(candidates, units)`` matrix of unit counts give every candidate's totals;
- :meth:`Totals.latency_ms` (given the clock) and :meth:`Totals.utilization` (given the PEs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from hwsim.cost.energy import COMPONENTS


def _is_count(value: Any) -> bool:
    """An integer or an array of integers (not a bool): what a layer or unit can be repeated by."""
    dtype = np.asarray(value).dtype
    return np.issubdtype(dtype, np.integer) and not np.issubdtype(dtype, np.bool_)


@dataclass(frozen=True)
class Totals:
    """Sums over layers; each field is named as the per-layer metric it sums (:mod:`hwsim.cost.metrics`).

    Fields hold a scalar or an array (int64 for counts and cycles, float64 for bytes and pJ).
    ``energy_pj`` is the sum of the layers' totals, kept beside the components: float sums in
    another order can differ from it in the last bit.
    """

    macs: Any  #: MACs
    params: Any  #: learnable parameters
    cycles: Any  #: cycles (compute + stalls)
    compute_cycles: Any  #: stall-free cycles
    dram_bytes: Any  #: DRAM traffic, bytes
    sram_read_bytes: Any  #: buffer reads, bytes
    sram_write_bytes: Any  #: buffer writes, bytes
    gbuf_read_bytes: Any  #: global-buffer reads, bytes (0 without one)
    gbuf_write_bytes: Any  #: global-buffer writes, bytes (0 without one)
    roofline_cycles: Any  #: sum of the layers' lower bounds, cycles
    energy_mac_pj: Any  #: energy of MACs, pJ
    energy_rf_pj: Any  #: energy of PE register-file accesses, pJ
    energy_sram_pj: Any  #: energy of buffer accesses, pJ
    energy_gbuf_pj: Any  #: energy of global-buffer accesses, pJ
    energy_dram_pj: Any  #: energy of DRAM transfers, pJ
    energy_vector_pj: Any  #: energy of vector-unit operations, pJ
    energy_leakage_pj: Any  #: leakage energy, pJ
    energy_pj: Any  #: energy in total, pJ

    # ------------------------------------------------------------------ building
    @classmethod
    def from_layers(cls, metrics: Mapping[str, ArrayLike], counts: ArrayLike | None = None) -> Totals:
        """Sum the per-layer ``metrics`` (arrays keyed by metric name, layers on the last axis).

        ``counts``: how many layers each one stands for (broadcast against the metrics; None:
        each once). Sums run over the last axis, so ``(configs, layers)`` metrics give one total
        per configuration.
        """

        weights = None if counts is None else np.asarray(counts)
        float_weights = None if weights is None else weights.astype(np.float64)

        def total(name: str) -> Any:
            values = np.asarray(metrics[name])
            if weights is None:
                return values.sum(axis=-1)
            if weights.ndim == 1 and values.ndim >= 1 and values.dtype.kind in "iuf" and _is_count(weights):
                # one weighted sum per row (matrix x vector): integers stay exact, floats as a dot product
                return values @ (float_weights if values.dtype.kind == "f" else weights)
            return (values * weights).sum(axis=-1)

        return cls(**{f.name: total(f.name) for f in fields(cls)})

    @classmethod
    def stack(cls, parts: Sequence[Totals]) -> Totals:
        """One Totals whose fields hold one value per part (on a new last axis), e.g. per template unit."""
        return cls(**{f.name: np.stack([np.asarray(getattr(p, f.name)) for p in parts], axis=-1) for f in fields(cls)})

    def combine(self, counts: ArrayLike) -> Totals:
        """Totals of combinations of parts: ``counts[..., i]`` copies of part ``i`` (fields hold one
        value per part on their last axis, see :meth:`stack`); each field becomes ``counts @ field``."""
        counts = np.asarray(counts)
        if not _is_count(counts):
            raise TypeError(f"Totals.combine: expected integer counts, got dtype {counts.dtype}")

        def dot(value: Any) -> Any:
            value = np.asarray(value)
            return (counts if _is_count(value) else counts.astype(np.float64)) @ value

        return Totals(**{f.name: dot(getattr(self, f.name)) for f in fields(self)})

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other: object) -> Totals:
        if not isinstance(other, Totals):
            return NotImplemented
        return Totals(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def __mul__(self, count: object) -> Totals:
        if not _is_count(count):
            return NotImplemented
        return Totals(**{f.name: getattr(self, f.name) * count for f in fields(self)})

    __rmul__ = __mul__

    # ------------------------------------------------------------------ derived
    @property
    def stall_cycles(self) -> Any:
        """Cycles the memory adds: cycles - compute_cycles."""
        return self.cycles - self.compute_cycles

    @property
    def sram_bytes(self) -> Any:
        """Buffer reads + writes, bytes."""
        return self.sram_read_bytes + self.sram_write_bytes

    @property
    def gbuf_bytes(self) -> Any:
        """Global-buffer reads + writes, bytes."""
        return self.gbuf_read_bytes + self.gbuf_write_bytes

    def energy_by_component_pj(self) -> dict[str, Any]:
        """Energy of each component (keys of :data:`hwsim.cost.energy.COMPONENTS`, in that order), pJ."""
        return {c: getattr(self, f"energy_{c}_pj") for c in COMPONENTS}

    def latency_ms(self, clock_mhz: ArrayLike) -> Any:
        """End-to-end latency in ms: cycles / clock."""
        return self.cycles / (np.asarray(clock_mhz, dtype=np.float64) * 1e3)

    def utilization(self, pes: ArrayLike) -> Any:
        """Utilization of the whole network: MACs / (cycles x PEs) (0 when nothing ran)."""
        return self.macs / np.maximum(np.asarray(self.cycles, dtype=np.float64) * np.asarray(pes), 1.0)  # float: no int64 product
