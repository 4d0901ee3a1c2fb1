"""Import handlers for QuantizeLinear, DequantizeLinear, Identity and Constant.

QuantizeLinear is where QDQ layers close: it sets a conv stage's output
quantisation, or folds the float ops that sit between a DequantizeLinear and it into
the stage they follow: MaxPool as a pool, elementwise ops (Relu, LeakyRelu, Clip)
and any change of scale or zero point as a 256-entry table (exact: the table is
what DequantizeLinear -> op -> QuantizeLinear computes for every input integer),
GlobalAveragePool as the final stage.
"""

from __future__ import annotations

import numpy as np
import onnx

from pocket_cnn.ir import QTensor
from pocket_cnn.onnx_import import fc, tables
from pocket_cnn.onnx_import.graph import attrs, constant_node_value, fail
from pocket_cnn.onnx_import.quant import INT8, check_same, qtensor
from pocket_cnn.onnx_import.state import (
    FROM_INPUT,
    Acc,
    ConstQ,
    Deq,
    FcAcc,
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
    given = qtensor(
        node,
        st.required_const(node, 1, "x_scale"),
        st.const(node, 2, "x_zero_point"),
        x.q.signed,
        "x",
    )
    check_same(node, given, x.q, "x_scale / x_zero_point", st.source(node))
    st.set(node, Deq(src=x, shape=x.shape))


def _output_q(node: onnx.NodeProto, st: ImportState) -> QTensor:
    default_signed = int(attrs(node).get("output_dtype", 0)) == INT8
    return qtensor(
        node,
        st.required_const(node, 1, "y_scale"),
        st.const(node, 2, "y_zero_point"),
        default_signed,
        "y",
    )


def quantize(node: onnx.NodeProto, st: ImportState) -> None:
    """``QuantizeLinear``: network input, end of a QDQ conv, or end of folded float ops."""
    if node.input[0] in st.view.consts:  # a weight computed in the graph
        values = st.view.consts[node.input[0]]
        st.view.consts[node.output[0]] = fc.quantize_constant(values, _output_q(node, st))
        return
    x = st.data(node, 0)
    out_q = _output_q(node, st)
    if isinstance(x, FloatInput):
        st.input_q = QInt(q=out_q, shape=x.shape, producer=FROM_INPUT)
        st.set(node, st.input_q)
        return
    if isinstance(x, Acc):
        st.stages[x.stage].y_q = out_q
        st.set(node, QInt(q=out_q, shape=x.shape, producer=x.stage))
        return
    if isinstance(x, FcAcc):
        st.set(node, fc.close_acc(node, st, x, out_q))
        return
    if isinstance(x, Deq):
        st.set(node, _close_float_ops(node, st, x, out_q))
        return
    raise fail(node, "input is already quantized; QuantizeLinear needs a float input")


def _close_float_ops(node: onnx.NodeProto, st: ImportState, x: Deq, out_q: QTensor) -> QInt:
    """Fold the float ops pending on ``x`` into the IR; ``out_q`` is the new quantisation."""
    q = x.src
    shape = q.shape
    fns: list[tables.FloatFn] = []
    for op in x.pending:
        if op.kind == "gap":
            # elementwise ops before the pool run on the input's own grid
            if fns:
                _attach(st, op.node, q, tables.float_table(q.q, q.q, fns), q.q)
            return st.make_gap(op.node, QInt(q.q, shape, q.producer), out_q)
        if op.kind == "act":
            assert op.fn is not None
            fns.append(op.fn)
        else:
            assert op.pool is not None
            shape = st.attach_pool(op.node, st.stage_of(op.node, q, "MaxPool"), op.pool, shape)
    if out_q != q.q or fns:
        last = x.pending[-1].node if x.pending else node
        _attach(st, last, q, tables.float_table(q.q, out_q, fns), out_q)
    return QInt(q=out_q, shape=shape, producer=q.producer, flat=q.flat)


def _attach(
    st: ImportState, node: onnx.NodeProto, q: QInt, table: np.ndarray, out_q: QTensor
) -> None:
    """Follow the stage that made ``q`` with ``table`` into ``out_q``."""
    st.attach_table(node, st.stage_of(node, q, node.op_type), table, out_q)
