"""The model zoo: every model of the original pocket-cnn zoo, by name, as IR.

``build(name, seed)`` draws int8 weights, int32 biases and calibrated
power-of-two scales with ``numpy.random.default_rng(seed)``; the layer shapes
follow the original model names. ``random_network(seed)`` draws a random valid
network over every option of the IR.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Activation, Network, PoolSpec
from pocket_cnn.zoo.draw import LayerSpec, NetSpec, build_network
from pocket_cnn.zoo.random_nets import random_network

__all__ = ["SPECS", "ZOO", "build", "random_network"]

RELU, LEAKY, NONE = Activation.RELU, Activation.LEAKY, Activation.NONE
P22 = PoolSpec(2, 2)


def _small(
    name: str,
    shape: tuple[int, int, int] = (1, 6, 6),
    ch: tuple[int, int] = (4, 8),
    acts: tuple[Activation, Activation] = (RELU, RELU),
    k: int = 3,
    stride: int = 1,
    pad: int = 0,
    pool: PoolSpec | None = P22,
) -> NetSpec:
    """conv k x k -> [pool] -> conv 1x1 -> GAP: the shape of most original test models."""
    layers = (
        LayerSpec(ch[0], k, stride, pad, acts[0], pool),
        LayerSpec(ch[1], 1, 1, 0, acts[1]),
    )
    return NetSpec(name, shape, layers)


def _two_pool(name: str, shape: tuple[int, int, int], pad: int) -> NetSpec:
    """conv_2x_3x1_1x1_max_2x2 family: two conv3+pool2 stages, two 1x1 convs, GAP."""
    layers = (
        LayerSpec(8, 3, 1, pad, RELU, P22),
        LayerSpec(16, 3, 1, pad, RELU, P22),
        LayerSpec(32, 1),
        LayerSpec(8, 1),
    )
    return NetSpec(name, shape, layers)


def _specs() -> dict[str, NetSpec]:
    base = "conv_3x1_1x1_max_2x2"
    specs = [
        _small(base),
        _small(f"{base}_leaky_relu", acts=(RELU, LEAKY)),
        _small(f"{base}_no_relu", acts=(NONE, NONE)),
        _small(f"{base}_nonsquare_input", shape=(1, 5, 9)),
        _small(f"{base}_odd_input", shape=(1, 7, 7)),
        _small(f"{base}_colored_input", shape=(3, 6, 6)),
        _small(f"{base}_odd_channel", ch=(5, 9)),
        _small(f"{base}_one_channel", ch=(1, 1)),
        _small(f"{base}_padding", shape=(1, 4, 4), pad=1),
        _small("conv_3x1_1x1_max_2x1", pool=PoolSpec(2, 1)),
        _small("conv_3x2_1x1_max_2x1", shape=(1, 9, 9), stride=2, pool=PoolSpec(2, 1)),
        _small(
            "conv_3x2_1x1_max_2x1_padding", shape=(1, 9, 9), stride=2, pad=1, pool=PoolSpec(2, 1)
        ),
        _small("conv_2x1_1x1_max_3x2", shape=(1, 8, 8), k=2, pool=PoolSpec(3, 2)),
        NetSpec(
            "conv_3x3_2x2_1x1",
            (1, 12, 12),
            (LayerSpec(4, 3, 3), LayerSpec(6, 2, 2), LayerSpec(8, 1)),
        ),
        _small("conv_3x1_1x1_max_3x1", pool=PoolSpec(3, 1)),
        _small("conv_3x1_1x1_max_3x3", shape=(1, 8, 8), pool=PoolSpec(3, 3)),
        _small("conv_5x1_1x1_max_2x2", shape=(1, 8, 8), k=5),
        NetSpec(
            "conv_4x3x1_1x1",
            (1, 10, 10),
            (
                LayerSpec(8, 3),
                LayerSpec(10, 3),
                LayerSpec(12, 3),
                LayerSpec(14, 3),
                LayerSpec(16, 1),
            ),
        ),
        _two_pool("conv_2x_3x1_1x1_max_2x2", (1, 14, 14), 0),
        _two_pool("conv_2x_3x1_1x1_max_2x2_padding", (1, 12, 12), 1),
        _two_pool("conv_2x_3x1_1x1_max_2x2_mt", (1, 24, 48), 0),
        # the ONNX model zoo's mnist-8 topology (LeNet class, 0.79 M MACs per image)
        NetSpec(
            "lenet_mnist8",
            (1, 28, 28),
            (LayerSpec(8, 5, 1, 2, RELU, P22), LayerSpec(16, 5, 1, 2, RELU, PoolSpec(3, 3))),
            gap=False,
            fc=(10,),
        ),
    ]
    return {s.name: s for s in specs}


#: name -> layer description of every zoo model
SPECS: dict[str, NetSpec] = _specs()


def _build_spec(spec: NetSpec, seed: int = 0) -> Network:
    return build_network(spec, np.random.default_rng(seed))


#: name -> builder(seed)
ZOO: dict[str, Callable[[int], Network]] = {
    name: partial(_build_spec, spec) for name, spec in SPECS.items()
}


def build(name: str, seed: int = 0) -> Network:
    """Build zoo model ``name`` with weights drawn from ``seed``."""
    if name not in ZOO:
        raise ModelError(f"unknown zoo model; choose one of: {', '.join(sorted(ZOO))}", node=name)
    return ZOO[name](seed)


def from_spec(spec: str) -> Network:
    """Build a zoo model from ``NAME`` or ``NAME:SEED`` (the ``zoo:`` model syntax)."""
    name, _, seed_text = spec.partition(":")
    if name not in ZOO:
        raise ModelError("unknown zoo model; see `pocket-cnn zoo --list` for the names", node=name)
    try:
        seed = int(seed_text) if seed_text else 0
    except ValueError as err:
        raise ModelError("zoo seed must be an integer (NAME:SEED)", node=spec) from err
    return build(name, seed=seed)
