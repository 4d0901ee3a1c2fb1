"""8-bit activation tables: ``Q(f(DQ(q)))`` for every input integer, in float32 as
onnxruntime computes DequantizeLinear, the float op and QuantizeLinear.

DequantizeLinear is ``f32(float(q - zp) * scale)``; QuantizeLinear is
``rne(clamp(f32(v / scale), lo - zp, hi - zp)) + zp`` (a true division,
docs/numerics.md). A table is applied to a conv stage's requantised output, so an
activation with its own scales, or a chain of them, costs one 256-entry lookup.

Sigmoid and Tanh are onnxruntime's own float32 approximations, not the exact functions
(numpy's ``tanh`` differs from onnxruntime in about half of all inputs). onnxruntime
runs them through MLAS (``MlasComputeLogistic`` / ``MlasComputeTanh``: the Sigmoid and
Tanh ops, and com.microsoft QLinearSigmoid, which builds its 256-entry table with the
same kernel): a rational function (Eigen's coefficients) evaluated in float32. On
x86-64 CPUs with AVX2 and FMA3, which every machine of this project has, MLAS takes
its FMA3 kernels: every ``p * x2 + c`` step is one fused multiply-add (a single
rounding). :func:`sigmoid` and :func:`tanh` compute exactly those float32 operations
(``fma=True``, what the importer uses); ``fma=False`` is the generic kernel that CPUs
without FMA3 run (separate multiply and add, and the sigmoid clamped to [0, 1]).
HardSigmoid is Eigen's ``max(min(alpha * x + beta, 1), 0)`` with a separate multiply
and add. Measured against onnxruntime 1.32.0: 0 mismatches in over a million float
inputs per function and in every table of tests/test_tables.py.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from pocket_cnn.ir import LEAKY_ALPHA, Activation, QTensor
from pocket_cnn.ir.numerics import rne_shift

FloatFn = Callable[[np.ndarray], np.ndarray]


def dequantize(q: np.ndarray, qt: QTensor) -> np.ndarray:
    """DequantizeLinear in float32."""
    diff = (np.asarray(q, dtype=np.int64) - qt.zero_point).astype(np.float32)
    return (diff * np.float32(qt.scale)).astype(np.float32)


def quantize(v: np.ndarray, qt: QTensor) -> np.ndarray:
    """QuantizeLinear in float32 (true division, round half to even, saturate)."""
    f = (np.asarray(v, dtype=np.float32) / np.float32(qt.scale)).astype(np.float32)
    f = np.clip(f, np.float32(qt.lo - qt.zero_point), np.float32(qt.hi - qt.zero_point))
    return np.rint(f).astype(np.int64) + qt.zero_point


def relu(v: np.ndarray) -> np.ndarray:
    return np.maximum(v, np.float32(0.0))


def leaky(alpha: float) -> FloatFn:
    a = np.float32(alpha)

    def fn(v: np.ndarray) -> np.ndarray:
        return np.where(v >= 0, v, (v * a).astype(np.float32)).astype(np.float32)

    return fn


def clip(lo: float, hi: float) -> FloatFn:
    def fn(v: np.ndarray) -> np.ndarray:
        return np.clip(v, np.float32(lo), np.float32(hi)).astype(np.float32)

    return fn


def _bits(pattern: int) -> np.float32:
    """The float32 with IEEE bit pattern ``pattern``."""
    return np.array([pattern], dtype=np.uint32).view(np.float32)[0]


def fma32(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> np.ndarray:
    """float32 fused multiply-add ``a * b + c`` with one rounding (as vfmadd...ps).

    The product of two float32 is exact in float64; the float64 sum is made
    round-to-odd (its error is recovered exactly with Knuth's two-sum and, when it is
    not zero, an even result is moved one ulp towards the exact sum), and rounding a
    round-to-odd float64 to float32 gives the correctly rounded float32 result (53 >=
    24 + 2 bits), with no double rounding.
    """
    a64 = np.asarray(a, dtype=np.float32).astype(np.float64)
    b64 = np.asarray(b, dtype=np.float32).astype(np.float64)
    c64 = np.asarray(c, dtype=np.float32).astype(np.float64)
    prod = a64 * b64
    total = prod + c64
    virt = total - prod
    err = (prod - (total - virt)) + (c64 - virt)
    even = (np.asarray(total).view(np.int64) & 1) == 0
    towards = np.where(err > 0, np.inf, -np.inf)
    odd = np.where((err != 0) & even, np.nextafter(total, towards), total)
    return np.asarray(odd).astype(np.float32)


def _mul_add(a: ArrayLike, b: ArrayLike, c: ArrayLike, fma: bool) -> np.ndarray:
    """``a * b + c`` in float32: fused (one rounding) or a multiply then an add."""
    if fma:
        return fma32(a, b, c)
    prod = (np.asarray(a, dtype=np.float32) * np.asarray(b, dtype=np.float32)).astype(np.float32)
    return (prod + np.asarray(c, dtype=np.float32)).astype(np.float32)


# MLAS logistic.cpp (Eigen's coefficients), as float32 bit patterns of its literals:
# the range [-18, 18], numerator alpha_9 .. alpha_1 (odd powers), denominator
# beta_10 .. beta_0 (even powers)
_SIG_RANGE = np.float32(18.0)
_SIG_NUM = [_bits(b) for b in (0x2E403551, 0x33F84ECB, 0x387F413B, 0x3C0B7D58, 0x3E7E3F32)]
_SIG_DEN = [
    _bits(b) for b in (0x2B2BC4F5, 0x31C5F27B, 0x36D317DD, 0x3ADF153F, 0x3DEF3E18, 0x3F7E3F34)
]
# MLAS tanh.cpp (Eigen's coefficients): the range [-9, 9], numerator alpha_13 .. alpha_1,
# denominator beta_6 .. beta_0
_TANH_RANGE = np.float32(9.0)
_TANH_NUM = [
    _bits(b)
    for b in (0xA59F25C0, 0x2A61337E, 0xAEBD37FF, 0x335C0041, 0x3779434A, 0x3A270DED, 0x3BA059DC)
]
_TANH_DEN = [_bits(b) for b in (0x35A0D3D8, 0x38F895D6, 0x3B14AA05, 0x3BA059DD)]


def _horner(x2: np.ndarray, coeffs: list[np.float32], fma: bool) -> np.ndarray:
    """``((c0 * x2 + c1) * x2 + c2) ...`` as MLAS evaluates it (first step c0 * x2 + c1)."""
    acc = _mul_add(x2, np.full_like(x2, coeffs[0]), np.asarray(coeffs[1]), fma)
    for c in coeffs[2:]:
        acc = _mul_add(x2, acc, np.asarray(c), fma)
    return acc


def _rational(
    v: np.ndarray, bound: np.float32, num: list[np.float32], den: list[np.float32], fma: bool
) -> np.ndarray:
    """``x * P(x2) / Q(x2)`` on x clamped to [-bound, bound], in float32."""
    x = np.minimum(np.maximum(np.asarray(v, dtype=np.float32), -bound), bound)
    x2 = (x * x).astype(np.float32)
    p = (x * _horner(x2, num, fma)).astype(np.float32)
    return (p / _horner(x2, den, fma)).astype(np.float32)


def sigmoid(v: np.ndarray, fma: bool = True) -> np.ndarray:
    """onnxruntime's float32 Sigmoid (MLAS logistic kernel): ``x P(x2) / Q(x2) + 0.5``,
    clamped below at 0 (``fma=False``: to [0, 1], the generic kernel)."""
    r = (_rational(v, _SIG_RANGE, _SIG_NUM, _SIG_DEN, fma) + np.float32(0.5)).astype(np.float32)
    r = np.maximum(r, np.float32(0.0))
    return r if fma else np.minimum(r, np.float32(1.0))


def tanh(v: np.ndarray, fma: bool = True) -> np.ndarray:
    """onnxruntime's float32 Tanh (MLAS tanh kernel): ``x P(x2) / Q(x2)``."""
    return _rational(v, _TANH_RANGE, _TANH_NUM, _TANH_DEN, fma)


def hard_sigmoid(alpha: float, beta: float) -> FloatFn:
    """onnxruntime's float32 HardSigmoid: ``max(min(alpha * x + beta, 1), 0)``, the
    multiply and the add rounded separately."""
    a, b = np.float32(alpha), np.float32(beta)

    def fn(v: np.ndarray) -> np.ndarray:
        y = ((np.asarray(v, dtype=np.float32) * a).astype(np.float32) + b).astype(np.float32)
        return np.maximum(np.minimum(y, np.float32(1.0)), np.float32(0.0))

    return fn


def domain(qt: QTensor) -> np.ndarray:
    """Every integer of the tensor's type, lo..hi."""
    return np.arange(qt.lo, qt.hi + 1, dtype=np.int64)


def float_table(in_q: QTensor, out_q: QTensor, fns: list[FloatFn]) -> np.ndarray:
    """``Q_out(f_n(...f_1(DQ_in(q))))`` for q = lo..hi of ``in_q``."""
    v = dequantize(domain(in_q), in_q)
    for fn in fns:
        v = fn(v)
    return quantize(v, out_q)


def activation_table(act: Activation, q: QTensor, table: np.ndarray | None) -> np.ndarray:
    """A stage's activation as a table over its requantised output ``q``."""
    y = domain(q)
    if act is Activation.RELU:
        return np.maximum(y, q.zero_point)
    if act is Activation.LEAKY:
        return np.where(y < 0, rne_shift(y, 3), y)
    if act is Activation.TABLE:
        assert table is not None
        return np.asarray(table, dtype=np.int64)
    return y


def simplest(
    table: np.ndarray, y_q: QTensor, out_q: QTensor
) -> tuple[Activation, np.ndarray | None]:
    """The cheapest activation equal to ``table`` (from ``y_q`` to ``out_q``)."""
    if out_q == y_q:
        for act in (Activation.NONE, Activation.RELU):
            if np.array_equal(table, activation_table(act, y_q, None)):
                return act, None
        pow2_leaky = y_q.is_pow2 and y_q.signed
        if pow2_leaky and np.array_equal(table, activation_table(Activation.LEAKY, y_q, None)):
            return Activation.LEAKY, None
    return Activation.TABLE, np.asarray(table, dtype=np.int64)


__all__ = [
    "LEAKY_ALPHA",
    "FloatFn",
    "activation_table",
    "clip",
    "float_table",
    "fma32",
    "hard_sigmoid",
    "leaky",
    "relu",
    "sigmoid",
    "tanh",
]
