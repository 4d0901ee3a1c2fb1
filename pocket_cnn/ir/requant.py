"""Requantisation with any fp32 scale, exactly as onnxruntime's integer kernels do it.

onnxruntime (QLinearConv, QLinearMatMul, com.microsoft QGemm and
QLinearGlobalAveragePool) turns an exact integer accumulator into an 8-bit output
through float32 (docs/numerics.md)::

    M = the layer's float32 multiplier (its own order of fp32 operations, below)
    f = f32( f32(float(acc)) * M )          # float(acc): 24 significant bits
    y = rne( clamp(f, lo - zp, hi - zp) ) + zp

Here that is done in integers only, bit for bit: ``M = m * 2**-s`` with a 24-bit
mantissa ``m``; round ``acc`` to 24 significant bits (RNE), multiply by ``m`` exactly,
round the product to 24 significant bits (RNE), shift right by ``s`` (RNE), clamp,
add the zero point. The hardware uses the same steps, or the single rounding
``rne(acc * m * 2**-s)`` where :func:`single_rounding_exact` proves it equal over
every accumulator a layer can reach.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pocket_cnn.ir.numerics import rne_shift

#: Significant bits of a float32 (the mantissa with its hidden bit).
F32_BITS = 24
#: Largest accumulator window (values per channel) the proof enumerates.
PROOF_LIMIT = 1 << 24


def f32(x: float | np.floating | np.ndarray) -> np.float32:
    """``x`` rounded to float32 (round to nearest even), as a numpy scalar."""
    return np.float32(x)


def conv_multiplier(x_scale: float, w_scale: np.ndarray, y_scale: float) -> np.ndarray:
    """QLinearConv / QLinearMatMul: ``f32(f32(x_scale * w_scale[c]) / y_scale)`` per channel."""
    xs, ys = f32(x_scale), f32(y_scale)
    ws = np.asarray(w_scale, dtype=np.float32).reshape(-1)
    return ((xs * ws).astype(np.float32) / ys).astype(np.float32)


def gemm_multiplier(
    alpha: float, a_scale: float, b_scale: np.ndarray, y_scale: float
) -> np.ndarray:
    """com.microsoft QGemm: ``f32(f32(f32(alpha * a_scale) * b_scale[n]) / y_scale)``."""
    ab = f32(f32(alpha) * f32(a_scale))
    bs = np.asarray(b_scale, dtype=np.float32).reshape(-1)
    return ((ab * bs).astype(np.float32) / f32(y_scale)).astype(np.float32)


def gap_multiplier(x_scale: float, y_scale: float, area: int) -> np.ndarray:
    """com.microsoft QLinearGlobalAveragePool: ``f32(x_scale / f32(y_scale * float(area)))``."""
    return np.array([f32(f32(x_scale) / f32(f32(y_scale) * f32(area)))], dtype=np.float32)


@dataclass(frozen=True)
class Mantissa:
    """``M = m * 2**-s`` per channel: ``m`` the float32's integer mantissa (< 2**24)."""

    m: np.ndarray  # int64 (C,)
    s: np.ndarray  # int64 (C,)

    @property
    def pow2(self) -> bool:
        """Every multiplier is a power of two (the requantisation is a shift)."""
        return bool(np.all((self.m & (self.m - 1)) == 0))


def mantissa(mult: np.ndarray) -> Mantissa:
    """Split positive float32 multipliers into 24-bit integer mantissas and shifts."""
    v = np.asarray(mult, dtype=np.float32).reshape(-1).astype(np.float64)
    if np.any(~np.isfinite(v)) or np.any(v <= 0):
        raise ValueError(f"requantisation multipliers must be positive and finite: {v}")
    frac, exp = np.frexp(v)  # v = frac * 2**exp, 0.5 <= frac < 1
    m = np.round(frac * (1 << F32_BITS)).astype(np.int64)
    s = (F32_BITS - exp).astype(np.int64)
    # strip trailing zeros: a smaller multiplier, the same value
    while np.any(odd := (m > 1) & ((m & 1) == 0)):
        m = np.where(odd, m >> 1, m)
        s = np.where(odd, s - 1, s)
    return Mantissa(m=m, s=s)


def bit_length(mag: np.ndarray) -> np.ndarray:
    """Bit length of non-negative int64 values (0 for 0), exact for every int64."""
    v = np.asarray(mag, dtype=np.int64)
    _, e = np.frexp(v.astype(np.float64))
    e = e.astype(np.int64)
    # float64 may round a value just below a power of two up to it: one bit too many
    too_long = (e > 0) & (np.right_shift(v, np.maximum(e - 1, 0)) == 0)
    return np.where(too_long, e - 1, e)


def round_significant(x: np.ndarray, bits: int = F32_BITS) -> np.ndarray:
    """``x`` rounded to ``bits`` significant bits, half to even (what float32 does)."""
    v = np.asarray(x, dtype=np.int64)
    mag = np.abs(v)
    drop = np.maximum(bit_length(mag) - bits, 0)
    out = np.empty_like(mag)
    for d in np.unique(drop):
        sel = drop == d
        out[sel] = np.left_shift(rne_shift(mag[sel], int(d)), int(d))
    return np.where(v < 0, -out, out)


def requantize_exact(
    acc: np.ndarray, mant: Mantissa, zero_point: int, lo: int, hi: int, axis: int = 1
) -> np.ndarray:
    """onnxruntime's requantisation of int64 ``acc`` (channels along ``axis``), as int64.

    Integer steps only (see the module docstring); equal to the float32 formula for
    every int32 accumulator.
    """
    a = np.asarray(acc, dtype=np.int64)
    shape = [1] * a.ndim
    shape[axis] = -1
    m = mant.m.reshape(shape) if mant.m.size > 1 else mant.m.reshape(())
    s = mant.s.reshape(shape) if mant.s.size > 1 else mant.s.reshape(())
    prod = round_significant(round_significant(a) * m)
    y = _rne_shift_var(prod, np.broadcast_to(s, prod.shape))
    return np.clip(y, lo - zero_point, hi - zero_point) + zero_point


def requantize_single(
    acc: np.ndarray, mant: Mantissa, zero_point: int, lo: int, hi: int, axis: int = 1
) -> np.ndarray:
    """The hardware's cheap form: one rounding, ``rne(acc * m * 2**-s)``, clamp, zero point."""
    a = np.asarray(acc, dtype=np.int64)
    shape = [1] * a.ndim
    shape[axis] = -1
    m = mant.m.reshape(shape) if mant.m.size > 1 else mant.m.reshape(())
    s = mant.s.reshape(shape) if mant.s.size > 1 else mant.s.reshape(())
    y = _rne_shift_var(a * m, np.broadcast_to(s, a.shape))
    return np.clip(y, lo - zero_point, hi - zero_point) + zero_point


def requantize_f32(
    acc: np.ndarray, mult: np.ndarray, zero_point: int, lo: int, hi: int, axis: int = 1
) -> np.ndarray:
    """The float32 formula itself (an independent oracle for the integer emulation)."""
    a = np.asarray(acc, dtype=np.int64)
    shape = [1] * a.ndim
    shape[axis] = -1
    mv = np.asarray(mult, dtype=np.float32).reshape(-1)
    m = mv.reshape(shape) if mv.size > 1 else mv.reshape(())
    f = (a.astype(np.float32) * m).astype(np.float32)
    f = np.clip(f, np.float32(lo - zero_point), np.float32(hi - zero_point))
    return np.rint(f).astype(np.int64) + zero_point


def _rne_shift_var(v: np.ndarray, s: np.ndarray) -> np.ndarray:
    """RNE(v * 2**-s) with a shift per element (negative: exact left shift)."""
    out = np.empty(v.shape, dtype=np.int64)
    for k in np.unique(s):
        sel = s == k
        out[sel] = rne_shift(v[sel], int(k))
    return out


def unclamped_window(mant: Mantissa, zero_point: int, lo: int, hi: int) -> tuple[int, int]:
    """Accumulators outside ``[a_lo, a_hi]`` give ``lo`` or ``hi`` for every channel, in
    both rounding forms (both are monotone and within one LSB of ``acc * M``)."""
    mval = mant.m.astype(np.float64) * np.power(2.0, -mant.s.astype(np.float64))
    reach = max(abs(lo - zero_point), abs(hi - zero_point)) + 2
    span = int(np.ceil(reach / float(mval.min())))
    return -span, span


def single_rounding_exact(
    mant: Mantissa, zero_point: int, lo: int, hi: int, acc_lo: int, acc_hi: int
) -> bool | None:
    """Whether :func:`requantize_single` equals :func:`requantize_exact` for every channel
    and every accumulator in ``[acc_lo, acc_hi]`` (the layer's reachable range).

    Enumerates the part of the range where the output is not clamped; returns None
    when that is more than :data:`PROOF_LIMIT` values per channel (not decided).
    """
    w_lo, w_hi = unclamped_window(mant, zero_point, lo, hi)
    a_lo, a_hi = max(acc_lo, w_lo), min(acc_hi, w_hi)
    if a_lo > a_hi:
        return True
    if max(-a_lo, a_hi) * int(mant.m.max()) < (1 << F32_BITS):
        return True  # no float32 rounding happens before the final one
    if a_hi - a_lo + 1 > PROOF_LIMIT:
        return None
    chunk = 1 << 20
    for c in range(mant.m.size):
        one = Mantissa(m=mant.m[c : c + 1], s=mant.s[c : c + 1])
        for start in range(a_lo, a_hi + 1, chunk):
            acc = np.arange(start, min(start + chunk, a_hi + 1), dtype=np.int64)
            exact = requantize_exact(acc, one, zero_point, lo, hi, axis=0)
            cheap = requantize_single(acc, one, zero_point, lo, hi, axis=0)
            if not np.array_equal(exact, cheap):
                return False
    return True
