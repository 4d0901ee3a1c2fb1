"""Import handlers for convolutions: QDQ ``Conv`` and QOperator ``QLinearConv``."""

from __future__ import annotations

import numpy as np
import onnx

from pocket_cnn.onnx_import.geometry import conv_geometry
from pocket_cnn.onnx_import.graph import fail, label
from pocket_cnn.onnx_import.quant import (
    check_same_type,
    check_zero,
    format_frac,
    scale_frac,
    weight_scale_frac,
    zero_point_signed,
)
from pocket_cnn.onnx_import.state import (
    FROM_GAP,
    FROM_INPUT,
    Acc,
    ConstQ,
    Deq,
    ImportState,
    QInt,
    StageDraft,
)

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def _weights(
    node: onnx.NodeProto, values: np.ndarray, scale: np.ndarray, zp: np.ndarray | None
) -> tuple[np.ndarray, int]:
    """int8 weights and their fractional bits."""
    if values.dtype == np.uint8:
        raise fail(
            node, "uint8 weights are not supported; quantize the weights as int8 (symmetric)"
        )
    if values.dtype != np.int8:
        raise fail(node, f"weights of type {values.dtype} are not supported; use int8 weights")
    check_zero(node, zp, "weight zero point")
    cout = int(values.shape[0]) if values.ndim else 1
    frac_w = weight_scale_frac(node, scale, cout)
    return values.astype(np.int8, copy=True), frac_w


def _bias_from_float(node: onnx.NodeProto, values: np.ndarray, frac: int) -> np.ndarray:
    """A float bias accepted only if it is an exact int32 at scale 2**-frac."""
    ints = np.asarray(values, dtype=np.float64) * 2.0**frac
    if not np.all(np.isfinite(ints)) or np.any(ints != np.round(ints)):
        raise fail(
            node,
            f"float bias is not a multiple of the bias scale {format_frac(frac)}; "
            "store the bias as int32 through DequantizeLinear",
        )
    if np.any(ints < INT32_MIN) or np.any(ints > INT32_MAX):
        raise fail(node, "bias does not fit int32 at scale x_scale * w_scale")
    return ints.astype(np.int32)


def _bias(
    node: onnx.NodeProto, bias: ConstQ | np.ndarray | None, cout: int, frac: int
) -> np.ndarray:
    """int32 bias (Cout,) at scale 2**-frac (frac = frac_in + frac_w)."""
    if bias is None:
        return np.zeros(cout, dtype=np.int32)
    if isinstance(bias, ConstQ):
        if bias.values.dtype != np.int32:
            raise fail(node, f"bias of type {bias.values.dtype} is not supported; use int32")
        check_zero(node, bias.zero_point, "bias zero point")
        frac_b = scale_frac(node, bias.scale, "bias scale")
        if frac_b != frac:
            raise fail(
                node,
                f"bias scale {format_frac(frac_b)} is not x_scale * w_scale = {format_frac(frac)}; "
                "quantize the bias with scale x_scale * w_scale",
            )
        values = bias.values
    elif bias.dtype == np.int32:
        values = bias
    elif np.issubdtype(bias.dtype, np.floating):
        values = _bias_from_float(node, bias, frac)
    else:
        raise fail(node, f"bias of type {bias.dtype} is not supported; use int32")
    values = np.asarray(values).reshape(-1)
    if values.size != cout:
        raise fail(node, f"bias has {values.size} values for {cout} output channels")
    return values.astype(np.int32, copy=True)


def _begin_stage(
    node: onnx.NodeProto,
    st: ImportState,
    x: QInt,
    weights: np.ndarray,
    frac_w: int,
    bias: ConstQ | np.ndarray | None,
) -> tuple[int, tuple[int, int, int]]:
    """Start a conv stage on input ``x``; returns its index and conv output shape."""
    if x.producer == FROM_GAP:
        raise fail(
            node, "Conv comes after GlobalAveragePool; GlobalAveragePool must be the last layer"
        )
    if not x.signed and x.producer != FROM_INPUT:  # pragma: no cover - rejected at quantisation
        raise fail(node, "uint8 activations inside the network are not supported; use int8")
    geom = conv_geometry(node, tuple(weights.shape), x.shape)
    draft = StageDraft(
        name=label(node),
        in_shape=x.shape,
        weights=weights,
        bias=_bias(node, bias, geom.out_shape[0], x.frac + frac_w),
        stride=geom.stride,
        pad=geom.pad,
        frac_in=x.frac,
        frac_w=frac_w,
        in_signed=x.signed,
        nodes=[label(node)],
    )
    st.stages.append(draft)
    return len(st.stages) - 1, geom.out_shape


def conv(node: onnx.NodeProto, st: ImportState) -> None:
    """QDQ ``Conv``: DequantizeLinear input and weights, float accumulator out."""
    x = st.data(node, 0)
    if isinstance(x, Acc):
        raise fail(
            node,
            "input is a float Conv result; insert QuantizeLinear and DequantizeLinear "
            "between the two convolutions",
        )
    if not isinstance(x, Deq):
        raise fail(node, "input must come from DequantizeLinear of an int8/uint8 tensor")
    if x.pending:
        raise fail(
            node,
            f"input comes from {x.pending[-1].node.op_type} '{label(x.pending[-1].node)}' "
            "without QuantizeLinear; insert QuantizeLinear -> DequantizeLinear before this Conv",
        )
    w = st.qconst(node, 1, "weights")
    if not isinstance(w, ConstQ):
        raise fail(
            node,
            "weights must be an int8 initializer through DequantizeLinear "
            "(float weights are not quantized)",
        )
    weights, frac_w = _weights(node, w.values, w.scale, w.zero_point)
    index, shape = _begin_stage(node, st, x.src, weights, frac_w, st.qconst(node, 2, "bias"))
    st.set(node, Acc(stage=index, frac=x.src.frac + frac_w, shape=shape))


def qlinear_conv(node: onnx.NodeProto, st: ImportState) -> None:
    """QOperator ``QLinearConv``: int8 in, int8 out."""
    x = st.data(node, 0)
    if not isinstance(x, QInt):
        raise fail(node, "input must be an int8/uint8 tensor from QuantizeLinear or a QLinear op")
    frac_x = scale_frac(node, st.required_const(node, 1, "x_scale"), "x_scale")
    signed_x = zero_point_signed(node, st.const(node, 2, "x_zero_point"), x.signed, "x_zero_point")
    if frac_x != x.frac:
        raise fail(
            node,
            f"x_scale {format_frac(frac_x)} differs from the scale {format_frac(x.frac)} of its "
            "input; use the producer's scale and zero point",
        )
    check_same_type(node, signed_x, x.signed)
    w_values = st.const(node, 3, "weights")
    w_scale = st.const(node, 4, "w_scale")
    if w_values is None or w_scale is None:
        raise fail(node, "weights and w_scale are required")
    weights, frac_w = _weights(node, w_values, w_scale, st.const(node, 5, "w_zero_point"))
    frac_y = scale_frac(node, st.required_const(node, 6, "y_scale"), "y_scale")
    if not zero_point_signed(node, st.const(node, 7, "y_zero_point"), False, "y_zero_point"):
        raise fail(node, "uint8 output is not supported; use an int8 y_zero_point of 0")
    index, shape = _begin_stage(node, st, x, weights, frac_w, st.const(node, 8, "bias"))
    st.stages[index].frac_out = frac_y
    st.set(node, QInt(frac=frac_y, signed=True, shape=shape, producer=index))
