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

**Any scale and zero point** (:func:`gap_constants_q`): the target is the reference's
``requantize_exact(sum(x) - x_zp*N, mantissa(M), y_zp, lo, hi)`` with float32 ``M``
(its double rounding included), on the internal int8 convention: a uint8 tensor is
carried as int8 with the MSB flipped (``v - 128``, zero point ``zp - 128``), so the
hardware sums ``s' = sum(x) - 128N`` and gives ``y - 128``. That target is a monotone
step function of ``s'``; the same five steps realise it as a floor of an affine
function, ``q = floor((c*mul_a + add_b) * mul_m / 2**shift) - k0``, with the slope
``mul_a * mul_m / 2**shift`` near ``M`` and the offset picked inside the interval
every reachable sum allows, at least ``mul_m`` above its low end so that the tie flag
never fires. Exhaustive proof over every reachable sum, as above; power-of-two scales
with zero point 0 on int8 tensors keep the constants of :func:`gap_constants`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pocket_cnn.errors import ModelError
from pocket_cnn.ir.network import QTensor
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


def gap_target(sums: np.ndarray, area: int, x_q: QTensor, y_q: QTensor) -> np.ndarray:
    """The reference's GAP result for internal (int8-convention) channel ``sums`` of
    ``area`` pixels, in the internal convention too (uint8 results minus 128)."""
    zp_in = x_q.zero_point - (0 if x_q.signed else 128)
    acc = np.asarray(sums, dtype=np.int64) - zp_in * area
    mant = mantissa(gap_multiplier(x_q.scale, y_q.scale, area))
    y = requantize_exact(acc, mant, y_q.zero_point, y_q.lo, y_q.hi, axis=0)
    return y - (0 if y_q.signed else 128)


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


def gap_constants_q(area: int, x_q: QTensor, y_q: QTensor, name: str = "gap") -> GapConstants:
    """Constants for pcnn_gap with any float32 scales and zero points (module doc),
    proven equal to :func:`gap_target` over every reachable sum (else ModelError)."""
    if area < 1:
        raise ModelError("global average pool over an empty map", node=name)
    if x_q.signed and y_q.signed and x_q.is_pow2 and y_q.is_pow2:
        return gap_constants(area, y_q.frac - x_q.frac, name=name)
    sums = reachable_sums(area)
    ref = gap_target(sums, area, x_q, y_q)
    # window outside which the result is constant (saturated): the hardware clamps to it
    lo_i = int(np.flatnonzero(ref == ref[0])[-1])
    hi_i = int(np.flatnonzero(ref == ref[-1])[0])
    if hi_i < lo_i:  # constant everywhere
        hi_i = lo_i
    clamp_lo, clamp_hi = int(sums[lo_i]), int(sums[hi_i])
    win, fw = sums[lo_i : hi_i + 1], ref[lo_i : hi_i + 1]
    mult = float(gap_multiplier(x_q.scale, y_q.scale, area)[0])
    acc_bits = int(INT8_MIN * area).bit_length() + 1
    bounds = (acc_bits, clamp_lo, clamp_hi)
    pow2 = _pow2_candidate(area, x_q, y_q, bounds, sums, ref)
    if pow2 is not None:
        return pow2
    for shift in range(1, 61):
        for t in range(0, 31):
            mul_a = 1 << t
            ideal = mult * (1 << shift) / mul_a
            if ideal < 0.5 or ideal >= 2**31:
                continue
            for mul_m in sorted({max(1, int(np.floor(ideal))), int(np.ceil(ideal))}):
                cand = _general_candidate(
                    area, acc_bits, clamp_lo, clamp_hi, win, fw, mul_a, mul_m, shift
                )
                if cand is not None and np.array_equal(gap_model(sums, cand), ref):
                    return cand
    raise ModelError(
        f"no exact reciprocal for the global average pool over {area} pixels with "
        f"multiplier {mult!r} (float32 rounding puts some sums on a tie that no "
        "clamp/multiply/shift line meets); re-calibrate to another output scale",
        node=name,
        op="GlobalAveragePool",
    )


def _general_candidate(
    area: int,
    acc_bits: int,
    clamp_lo: int,
    clamp_hi: int,
    win: np.ndarray,
    fw: np.ndarray,
    mul_a: int,
    mul_m: int,
    shift: int,
) -> GapConstants | None:
    """Offsets for one slope ``mul_a * mul_m / 2**shift``, or None when no offset fits.

    With ``X = add_b*mul_m - k0*2**shift`` the result is ``floor((c*r2 + X) / 2**shift)``
    (``r2 = mul_a*mul_m``); every ``c`` of the window bounds ``X`` from both sides (a
    saturated -128 from above only, 127 from below only), and ``X >= low + mul_m``
    keeps every fractional part at or above ``mul_m``: no tie where it matters.
    """
    span = max(abs(clamp_lo), abs(clamp_hi)) + 1
    if (span * mul_a * mul_m).bit_length() > 60:
        return None
    one = 1 << shift
    r2 = mul_a * mul_m
    # sat8 follows: a -128 only bounds from above, a 127 only from below
    lower, upper = fw > INT8_MIN, fw < INT8_MAX
    low = int(np.max(fw[lower] * one - win[lower] * r2)) + mul_m if lower.any() else -(one << 9)
    high = int(np.min((fw[upper] + 1) * one - win[upper] * r2)) if upper.any() else one << 9
    if low >= high:
        return None
    # k = c*mul_a + add_b >= 0 on the window: add_b >= -mul_a*clamp_lo
    need_b = max(0, -mul_a * clamp_lo)
    k0 = max(0, -(-(need_b * mul_m - low) // one))
    add_b = -(-(low + k0 * one) // mul_m)
    if add_b < need_b or add_b * mul_m - k0 * one >= high:
        return None
    k_max = mul_a * clamp_hi + add_b
    if k_max.bit_length() + mul_m.bit_length() > 62:
        return None
    if max(mul_a, add_b, mul_m, k_max, abs(mul_a * clamp_lo), k0) > VHDL_INT_MAX:
        return None
    return GapConstants(
        area=area,
        d=0,
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


def _pow2_candidate(
    area: int,
    x_q: QTensor,
    y_q: QTensor,
    bounds: tuple[int, int, int],
    sums: np.ndarray,
    ref: np.ndarray,
) -> GapConstants | None:
    """A power-of-two multiplier ``2**-e`` with zero points: exact ties are reachable, so
    the round-half-even structure of :func:`gap_constants` with the zero-point terms in
    ``add_b`` and ``k0``: ``q = RNE((c - zi*N) * a / D) + zo`` (``zi``, ``zo`` the internal
    zero points). The tie fix clears bit 0 after ``zo`` is added: only an even ``zo``."""
    mant = mantissa(gap_multiplier(x_q.scale, y_q.scale, area))
    zi = x_q.zero_point - (0 if x_q.signed else 128)
    zo = y_q.zero_point - (0 if y_q.signed else 128)
    if int(mant.m[0]) != 1 or zo % 2:
        return None
    acc_bits, clamp_lo, clamp_hi = bounds
    e = int(mant.s[0])
    a, den = 1 << max(-e, 0), 1 << max(e, 0)
    mul_a = 2 * a
    base = den - 2 * a * zi * area  # k = mul_a*c + base + 2*den*k0
    lowest = mul_a * clamp_lo + base
    k0 = 0 if lowest >= 0 else -(lowest // (2 * den))
    k0 = max(k0, zo, 0 if base >= 0 else -(base // (2 * den)))
    add_b = base + 2 * den * k0
    k_max = mul_a * clamp_hi + add_b
    for shift in range(max(1, (2 * den).bit_length()), 48):
        mul_m = -(-(1 << shift) // (2 * den))
        if k_max.bit_length() + mul_m.bit_length() > 62:
            break
        if max(mul_a, add_b, mul_m, k_max, abs(mul_a * clamp_lo), k0) > VHDL_INT_MAX:
            break
        cand = GapConstants(
            area=area,
            d=-e,
            acc_bits=acc_bits,
            clamp_lo=clamp_lo,
            clamp_hi=clamp_hi,
            mul_a=mul_a,
            add_b=add_b,
            k_bits=max(k_max.bit_length(), 1),
            mul_m=mul_m,
            m_bits=max(mul_m.bit_length(), 1),
            shift=shift,
            k0=k0 - zo,
        )
        if np.array_equal(gap_model(sums, cand), ref):
            return cand
    return None
