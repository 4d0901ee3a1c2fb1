"""The one internal representation (IR) of a network.

A network is a chain of processing elements (one per convolution layer), each
``zero pad -> conv -> requantise -> activation -> optional max-pool``, optionally
followed by one global average pool and by fully connected layers (on the
flattened map or on the pooled vector). Every tensor is 8-bit integer with a float32
scale and a zero point (:class:`QTensor`); weights are int8 with a float32 scale per
output channel (docs/numerics.md). The importer, the reference, the zoo and the VHDL
emitter all speak this IR.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np

from pocket_cnn.errors import ModelError
from pocket_cnn.ir.requant import Mantissa, conv_multiplier, gap_multiplier, mantissa

#: Limits of the hardware and therefore of the IR.
KERNELS = (1, 2, 3, 5)
STRIDES = (1, 2, 3)
PADS = (0, 1, 2)
POOL_KERNELS = (2, 3)
POOL_STRIDES = (1, 2, 3)
MAX_CHANNELS = 512
#: Channels an argmax output can index with one byte.
MAX_ARGMAX_CLASSES = 256
LEAKY_ALPHA = 0.125


class Activation(str, Enum):
    """Activation after requantisation (on the quantized output integers)."""

    NONE = "none"
    RELU = "relu"  # max(y, zero point)
    LEAKY = "leaky"  # power-of-two scales, zero point 0, alpha 0.125: y if y >= 0 else RNE(y / 8)
    TABLE = "table"  # any function of the 8-bit value: a 256-entry table


def pow2_frac(scale: float) -> int | None:
    """``f`` if ``scale`` is exactly ``2**-f``, else None."""
    mant, exp = np.frexp(np.float64(scale))
    return int(1 - exp) if mant == 0.5 else None


@dataclass(frozen=True)
class QTensor:
    """Quantisation of an 8-bit tensor: real = (q - zero_point) * scale (float32)."""

    scale: float
    zero_point: int = 0
    signed: bool = True

    @staticmethod
    def pow2(frac: int, signed: bool = True) -> QTensor:
        """Scale ``2**-frac``, zero point 0."""
        return QTensor(scale=2.0**-frac, zero_point=0, signed=signed)

    @property
    def lo(self) -> int:
        return -128 if self.signed else 0

    @property
    def hi(self) -> int:
        return 127 if self.signed else 255

    @property
    def frac(self) -> int:
        """``f`` of a power-of-two scale with zero point 0; ValueError otherwise."""
        f = pow2_frac(self.scale)
        if f is None or self.zero_point != 0:
            raise ValueError(f"{self} is not a power-of-two scale with zero point 0")
        return f

    @property
    def is_pow2(self) -> bool:
        return pow2_frac(self.scale) is not None and self.zero_point == 0

    def text(self) -> str:
        """Short form for tables: ``2**-4`` or ``0.0123 zp 128 u8``."""
        kind = "s8" if self.signed else "u8"
        f = pow2_frac(self.scale)
        sc = f"2**{-f}" if f is not None else f"{self.scale:.6g}"
        return f"{sc} zp {self.zero_point} {kind}"


@dataclass(frozen=True)
class PoolSpec:
    """Max-pool without padding (floor mode)."""

    kernel: int
    stride: int


def conv_out(size: int, kernel: int, stride: int, pad: int = 0) -> int:
    """Output length of a window operation along one axis (floor mode)."""
    return (size + 2 * pad - kernel) // stride + 1


@dataclass
class ConvStage:
    """One processing element: conv (+ requant, activation, max-pool).

    ``in_shape`` is (C, H, W) of the unpadded input, quantized as ``x_q``; padding
    takes the value ``x_q.zero_point``. ``weights`` is int8 (Cout, Cin, K, K) as in
    ONNX with zero point 0 and float32 scale ``w_scale`` (Cout,), ``bias`` int32 (Cout,)
    at scale x_scale * w_scale. The output (also after the pool) is quantized as ``y_q``.
    """

    name: str
    in_shape: tuple[int, int, int]
    weights: np.ndarray
    bias: np.ndarray
    stride: int
    pad: int
    x_q: QTensor
    w_scale: np.ndarray
    y_q: QTensor
    activation: Activation = Activation.NONE
    pool: PoolSpec | None = None
    #: ONNX node names folded into this stage (for messages and `check`).
    nodes: list[str] = field(default_factory=list)
    #: Activation.TABLE: output integer for every requantised value lo..hi (256 entries).
    table: np.ndarray | None = None
    #: quantisation after a table that changes it (None: the same as ``y_q``).
    act_q: QTensor | None = None

    @property
    def out_q(self) -> QTensor:
        """Quantisation of the stage's output (after the activation and the pool)."""
        return self.act_q or self.y_q

    @staticmethod
    def pow2(
        name: str,
        in_shape: tuple[int, int, int],
        weights: np.ndarray,
        bias: np.ndarray,
        stride: int,
        pad: int,
        frac_in: int,
        frac_w: int,
        frac_out: int,
        in_signed: bool = True,
        activation: Activation = Activation.NONE,
        pool: PoolSpec | None = None,
    ) -> ConvStage:
        """A stage whose scales are all powers of two with zero point 0 (int8 output)."""
        return ConvStage(
            name=name,
            in_shape=in_shape,
            weights=weights,
            bias=bias,
            stride=stride,
            pad=pad,
            x_q=QTensor.pow2(frac_in, in_signed),
            w_scale=np.full(int(weights.shape[0]), 2.0**-frac_w, dtype=np.float32),
            y_q=QTensor.pow2(frac_out),
            activation=activation,
            pool=pool,
        )

    @property
    def frac_in(self) -> int:
        return self.x_q.frac

    @property
    def frac_out(self) -> int:
        return self.y_q.frac

    @property
    def frac_w(self) -> int:
        """``f`` of a per-tensor power-of-two weight scale; ValueError otherwise."""
        fs = {pow2_frac(float(v)) for v in np.asarray(self.w_scale).reshape(-1)}
        if len(fs) != 1 or None in fs:
            raise ValueError(f"stage {self.name}: weight scales are not one power of two")
        f = fs.pop()
        assert f is not None
        return f

    @property
    def in_signed(self) -> bool:
        return self.x_q.signed

    @property
    def multiplier(self) -> np.ndarray:
        """float32 requantisation multiplier per output channel (QLinearConv's)."""
        return conv_multiplier(self.x_q.scale, self.w_scale, self.y_q.scale)

    @property
    def mantissa(self) -> Mantissa:
        return mantissa(self.multiplier)

    @property
    def is_pow2(self) -> bool:
        """Power-of-two scales, zero points 0, int8 output: the shift-only hardware."""
        try:
            self.shift  # noqa: B018 - raises when not a power-of-two stage
        except ValueError:
            return False
        return self.activation is not Activation.TABLE and self.act_q is None

    @property
    def kernel(self) -> int:
        return int(self.weights.shape[2])

    @property
    def ch_in(self) -> int:
        return int(self.weights.shape[1])

    @property
    def ch_out(self) -> int:
        return int(self.weights.shape[0])

    @property
    def shift(self) -> int:
        """Right shift of the accumulator: frac_in + frac_w - frac_out (may be <= 0);
        ValueError unless every scale is a power of two with zero point 0."""
        if not self.y_q.signed:
            raise ValueError(f"stage {self.name}: uint8 output")
        return self.frac_in + self.frac_w - self.frac_out

    @property
    def conv_shape(self) -> tuple[int, int, int]:
        """(Cout, H, W) after conv and activation, before the pool."""
        _, h, w = self.in_shape
        k, s, p = self.kernel, self.stride, self.pad
        return (self.ch_out, conv_out(h, k, s, p), conv_out(w, k, s, p))

    @property
    def out_shape(self) -> tuple[int, int, int]:
        """(Cout, H, W) at the output of the stage."""
        c, h, w = self.conv_shape
        if self.pool is None:
            return (c, h, w)
        return (
            c,
            conv_out(h, self.pool.kernel, self.pool.stride),
            conv_out(w, self.pool.kernel, self.pool.stride),
        )

    @property
    def macs(self) -> int:
        """Multiply-accumulates per image."""
        c, h, w = self.conv_shape
        return c * h * w * self.ch_in * self.kernel * self.kernel

    @property
    def acc_range(self) -> tuple[int, int]:
        """Smallest and largest accumulator any input can give (all channels)."""
        x_lo = self.x_q.lo - self.x_q.zero_point
        x_hi = self.x_q.hi - self.x_q.zero_point
        w = self.weights.astype(np.int64).reshape(self.ch_out, -1)
        pos = np.where(w > 0, w, 0).sum(axis=1)
        neg = np.where(w < 0, w, 0).sum(axis=1)
        b = self.bias.astype(np.int64)
        lo = b + pos * x_lo + neg * x_hi
        hi = b + pos * x_hi + neg * x_lo
        return int(lo.min()), int(hi.max())

    @property
    def acc_bits(self) -> int:
        """Accumulator width (signed) that can never overflow for this layer."""
        in_max = 255 if not self.in_signed else 128
        terms = int(np.abs(self.weights.astype(np.int64)).sum(axis=(1, 2, 3)).max()) * in_max
        bound = terms + int(np.abs(self.bias.astype(np.int64)).max(initial=0))
        lo, hi = self.acc_range
        bound = max(bound, abs(lo), abs(hi))
        return max(int(bound).bit_length() + 1, 2)


@dataclass
class GapStage:
    """Global average pool over the whole (C, H, W) map, exact RNE, sat8."""

    name: str
    in_shape: tuple[int, int, int]
    x_q: QTensor
    y_q: QTensor

    @staticmethod
    def pow2(name: str, in_shape: tuple[int, int, int], frac_in: int, frac_out: int) -> GapStage:
        return GapStage(name, in_shape, QTensor.pow2(frac_in), QTensor.pow2(frac_out))

    @property
    def frac_in(self) -> int:
        return self.x_q.frac

    @property
    def frac_out(self) -> int:
        return self.y_q.frac

    @property
    def area(self) -> int:
        return self.in_shape[1] * self.in_shape[2]

    @property
    def multiplier(self) -> np.ndarray:
        """float32 multiplier of com.microsoft QLinearGlobalAveragePool."""
        return gap_multiplier(self.x_q.scale, self.y_q.scale, self.area)

    @property
    def out_shape(self) -> tuple[int, int, int]:
        return (self.in_shape[0], 1, 1)


@dataclass
class FcStage:
    """A fully connected layer: ``y = requant(bias + W (x - x_zp))``, activation.

    ``in_shape`` is (C, H, W) of the tensor it reads: a conv stage's output map (the
    model flattens it), the global average pool's (C, 1, 1) or the previous FC's
    (N, 1, 1). ``weights`` is int8 (Nout, Nin), Nin = C*H*W in ONNX's flatten order
    (NCHW: input index ``c*H*W + h*W + w``), zero point 0, float32 scale ``w_scale``
    (Nout,); ``bias`` int32 (Nout,) is added to the exact accumulator.
    ``multiplier`` (Nout,) is the float32 requantisation multiplier as the ONNX op
    forms it (com.microsoft QGemm: ``gemm_multiplier`` with its alpha;
    QLinearMatMul: ``conv_multiplier``); requantisation is then as QLinearConv's.
    """

    name: str
    in_shape: tuple[int, int, int]
    weights: np.ndarray
    bias: np.ndarray
    x_q: QTensor
    w_scale: np.ndarray
    y_q: QTensor
    multiplier: np.ndarray
    activation: Activation = Activation.NONE
    #: Activation.TABLE: output integer for every requantised value lo..hi (256 entries).
    table: np.ndarray | None = None
    #: quantisation after a table that changes it (None: the same as ``y_q``).
    act_q: QTensor | None = None
    #: ONNX node names folded into this stage (for messages and `check`).
    nodes: list[str] = field(default_factory=list)

    @property
    def out_q(self) -> QTensor:
        """Quantisation of the stage's output (after the activation)."""
        return self.act_q or self.y_q

    @property
    def n_in(self) -> int:
        return int(self.weights.shape[1])

    @property
    def n_out(self) -> int:
        return int(self.weights.shape[0])

    @property
    def out_shape(self) -> tuple[int, int, int]:
        """(Nout, 1, 1): what a following FC reads."""
        return (self.n_out, 1, 1)

    @property
    def mantissa(self) -> Mantissa:
        return mantissa(self.multiplier)

    @property
    def per_channel(self) -> bool:
        """More than one weight scale (one per output)."""
        return bool(np.unique(np.asarray(self.w_scale, dtype=np.float32)).size > 1)

    @property
    def is_pow2(self) -> bool:
        """Shift-only requantisation: multipliers powers of two, zero points 0, int8
        activations in and out, no table."""
        return (
            self.x_q.is_pow2
            and self.y_q.is_pow2
            and self.x_q.signed
            and self.y_q.signed
            and self.mantissa.pow2
            and self.activation is not Activation.TABLE
            and self.act_q is None
        )

    @property
    def macs(self) -> int:
        """Multiply-accumulates per image."""
        return int(self.weights.size)

    @property
    def acc_range(self) -> tuple[int, int]:
        """Smallest and largest accumulator any input can give (all outputs)."""
        return _acc_range(self.weights, self.bias, self.x_q)

    @property
    def acc_bits(self) -> int:
        """Accumulator width (signed) that can never overflow for this layer."""
        lo, hi = self.acc_range
        return max(max(-lo, hi).bit_length() + 1, 2)


def _acc_range(weights: np.ndarray, bias: np.ndarray, x_q: QTensor) -> tuple[int, int]:
    """Extremes of ``bias + sum((x - x_zp) * w)`` over every input (rows of ``weights``)."""
    x_lo = x_q.lo - x_q.zero_point
    x_hi = x_q.hi - x_q.zero_point
    w = weights.astype(np.int64).reshape(weights.shape[0], -1)
    pos = np.where(w > 0, w, 0).sum(axis=1)
    neg = np.where(w < 0, w, 0).sum(axis=1)
    b = bias.astype(np.int64)
    lo = b + pos * x_lo + neg * x_hi
    hi = b + pos * x_hi + neg * x_lo
    return int(lo.min()), int(hi.max())


@dataclass
class Network:
    """A whole network: input quantiser, conv stages, optional GAP, then optional fully
    connected layers."""

    name: str
    input_shape: tuple[int, int, int]  # (C, H, W)
    input_q: QTensor  # the input QuantizeLinear: uint8 or int8 words
    stages: list[ConvStage]
    gap: GapStage | None = None
    #: name of the float graph input (fed by QuantizeLinear) and the graph output
    input_name: str = "input"
    output_name: str = "output"
    #: fully connected layers after the conv stages and the GAP, in order
    fc: list[FcStage] = field(default_factory=list)
    #: ONNX nodes the host runs after the hardware's output, in order: (op type, name)
    host_ops: list[tuple[str, str]] = field(default_factory=list)
    #: with host_ops: the tensor the host continues from (the hardware's 8-bit output, or
    #: the float DequantizeLinear of it); None when the graph output is the hardware's
    boundary: str | None = None
    #: the hardware ends with the class index: ONNX ArgMax over the channels (first of
    #: equal maxima, keepdims) of the scores, one uint8 word per output pixel
    argmax: bool = False

    @property
    def input_signed(self) -> bool:
        return self.input_q.signed

    @property
    def input_frac(self) -> int:
        return self.input_q.frac

    @property
    def output_q(self) -> QTensor:
        """The output words' type: the scores', or uint8 class indices with ``argmax``."""
        return QTensor(1.0, 0, signed=False) if self.argmax else self.scores_q

    @property
    def scores_q(self) -> QTensor:
        """The last layer's output tensor (before an argmax)."""
        if self.fc:
            return self.fc[-1].out_q
        return self.gap.y_q if self.gap is not None else self.stages[-1].out_q

    @property
    def output_signed(self) -> bool:
        return self.output_q.signed

    @property
    def output_frac(self) -> int:
        return self.output_q.frac

    @property
    def is_pow2(self) -> bool:
        """Every stage runs on the shift-only hardware (power-of-two scales, zero point 0)."""
        gap_ok = self.gap is None or (self.gap.x_q.is_pow2 and self.gap.y_q.is_pow2)
        fc_ok = all(f.is_pow2 for f in self.fc)
        return self.input_q.is_pow2 and gap_ok and fc_ok and all(s.is_pow2 for s in self.stages)

    @property
    def output_shape(self) -> tuple[int, ...]:
        """The scores' shape (:attr:`scores_shape`), with ``argmax`` one channel: (1,) or
        (1, H, W)."""
        if self.argmax:
            return (1, *self.scores_shape[1:])
        return self.scores_shape

    @property
    def scores_shape(self) -> tuple[int, ...]:
        """(Nout,) after fully connected layers, (C,) after global average pooling,
        else (C, H, W)."""
        if self.fc:
            return (self.fc[-1].n_out,)
        if self.gap is not None:
            return (self.gap.in_shape[0],)
        return self.stages[-1].out_shape

    @property
    def input_words(self) -> int:
        """Words per image at the input port: the throughput bound in cycles."""
        c, h, w = self.input_shape
        return c * h * w

    @property
    def output_words(self) -> int:
        return int(np.prod(self.output_shape))

    def with_argmax(self, argmax: bool = True) -> Network:
        """A copy of the network that ends with the class index (``argmax``) or not."""
        if argmax and self.scores_shape[0] > MAX_ARGMAX_CLASSES:
            raise ModelError(
                f"argmax over {self.scores_shape[0]} channels: a class index is one byte, "
                f"at most {MAX_ARGMAX_CLASSES} channels; drop --argmax",
                node=self.name,
            )
        return replace(self, argmax=argmax)
