"""Seeded random networks over every option of the IR, always with valid shapes.

Kernels 1/2/3/5, strides 1/2/3, pads 0..2 (pad < kernel), relu / leaky / none,
max-pool k2/3 s1/2/3 or none, GAP or not, 1..4 layers, 1..max_channels
channels, uint8 or int8 input, varied fractional bits (including negative
shifts). Every intermediate map is at least as large as the next window.
Inputs are at most 16 x 16 (smaller when ``max_channels`` > 16, to keep the
work small). With more than ~16 channels and k=5 the accumulators can pass
2**24, where onnxruntime's float Conv (QDQ form; uint8-input first layer of the
QOperator form) may round: check the accumulator bound before using it as the oracle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

from pocket_cnn.ir import (
    KERNELS,
    PADS,
    POOL_KERNELS,
    POOL_STRIDES,
    STRIDES,
    Activation,
    Network,
    PoolSpec,
    conv_out,
)
from pocket_cnn.zoo.draw import DrawOptions, LayerSpec, NetSpec, build_network

#: largest input height / width (with the default 16 channels; shrinks for wider nets)
MAX_SIDE = 16
MIN_SIDE_LIMIT = 4
MAX_LAYERS = 4
ACTS = (Activation.NONE, Activation.RELU, Activation.LEAKY)
AMPS = (1, 3, 15, 127)


T = TypeVar("T")


def _pick(rng: np.random.Generator, options: Sequence[T]) -> T:
    return options[int(rng.integers(len(options)))]


def _layer(rng: np.random.Generator, h: int, w: int, max_channels: int) -> LayerSpec:
    """A random layer that fits an h x w input."""
    convs = [
        (k, s, p)
        for k in KERNELS
        for s in STRIDES
        for p in PADS
        if p < k and h + 2 * p >= k and w + 2 * p >= k
    ]
    k, s, p = _pick(rng, convs)
    ho, wo = conv_out(h, k, s, p), conv_out(w, k, s, p)
    pool: PoolSpec | None = None
    if rng.random() < 0.6:
        pools = [
            PoolSpec(pk, ps) for pk in POOL_KERNELS for ps in POOL_STRIDES if min(ho, wo) >= pk
        ]
        if pools:
            pool = _pick(rng, pools)
    act = _pick(rng, list(ACTS))
    cout = int(rng.integers(1, max_channels + 1))
    return LayerSpec(cout, k, s, p, act, pool)


def random_spec(seed: int, max_channels: int = 16) -> tuple[NetSpec, DrawOptions]:
    """A random network description and drawing options for ``seed``."""
    rng = np.random.default_rng([seed, 0x9C])
    side = max(MIN_SIDE_LIMIT, min(MAX_SIDE, int(MAX_SIDE * math.sqrt(16 / max_channels))))
    h, w = (int(v) for v in rng.integers(1, side + 1, 2))
    c = int(rng.integers(1, max_channels + 1))
    layers: list[LayerSpec] = []
    hh, ww = h, w
    for _ in range(int(rng.integers(1, MAX_LAYERS + 1))):
        layer = _layer(rng, hh, ww, max_channels)
        layers.append(layer)
        hh = conv_out(hh, layer.kernel, layer.stride, layer.pad)
        ww = conv_out(ww, layer.kernel, layer.stride, layer.pad)
        if layer.pool is not None:
            hh = conv_out(hh, layer.pool.kernel, layer.pool.stride)
            ww = conv_out(ww, layer.pool.kernel, layer.pool.stride)
    signed = bool(rng.random() < 0.5)
    spec = NetSpec(
        name=f"random_{seed}",
        input_shape=(c, h, w),
        layers=tuple(layers),
        gap=bool(rng.random() < 0.5),
        input_signed=signed,
        input_frac=int(rng.integers(-2, 11)),
    )
    n = len(layers)
    opts = DrawOptions(
        frac_w=tuple(int(v) for v in rng.integers(-2, 11, n)),
        amp=tuple(int(_pick(rng, AMPS)) for _ in range(n)),
        jitter=1,
    )
    return spec, opts


def random_network(seed: int, max_channels: int = 16) -> Network:
    """A random valid network: same seed, same network."""
    spec, opts = random_spec(seed, max_channels)
    return build_network(spec, np.random.default_rng([seed, 0x5EED]), opts)
