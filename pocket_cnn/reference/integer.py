"""Bit-exact integer reference model of the IR (see docs/numerics.md).

Everything is vectorised numpy on int64: no per-element Python loops. The
convolution gathers windows with ``sliding_window_view`` and contracts them
with ``tensordot``; rounding is round-half-to-even done in integers (pocket_cnn.ir.numerics), so
the results are exact for every reachable value.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from pocket_cnn.ir.inputs import check_input
from pocket_cnn.ir.network import Activation, ConvStage, GapStage, Network
from pocket_cnn.ir.numerics import gap_exact, requantize, rne_shift, sat8


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
    area = int(v.shape[2] * v.shape[3])
    return gap_exact(v.sum(axis=(2, 3)), area, stage.frac_out - stage.frac_in)


def run_all(net: Network, x: np.ndarray) -> list[np.ndarray]:
    """Return the output of every stage in order (PEs, then GAP)."""
    cur = check_input(net, x)
    outs: list[np.ndarray] = []
    for stage in net.stages:
        cur = conv_stage(stage, cur)
        outs.append(cur)
    if net.gap is not None:
        outs.append(gap(net.gap, cur))
    return outs


def run(net: Network, x: np.ndarray) -> np.ndarray:
    """Run the network: int8 (N, C) with GAP, else (N, C, H, W)."""
    return run_all(net, x)[-1]
