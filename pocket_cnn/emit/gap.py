"""Constants of the hardware global average pool (``rtl/pcnn_gap.vhd``).

The GAP result is onnxruntime's QLinearGlobalAveragePool, ``sat8(RNE(s * M))`` with
M the float32 of ``2**d / N``, for a channel sum ``s`` over ``N`` pixels and
``d = frac_out - frac_in`` (docs/numerics.md): ``sat8(RNE(s * 2**d / N))`` but where a
float32 rounding moves a value across a half. Write it as
``RNE(s * a / D)`` with ``a = 2**max(d, 0)`` and ``D = N * 2**max(-d, 0)``. The
hardware computes, for one channel per clock:

1. ``c = clamp(s, clamp_lo, clamp_hi)``: outside this range the result
   saturates anyway (the reference is monotonic in ``s``);
2. ``k = c * mul_a + add_b`` with ``mul_a = 2a``, ``add_b = D + 2D * k0``, so
   ``k = 2as + D + 2D*k0 >= 0`` (``k0`` shifts the range to non-negative);
3. ``p = k * mul_m`` with ``mul_m = ceil(2**shift / 2D)``;
4. ``q0 = (p >> shift) - k0`` (round half up of ``as/D``) and
   ``tie = (p mod 2**shift) < mul_m`` (the quotient was exact: a tie);
5. ``q = q0 - 1`` on a tie with odd ``q0`` (round half to even), then sat8.

:func:`gap_constants` picks the smallest ``shift`` for which :func:`gap_model`
(the same integer steps as the VHDL) equals the exact reference for **every**
reachable sum ``[-128N, 127N]``; tests/test_vhdl_gap.py re-checks it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pocket_cnn.errors import ModelError
from pocket_cnn.ir.numerics import INT8_MAX, INT8_MIN
from pocket_cnn.ir.requant import gap_multiplier, mantissa, requantize_exact

#: Largest generic value handed to VHDL (integer is 32-bit signed there).
VHDL_INT_MAX = 2**31 - 1


@dataclass(frozen=True)
class GapConstants:
    """Constants of pcnn_gap for one (area, d) pair: with the channel count and the
    pixel count (``area``) they fill its configuration record ``pcnn_gap_cfg_t``."""

    area: int
    d: int
    acc_bits: int
    clamp_lo: int
    clamp_hi: int
    mul_a: int
    add_b: int
    k_bits: int
    mul_m: int
    m_bits: int
    shift: int
    k0: int


#: The fields of ``pcnn_gap_cfg_t`` (rtl/pcnn_pkg.vhd) after ``ch`` and ``pixels``.
GAP_CFG_CONSTANTS = (
    "acc_bits", "clamp_lo", "clamp_hi", "mul_a", "add_b", "k_bits", "mul_m", "m_bits", "shift", "k0"
)  # fmt: skip


def gap_cfg_fields(c: GapConstants) -> dict[str, int]:
    """The divide constants of ``pcnn_gap_cfg_t``, by field name, in record order."""
    return {name: int(getattr(c, name)) for name in GAP_CFG_CONSTANTS}


def gap_model(sums: np.ndarray, c: GapConstants) -> np.ndarray:
    """The hardware's integer steps (see module doc) on int64 ``sums``."""
    s = np.clip(sums.astype(np.int64), c.clamp_lo, c.clamp_hi)
    k = s * c.mul_a + c.add_b
    p = k * c.mul_m
    q0 = (p >> c.shift) - c.k0
    tie = (p & ((1 << c.shift) - 1)) < c.mul_m
    q = np.where(tie & ((q0 & 1) == 1), q0 - 1, q0)
    return np.clip(q, INT8_MIN, INT8_MAX)


def gap_reference(sums: np.ndarray, area: int, d: int) -> np.ndarray:
    """What the reference (QLinearGlobalAveragePool) gives for channel ``sums`` with
    power-of-two scales ``x = 2**0``, ``y = 2**-d``: the target the constants meet."""
    mant = mantissa(gap_multiplier(1.0, 2.0**-d, area))
    return requantize_exact(sums, mant, 0, INT8_MIN, INT8_MAX, axis=0)


def reachable_sums(area: int) -> np.ndarray:
    """Every sum of ``area`` int8 values: ``[-128 * area, 127 * area]``."""
    return np.arange(INT8_MIN * area, INT8_MAX * area + 1, dtype=np.int64)


def gap_constants(area: int, d: int, name: str = "gap") -> GapConstants:
    """Constants for pcnn_gap, proven exact over every reachable sum (else ModelError)."""
    if area < 1:
        raise ModelError("global average pool over an empty map", node=name)
    if d > 29 or d < -40:
        raise ModelError(
            f"global average pool scale step 2**{d} is out of the hardware range [-40, 29]; "
            "choose output/input scales closer together",
            node=name,
            op="GlobalAveragePool",
        )
    a = 1 << max(d, 0)
    den = area << max(-d, 0)
    sums = reachable_sums(area)
    ref = gap_reference(sums, area, d)
    hi_idx = np.flatnonzero(ref == INT8_MAX)
    lo_idx = np.flatnonzero(ref == INT8_MIN)
    clamp_hi = int(sums[hi_idx[0]]) if hi_idx.size else int(sums[-1])
    clamp_lo = int(sums[lo_idx[-1]]) if lo_idx.size else int(sums[0])
    lowest = 2 * a * clamp_lo + den
    k0 = 0 if lowest >= 0 else -(lowest // (2 * den))
    mul_a = 2 * a
    add_b = den + 2 * den * k0
    k_max = mul_a * clamp_hi + add_b
    inside = sums[(sums >= clamp_lo) & (sums <= clamp_hi)]
    acc_bits = int(INT8_MIN * area).bit_length() + 1
    for shift in range(max(1, (2 * den).bit_length()), 48):
        mul_m = -(-(1 << shift) // (2 * den))
        if k_max.bit_length() + mul_m.bit_length() > 62:
            break
        cand = GapConstants(
            area=area,
            d=d,
            acc_bits=acc_bits,
            clamp_lo=clamp_lo,
            clamp_hi=clamp_hi,
            mul_a=mul_a,
            add_b=add_b,
            k_bits=max(k_max.bit_length(), 1),
            mul_m=mul_m,
            m_bits=max(mul_m.bit_length(), 1),
            shift=shift,
            k0=k0,
        )
        if np.array_equal(gap_model(inside, cand), ref[(sums >= clamp_lo) & (sums <= clamp_hi)]):
            if max(mul_a, add_b, mul_m, k_max, abs(mul_a * clamp_lo)) > VHDL_INT_MAX:
                break
            return cand
    raise ModelError(
        f"no exact reciprocal for the global average pool over {area} pixels with scale "
        f"step 2**{d}; use a smaller map or closer scales",
        node=name,
        op="GlobalAveragePool",
    )
