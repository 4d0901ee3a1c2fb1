"""Seeded random quantized ONNX models as onnxruntime's quantizer writes them (QOperator
form): random fp32 scales, zero points, uint8 or int8 activations, per-tensor or
per-channel weight scales, activation tables and fully connected heads.

The geometry (kernels 1/2/3/5, strides 1-3, pads, max-pools, GAP) comes from
:func:`pocket_cnn.zoo.random_nets.random_spec`; on top of it each model draws:

* activations all uint8 or all int8 (onnxruntime's QLinearConv keeps one type), each
  tensor's scale and zero point calibrated like a MinMax quantizer on the real values
  the model computes for random inputs, then jittered, so that outputs are neither
  constant nor saturated;
* per layer: weight scales per tensor or per channel; ReLU as ``DQ -> Relu -> Q``
  (the zero point clamps), leaky ReLU as com.microsoft ``QLinearLeakyRelu`` with a
  random alpha (sometimes into a new quantisation), or a ``QLinearSigmoid``;
* half of the models end in 1 to 3 fully connected layers (``Flatten`` or
  ``Reshape``, then ``QGemm`` or ``QLinearMatMul``, ReLU between some of them), after
  the convolutions or after the GAP, with at most :data:`FC_MAX_INPUTS` inputs.

With uint8 activations every |weight| is at most 64, so that no ``x*w + x*w`` pair
reaches 2**15 and the u8 x s8 kernels of CPUs without VNNI compute exactly
(docs/numerics.md): onnxruntime with optimisations off is an exact oracle on any CPU.
Same seed, same model. Needs onnxruntime (a development dependency).
"""

from __future__ import annotations

import numpy as np
import onnx

from pocket_cnn.ir import Activation, QTensor
from pocket_cnn.zoo.qbuilder import QBuilder
from pocket_cnn.zoo.random_nets import random_spec

#: the hardware's limit on a fully connected layer's inputs (pocket_cnn.emit.fc)
FC_MAX_INPUTS = 512
#: |weight| bound with uint8 activations (no saturating pairs without VNNI)
U8_W_MAX = 64
#: calibration images per model
N_CALIB = 8
ALPHAS = (0.01, 0.1, 0.125, 0.2, 0.3)


def _real(builder: QBuilder, x: np.ndarray) -> np.ndarray:
    """Real values of the builder's current tensor for float inputs ``x`` (onnxruntime)."""
    from pocket_cnn.reference.oracle import session

    sess = session(builder.model())
    return np.asarray(sess.run(None, {"input": x})[0], np.float64)


def _conv_real(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, k: int, stride: int, pad: int
) -> np.ndarray:
    """Float conv (N, C, H, W) x (O, C, k, k) + b, zero padded (the real zero)."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))
    win = win[:, :, ::stride, ::stride]
    return np.einsum("nchwij,ocij->nohw", win, w) + b[None, :, None, None]


def _calibrated(
    rng: np.random.Generator, values: np.ndarray, signed: bool, relu: bool = False
) -> QTensor:
    """A MinMax-like quantisation of ``values`` (jittered; ReLU: from 0 up)."""
    lo, hi = (float(v) for v in np.percentile(values, [0.5, 99.5]))
    if relu:
        lo = min(lo, 0.0)
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    span = max(hi - lo, 1e-3) * float(rng.uniform(0.7, 1.5))
    scale = float(np.float32(span / 255.0))
    qmin = -128 if signed else 0
    zp = int(np.clip(round(qmin - lo / scale + rng.integers(-8, 9)), qmin, qmin + 255))
    return QTensor(scale, zp, signed)


def _weight_scales(rng: np.random.Generator, n: int, per_channel: bool = True) -> np.ndarray:
    """Per-channel (or one) weight scales of a random magnitude."""
    count = n if per_channel and rng.random() < 0.5 else 1
    return np.exp(rng.uniform(np.log(2e-3), np.log(3e-2), count)).astype(np.float32)


def _bias(rng: np.random.Generator, acc_spread: float, n: int) -> np.ndarray:
    bound = int(min(max(acc_spread, 50.0), 2**20))
    return rng.integers(-bound, bound + 1, n).astype(np.int32)


def random_quant_model(seed: int, max_channels: int = 6) -> onnx.ModelProto:
    """A random quantized model (QOperator form) for ``seed``."""
    spec, _ = random_spec(seed, max_channels)
    rng = np.random.default_rng([seed, 0x0A7])
    signed = bool(rng.random() < 0.5)
    w_max = 127 if signed else U8_W_MAX
    lo_in, hi_in = sorted(float(v) for v in rng.uniform(-2.0, 2.0, 2))
    in_q = _calibrated(rng, np.array([lo_in, hi_in]), signed)
    b = QBuilder(spec.input_shape, in_q, seed=seed, w_max=w_max)
    qmin = -128 if signed else 0
    words = rng.integers(qmin, qmin + 256, (N_CALIB, *spec.input_shape))
    x_cal = ((words - in_q.zero_point) * np.float32(in_q.scale)).astype(np.float32)

    for i, layer in enumerate(spec.layers):
        name = f"conv{i + 1}"
        cin = b.shape[0]
        x_real = _real(b, x_cal)
        k, s, p = layer.kernel, layer.stride, layer.pad
        w = rng.integers(-w_max, w_max + 1, (layer.cout, cin, k, k))
        ws = _weight_scales(rng, layer.cout)
        ws_full = np.broadcast_to(ws, (layer.cout,)).astype(np.float64)
        x_scale = float(b.qt.scale)
        acc = _conv_real(x_real, w * ws_full[:, None, None, None], np.zeros(layer.cout), k, s, p)
        bias = _bias(rng, float(np.std(acc)) / (x_scale * float(ws_full.mean())), layer.cout)
        y_real = acc + (bias * x_scale * ws_full)[None, :, None, None]
        relu = layer.act is Activation.RELU
        y_q = _calibrated(rng, np.maximum(y_real, 0) if relu else y_real, signed, relu)
        w_scale = list(ws) if ws.size > 1 else float(ws[0])
        b.conv(name, layer.cout, y_q, "qop", k, p, s, w_scale, weights=w, bias=bias)
        _activation(b, rng, layer.act, f"act{i + 1}", x_cal)
        if layer.pool is not None:
            b.pool(f"pool{i + 1}", "qop", k=layer.pool.kernel, stride=layer.pool.stride)
    if spec.gap:
        b.gap("gap1", _calibrated(rng, _real(b, x_cal).mean(axis=(2, 3)), signed), "qop")
    if rng.random() < 0.5 and int(np.prod(b.shape)) <= FC_MAX_INPUTS:
        _fc_head(b, rng, x_cal, signed, w_max)
    return b.model(f"random_quant_{seed}")


def _activation(
    b: QBuilder, rng: np.random.Generator, act: Activation, name: str, x_cal: np.ndarray
) -> None:
    """ReLU (DQ -> Relu -> Q), leaky ReLU (QLinearLeakyRelu) or, sometimes, a sigmoid."""
    if act is Activation.RELU:
        b.act(name, "Relu")
        return
    roll = rng.random()
    if act is Activation.NONE and roll > 0.15:
        return
    out_q = None
    if rng.random() < 0.4:
        real = _real(b, x_cal)
        if act is Activation.NONE:
            real = 1.0 / (1.0 + np.exp(-real))
        out_q = _calibrated(rng, real, b.qt.signed)
    if act is Activation.NONE:
        b.act(name, "Sigmoid", "qop", out_q=out_q)
    else:
        b.act(name, "LeakyRelu", "qop", out_q=out_q, alpha=float(rng.choice(ALPHAS)))


def _fc_head(
    b: QBuilder, rng: np.random.Generator, x_cal: np.ndarray, signed: bool, w_max: int
) -> None:
    """1 to 3 fully connected layers after a Flatten or a Reshape."""
    b.flatten("flatten1", "Flatten" if rng.random() < 0.5 else "Reshape")
    layers = int(rng.integers(1, 4))
    for j in range(layers):
        x_real = _real(b, x_cal).reshape(N_CALIB, -1)
        n = int(rng.integers(1, 13))
        k = x_real.shape[1]
        w = rng.integers(-w_max, w_max + 1, (n, k))
        gemm = rng.random() < 0.6
        ws = _weight_scales(rng, n, per_channel=gemm)
        ws_full = np.broadcast_to(ws, (n,)).astype(np.float64)
        x_scale = float(b.qt.scale)
        acc = x_real @ (w * ws_full[:, None]).T
        bias = (
            _bias(rng, float(np.std(acc)) / (x_scale * float(ws_full.mean())), n)
            if gemm
            else np.zeros(n, np.int32)
        )
        y_real = acc + bias * x_scale * ws_full
        relu = j < layers - 1 and rng.random() < 0.5
        y_q = _calibrated(rng, np.maximum(y_real, 0) if relu else y_real, signed, relu)
        b.fc(
            f"fc{j + 1}",
            n,
            y_q,
            "qop",
            w_scale=list(ws) if ws.size > 1 else float(ws[0]),
            op="Gemm" if gemm else "MatMul",
            weights=w,
            bias=bias,
        )
        if relu:
            b.act(f"fc_relu{j + 1}", "Relu")
