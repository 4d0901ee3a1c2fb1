"""Quantize a float ONNX model the way users do: ``quant_pre_process`` then
``onnxruntime.quantization.quantize_static`` (issue 12).

``quantize`` runs both steps in a temporary directory over a calibration array and
returns the loaded quantized model. Weights are always int8 (``QuantType.QInt8``, so
symmetric, zero point 0); activations are uint8 or int8, asymmetric (onnxruntime's
defaults).

``MATRIX`` is the issue's test matrix as a covering set of 8 settings instead of the
2 x 2 x 2 x 2 x 3 = 48 of the full cross product. Rows 1-6 are a pairwise covering
array: every pair of values of any two axes (form, per_channel, activation_type,
reduce_range, method) appears in at least one row, and every method is run once in
each form, per-tensor and per-channel, with uint8 and int8, reduce_range off and on.
Rows 7-8 add onnxruntime's most common CPU setting (MinMax, per-tensor, uint8,
reduce_range off) in both forms, without the optimisation step of
``quant_pre_process`` (a user who quantizes the exported model as it is): then a bias
``Add`` after a Conv, a ``MatMul`` + ``Add`` and a ``Reshape`` of a weight initializer
stay separate nodes (with the optimisation, which rows 1-6 run, they are folded into
the Conv, into a Gemm and into the initializer).

Calibration as ``quantize_static`` does it (its histogram sizes cannot be set through
it): Entropy uses 128 bins for 128 quantized bins, so it tries one threshold only, the
whole range, and gives the MinMax ranges; Percentile (99.999 % of |x|, clipped to the
observed min and max) gives slightly narrower ones. All three work from one image on.

Workaround: onnxruntime 1.32's per-channel quantizer fails on a Gemm whose bias C is an
initializer of shape (1, N) ("The truth value of an array with more than one element
is ambiguous"), which is what its own optimiser writes for MatMul + Add with a (1, N)
bias. With ``per_channel`` such a C is reshaped to (N,) before quantization (the same
Gemm: C broadcasts to (M, N) either way).
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import onnx
from onnx import numpy_helper
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

__all__ = [
    "MATRIX",
    "ActivationType",
    "Form",
    "Method",
    "Setting",
    "preprocess",
    "quantize",
    "quantize_setting",
]

Form = Literal["qdq", "qoperator"]
ActivationType = Literal["uint8", "int8"]
Method = Literal["minmax", "entropy", "percentile"]

_FORMS = {"qdq": QuantFormat.QDQ, "qoperator": QuantFormat.QOperator}
_TYPES = {"uint8": QuantType.QUInt8, "int8": QuantType.QInt8}
_METHODS = {
    "minmax": CalibrationMethod.MinMax,
    "entropy": CalibrationMethod.Entropy,
    "percentile": CalibrationMethod.Percentile,
}


@dataclass(frozen=True)
class Setting:
    """One row of the quantizer matrix."""

    form: Form
    per_channel: bool
    activation_type: ActivationType
    reduce_range: bool
    method: Method
    optimize: bool = True

    @property
    def name(self) -> str:
        parts = [
            self.form,
            "pc" if self.per_channel else "pt",
            "u8" if self.activation_type == "uint8" else "s8",
            "rr" if self.reduce_range else "fr",
            self.method,
        ]
        if not self.optimize:
            parts.append("noopt")
        return "-".join(parts)


MATRIX: list[Setting] = [
    Setting("qdq", False, "uint8", True, "minmax"),
    Setting("qoperator", True, "int8", False, "minmax"),
    Setting("qdq", False, "int8", False, "entropy"),
    Setting("qoperator", True, "uint8", True, "entropy"),
    Setting("qdq", True, "uint8", False, "percentile"),
    Setting("qoperator", False, "int8", True, "percentile"),
    Setting("qdq", False, "uint8", False, "minmax", optimize=False),
    Setting("qoperator", False, "uint8", False, "minmax", optimize=False),
]


class _Reader(CalibrationDataReader):
    """Feeds the calibration images one at a time (batch 1) as ``input_name``."""

    def __init__(self, input_name: str, calib: np.ndarray) -> None:
        self.input_name = input_name
        self.calib = calib
        self._it: Iterator[dict[str, np.ndarray]] = self._feeds()

    def _feeds(self) -> Iterator[dict[str, np.ndarray]]:
        for i in range(len(self.calib)):
            yield {self.input_name: self.calib[i : i + 1]}

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._it, None)

    def rewind(self) -> None:
        self._it = self._feeds()


def _preprocess(model: onnx.ModelProto, tmp: Path, optimize: bool) -> Path:
    """onnxruntime's pre-processing: ONNX shape inference and (``optimize``) the basic
    graph optimisations. The model goes in as a file: given a ModelProto,
    ``quant_pre_process`` moves its initializers to external data in place. Its symbolic
    shape inference needs sympy, which is not among the project's dependencies; it adds
    nothing for the fixed shapes of these nets."""
    src, out = tmp / "float.onnx", tmp / "pre.onnx"
    onnx.save(model, str(src))
    quant_pre_process(str(src), str(out), skip_optimization=not optimize, skip_symbolic_shape=True)
    return out


def preprocess(model: onnx.ModelProto, optimize: bool = True) -> onnx.ModelProto:
    """``quant_pre_process`` of ``model`` (what :func:`quantize` runs first), loaded: the
    float graph whose tensors the quantized model's QuantizeLinear nodes read."""
    with tempfile.TemporaryDirectory(prefix="pcnn_pre_") as tmp:
        with contextlib.redirect_stdout(io.StringIO()):
            out = _preprocess(model, Path(tmp), optimize)
        return onnx.load(str(out))


def _flat_gemm_bias(path: Path) -> None:
    """Reshape every (1, N) initializer that is a Gemm's C to (N,), in place on disk."""
    model = onnx.load(str(path))
    inits = {t.name: t for t in model.graph.initializer}
    changed = False
    for node in model.graph.node:
        c = inits.get(node.input[2]) if node.op_type == "Gemm" and len(node.input) > 2 else None
        if c is not None and len(c.dims) == 2 and c.dims[0] == 1:
            c.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(c).reshape(-1), c.name))
            changed = True
    if changed:
        onnx.save(model, str(path))


def quantize(
    model: onnx.ModelProto,
    calib: np.ndarray,
    *,
    form: Form,
    per_channel: bool,
    activation_type: ActivationType,
    reduce_range: bool,
    method: Method,
    optimize: bool = True,
    extra_options: dict[str, Any] | None = None,
) -> onnx.ModelProto:
    """``quant_pre_process`` (``optimize=False``: its shape inference only), then
    ``quantize_static`` with int8 weights over ``calib`` (shape ``(n, C, H, W)``, fed
    one image at a time), passing ``extra_options`` on (e.g.
    ``{"QDQKeepRemovableActivations": True}`` keeps the Relus). Returns the quantized
    model."""
    if len(calib) < 1:
        raise ValueError("calibration needs at least one input")
    input_name = model.graph.input[0].name
    data = np.ascontiguousarray(calib, dtype=np.float32)
    with tempfile.TemporaryDirectory(prefix="pcnn_quant_") as tmp:
        out = Path(tmp) / "quant.onnx"
        # the calibrators print progress on stdout: keep callers' output clean
        with contextlib.redirect_stdout(io.StringIO()):
            pre = _preprocess(model, Path(tmp), optimize)
            if per_channel:
                _flat_gemm_bias(pre)
            quantize_static(
                str(pre),
                str(out),
                _Reader(input_name, data),
                quant_format=_FORMS[form],
                per_channel=per_channel,
                reduce_range=reduce_range,
                activation_type=_TYPES[activation_type],
                weight_type=QuantType.QInt8,
                calibrate_method=_METHODS[method],
                extra_options=extra_options,
            )
        return onnx.load(str(out))


def quantize_setting(model: onnx.ModelProto, calib: np.ndarray, s: Setting) -> onnx.ModelProto:
    """``quantize`` with the fields of one MATRIX row."""
    return quantize(
        model,
        calib,
        form=s.form,
        per_channel=s.per_channel,
        activation_type=s.activation_type,
        reduce_range=s.reduce_range,
        method=s.method,
        optimize=s.optimize,
    )
