"""Quantisation parameters for the ONNX importer: scales, zero points, integer types.

Activations are 8-bit with any positive float32 scale and any zero point (uint8 or
int8); weights are int8 with zero point 0 and one scale per tensor or per output
channel (docs/numerics.md).
"""

from __future__ import annotations

import math

import numpy as np
import onnx

from pocket_cnn.ir import QTensor
from pocket_cnn.onnx_import.graph import fail

#: ONNX tensor element types of the quantised integer kinds we accept.
INT8 = onnx.TensorProto.INT8
UINT8 = onnx.TensorProto.UINT8

#: Advice for weights the hardware does not take.
WEIGHT_ADVICE = (
    "quantize the weights as symmetric int8 (onnxruntime quantize_static: "
    "weight_type=QuantType.QInt8, the default)"
)


def _positive(node: onnx.NodeProto, value: float, what: str) -> float:
    v = float(np.float32(value))
    if not math.isfinite(v) or v <= 0.0:
        raise fail(node, f"{what} {value} is not a positive finite number; fix the quantizer")
    return v


def scale_value(node: onnx.NodeProto, scale: np.ndarray, what: str) -> float:
    """A per-tensor scale (scalar or shape [1]) as a float32 value."""
    arr = np.asarray(scale)
    if arr.size != 1:
        raise fail(
            node,
            f"{what} has {arr.size} values (per-channel); activations take one scale per tensor",
        )
    return _positive(node, float(arr.reshape(-1)[0]), what)


def weight_scales(node: onnx.NodeProto, scale: np.ndarray, cout: int) -> np.ndarray:
    """float32 weight scales (Cout,): per tensor (broadcast) or per output channel."""
    arr = np.asarray(scale, dtype=np.float32).reshape(-1)
    if arr.size not in (1, cout):
        raise fail(node, f"weight scale has {arr.size} values for {cout} output channels")
    for v in arr:
        _positive(node, float(v), "weight scale")
    return np.broadcast_to(arr, (cout,)).astype(np.float32)


def zero_point(
    node: onnx.NodeProto, zp: np.ndarray | None, default_signed: bool, what: str
) -> tuple[int, bool]:
    """A per-tensor zero point and whether its type is int8 (True) or uint8 (False).

    ``zp`` None (input left out) means 0 of the ONNX default type ``default_signed``.
    """
    if zp is None:
        return 0, default_signed
    arr = np.asarray(zp)
    if arr.dtype == np.int8:
        signed = True
    elif arr.dtype == np.uint8:
        signed = False
    else:
        raise fail(node, f"{what} has type {arr.dtype}; use int8 or uint8")
    if arr.size != 1:
        raise fail(node, f"{what} has {arr.size} values; activations take one per tensor")
    return int(arr.reshape(-1)[0]), signed


def qtensor(
    node: onnx.NodeProto,
    scale: np.ndarray,
    zp: np.ndarray | None,
    default_signed: bool,
    what: str,
) -> QTensor:
    """The quantisation of an activation tensor from a scale and a zero point input."""
    value, signed = zero_point(node, zp, default_signed, f"{what} zero point")
    return QTensor(scale=scale_value(node, scale, f"{what} scale"), zero_point=value, signed=signed)


def check_same(
    node: onnx.NodeProto, given: QTensor, producer: QTensor, what: str, source: str
) -> None:
    """Quantisation parameters a node states for its input must be the producer's
    (``source``: the input tensor and the node that made it, for the message)."""
    if given != producer:
        raise fail(
            node,
            f"{what} ({format_q(given)}) differs from the quantisation of its input "
            f"{source} ({format_q(producer)}); use the same scale, zero point and type "
            "in both nodes",
        )


def check_weight_zero(node: onnx.NodeProto, zp: np.ndarray | None) -> None:
    """Weight zero points must be 0."""
    if zp is not None and np.any(np.asarray(zp) != 0):
        raise fail(node, f"weight zero point is not 0; {WEIGHT_ADVICE}")


def check_zero(node: onnx.NodeProto, zp: np.ndarray | None, what: str) -> None:
    """A zero point that must be 0 whatever its type (bias)."""
    if zp is not None and np.any(np.asarray(zp) != 0):
        raise fail(node, f"{what} is not 0; quantize the bias as int32 with zero point 0")


def format_q(q: QTensor) -> str:
    """A tensor's quantisation as text for messages."""
    return f"scale {q.scale:.8g}, zero point {q.zero_point} {'int8' if q.signed else 'uint8'}"
