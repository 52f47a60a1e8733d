"""The guard at the output boundary: no result leaves hwsim breaking the model's invariants.

docs/MODEL.md §7 and §11: cycles are whole numbers >= 0 (compute and stall cycles too, and
cycles = compute + stall), utilization lies in [0, 1], energies, DRAM bytes and latencies are
finite and >= 0, and the network's total cycles fit int64. With inputs inside the limits of
:mod:`hwsim.hardware.spec` and :mod:`hwsim.graph.limits` none of this can fail; if it ever does,
:func:`check_result` and :func:`check_totals` raise a one-line
:class:`~hwsim.errors.InternalError` naming the layer or configuration, the quantity and its value
instead of letting a wrong number through. Pure numpy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from hwsim.cost.result import SimResult
from hwsim.errors import InternalError

__all__ = ["INT64_MAX", "check_result", "check_totals"]

#: Largest count an int64 holds.
INT64_MAX = 2**63 - 1
_REPORT = "a bug in hwsim: please report it with the model and accelerator"


def _check(label: str, names: Sequence[str], what: str, values: ArrayLike, expected: str, ok: np.ndarray) -> None:
    bad = np.flatnonzero(~np.asarray(ok).reshape(-1))
    if len(bad):
        index = int(bad[0])
        value = np.asarray(values, dtype=object).reshape(-1)[index]
        value = value.item() if hasattr(value, "item") else value  # a Python number: plain repr
        where = f"{names[index]}: " if index < len(names) else ""
        raise InternalError(f"internal error: {label}: {where}{what} = {value!r}: expected {expected} ({_REPORT})")


def _finite_nonnegative(values: ArrayLike) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    return np.isfinite(array) & (array >= 0)


def check_result(result: SimResult, utilization_at_most_one: bool = True) -> SimResult:
    """``result`` unchanged, or :class:`~hwsim.errors.InternalError` at its first broken invariant.

    ``utilization_at_most_one=False`` for host-model predictions, whose "utilization" is the
    share of the dense-conv peak rate: a kind with a higher peak (a linear layer) may exceed it.
    """
    label = f"{result.graph_name} on {result.accelerator_name}"
    names = [f"layer {name!r}" for name in result.names]
    for what in ("cycles", "compute_cycles", "stall_cycles"):
        values = np.asarray(getattr(result, what)).reshape(-1)
        _check(label, names, what, values, "a whole number >= 0", values >= 0)
    total = sum(int(c) for c in np.asarray(result.cycles).reshape(-1))
    whole = np.asarray(result.compute_cycles) + np.asarray(result.stall_cycles)
    _check(label, names, "compute_cycles + stall_cycles", whole, "cycles", whole == np.asarray(result.cycles))
    _check(label, ["network"], "total cycles", [total], f"at most {INT64_MAX:,}", np.array([0 <= total <= INT64_MAX]))
    utilization = np.asarray(result.utilization, dtype=np.float64)
    top = 1.0 if utilization_at_most_one else np.inf
    expected = "a number from 0 to 1" if utilization_at_most_one else "a finite number >= 0"
    _check(label, names, "utilization", utilization, expected,
           np.isfinite(utilization) & (utilization >= 0) & (utilization <= top))
    network = result.utilization_total
    _check(label, ["network"], "utilization", [network], expected, np.array([np.isfinite(network) and 0 <= network <= top]))
    for what in ("energy_pj", "dram_bytes", "latency_us", "roofline_cycles"):
        values = getattr(result, what)
        _check(label, names, what, values, "a finite number >= 0", _finite_nonnegative(values))
    for what, value in (("energy_pj", result.total_energy_pj), ("latency_ms", result.latency_ms)):
        _check(label, ["network"], f"total {what}", [value], "a finite number >= 0", _finite_nonnegative([value]))
    return result


def check_totals(label: str, config_ids: Sequence[str], columns: Mapping[str, Any]) -> None:
    """Per-configuration totals of a sweep (``cycles``, ``utilization``, ``energy_uj``, ``latency_ms``):
    :class:`~hwsim.errors.InternalError` at the first configuration that breaks an invariant."""
    names = [f"configuration {cid}" for cid in config_ids]
    cycles = np.asarray(columns["cycles"]).reshape(-1)
    _check(label, names, "cycles", cycles, "a whole number >= 0", cycles >= 0)
    utilization = np.asarray(columns["utilization"], dtype=np.float64).reshape(-1)
    _check(label, names, "utilization", utilization, "a number from 0 to 1",
           np.isfinite(utilization) & (utilization >= 0) & (utilization <= 1))
    for what in ("energy_uj", "latency_ms"):
        _check(label, names, what, columns[what], "a finite number >= 0", _finite_nonnegative(columns[what]))
