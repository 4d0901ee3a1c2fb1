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
from pocket_cnn.ir.network import Activation, ConvStage, FcStage, GapStage, Network, QTensor
from pocket_cnn.ir.numerics import rne_shift, sat8
from pocket_cnn.ir.requant import mantissa, requantize_exact


def activate(
    y: np.ndarray,
    act: Activation,
    q: QTensor | None = None,
    table: np.ndarray | None = None,
    out_q: QTensor | None = None,
) -> np.ndarray:
    """Apply the activation to the quantized output ``y`` (type and zero point ``q``):
    relu clamps at the zero point, leaky (alpha 1/8, zero point 0) rounds half to even,
    a table maps every value (into ``out_q``, default ``q``)."""
    q = q or QTensor(1.0)
    v = np.asarray(y).astype(np.int64)
    if act == Activation.RELU:
        v = np.maximum(v, q.zero_point)
    elif act == Activation.LEAKY:
        v = np.where(v < 0, rne_shift(v, 3), v)
    elif act == Activation.TABLE:
        assert table is not None
        v = np.asarray(table, dtype=np.int64)[v - q.lo]
    return _cast(v, out_q or q)


def _cast(v: np.ndarray, q: QTensor) -> np.ndarray:
    """int64 values already in range as the tensor's dtype (int8 or uint8)."""
    if q.signed:
        return sat8(v)
    return np.clip(v, 0, 255).astype(np.uint8)


def _windows(x: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """(N, C, H, W) -> (N, C, Ho, Wo, K, K) view of the strided windows (floor mode)."""
    win = sliding_window_view(x, (kernel, kernel), axis=(2, 3))
    return win[:, :, ::stride, ::stride]


def conv_acc(stage: ConvStage, x: np.ndarray) -> np.ndarray:
    """Return the int64 (N, Cout, Ho, Wo) accumulators ``bias + sum((x - x_zp) * w)``
    (padded pixels take the value x_zp)."""
    v = np.asarray(x).astype(np.int64) - stage.x_q.zero_point
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
    """Return the 8-bit (N, C, H, W) output of one processing element."""
    q = stage.y_q
    y = requantize_exact(conv_acc(stage, x), stage.mantissa, q.zero_point, q.lo, q.hi)
    y = activate(y, stage.activation, q, stage.table, stage.out_q)
    if stage.pool is not None:
        y = maxpool(y, stage.pool.kernel, stage.pool.stride)
    return y


def gap(stage: GapStage, x: np.ndarray) -> np.ndarray:
    """Global average pool as com.microsoft QLinearGlobalAveragePool: (N, C) 8-bit,
    ``acc = sum(x) - x_zp * H*W`` requantised with its float32 multiplier."""
    v = np.asarray(x).astype(np.int64)
    area = int(v.shape[2] * v.shape[3])
    acc = v.sum(axis=(2, 3)) - stage.x_q.zero_point * area
    q = stage.y_q
    y = requantize_exact(acc, mantissa(stage.multiplier), q.zero_point, q.lo, q.hi)
    return _cast(y, q)


def fc_acc(stage: FcStage, x: np.ndarray) -> np.ndarray:
    """The int64 (N, Nout) accumulators ``bias + sum((x - x_zp) * w)`` over the input
    flattened in ONNX's order (NCHW: ``c*H*W + h*W + w``)."""
    v = np.asarray(x).astype(np.int64)
    v = v.reshape(v.shape[0], -1) - stage.x_q.zero_point
    return v @ stage.weights.astype(np.int64).T + stage.bias.astype(np.int64)


def fc(stage: FcStage, x: np.ndarray) -> np.ndarray:
    """A fully connected layer: (N, Nout) 8-bit, requantised as onnxruntime's QGemm /
    QLinearMatMul (the stage's float32 multiplier), then the activation."""
    q = stage.y_q
    y = requantize_exact(fc_acc(stage, x), stage.mantissa, q.zero_point, q.lo, q.hi)
    return activate(y, stage.activation, q, stage.table, stage.out_q)


def run_all(net: Network, x: np.ndarray) -> list[np.ndarray]:
    """Return the output of every stage in order (PEs, then GAP, then FCs)."""
    cur = check_input(net, x)
    outs: list[np.ndarray] = []
    for stage in net.stages:
        cur = conv_stage(stage, cur)
        outs.append(cur)
    if net.gap is not None:
        cur = gap(net.gap, cur)
        outs.append(cur)
    for layer in net.fc:
        cur = fc(layer, cur)
        outs.append(cur)
    return outs


def argmax(y: np.ndarray) -> np.ndarray:
    """Class index of every pixel of the 8-bit scores ``y`` ((N, C) or (N, C, H, W)): ONNX
    ArgMax over axis 1 with keepdims and select_last_index 0 (the first of equal
    maxima), as uint8: (N, 1) or (N, 1, H, W). Compares the integer codes, which order
    like the real values (the scale is positive)."""
    return np.argmax(np.asarray(y), axis=1, keepdims=True).astype(np.uint8)


def run(net: Network, x: np.ndarray) -> np.ndarray:
    """Run the network: 8-bit (N, Nout) with FC layers, (N, C) with GAP, else (N, C, H, W);
    with ``net.argmax`` the class indices of those (:func:`argmax`)."""
    y = run_all(net, x)[-1]
    return argmax(y) if net.argmax else y
