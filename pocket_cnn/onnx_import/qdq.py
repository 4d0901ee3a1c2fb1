"""Import handlers for QuantizeLinear, DequantizeLinear, Identity and Constant.

QuantizeLinear is where QDQ layers close: it sets a conv stage's output scale, or
folds the exact float ops (Relu, LeakyRelu, MaxPool, GlobalAveragePool) that sit
between a DequantizeLinear and it into the stage they follow.
"""

from __future__ import annotations

import onnx

from pocket_cnn.onnx_import.graph import attrs, constant_node_value, fail, label
from pocket_cnn.onnx_import.quant import (
    INT8,
    check_same_type,
    format_frac,
    scale_frac,
    zero_point_signed,
)
from pocket_cnn.onnx_import.state import (
    FROM_INPUT,
    Acc,
    ConstQ,
    Deq,
    FloatInput,
    ImportState,
    QInt,
)


def constant(node: onnx.NodeProto, st: ImportState) -> None:
    """``Constant``: a value like an initializer."""
    st.view.consts[node.output[0]] = constant_node_value(node)


def identity(node: onnx.NodeProto, st: ImportState) -> None:
    """``Identity``: pass the value (chain or constant) through."""
    name = node.input[0]
    if name in st.view.consts:
        st.view.consts[node.output[0]] = st.view.consts[name]
    elif name in st.qconsts:
        st.qconsts[node.output[0]] = st.qconsts[name]
    else:
        st.set(node, st.data(node, 0))


def dequantize(node: onnx.NodeProto, st: ImportState) -> None:
    """``DequantizeLinear`` of a constant (weights, bias) or of a chain tensor."""
    name = node.input[0]
    if name in st.view.consts:
        values = st.view.consts[name]
        scale = st.const(node, 1, "x_scale")
        if scale is None:  # pragma: no cover - required by the ONNX schema
            raise fail(node, "x_scale is required")
        st.qconsts[node.output[0]] = ConstQ(values, scale, st.const(node, 2, "x_zero_point"), node)
        return
    x = st.data(node, 0)
    if not isinstance(x, QInt):
        raise fail(
            node, "input is not a quantized tensor; DequantizeLinear needs QuantizeLinear first"
        )
    frac = scale_frac(node, st.required_const(node, 1, "x_scale"), "x_scale")
    signed = zero_point_signed(node, st.const(node, 2, "x_zero_point"), x.signed, "x_zero_point")
    if frac != x.frac:
        raise fail(
            node,
            f"x_scale {format_frac(frac)} differs from the scale {format_frac(x.frac)} its input "
            "was quantized with; use the same scale and zero point",
        )
    check_same_type(node, signed, x.signed)
    st.set(node, Deq(src=x, shape=x.shape))


def _output_signed(node: onnx.NodeProto, st: ImportState) -> bool:
    default_signed = int(attrs(node).get("output_dtype", 0)) == INT8
    zp = st.const(node, 2, "y_zero_point")
    return zero_point_signed(node, zp, default_signed, "y_zero_point")


def quantize(node: onnx.NodeProto, st: ImportState) -> None:
    """``QuantizeLinear``: network input, end of a QDQ conv, or end of folded float ops."""
    x = st.data(node, 0)
    frac = scale_frac(node, st.required_const(node, 1, "y_scale"), "y_scale")
    signed = _output_signed(node, st)
    if isinstance(x, FloatInput):
        st.input_q = QInt(frac=frac, signed=signed, shape=x.shape, producer=FROM_INPUT)
        st.set(node, st.input_q)
        return
    if not signed:
        raise fail(
            node,
            "uint8 activations inside the network are not supported; "
            "use an int8 y_zero_point of 0 (uint8 is for the network input only)",
        )
    if isinstance(x, Acc):
        stage = st.stages[x.stage]
        stage.frac_out = frac
        st.set(node, QInt(frac=frac, signed=True, shape=x.shape, producer=x.stage))
        return
    if isinstance(x, Deq):
        st.set(node, _close_float_ops(node, st, x, frac))
        return
    raise fail(node, "input is already quantized; QuantizeLinear needs a float input")


def _close_float_ops(node: onnx.NodeProto, st: ImportState, x: Deq, frac: int) -> QInt:
    """Fold the float ops pending on ``x`` into the IR; ``frac`` is the new scale."""
    q = x.src
    gap = next((p for p in x.pending if p.kind == "gap"), None)
    if gap is None and frac != q.frac:
        what = f"{x.pending[-1].node.op_type} '{label(x.pending[-1].node)}'" if x.pending else "it"
        raise fail(
            node,
            f"scale {format_frac(frac)} differs from the input scale {format_frac(q.frac)} of "
            f"{what}; only Conv and GlobalAveragePool may change the scale: use the same scale "
            "in and out",
        )
    shape = q.shape
    for op in x.pending:
        if op.kind == "gap":
            return st.make_gap(op.node, QInt(q.frac, q.signed, shape, q.producer), frac)
        stage = st.stage_of(op.node, q, op.node.op_type)
        if op.kind == "act":
            st.attach_activation(op.node, stage, op.activation)
        else:
            assert op.pool is not None
            shape = st.attach_pool(op.node, stage, op.pool, shape)
    return QInt(frac=frac, signed=True, shape=shape, producer=q.producer)
