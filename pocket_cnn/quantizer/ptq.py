"""``quantize_float``: a float ONNX CNN and calibration inputs -> a QDQ model the
hardware takes, with onnxruntime's ``quant_pre_process`` (BatchNormalization folded
into the convs, shapes inferred) and ``quantize_static``.

Settings that fit the hardware: int8 weights (symmetric, zero point 0: the hardware
has no weight zero point); activations uint8 asymmetric (onnxruntime's default) or
int8; weights per tensor or per channel; MinMax, Entropy or Percentile calibration.
``scales="pow2"``: int8 symmetric activations and per-tensor weights, then every
scale a power of two (:mod:`pocket_cnn.quantizer.pow2`): shift-only hardware.

The result is checked by the importer (:func:`pocket_cnn.onnx_import.from_onnx`): a
model the hardware cannot build is refused here, with the node and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import onnx

from pocket_cnn.errors import ModelError
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.quantizer.pow2 import to_pow2

Scales = Literal["float", "pow2"]
ActType = Literal["uint8", "int8"]
Method = Literal["minmax", "entropy", "percentile"]


@dataclass(frozen=True)
class QuantOptions:
    """How to quantize (see the module doc)."""

    scales: Scales = "float"
    per_channel: bool = False
    activation_type: ActType = "uint8"
    method: Method = "minmax"


def check_calibration(model: onnx.ModelProto, calib: np.ndarray) -> np.ndarray:
    """``calib`` as float32 ``(n, C, H, W)`` matching the model's input, or ModelError."""
    dims = model.graph.input[0].type.tensor_type.shape.dim
    chw = tuple(int(d.dim_value) for d in dims[1:])
    arr = np.asarray(calib)
    if arr.ndim == len(chw) and tuple(arr.shape) == chw:
        arr = arr[None]
    if arr.ndim != len(chw) + 1 or tuple(arr.shape[1:]) != chw or len(arr) == 0:
        raise ModelError(
            f"calibration data of shape {list(arr.shape)} does not match the model input "
            f"(N, {', '.join(map(str, chw))}); give an array of input images",
            node="calibration",
        )
    if not np.issubdtype(arr.dtype, np.number) or not np.all(np.isfinite(arr)):
        raise ModelError("calibration data must be finite numbers", node="calibration")
    return np.ascontiguousarray(arr, dtype=np.float32)


def _run_quantizer(
    model: onnx.ModelProto, calib: np.ndarray, options: QuantOptions, form: str
) -> onnx.ModelProto:
    from pocket_cnn.zoo.ort_quantize import quantize

    pow2 = options.scales == "pow2"
    return quantize(
        model,
        calib,
        form="qoperator" if form == "qoperator" else "qdq",
        per_channel=options.per_channel and not pow2,
        activation_type="int8" if pow2 else options.activation_type,
        reduce_range=False,
        method=options.method,
        extra_options={"ActivationSymmetric": True} if pow2 else None,
    )


def quantize_float(
    model: onnx.ModelProto, calib: np.ndarray, options: QuantOptions | None = None
) -> onnx.ModelProto:
    """The QDQ model of float ``model`` calibrated on ``calib`` (see the module doc)."""
    opts = options or QuantOptions()
    data = check_calibration(model, calib)
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        raise ModelError(
            "onnxruntime is not installed; pip install 'pocket-cnn[quantize]'", node="quantize"
        ) from None
    try:
        quantized = _run_quantizer(model, data, opts, "qdq")
    except ModelError:
        raise
    except Exception as err:  # onnxruntime's own errors: one line
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelError(f"onnxruntime's quantizer failed: {first}", node="quantize") from None
    if opts.scales == "pow2":
        quantized = to_pow2(quantized)
    from_onnx(quantized)  # the hardware takes it, or one clear error
    return quantized


def qoperator_translation(
    model: onnx.ModelProto, calib: np.ndarray, options: QuantOptions | None = None
) -> onnx.ModelProto:
    """The same quantisation in onnxruntime's QOperator form (QLinearConv, QGemm, ...),
    whose integer kernels are the numeric contract: the oracle for the QDQ model's
    reference (float scales; a power-of-two QDQ model is exact in onnxruntime as it is)."""
    opts = options or QuantOptions()
    if opts.scales == "pow2":
        return quantize_float(model, calib, opts)
    return _run_quantizer(model, check_calibration(model, calib), opts, "qoperator")
