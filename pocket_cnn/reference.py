"""Bit-exact integer reference model of the IR (see docs/numerics.md).

Everything is vectorised numpy on int64: no per-element Python loops. The
convolution gathers windows with ``sliding_window_view`` and contracts them
with ``tensordot``; rounding is round-half-to-even done in integers, so the
results are exact for every reachable value.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Activation, ConvStage, GapStage, Network

INT8_MIN = -128
INT8_MAX = 127


def _rne_div(num: np.ndarray, den: int) -> np.ndarray:
    """Round-half-to-even of ``num / den`` for int64 ``num`` and a positive int ``den``."""
    q = np.floor_divide(num, den)
    r = num - q * den  # 0 <= r < den
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


def activate(y: np.ndarray, act: Activation) -> np.ndarray:
    """Apply the activation to int8 ``y`` (relu, leaky alpha 1/8 with RNE, or none)."""
    v = np.asarray(y).astype(np.int64)
    if act == Activation.RELU:
        v = np.maximum(v, 0)
    elif act == Activation.LEAKY:
        v = np.where(v < 0, rne_shift(v, 3), v)
    return sat8(v)


def _windows(x: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """(N, C, H, W) -> (N, C, Ho, Wo, K, K) view of the strided windows (floor mode)."""
    win = sliding_window_view(x, (kernel, kernel), axis=(2, 3))
    return win[:, :, ::stride, ::stride]


def conv_acc(stage: ConvStage, x: np.ndarray) -> np.ndarray:
    """Return the int64 (N, Cout, Ho, Wo) accumulators (bias included, zero padding)."""
    v = np.asarray(x).astype(np.int64)
    p = stage.pad
    if p:
        v = np.pad(v, ((0, 0), (0, 0), (p, p), (p, p)))
    win = _windows(v, stage.kernel, stage.stride)
    w = stage.weights.astype(np.int64)
    # (N, Ho, Wo, Cout): contract channel, ky, kx
    acc = np.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3]))
    acc = acc + stage.bias.astype(np.int64)
    return np.ascontiguousarray(acc.transpose(0, 3, 1, 2))


def maxpool(x: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """Max-pool (N, C, H, W) without padding, floor mode; keeps the dtype."""
    win = _windows(np.asarray(x), kernel, stride)
    return win.max(axis=(4, 5))


def conv_stage(stage: ConvStage, x: np.ndarray) -> np.ndarray:
    """Return the int8 (N, C, H, W) output of one processing element."""
    y = requantize(conv_acc(stage, x), stage.shift)
    y = activate(y, stage.activation)
    if stage.pool is not None:
        y = maxpool(y, stage.pool.kernel, stage.pool.stride)
    return y


def gap(stage: GapStage, x: np.ndarray) -> np.ndarray:
    """Global average pool: int8 (N, C) = sat8(RNE(sum * 2**(fo - fi) / (H*W))), exact."""
    v = np.asarray(x).astype(np.int64)
    total = v.sum(axis=(2, 3))
    area = int(v.shape[2] * v.shape[3])
    d = stage.frac_out - stage.frac_in
    if d >= 0:
        num, den = np.left_shift(total, d), area
    else:
        num, den = total, area << (-d)
    return sat8(_rne_div(num, den))


def check_input(net: Network, x: np.ndarray) -> None:
    """Raise ModelError unless ``x`` is (N, C, H, W) with the network's shape and dtype."""
    want_dtype = np.dtype(np.int8 if net.input_signed else np.uint8)
    want = f"(N, {', '.join(str(d) for d in net.input_shape)}) {want_dtype.name}"
    arr = np.asarray(x)
    if arr.ndim != 4 or tuple(arr.shape[1:]) != tuple(net.input_shape):
        raise ModelError(
            f"input has shape {tuple(arr.shape)}, expected {want}; reshape the input",
            node=net.input_name,
        )
    if arr.dtype != want_dtype:
        raise ModelError(
            f"input has dtype {arr.dtype.name}, expected {want}; convert the input",
            node=net.input_name,
        )


def run_all(net: Network, x: np.ndarray) -> list[np.ndarray]:
    """Return the output of every stage in order (PEs, then GAP)."""
    check_input(net, x)
    outs: list[np.ndarray] = []
    cur = np.asarray(x)
    for stage in net.stages:
        cur = conv_stage(stage, cur)
        outs.append(cur)
    if net.gap is not None:
        outs.append(gap(net.gap, cur))
    return outs


def run(net: Network, x: np.ndarray) -> np.ndarray:
    """Run the network: int8 (N, C) with GAP, else (N, C, H, W)."""
    return run_all(net, x)[-1]
