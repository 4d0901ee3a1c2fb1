"""IR + numerics: the network representation, its limits, the rounding rules, the
input validator and the parallelism setting. Everything else speaks this."""

from pocket_cnn.ir.network import (
    KERNELS,
    LEAKY_ALPHA,
    MAX_CHANNELS,
    PADS,
    POOL_KERNELS,
    POOL_STRIDES,
    STRIDES,
    Activation,
    ConvStage,
    FcStage,
    GapStage,
    Network,
    PoolSpec,
    QTensor,
    conv_out,
)

__all__ = [
    "KERNELS",
    "LEAKY_ALPHA",
    "MAX_CHANNELS",
    "PADS",
    "POOL_KERNELS",
    "POOL_STRIDES",
    "STRIDES",
    "Activation",
    "ConvStage",
    "FcStage",
    "GapStage",
    "Network",
    "PoolSpec",
    "QTensor",
    "conv_out",
]
