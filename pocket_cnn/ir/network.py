"""The one internal representation (IR) of a network.

A network is a chain of processing elements (one per convolution layer), each
``zero pad -> conv -> requantise -> activation -> optional max-pool``, optionally
followed by one global average pool. Every tensor is integer with a power-of-two
scale ``2**-frac`` and zero point 0 (see docs/numerics.md). The importer, the
reference, the zoo and the VHDL emitter all speak this IR.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

#: Limits of the hardware and therefore of the IR.
KERNELS = (1, 2, 3, 5)
STRIDES = (1, 2, 3)
PADS = (0, 1, 2)
POOL_KERNELS = (2, 3)
POOL_STRIDES = (1, 2, 3)
MAX_CHANNELS = 512
LEAKY_ALPHA = 0.125


class Activation(str, Enum):
    """Activation after requantisation."""

    NONE = "none"
    RELU = "relu"
    LEAKY = "leaky"  # alpha = 0.125: y if y >= 0 else RNE(y / 8)


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

    ``in_shape`` is (C, H, W) of the unpadded input. ``weights`` is int8
    (Cout, Cin, K, K) as in ONNX, ``bias`` int32 (Cout,) at scale
    2**-(frac_in + frac_w). Output scale is 2**-frac_out (also after the pool).
    """

    name: str
    in_shape: tuple[int, int, int]
    weights: np.ndarray
    bias: np.ndarray
    stride: int
    pad: int
    frac_in: int
    frac_w: int
    frac_out: int
    in_signed: bool = True
    activation: Activation = Activation.NONE
    pool: PoolSpec | None = None
    #: ONNX node names folded into this stage (for messages and `check`).
    nodes: list[str] = field(default_factory=list)

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
        """Right shift of the accumulator: frac_in + frac_w - frac_out (may be <= 0)."""
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
    def acc_bits(self) -> int:
        """Accumulator width (signed) that can never overflow for this layer."""
        in_max = 255 if not self.in_signed else 128
        terms = int(np.abs(self.weights.astype(np.int64)).sum(axis=(1, 2, 3)).max()) * in_max
        bound = terms + int(np.abs(self.bias.astype(np.int64)).max(initial=0))
        return max(int(bound).bit_length() + 1, 2)


@dataclass
class GapStage:
    """Global average pool over the whole (C, H, W) map, exact RNE, sat8."""

    name: str
    in_shape: tuple[int, int, int]
    frac_in: int
    frac_out: int

    @property
    def out_shape(self) -> tuple[int, int, int]:
        return (self.in_shape[0], 1, 1)


@dataclass
class Network:
    """A whole network: input quantiser, conv stages, optional GAP at the end."""

    name: str
    input_shape: tuple[int, int, int]  # (C, H, W)
    input_signed: bool  # int8 (True) or uint8 (False) input words
    input_frac: int
    stages: list[ConvStage]
    gap: GapStage | None = None
    #: name of the float graph input (fed by QuantizeLinear) and the graph output
    input_name: str = "input"
    output_name: str = "output"

    @property
    def output_frac(self) -> int:
        return self.gap.frac_out if self.gap is not None else self.stages[-1].frac_out

    @property
    def output_shape(self) -> tuple[int, ...]:
        """(C,) after global average pooling, else (C, H, W)."""
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
