"""Quantisation parameters for the ONNX importer: scales -> fractional bits, zero points.

Every accepted scale is ``2**-f`` and every zero point is 0 (docs/numerics.md).
"""

from __future__ import annotations

import math

import numpy as np
import onnx

from pocket_cnn.onnx_import.graph import fail

#: ONNX tensor element types of the quantised integer kinds we accept.
INT8 = onnx.TensorProto.INT8
UINT8 = onnx.TensorProto.UINT8


def scale_frac(node: onnx.NodeProto, scale: np.ndarray, what: str) -> int:
    """Fractional bits f of a per-tensor scale 2**-f (scalar or shape [1])."""
    arr = np.asarray(scale)
    if arr.size != 1:
        raise fail(
            node,
            f"{what} has {arr.size} values (per-channel); use one scale per tensor",
        )
    return _pow2_frac(node, float(arr.reshape(-1)[0]), what)


def weight_scale_frac(node: onnx.NodeProto, scale: np.ndarray, cout: int) -> int:
    """Fractional bits of a weight scale: per tensor, or per channel with all values equal."""
    arr = np.asarray(scale, dtype=np.float64).reshape(-1)
    if arr.size not in (1, cout):
        raise fail(node, f"weight scale has {arr.size} values for {cout} output channels")
    if arr.size > 1 and not np.all(arr == arr[0]):
        raise fail(
            node,
            "per-channel weight scales that differ are not supported; "
            "quantize the weights with one power-of-two scale per tensor",
        )
    return _pow2_frac(node, float(arr[0]), "weight scale")


def _pow2_frac(node: onnx.NodeProto, value: float, what: str) -> int:
    if not math.isfinite(value) or value <= 0.0:
        raise fail(node, f"{what} {value} is not a positive number; use a scale 2**-f")
    mantissa, exponent = math.frexp(value)
    if mantissa != 0.5:
        raise fail(
            node,
            f"{what} {value!r} is not a power of two; quantize with scales 2**-f "
            "(e.g. 0.0625 for f=4)",
        )
    return 1 - exponent


def zero_point_signed(
    node: onnx.NodeProto, zp: np.ndarray | None, default_signed: bool, what: str
) -> bool:
    """Whether a zero point means int8 (True) or uint8 (False); it must be all zero.

    ``zp`` None (input left out) means the ONNX default type ``default_signed``.
    """
    if zp is None:
        return default_signed
    arr = np.asarray(zp)
    if arr.dtype == np.int8:
        signed = True
    elif arr.dtype == np.uint8:
        signed = False
    else:
        raise fail(node, f"{what} has type {arr.dtype}; use int8 or uint8 with value 0")
    if np.any(arr != 0):
        value = arr.reshape(-1)[np.flatnonzero(arr != 0)[0]]
        raise fail(
            node,
            f"{what} is {int(value)}, not 0; use symmetric quantization (zero point 0)",
        )
    return signed


def check_same_type(node: onnx.NodeProto, signed: bool, producer_signed: bool) -> None:
    """A zero point type (int8/uint8) that must match the producer's."""
    if signed != producer_signed:
        want, got = ("int8", "uint8") if producer_signed else ("uint8", "int8")
        raise fail(
            node,
            f"zero point type {got} differs from the {want} type its input was quantized "
            f"with; use a {want} zero point",
        )


def check_zero(node: onnx.NodeProto, zp: np.ndarray | None, what: str) -> None:
    """A zero point that must be 0 whatever its type (bias, weights)."""
    if zp is not None and np.any(np.asarray(zp) != 0):
        raise fail(node, f"{what} is not 0; use symmetric quantization (zero point 0)")


def format_frac(frac: int) -> str:
    """A scale 2**-f as text for messages."""
    return f"2**{-frac}"
