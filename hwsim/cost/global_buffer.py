"""The global buffer: its default bandwidth and energy price, and how it divides a layer's traffic
with DRAM (docs/MODEL.md §9).

Pure numpy; every argument broadcasts (configs x layers). Sizes are bytes.

The operand buffers exchange data with the level below them. Without a global buffer that is
DRAM for every byte (docs/MODEL.md §3). With one, a :class:`~hwsim.cost.residency.Residency`
plan says per layer which share of the input comes from tensors kept in the global buffer, and
which operands that live in DRAM are *staged* for the layer (a copy kept in the global buffer
while it runs). :func:`split_gemm` and :func:`split_vector` turn the operand-buffer traffic of
:func:`hwsim.cost.memory.gemm_traffic` into a DRAM part and a global-buffer part:

- ifmap: the resident share ``a`` of every ifmap byte (re-streams included) is read from the
  global buffer. The rest comes from DRAM: all of it, or, when the ifmap is staged, its
  compulsory size once; the re-streams then read the staged copy.
- filter: from DRAM; when staged, read once and re-streamed from the copy.
- ofmap: a resident output is written to the global buffer (its partial sums too); a staged one
  keeps its partial sums there and writes only the final outputs to DRAM; otherwise all to DRAM.

A staged copy is written into the global buffer as it passes from DRAM, and only when it will
be read again (the layer re-streams that operand). Each byte moves over the same operand-buffer
port as before, only from another level, so the bytes each port carries never change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hwsim.cost.memory import Traffic
from hwsim.cost.residency import Residency

FloatArray = NDArray[np.float64]

#: Horowitz (ISSCC 2014, 45 nm): a 64-bit read costs 10 pJ from an 8 KB SRAM, 20 pJ from 32 KB
#: and 100 pJ from 1 MB. Energy per access grows about as the square root of the capacity (the
#: wires across the array grow with its side): sqrt(4) = 2 and sqrt(32) = 5.7 against the 2x
#: and 5x of those points. The 8 KB point per byte: 10 pJ / 8 bytes = 1.25 pJ.
REFERENCE_PJ_PER_BYTE = 1.25
REFERENCE_KIB = 8.0


def energy_pj_per_byte(capacity_bytes: ArrayLike) -> FloatArray:
    """Default price of one global-buffer byte: 1.25 pJ x sqrt(KiB / 8) (Horowitz's SRAM points).

    256 KiB: 7.1 pJ, 1 MiB: 14.1 pJ, 4 MiB: 28.3 pJ; 0 for no buffer.
    """
    kib = np.asarray(capacity_bytes, dtype=np.float64) / 1024.0
    return REFERENCE_PJ_PER_BYTE * np.sqrt(kib / REFERENCE_KIB)


def default_bandwidth_bytes_per_cycle(rows: ArrayLike, cols: ArrayLike, word_bytes: ArrayLike) -> FloatArray:
    """Default bandwidth between the global buffer and the operand buffers: (rows + cols) words
    per cycle, one word for every array row and column — what the array takes in and gives out
    per cycle in steady state."""
    words = np.asarray(rows, dtype=np.float64) + np.asarray(cols, dtype=np.float64)
    return words * np.asarray(word_bytes, dtype=np.float64)


#: Bits of the ``gbuf_plan`` metric and the words the ``gbuf_operands`` label gives them: what the
#: global buffer serves in a layer.
OPERAND_BITS: tuple[tuple[int, str], ...] = (
    (1, "ifmap"),  # every input byte comes from tensors it holds
    (2, "ifmap(part)"),  # some of them do
    (4, "ifmap(staged)"),  # the ifmap is staged and re-streamed from the copy
    (8, "filter(staged)"),  # the weights are staged and re-streamed from the copy
    (16, "ofmap"),  # the output stays in it until its last reader
    (32, "ofmap(staged)"),  # partial sums stay in it, the outputs go to DRAM
)


def operands_label(code: int) -> str:
    """``gbuf_plan`` bits as words joined by ``+`` (``ifmap+ofmap``); ``-`` for none."""
    words = [word for bit, word in OPERAND_BITS if int(code) & bit]
    return "+".join(words) if words else "-"


def plan_code(
    ifmap_share: ArrayLike,
    ifmap_restaged: ArrayLike = False,
    filter_restaged: ArrayLike = False,
    ofmap_resident: ArrayLike = False,
    ofmap_restaged: ArrayLike = False,
) -> NDArray[np.int64]:
    """``gbuf_plan`` bits (:data:`OPERAND_BITS`) from what the global buffer serves: the resident
    input share, the staged operands that are re-read from their copy, a resident output."""
    share = np.asarray(ifmap_share, dtype=np.float64)
    code = np.where(share >= 1.0, 1, np.where(share > 0, 2, 0))
    code = code + 4 * np.asarray(ifmap_restaged, dtype=bool) + 8 * np.asarray(filter_restaged, dtype=bool)
    resident = np.asarray(ofmap_resident, dtype=bool)
    return (code + 16 * resident + 32 * (np.asarray(ofmap_restaged, dtype=bool) & ~resident)).astype(np.int64)


def resolved_bandwidth(configured: ArrayLike | None, rows: ArrayLike, cols: ArrayLike, word_bytes: ArrayLike) -> FloatArray:
    """The global buffer's bandwidth: the configured one, or the default where it is None or NaN."""
    default = default_bandwidth_bytes_per_cycle(rows, cols, word_bytes)
    if configured is None:
        return default
    value = np.asarray(configured, dtype=np.float64)
    return np.where(np.isnan(value), default, value)


@dataclass(frozen=True)
class Split:
    """A layer's operand-buffer traffic divided between DRAM and the global buffer (bytes).

    ``dram`` and ``gbuf`` are :class:`~hwsim.cost.memory.Traffic` by operand (for ``gbuf``:
    ifmap and filter bytes read from it, ofmap bytes written to it, partial sums read back from
    it); ``gbuf_copy_bytes`` are staged copies written into the global buffer as they pass from
    DRAM, which cost energy but no port time; ``plan`` the ``gbuf_plan`` bits (:data:`OPERAND_BITS`).
    """

    dram: Traffic
    gbuf: Traffic
    gbuf_copy_bytes: FloatArray
    plan: NDArray[np.int64]

    @property
    def gbuf_read_bytes(self) -> FloatArray:
        return self.gbuf.read_bytes

    @property
    def gbuf_write_bytes(self) -> FloatArray:
        return self.gbuf.ofmap_bytes + self.gbuf_copy_bytes


def _staged(total: FloatArray, once: FloatArray, staged: NDArray[np.bool_]) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(DRAM bytes, global-buffer reads, copy writes) of an operand shown ``total`` bytes whose
    compulsory size is ``once``, staged or not."""
    again = np.maximum(total - once, 0.0)
    dram = np.where(staged, np.minimum(once, total), total)
    return dram, np.where(staged, again, 0.0), np.where(staged & (again > 0), once, 0.0)


def split_gemm(traffic: Traffic, ifmap_bytes: ArrayLike, filter_bytes: ArrayLike, ofmap_bytes: ArrayLike, res: Residency) -> Split:
    """Divide a GEMM layer's operand-buffer ``traffic`` between DRAM and the global buffer.

    ``*_bytes`` are the layer's compulsory sizes (all groups); ``res`` the residency plan of the
    layers (its ``ifmap_share``: the share of the input read from held tensors). With a share of
    0 and nothing held or staged, the DRAM part is ``traffic`` itself and the global buffer's 0.
    """
    share = np.asarray(res.ifmap_share, dtype=np.float64)
    rest = 1.0 - share
    ifmap, filt = np.asarray(ifmap_bytes, dtype=np.float64), np.asarray(filter_bytes, dtype=np.float64)
    i_dram, i_again, i_copy = _staged(traffic.ifmap_bytes, ifmap, np.asarray(res.ifmap_staged, dtype=bool))
    f_dram, f_again, f_copy = _staged(traffic.filter_bytes, filt, np.asarray(res.filter_staged, dtype=bool))
    resident = np.asarray(res.ofmap_resident, dtype=bool)
    staged_out = np.asarray(res.ofmap_staged, dtype=bool) & ~resident
    once = np.minimum(np.asarray(ofmap_bytes, dtype=np.float64), traffic.ofmap_bytes)
    of_dram = np.where(resident, 0.0, np.where(staged_out, once, traffic.ofmap_bytes))
    ps_dram = np.where(resident | staged_out, 0.0, traffic.psum_read_bytes)
    zero = np.zeros_like(of_dram)
    dram = Traffic(ifmap_bytes=rest * i_dram, filter_bytes=f_dram, ofmap_bytes=of_dram, psum_read_bytes=ps_dram)
    gbuf = Traffic(
        ifmap_bytes=share * traffic.ifmap_bytes + rest * i_again,
        filter_bytes=f_again + zero,
        ofmap_bytes=traffic.ofmap_bytes - of_dram,
        psum_read_bytes=traffic.psum_read_bytes - ps_dram,
    )
    plan = plan_code(share, (rest * i_again) > 0, f_again > 0, resident, staged_out & (traffic.ofmap_bytes > once))
    return Split(dram=dram, gbuf=gbuf, gbuf_copy_bytes=rest * i_copy + f_copy, plan=plan + np.zeros(zero.shape, dtype=np.int64))


def split_vector(read_bytes: ArrayLike, write_bytes: ArrayLike, res: Residency) -> Split:
    """Divide a vector-unit op's traffic (inputs read once, output written once): the resident
    share of its input is read from the global buffer, a resident output is written there."""
    reads = np.asarray(read_bytes, dtype=np.float64)
    writes = np.asarray(write_bytes, dtype=np.float64)
    share = np.asarray(res.ifmap_share, dtype=np.float64)
    resident = np.asarray(res.ofmap_resident, dtype=bool)
    zero = np.zeros(np.broadcast_shapes(reads.shape, share.shape, resident.shape))
    of_dram = np.where(resident, 0.0, writes)
    dram = Traffic(ifmap_bytes=(1.0 - share) * reads, filter_bytes=zero, ofmap_bytes=of_dram + zero, psum_read_bytes=zero)
    gbuf = Traffic(ifmap_bytes=share * reads + zero, filter_bytes=zero, ofmap_bytes=writes - of_dram, psum_read_bytes=zero)
    plan = plan_code(share * (reads > 0), ofmap_resident=resident & (writes > 0)) + np.zeros(zero.shape, dtype=np.int64)
    return Split(dram=dram, gbuf=gbuf, gbuf_copy_bytes=zero, plan=plan)
