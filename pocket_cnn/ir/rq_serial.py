"""The requantisation mode of a stage and the memory-form PE's serial requantiser.

A stage requantises its accumulators as ``SHIFT`` (power-of-two stage: a shift and a
saturation, no multiplier), ``MULT`` (one rounding ``rne(acc * m * 2**-s)`` where
:func:`~pocket_cnn.ir.requant.single_rounding_exact` proves it equal to onnxruntime)
or ``EXACT`` (onnxruntime's two float32 roundings, then the shift).

In the memory-window PE (pcnn_pe_mem) a MULT/EXACT requantisation would need one
``acc x m`` multiplier (up to 25 x 24 bits) per output lane. Instead one serial
requantiser per PE takes the finished accumulators of an output group one lane after
another and multiplies each by ``m`` digit by digit (``r`` bits of ``m`` per clock,
most significant first, as shift-and-add logic): ``n = ceil(m_bits / r)`` clocks per
lane, then the rounding/shift, the clamp/activation and the output stages,
``po * n + 3`` clocks per group in all. It is used when it costs no clock per image:
the reader needs ``k * k * nig`` clocks per group, the requantiser must be done with a
group when the next one finishes (``po * n + 3 <= k * k * nig``). ``r`` is the smallest of
:data:`DIGITS` that meets that; where none does, the PE keeps one requantiser per lane.

The serial path also does a following max-pool whose windows do not overlap (stride
>= kernel) byte by byte: a line memory of the pooled row's running maxima, one byte
per (pooled column, channel), read and written as the bytes leave, instead of a
pcnn_maxpool_line on whole pixels. A SHIFT stage with such a pool takes the serial
path for that alone (one clock per lane: ``po + 3`` per group).
"""

from __future__ import annotations

from enum import Enum

from pocket_cnn.ir.network import ConvStage, FcStage
from pocket_cnn.ir.requant import single_rounding_exact

#: digit widths of the serial requantiser's multiplier, smallest (cheapest) first
DIGITS = (1, 2, 3, 4, 6, 8)


class Requant(str, Enum):
    """How a PE requantises its accumulators."""

    SHIFT = "shift"  # power-of-two stage: sat8(rne(acc >> shift)), no multiplier
    MULT = "mult"  # one rounding rne(acc * m >> s), proven equal to onnxruntime
    EXACT = "exact"  # acc and acc * m rounded to 24 significant bits (RNE), then >> s


def requant_mode(st: ConvStage | FcStage) -> Requant:
    """The requantisation a stage's PE implements (the cheapest exact one)."""
    q = st.y_q
    lo, hi = st.acc_range
    mant = st.mantissa
    if st.is_pow2:
        if single_rounding_exact(mant, 0, -128, 127, lo, hi) is True:
            return Requant.SHIFT
        return Requant.EXACT
    if single_rounding_exact(mant, q.zero_point, q.lo, q.hi, lo, hi) is True:
        return Requant.MULT
    return Requant.EXACT


def m_bits(st: ConvStage | FcStage) -> int:
    """Bits of the widest requantisation mantissa ``m`` of the stage (>= 1)."""
    return max(int(st.mantissa.m.max()).bit_length(), 1)


def lane_clocks(mode: Requant, mbits: int, r: int) -> int:
    """Clocks per lane of the serial requantiser with digit ``r`` (SHIFT: 1)."""
    return 1 if mode is Requant.SHIFT else -(-mbits // r)


def rq_digit(mode: Requant, mbits: int, po: int, steps: int, pool: bool = False) -> int:
    """Digit width ``r`` of the serial requantiser of a memory-form PE with ``po``
    output lanes and ``steps`` reader clocks per output group; 0: one requantiser per
    lane (no digit width is fast enough). SHIFT mode needs no multiplier: it takes the
    serial path (``r`` = 1, one clock per lane) only to pool in the PE (``pool``: a
    max-pool of windows that do not overlap follows the conv), else 0."""
    if mode is Requant.SHIFT:
        return 1 if pool and po + 3 <= steps else 0
    for r in DIGITS:
        if po * lane_clocks(mode, mbits, r) + 3 <= steps:
            return r
    return 0


def rq_clocks(mode: Requant, mbits: int, po: int, r: int) -> int:
    """Clocks the serial requantiser is busy with one output group (0: none)."""
    return po * lane_clocks(mode, mbits, r) + 3 if r > 0 else 0


def pool_in_pe(st: ConvStage | FcStage) -> bool:
    """The stage ends with a max-pool the serial requantiser can do (stride >= kernel)."""
    pool = getattr(st, "pool", None)
    return pool is not None and pool.stride >= pool.kernel


def stage_rq(st: ConvStage | FcStage, po: int, steps: int) -> tuple[int, int]:
    """(digit, clocks per output group) of a stage's memory-form PE's serial
    requantiser (``po`` lanes, ``steps`` reader clocks per output group); (0, 0): none,
    and then no pooling in the PE."""
    mode, mb = requant_mode(st), m_bits(st)
    r = rq_digit(mode, mb, po, steps, pool_in_pe(st))
    return r, rq_clocks(mode, mb, po, r)
