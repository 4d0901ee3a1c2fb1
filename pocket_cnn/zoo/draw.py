"""Build an IR network from a layer description, with seeded weights and calibrated scales.

Weights are random int8, biases random int32, both drawn from one
``numpy.random.Generator``. The fractional bits of every stage output are
chosen from the reference's own statistics on seeded random inputs, so that
no stage output is all zero or all saturated (a few redraws if needed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pocket_cnn import reference
from pocket_cnn.ir import Activation, ConvStage, FcStage, GapStage, Network, PoolSpec, QTensor
from pocket_cnn.ir.requant import conv_multiplier

#: |value| the 99.5th percentile of a stage output is scaled to (int8 range is 127).
TARGET = 96.0
#: images used to calibrate the scales
N_CALIB = 16
#: redraws of a layer's weights before its output is accepted anyway
MAX_TRIES = 20
#: |bias| bound: keeps float32 in the QDQ form exact (2**24)
BIAS_LIMIT = 2**20


@dataclass(frozen=True)
class LayerSpec:
    """One processing element: conv k x k (stride, pad), activation, optional max-pool."""

    cout: int
    kernel: int
    stride: int = 1
    pad: int = 0
    act: Activation = Activation.RELU
    pool: PoolSpec | None = None


@dataclass(frozen=True)
class NetSpec:
    """A whole network before weights and scales are drawn."""

    name: str
    input_shape: tuple[int, int, int]
    layers: tuple[LayerSpec, ...]
    gap: bool = True
    input_signed: bool = False
    input_frac: int = 8
    #: fully connected layers after the conv stages (and the GAP): output sizes; ReLU
    #: between them, none after the last (the input map is flattened in ONNX order)
    fc: tuple[int, ...] = ()


@dataclass(frozen=True)
class DrawOptions:
    """How weights and scales are drawn (the random generator varies these)."""

    #: weight fractional bits per layer (cycled if shorter than the layer list)
    frac_w: tuple[int, ...] = (7,)
    #: |weight| <= amp per layer (cycled)
    amp: tuple[int, ...] = (127,)
    #: random +-jitter added to each chosen output frac (exercises saturation)
    jitter: int = 0


def random_input(
    shape: tuple[int, int, int], signed: bool, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Uniform random input words (int8 or uint8), shape (n, C, H, W)."""
    full = (n, *shape)
    if signed:
        return rng.integers(-128, 128, full).astype(np.int8)
    return rng.integers(0, 256, full).astype(np.uint8)


def net_input(net: Network, n: int, seed: int) -> np.ndarray:
    """``n`` seeded random input images for ``net`` (the dtype ``reference.run`` expects)."""
    return random_input(net.input_shape, net.input_signed, n, np.random.default_rng(seed))


def _shift_for(values: np.ndarray, target: float = TARGET) -> int:
    """Right shift that maps the 99.5th percentile of |values| near ``target``."""
    p = float(np.percentile(np.abs(values), 99.5)) if values.size else 0.0
    p = max(p, 1.0)
    return math.ceil(math.log2(p / target))


def _usable(y: np.ndarray) -> bool:
    """Not all zero and not all saturated."""
    return bool(np.any(y != 0)) and bool(np.any((y != 127) & (y != -128)))


def _draw_stage(
    idx: int,
    layer: LayerSpec,
    in_shape: tuple[int, int, int],
    frac_in: int,
    in_signed: bool,
    x: np.ndarray,
    rng: np.random.Generator,
    opts: DrawOptions,
) -> ConvStage:
    """Draw one stage's weights, bias and output frac from calibration data ``x``."""
    cin = in_shape[0]
    fw = opts.frac_w[idx % len(opts.frac_w)]
    amp = opts.amp[idx % len(opts.amp)]
    stage: ConvStage | None = None
    for _ in range(MAX_TRIES):
        w = rng.integers(-amp, amp + 1, (layer.cout, cin, layer.kernel, layer.kernel))
        stage = ConvStage.pow2(
            name=f"conv{idx + 1}",
            in_shape=in_shape,
            weights=w.astype(np.int8),
            bias=np.zeros(layer.cout, np.int32),
            stride=layer.stride,
            pad=layer.pad,
            frac_in=frac_in,
            frac_w=fw,
            frac_out=frac_in + fw,
            in_signed=in_signed,
            activation=layer.act,
            pool=layer.pool,
        )
        acc0 = reference.conv_acc(stage, x)
        spread = max(float(acc0.std()), 1.0)
        bias = np.rint(rng.normal(0.0, 0.3 * spread, layer.cout))
        stage.bias = np.clip(bias, -BIAS_LIMIT, BIAS_LIMIT).astype(np.int32)
        shift = _shift_for(acc0 + stage.bias.astype(np.int64)[:, None, None])
        if opts.jitter:
            shift += int(rng.integers(-opts.jitter, opts.jitter + 1))
        stage.y_q = QTensor.pow2(frac_in + fw - shift)
        if _usable(reference.conv_stage(stage, x)):
            break
    assert stage is not None
    return stage


def build_network(
    spec: NetSpec, rng: np.random.Generator, opts: DrawOptions | None = None
) -> Network:
    """Draw weights, biases and scales for ``spec`` from ``rng`` (deterministic per seed)."""
    opts = opts or DrawOptions()
    x = random_input(spec.input_shape, spec.input_signed, N_CALIB, rng)
    shape = spec.input_shape
    frac = spec.input_frac
    signed = spec.input_signed
    stages: list[ConvStage] = []
    for idx, layer in enumerate(spec.layers):
        st = _draw_stage(idx, layer, shape, frac, signed, x, rng, opts)
        stages.append(st)
        x = reference.conv_stage(st, x)
        shape, frac, signed = st.out_shape, st.frac_out, True
    gap: GapStage | None = None
    if spec.gap:
        mean = x.astype(np.int64).sum(axis=(2, 3)) / float(shape[1] * shape[2])
        up = -_shift_for(mean)
        if opts.jitter:
            up += int(rng.integers(-opts.jitter, opts.jitter + 1))
        gap = GapStage.pow2(name="gap", in_shape=shape, frac_in=frac, frac_out=frac + up)
    if gap is not None:
        x = reference.gap(gap, x).reshape(x.shape[0], -1, 1, 1)
        shape, frac = (shape[0], 1, 1), gap.frac_out
    fcs: list[FcStage] = []
    for idx, n_out in enumerate(spec.fc):
        last = idx == len(spec.fc) - 1
        dense = _draw_fc(idx, n_out, shape, frac, x, rng, Activation.NONE if last else RELU)
        fcs.append(dense)
        x = reference.fc(dense, x).reshape(x.shape[0], -1, 1, 1)
        shape, frac = dense.out_shape, dense.y_q.frac
    return Network(
        name=spec.name,
        input_shape=spec.input_shape,
        input_q=QTensor.pow2(spec.input_frac, spec.input_signed),
        stages=stages,
        gap=gap,
        fc=fcs,
    )


RELU = Activation.RELU


def _draw_fc(
    idx: int,
    n_out: int,
    in_shape: tuple[int, int, int],
    frac_in: int,
    x: np.ndarray,
    rng: np.random.Generator,
    act: Activation,
) -> FcStage:
    """One fully connected layer on the flattened ``x`` (int8, ``frac_in``): int8
    weights with 7 fractional bits, a bias, the output frac calibrated like a conv's."""
    n_in = int(np.prod(in_shape))
    frac_w = 7
    w_scale = np.full(n_out, 2.0**-frac_w, np.float32)
    weights = rng.integers(-127, 128, (n_out, n_in)).astype(np.int8)

    def stage(bias: np.ndarray, frac_out: int) -> FcStage:
        x_q, y_q = QTensor.pow2(frac_in), QTensor.pow2(frac_out)
        return FcStage(
            name=f"fc{idx + 1}",
            in_shape=in_shape,
            weights=weights,
            bias=bias,
            x_q=x_q,
            w_scale=w_scale,
            y_q=y_q,
            multiplier=conv_multiplier(x_q.scale, w_scale, y_q.scale),
            activation=act,
        )

    acc0 = reference.fc_acc(stage(np.zeros(n_out, np.int32), frac_in), x)
    spread = max(float(acc0.std()), 1.0)
    bias = np.clip(np.rint(rng.normal(0.0, 0.3 * spread, n_out)), -BIAS_LIMIT, BIAS_LIMIT)
    bias = bias.astype(np.int32)
    shift = _shift_for(acc0 + bias.astype(np.int64))
    return stage(bias, frac_in + frac_w - shift)
