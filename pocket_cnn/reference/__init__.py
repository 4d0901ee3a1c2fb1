"""Reference: the bit-exact integer model of the IR (``integer``) and onnxruntime as
the independent oracle with exact ONNX semantics (``oracle``)."""

from pocket_cnn.ir.numerics import requantize, rne_shift, sat8
from pocket_cnn.reference.integer import (
    activate,
    argmax,
    conv_acc,
    conv_stage,
    fc,
    fc_acc,
    gap,
    maxpool,
    run,
    run_all,
)

__all__ = [
    "activate",
    "argmax",
    "conv_acc",
    "conv_stage",
    "fc",
    "fc_acc",
    "gap",
    "maxpool",
    "requantize",
    "rne_shift",
    "run",
    "run_all",
    "sat8",
]
