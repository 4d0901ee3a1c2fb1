"""The rounding rules of the numeric contract (docs/numerics.md), in one place.

Round half to even (RNE) of a power-of-two shift or of an exact integer division,
saturation to int8, and the global-average-pool result built from them. The
reference model and the hardware's GAP constants (pocket_cnn.emit.gap) both use
these, so they cannot drift apart. All functions work on int64 numpy arrays.
"""

from __future__ import annotations

import numpy as np

INT8_MIN = -128
INT8_MAX = 127


def rne_div(num: np.ndarray, den: int) -> np.ndarray:
    """Round-half-to-even of ``num / den`` for integer ``num`` and a positive int ``den``."""
    v = np.asarray(num).astype(np.int64)
    q = np.floor_divide(v, den)
    r = v - q * den  # 0 <= r < den
    twice = 2 * r
    up = (twice > den) | ((twice == den) & ((q & 1) == 1))
    return q + up.astype(np.int64)


def rne_shift(x: np.ndarray, shift: int) -> np.ndarray:
    """Return RNE(x * 2**-shift) as int64; ``shift <= 0`` is an exact left shift."""
    v = np.asarray(x).astype(np.int64)
    if shift <= 0:
        return np.left_shift(v, -shift)
    q = np.right_shift(v, shift)  # floor
    r = v - np.left_shift(q, shift)  # 0 <= r < 2**shift
    half = np.int64(1) << np.int64(shift - 1)
    up = (r > half) | ((r == half) & ((q & 1) == 1))
    return q + up.astype(np.int64)


def sat8(x: np.ndarray) -> np.ndarray:
    """Clamp to [-128, 127] and return int8."""
    return np.clip(x, INT8_MIN, INT8_MAX).astype(np.int8)


def requantize(acc: np.ndarray, shift: int) -> np.ndarray:
    """Return sat8(RNE(acc * 2**-shift)) as int8."""
    return sat8(rne_shift(acc, shift))


def gap_exact(sums: np.ndarray, area: int, d: int) -> np.ndarray:
    """``sat8(RNE(sums * 2**d / area))`` exactly, as int8 (the GAP of one channel sum)."""
    v = np.asarray(sums).astype(np.int64)
    if d >= 0:
        return sat8(rne_div(np.left_shift(v, d), area))
    return sat8(rne_div(v, area << (-d)))
