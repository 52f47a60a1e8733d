"""Buffers, DRAM traffic per operand and bandwidth stalls (docs/MODEL.md §3).

Pure numpy; every argument broadcasts (configs x layers). Sizes are bytes, times are cycles.

Traffic rule (per GEMM group). Each operand buffer is double-buffered, so one half
(``H = capacity / 2``) holds the working copy. An operand that fits its half is fetched from DRAM
once (its compulsory size X). One that does not fit must be seen again by every fold of the
*other* operand that needs all of it (``passes``, which each dataflow declares: see
:mod:`hwsim.cost.dataflows`; e.g. WS re-streams the ifmap for each of its ceil(N/C_a) column
folds and loads the stationary filter once); the part that fits (H bytes) stays resident and
only the overflow is streamed again: ``traffic = X + max(X - H, 0) * (passes - 1)``.

Output: a dataflow that accumulates in the PEs (OS) writes O once. The others (WS, IS) leave a
partial sum per K-fold (``row_folds = ceil(K/R_a)``); the partial sums of one column fold
(``O / col_folds``) are accumulated in the ofmap buffer when they fit its half, so O is written
once; otherwise every K-fold writes its partial sums out and all but the first are read back:
writes ``O x row_folds``, reads ``O x (row_folds - 1)``.

Timing: with double buffering, fold i+1's loads overlap fold i's compute. The first fold's load
(``fill``) and the last fold's write-back (``drain``) are exposed. With ``folds`` folds and DRAM
reads ``D_r`` / writes ``D_w`` (bytes) at bandwidth ``B`` (bytes per cycle):

- fill = D_r / folds / B, drain = D_w / folds / B (one fold's share; per port when ports are per operand)
- shared port: cycles = max(compute + fill + drain, (D_r + D_w) / B)
- per-operand ports (SCALE-Sim): cycles = max(compute + fill + drain, D_ifmap / B + drain,
  D_filter / B + drain, D_ofmap / B + fill)

Every term falls when bandwidth rises or traffic falls (larger buffers), so the model is
monotone: more bandwidth or larger buffers never add cycles. Unlimited bandwidth
(``dram.bandwidth_bytes_per_cycle: unlimited``, SCALE-Sim's CALC mode) is ``B = inf``: every
``D / B`` is 0 and cycles = compute, with the traffic counted as before.

With a global buffer (docs/MODEL.md §9) part of each operand's bytes come from (or go to) it
instead of DRAM (:mod:`hwsim.cost.global_buffer`). A port moves one byte at a time from either
level: a DRAM byte takes 1/B cycles, a global-buffer byte 1/B_g, so every ``D / B`` above
becomes ``D / B + G / B_g``. Moving a byte from DRAM to the global buffer never adds cycles
when B_g >= B.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hwsim.cost.dataflows import get_dataflow
from hwsim.cost.mapping import Mapping

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Traffic:
    """DRAM bytes of one layer, by operand (all groups together)."""

    ifmap_bytes: FloatArray  #: ifmap bytes read from DRAM
    filter_bytes: FloatArray  #: filter bytes read from DRAM
    ofmap_bytes: FloatArray  #: ofmap bytes written to DRAM (partial sums included)
    psum_read_bytes: FloatArray  #: partial sums read back from DRAM (WS/IS when they do not fit)

    @property
    def read_bytes(self) -> FloatArray:
        return self.ifmap_bytes + self.filter_bytes + self.psum_read_bytes

    @property
    def total_bytes(self) -> FloatArray:
        return self.read_bytes + self.ofmap_bytes


def restreamed_bytes(operand_bytes: ArrayLike, resident_bytes: ArrayLike, passes: ArrayLike) -> FloatArray:
    """DRAM bytes to show an operand to ``passes`` folds when ``resident_bytes`` of it stay on chip.

    ``X + max(X - H, 0) * (passes - 1)``: the first pass reads everything, later passes re-read
    only what did not fit.
    """
    x = np.asarray(operand_bytes, dtype=np.float64)
    overflow = np.maximum(x - np.asarray(resident_bytes, dtype=np.float64), 0.0)
    return x + overflow * (np.asarray(passes, dtype=np.float64) - 1.0)


def gemm_traffic(
    dataflow: str,
    mapping: Mapping,
    ifmap_group_bytes: ArrayLike,
    filter_group_bytes: ArrayLike,
    ofmap_group_bytes: ArrayLike,
    groups: ArrayLike,
    ifmap_buffer_bytes: ArrayLike,
    filter_buffer_bytes: ArrayLike,
    ofmap_buffer_bytes: ArrayLike,
) -> Traffic:
    """DRAM traffic of a GEMM layer with ``dataflow`` under the re-streaming rule in the module docstring.

    ``*_group_bytes`` are one group's compulsory sizes; buffer capacities are whole buffers
    (half of each is the working half). Returns layer totals (x groups).
    """
    i_g = np.asarray(ifmap_group_bytes, dtype=np.float64)
    f_g = np.asarray(filter_group_bytes, dtype=np.float64)
    o_g = np.asarray(ofmap_group_bytes, dtype=np.float64)
    g = np.asarray(groups, dtype=np.float64)
    ifmap_half = np.asarray(ifmap_buffer_bytes, dtype=np.float64) / 2
    filter_half = np.asarray(filter_buffer_bytes, dtype=np.float64) / 2
    row_folds = mapping.row_folds.astype(np.float64)
    col_folds = mapping.col_folds.astype(np.float64)
    one = np.ones_like(row_folds)

    flow = get_dataflow(dataflow)
    ifmap_passes, filter_passes = flow.dram_passes(row_folds, col_folds)
    if flow.partial_sums_in_pes:
        ofmap_times, psum_times = one, 0.0 * one
    else:
        tile_fits = o_g / col_folds <= np.asarray(ofmap_buffer_bytes, dtype=np.float64) / 2
        ofmap_times = np.where(tile_fits, one, row_folds)  # one K-fold: row_folds = 1, nothing spills
        psum_times = np.where(tile_fits, 0.0, row_folds - 1)
    return Traffic(
        ifmap_bytes=g * restreamed_bytes(i_g, ifmap_half, ifmap_passes),
        filter_bytes=g * restreamed_bytes(f_g, filter_half, filter_passes),
        ofmap_bytes=g * o_g * ofmap_times,
        psum_read_bytes=g * o_g * psum_times,
    )


#: Float sums of byte/bandwidth terms can land a hair above a whole number (62.000000000004);
#: rounding up then would invent a cycle. Anything within this many cycles of an integer is it.
ROUNDING_SLACK_CYCLES = 1e-6


def whole_cycles(cycles: ArrayLike) -> FloatArray:
    """Round a cycle count up to whole cycles, ignoring float noise below :data:`ROUNDING_SLACK_CYCLES`."""
    return np.ceil(np.asarray(cycles, dtype=np.float64) - ROUNDING_SLACK_CYCLES)


@dataclass(frozen=True)
class Timing:
    """Cycles of one layer once memory is accounted for."""

    cycles: FloatArray  #: total cycles (compute + stalls), whole cycles
    memory_cycles: FloatArray  #: transfer time on the binding port(s), no overlap credit
    gbuf_cycles: FloatArray  #: the global buffer's part of ``memory_cycles`` (0 without one)


def _port_time(dram_bytes: FloatArray, bw: FloatArray, gbuf_bytes: FloatArray | None, gbuf_bw: FloatArray) -> FloatArray:
    """Cycles a port needs for ``dram_bytes`` at ``bw`` and ``gbuf_bytes`` at ``gbuf_bw``."""
    return dram_bytes / bw if gbuf_bytes is None else dram_bytes / bw + gbuf_bytes / gbuf_bw


def _binding_gbuf(times: list[FloatArray], gbuf_times: list[FloatArray]) -> FloatArray:
    """The global-buffer part of the largest of ``times`` (the first on ties)."""
    stacked = np.stack(np.broadcast_arrays(*times, *gbuf_times))
    which = np.argmax(stacked[: len(times)], axis=0)
    return np.take_along_axis(stacked[len(times) :], which[None], axis=0)[0]


def gemm_timing(
    compute_cycles: ArrayLike,
    folds: ArrayLike,
    traffic: Traffic,
    bandwidth_bytes_per_cycle: ArrayLike,
    per_operand_ports: ArrayLike,
    gbuf: Traffic | None = None,
    gbuf_bandwidth_bytes_per_cycle: ArrayLike = 1.0,
) -> Timing:
    """Total cycles of a GEMM layer with double-buffered operands (module docstring).

    ``traffic`` is the DRAM traffic; ``gbuf`` the global buffer's (None: no global buffer).
    """
    compute = np.asarray(compute_cycles, dtype=np.float64)
    folds_f = np.maximum(np.asarray(folds, dtype=np.float64), 1.0)
    bw = np.asarray(bandwidth_bytes_per_cycle, dtype=np.float64)
    gbw = np.asarray(gbuf_bandwidth_bytes_per_cycle, dtype=np.float64)
    per_port = np.asarray(per_operand_ports, dtype=bool)
    g = gbuf

    drain = _port_time(traffic.ofmap_bytes / folds_f, bw, None if g is None else g.ofmap_bytes / folds_f, gbw)
    fill_shared = _port_time(traffic.read_bytes / folds_f, bw, None if g is None else g.read_bytes / folds_f, gbw)
    shared_memory = _port_time(traffic.total_bytes, bw, None if g is None else g.total_bytes, gbw)
    shared_cycles = np.maximum(compute + fill_shared + drain, shared_memory)
    shared_gbuf = np.zeros_like(shared_memory) if g is None else g.total_bytes / gbw
    if not per_port.any():  # every configuration has one shared port (the default): no port terms
        if shared_gbuf.shape != shared_memory.shape:
            shared_gbuf = shared_gbuf + np.zeros_like(shared_memory)
        return Timing(cycles=whole_cycles(shared_cycles), memory_cycles=shared_memory, gbuf_cycles=shared_gbuf)

    t_ifmap = _port_time(traffic.ifmap_bytes, bw, None if g is None else g.ifmap_bytes, gbw)
    t_filter = _port_time(traffic.filter_bytes, bw, None if g is None else g.filter_bytes, gbw)
    # partial sums use the ofmap port both ways
    t_ofmap = _port_time(traffic.ofmap_bytes + traffic.psum_read_bytes, bw, None if g is None else g.ofmap_bytes + g.psum_read_bytes, gbw)
    fill_ports = np.maximum(t_ifmap, t_filter) / folds_f
    port_memory = np.maximum(np.maximum(t_ifmap, t_filter), t_ofmap)
    port_cycles = np.maximum.reduce(
        [compute + fill_ports + drain, t_ifmap + drain, t_filter + drain, t_ofmap + fill_ports]
    )
    if g is None:
        gbuf_cycles = shared_gbuf
    else:
        ports = _binding_gbuf([t_ifmap, t_filter, t_ofmap], [g.ifmap_bytes / gbw, g.filter_bytes / gbw, (g.ofmap_bytes + g.psum_read_bytes) / gbw])
        gbuf_cycles = np.where(per_port, ports, shared_gbuf)
    return Timing(
        cycles=whole_cycles(np.where(per_port, port_cycles, shared_cycles)),
        memory_cycles=np.where(per_port, port_memory, shared_memory),
        gbuf_cycles=gbuf_cycles,
    )


def vector_timing(
    vector_cycles: ArrayLike,
    read_bytes: ArrayLike,
    write_bytes: ArrayLike,
    bandwidth_bytes_per_cycle: ArrayLike,
    per_operand_ports: ArrayLike,
    gbuf_read_bytes: ArrayLike | None = None,
    gbuf_write_bytes: ArrayLike = 0.0,
    gbuf_bandwidth_bytes_per_cycle: ArrayLike = 1.0,
) -> Timing:
    """Cycles of a non-GEMM op: max(vector-unit cycles, memory time) (docs/MODEL.md §4).

    ``read_bytes``/``write_bytes`` go to DRAM, ``gbuf_*_bytes`` to the global buffer (None: no
    global buffer). Reads and writes stream while the vector unit works, so nothing else is exposed.
    """
    compute = np.asarray(vector_cycles, dtype=np.float64)
    bw = np.asarray(bandwidth_bytes_per_cycle, dtype=np.float64)
    reads = np.asarray(read_bytes, dtype=np.float64)
    writes = np.asarray(write_bytes, dtype=np.float64)
    per_port = np.asarray(per_operand_ports, dtype=bool)
    if gbuf_read_bytes is None:
        memory = np.where(per_port, np.maximum(reads, writes), reads + writes) / bw
        gbuf_cycles = np.zeros_like(memory)
    else:
        gbw = np.asarray(gbuf_bandwidth_bytes_per_cycle, dtype=np.float64)
        g_reads = np.asarray(gbuf_read_bytes, dtype=np.float64)
        g_writes = np.asarray(gbuf_write_bytes, dtype=np.float64)
        t_reads, t_writes = reads / bw + g_reads / gbw, writes / bw + g_writes / gbw
        shared = (reads + writes) / bw + (g_reads + g_writes) / gbw
        memory = np.where(per_port, np.maximum(t_reads, t_writes), shared)
        gbuf_cycles = np.where(per_port, _binding_gbuf([t_reads, t_writes], [g_reads / gbw, g_writes / gbw]), (g_reads + g_writes) / gbw)
    return Timing(cycles=whole_cycles(np.maximum(compute, memory)), memory_cycles=memory, gbuf_cycles=gbuf_cycles)
