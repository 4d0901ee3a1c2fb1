"""Import handlers for convolutions: QDQ ``Conv`` and QOperator ``QLinearConv``."""

from __future__ import annotations

import numpy as np
import onnx

from pocket_cnn.ir import QTensor
from pocket_cnn.onnx_import.geometry import conv_geometry
from pocket_cnn.onnx_import.graph import fail, label
from pocket_cnn.onnx_import.quant import (
    WEIGHT_ADVICE,
    check_same,
    check_weight_zero,
    check_zero,
    qtensor,
    weight_scales,
)
from pocket_cnn.onnx_import.state import (
    FROM_FC,
    FROM_GAP,
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
) -> tuple[np.ndarray, np.ndarray]:
    """int8 weights and their float32 scale per output channel."""
    if values.dtype == np.uint8:
        raise fail(node, f"uint8 weights are not supported; {WEIGHT_ADVICE}")
    if values.dtype != np.int8:
        raise fail(node, f"weights of type {values.dtype} are not supported; {WEIGHT_ADVICE}")
    check_weight_zero(node, zp)
    cout = int(values.shape[0]) if values.ndim else 1
    return values.astype(np.int8, copy=True), weight_scales(node, scale, cout)


def _bias_from_float(node: onnx.NodeProto, values: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """A float bias accepted only if it is an exact int32 multiple of the bias scale."""
    ints = np.asarray(values, dtype=np.float64) / scale.astype(np.float64)
    if not np.all(np.isfinite(ints)) or np.any(ints != np.round(ints)):
        raise fail(
            node,
            "float bias is not a multiple of the bias scale x_scale * w_scale; "
            "store the bias as int32 through DequantizeLinear",
        )
    if np.any(ints < INT32_MIN) or np.any(ints > INT32_MAX):
        raise fail(node, "bias does not fit int32 at scale x_scale * w_scale")
    return ints.astype(np.int32)


def _bias(
    node: onnx.NodeProto, bias: ConstQ | np.ndarray | None, cout: int, scale: np.ndarray
) -> np.ndarray:
    """int32 bias (Cout,) at scale x_scale * w_scale (``scale``, per channel).

    A DequantizeLinear bias must have that scale up to float32 rounding (the
    quantizer computes it in float32); its integers are taken as they are, as
    QLinearConv takes them.
    """
    if bias is None:
        return np.zeros(cout, dtype=np.int32)
    if isinstance(bias, ConstQ):
        if bias.values.dtype != np.int32:
            raise fail(node, f"bias of type {bias.values.dtype} is not supported; use int32")
        check_zero(node, bias.zero_point, "bias zero point")
        b_scale = np.broadcast_to(np.asarray(bias.scale, dtype=np.float64).reshape(-1), (cout,))
        want = scale.astype(np.float64)
        bad = ~np.isclose(b_scale, want, rtol=1e-6, atol=0.0)
        if np.any(bad):
            c = int(np.flatnonzero(bad)[0])
            per_channel = np.asarray(bias.scale).size > 1 or np.unique(want).size > 1
            where = f" (output channel {c})" if per_channel else ""
            raise fail(
                node,
                f"bias scale {b_scale[c]:.8g}{where} is not x_scale * w_scale = {want[c]:.8g}; "
                "quantize the bias with scale x_scale * w_scale (per output channel)",
            )
        values = bias.values
    elif bias.dtype == np.int32:
        values = bias
    elif np.issubdtype(bias.dtype, np.floating):
        values = _bias_from_float(node, bias, scale)
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
    w_scale: np.ndarray,
    bias: ConstQ | np.ndarray | None,
) -> tuple[int, tuple[int, int, int]]:
    """Start a conv stage on input ``x``; returns its index and conv output shape."""
    if x.producer == FROM_GAP:
        raise fail(
            node,
            "Conv comes after GlobalAveragePool; only Flatten and fully connected layers "
            "(Gemm, MatMul) may follow GlobalAveragePool",
        )
    if x.producer == FROM_FC:
        raise fail(
            node,
            "Conv comes after a fully connected layer; put the convolutions before the "
            "fully connected layers",
        )
    if x.flat:
        raise fail(node, "Conv input is flattened (Flatten / Reshape); remove the Flatten")
    geom = conv_geometry(node, tuple(weights.shape), x.shape)
    b_scale = (np.float32(x.q.scale) * w_scale).astype(np.float32)
    draft = StageDraft(
        name=label(node),
        in_shape=x.shape,
        weights=weights,
        bias=_bias(node, bias, geom.out_shape[0], b_scale),
        stride=geom.stride,
        pad=geom.pad,
        x_q=x.q,
        w_scale=w_scale,
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
    weights, w_scale = _weights(node, w.values, w.scale, w.zero_point)
    index, shape = _begin_stage(node, st, x.src, weights, w_scale, st.qconst(node, 2, "bias"))
    st.set(node, Acc(stage=index, shape=shape))


def qlinear_conv(node: onnx.NodeProto, st: ImportState) -> None:
    """QOperator ``QLinearConv``: 8-bit in, 8-bit out."""
    x = st.data(node, 0)
    if not isinstance(x, QInt):
        raise fail(node, "input must be an int8/uint8 tensor from QuantizeLinear or a QLinear op")
    x_q = input_q(node, st, x, 1, "x")
    check_same(node, x_q, x.q, "x_scale / x_zero_point", st.source(node))
    w_values = st.const(node, 3, "weights")
    w_scale_in = st.const(node, 4, "w_scale")
    if w_values is None or w_scale_in is None:
        raise fail(node, "weights and w_scale are required")
    weights, w_scale = _weights(node, w_values, w_scale_in, st.const(node, 5, "w_zero_point"))
    y_q = output_q(node, st, 6, "y")
    index, shape = _begin_stage(node, st, x, weights, w_scale, st.const(node, 8, "bias"))
    st.stages[index].y_q = y_q
    st.set(node, QInt(q=y_q, shape=shape, producer=index))


def input_q(node: onnx.NodeProto, st: ImportState, x: QInt, index: int, what: str) -> QTensor:
    """The (scale, zero point) pair a QLinear op states for an input at ``index``."""
    return qtensor(
        node,
        st.required_const(node, index, f"{what}_scale"),
        st.const(node, index + 1, f"{what}_zero_point"),
        x.q.signed,
        what,
    )


def output_q(node: onnx.NodeProto, st: ImportState, index: int, what: str) -> QTensor:
    """The (scale, zero point) pair a QLinear op gives its output at ``index``."""
    return qtensor(
        node,
        st.required_const(node, index, f"{what}_scale"),
        st.const(node, index + 1, f"{what}_zero_point"),
        False,
        what,
    )
