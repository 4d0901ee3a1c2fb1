"""The hardware view of a conv stage: the integers the PE holds, computed once.

Inside the network every activation byte is int8: a uint8 tensor travels with its
MSB flipped (value - 128) and zero point ``zp - 128`` (docs/design.md). The network
input keeps its own type (``in_signed``) and real zero point. With that:

- the input zero point folds into the bias, ``bias' = bias - x_zp * sum(w[c])``, and
  the window pads with ``x_zp`` (exact: the accumulator is the reference's);
- requantisation per output channel is ``SHIFT`` (power-of-two stages, today's
  shift-only path), ``MULT`` (one rounding ``rne(acc * m * 2**-s)``, where
  :func:`~pocket_cnn.ir.requant.single_rounding_exact` proves it) or ``EXACT``
  (onnxruntime's two float32 roundings, then the shift); then the clamp to
  ``[lo - zp, hi - zp]`` and the internal zero point ``zp'``;
- RELU is ``max(y, zp')``, LEAKY is today's (power-of-two stages only), TABLE is 256
  internal output bytes indexed by the internal ``y + 128``.

:func:`run_hw` runs a network through these integers (numpy); the tests hold it equal
to the reference, and the VHDL implements the same steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from pocket_cnn.ir.network import Activation, ConvStage, Network, QTensor
from pocket_cnn.ir.numerics import rne_shift
from pocket_cnn.ir.requant import (
    Mantissa,
    requantize_exact,
    requantize_single,
)
from pocket_cnn.ir.rq_serial import Requant, requant_mode


def internal_zp(q: QTensor) -> int:
    """Zero point of a tensor as it travels inside the network (uint8: MSB flipped)."""
    return q.zero_point if q.signed else q.zero_point - 128


@dataclass(frozen=True)
class ConvHw:
    """The integers of one PE (see the module docstring)."""

    name: str
    #: the input bytes are signed (always, except an unsigned network input)
    in_signed: bool
    #: value of a padded pixel, in the input's byte domain
    pad_value: int
    #: bias with the input zero point folded in (Cout,)
    bias: np.ndarray
    mode: Requant
    #: SHIFT: the right shift (may be <= 0); otherwise 0
    shift: int
    #: MULT/EXACT: mantissa and shift per output channel (Cout,)
    mult: np.ndarray
    mult_shift: np.ndarray
    #: clamp of the requantised value before the zero point: [lo - zp, hi - zp]
    clamp_lo: int
    clamp_hi: int
    #: internal zero point of the requantised output
    zp: int
    activation: Activation
    #: TABLE: 256 internal output bytes, index internal y + 128
    table: np.ndarray | None
    #: signed accumulator width that covers every value (folded bias included, and in
    #: SHIFT mode the rounding half pcnn_conv adds to it)
    acc_bits: int
    #: signed width of acc * m (MULT/EXACT), 0 for SHIFT
    prod_bits: int


def conv_hw(st: ConvStage, first: bool, force: Requant | None = None) -> ConvHw:
    """The hardware view of a conv stage (``first``: it reads the network input, in its
    own type; ``force``: a requantisation mode for tests, SHIFT only where the stage is a
    power-of-two stage)."""
    in_signed = st.in_signed or not first
    x_zp = st.x_q.zero_point if first else internal_zp(st.x_q)
    w = st.weights.astype(np.int64).reshape(st.ch_out, -1)
    bias = st.bias.astype(np.int64) - x_zp * w.sum(axis=1)
    mant = st.mantissa
    mode = force or requant_mode(st)
    if mode is Requant.SHIFT and not st.is_pow2:
        raise ValueError(f"stage {st.name}: SHIFT needs power-of-two scales")
    x_abs = 255 if not in_signed else 128
    bound = int((np.abs(bias) + np.abs(w).sum(axis=1) * x_abs).max())
    if mode is Requant.SHIFT and st.shift > 0:
        # pcnn_conv starts the sum at bias + 2**(shift-1): RNE without a carry chain
        bound += 1 << (st.shift - 1)
    acc_bits = max(bound.bit_length() + 1, 2)
    q = st.y_q
    zp = internal_zp(q)
    table = None
    if st.activation is Activation.TABLE:
        assert st.table is not None
        off = 0 if st.out_q.signed else 128
        # IR index y - lo equals the internal y + 128 for both types
        table = np.asarray(st.table, dtype=np.int64) - off
    m_bits = int(mant.m.max()).bit_length() + 1
    return ConvHw(
        name=st.name,
        in_signed=in_signed,
        pad_value=x_zp,
        bias=bias,
        mode=mode,
        shift=st.shift if mode is Requant.SHIFT else 0,
        mult=mant.m.astype(np.int64),
        mult_shift=mant.s.astype(np.int64),
        clamp_lo=q.lo - q.zero_point,
        clamp_hi=q.hi - q.zero_point,
        zp=zp,
        activation=Activation(st.activation),
        table=table,
        acc_bits=acc_bits,
        prod_bits=0 if mode is Requant.SHIFT else acc_bits + m_bits,
    )


def requant_hw(hw: ConvHw, acc: np.ndarray) -> np.ndarray:
    """Requantised internal bytes (before the activation) of (N, Cout, ...) accumulators."""
    if hw.mode is Requant.SHIFT:
        return np.clip(rne_shift(acc, hw.shift), -128, 127)
    mant = Mantissa(m=hw.mult, s=hw.mult_shift)
    fn = requantize_exact if hw.mode is Requant.EXACT else requantize_single
    y = fn(acc, mant, 0, hw.clamp_lo, hw.clamp_hi)
    return y + hw.zp


def activate_hw(hw: ConvHw, y: np.ndarray) -> np.ndarray:
    """The activation on internal bytes."""
    if hw.activation is Activation.RELU:
        return np.maximum(y, hw.zp)
    if hw.activation is Activation.LEAKY:
        return np.where(y < 0, rne_shift(y, 3), y)
    if hw.activation is Activation.TABLE:
        assert hw.table is not None
        return hw.table[y + 128]
    return y


def _windows(x: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    win = sliding_window_view(x, (kernel, kernel), axis=(2, 3))
    return win[:, :, ::stride, ::stride]


def run_hw(net: Network, x: np.ndarray, force: Requant | None = None) -> list[np.ndarray]:
    """Every PE's output as internal int64 bytes (N, C, H, W), the hardware's steps."""
    cur = np.asarray(x).astype(np.int64)
    outs: list[np.ndarray] = []
    for i, st in enumerate(net.stages):
        hw = conv_hw(st, i == 0, None if force is None or st.is_pow2 else force)
        p = st.pad
        v = np.pad(cur, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=hw.pad_value)
        win = _windows(v, st.kernel, st.stride)
        acc = np.tensordot(win, st.weights.astype(np.int64), axes=([1, 4, 5], [1, 2, 3]))
        acc = np.ascontiguousarray((acc + hw.bias).transpose(0, 3, 1, 2))
        assert int(np.abs(acc).max(initial=0)) < 1 << (hw.acc_bits - 1)
        y = activate_hw(hw, requant_hw(hw, acc))
        if st.pool is not None:
            k, s = st.pool.kernel, st.pool.stride
            y = _windows(y, k, s).max(axis=(4, 5))
        cur = y
        outs.append(cur)
    return outs


def to_external(y: np.ndarray, q: QTensor) -> np.ndarray:
    """Internal bytes back to the tensor's own type (uint8: flip the MSB back)."""
    return np.asarray(y, dtype=np.int64) + (0 if q.signed else 128)
