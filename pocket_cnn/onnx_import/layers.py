"""Import handlers for the layers after a conv: activations, max-pool, global average pool.

Each works on an int8 tensor (QOperator form: attach to the stage at once), on a
dequantized tensor (QDQ form: pending until the next QuantizeLinear) or, where it
is exact, straight on a float Conv result (Relu, MaxPool).
"""

from __future__ import annotations

import numpy as np
import onnx

from pocket_cnn.ir import Activation, QTensor
from pocket_cnn.onnx_import import fc, tables
from pocket_cnn.onnx_import.conv import input_q, output_q
from pocket_cnn.onnx_import.geometry import pool_spec
from pocket_cnn.onnx_import.graph import attrs, fail, label
from pocket_cnn.onnx_import.quant import check_same
from pocket_cnn.onnx_import.state import (
    Acc,
    Deq,
    FcAcc,
    ImportState,
    PendingOp,
    QInt,
    pooled_shape,
)


def _pend(node: onnx.NodeProto, x: Deq, op: PendingOp, shape: tuple[int, int, int]) -> Deq:
    if any(p.kind == "gap" for p in x.pending):
        raise fail(
            node,
            f"{node.op_type} comes after GlobalAveragePool; "
            "GlobalAveragePool must be the last layer",
        )
    return Deq(src=x.src, shape=shape, pending=(*x.pending, op))


def _alpha(node: onnx.NodeProto) -> float:
    return float(np.float32(attrs(node).get("alpha", 0.01)))


def _elementwise(
    node: onnx.NodeProto, st: ImportState, fn: tables.FloatFn, float_only: bool = False
) -> None:
    """A float elementwise op: pending on a dequantized tensor (folded into a table at
    the next QuantizeLinear); on an int8/uint8 tensor it is a table on the integers
    (ops that ONNX defines on integers only: Relu, LeakyRelu, Clip; ``float_only`` ops
    on integers are refused)."""
    x = st.data(node)
    if isinstance(x, Deq):
        st.set(node, _pend(node, x, PendingOp("act", node, fn=fn), x.shape))
    elif isinstance(x, QInt) and float_only:
        raise fail(
            node,
            f"{node.op_type} on an 8-bit tensor is not valid ONNX (float only); insert "
            "DequantizeLinear before it and QuantizeLinear after it",
        )
    elif isinstance(x, QInt):
        # ONNX semantics on integers: the op on the integer values, same quantisation
        ints = tables.domain(x.q).astype(np.float32)
        table = np.clip(np.rint(fn(ints)), x.q.lo, x.q.hi).astype(np.int64)
        st.attach_table(node, st.stage_of(node, x, node.op_type), table, x.q)
        st.set(node, x)
    elif isinstance(x, Acc):
        raise fail(
            node,
            f"{node.op_type} directly on a float Conv result rounds differently; insert "
            "QuantizeLinear (and DequantizeLinear) between the Conv and it",
        )
    elif isinstance(x, FcAcc):
        raise fail(
            node,
            f"{node.op_type} directly on a float Gemm / MatMul result rounds differently; "
            "insert QuantizeLinear (and DequantizeLinear) between the Gemm / MatMul and it",
        )
    else:
        raise fail(
            node,
            f"{node.op_type} comes before any convolution; every layer must start with a Conv",
        )


def relu(node: onnx.NodeProto, st: ImportState) -> None:
    """``Relu`` on a float conv result (exact: clamps at the output zero point), on a
    dequantized tensor, or on integers."""
    x = st.data(node)
    if isinstance(x, Acc):
        # QuantizeLinear is monotone and maps 0 to the zero point: relu becomes
        # max(y, y_zero_point) whatever the output quantisation (max-pool commutes)
        stage = st.stages[x.stage]
        stage.activation = Activation.RELU
        stage.nodes.append(label(node))
        st.set(node, x)
        return
    if isinstance(x, FcAcc):
        fc.relu_acc(node, st, x)
        return
    _elementwise(node, st, tables.relu)


def leaky_relu(node: onnx.NodeProto, st: ImportState) -> None:
    """Float ``LeakyRelu`` (any alpha >= 0) between DequantizeLinear and QuantizeLinear."""
    alpha = _alpha(node)
    if alpha < 0:
        raise fail(node, f"leaky relu alpha {alpha:g} < 0 is not monotone; use alpha >= 0")
    _elementwise(node, st, tables.leaky(alpha))


def clip(node: onnx.NodeProto, st: ImportState) -> None:
    """Float ``Clip`` with constant bounds (Relu6, Clip(0, x))."""
    lo = st.const(node, 1, "min")
    hi = st.const(node, 2, "max")
    a = attrs(node)
    lo_v = float(np.asarray(lo).reshape(-1)[0]) if lo is not None else float(a.get("min", -np.inf))
    hi_v = float(np.asarray(hi).reshape(-1)[0]) if hi is not None else float(a.get("max", np.inf))
    _elementwise(node, st, tables.clip(lo_v, hi_v))


def qlinear_leaky_relu(node: onnx.NodeProto, st: ImportState) -> None:
    """com.microsoft ``QLinearLeakyRelu``: a table from its X to its Y quantisation."""
    alpha = _alpha(node)
    x = st.data(node)
    if not isinstance(x, QInt):
        raise fail(node, "input must be an int8/uint8 tensor")
    x_q = input_q(node, st, x, 1, "X")
    check_same(node, x_q, x.q, "X_scale / X_zero_point", st.source(node))
    y_q = output_q(node, st, 3, "Y")
    if y_q.signed != x_q.signed:
        y_q = QTensor(y_q.scale, y_q.zero_point, x_q.signed)
    table = tables.float_table(x_q, y_q, [tables.leaky(alpha)])
    st.attach_table(node, st.stage_of(node, x, "QLinearLeakyRelu"), table, y_q)
    st.set(node, QInt(q=y_q, shape=x.shape, producer=x.producer))


def sigmoid(node: onnx.NodeProto, st: ImportState) -> None:
    """Float ``Sigmoid`` between DequantizeLinear and QuantizeLinear: a table built with
    onnxruntime's float32 approximation (:func:`tables.sigmoid`)."""
    _elementwise(node, st, tables.sigmoid, float_only=True)


def tanh(node: onnx.NodeProto, st: ImportState) -> None:
    """Float ``Tanh`` between DequantizeLinear and QuantizeLinear (onnxruntime's float32
    approximation, :func:`tables.tanh`)."""
    _elementwise(node, st, tables.tanh, float_only=True)


def hard_sigmoid(node: onnx.NodeProto, st: ImportState) -> None:
    """Float ``HardSigmoid`` (attributes alpha, default 0.2, and beta, default 0.5)."""
    a = attrs(node)
    alpha = float(np.float32(a.get("alpha", 0.2)))
    beta = float(np.float32(a.get("beta", 0.5)))
    _elementwise(node, st, tables.hard_sigmoid(alpha, beta), float_only=True)


def qlinear_sigmoid(node: onnx.NodeProto, st: ImportState) -> None:
    """com.microsoft ``QLinearSigmoid``: onnxruntime's table from its X to its Y
    quantisation (dequantize, MLAS logistic, quantize)."""
    x = st.data(node)
    if not isinstance(x, QInt):
        raise fail(node, "input must be an int8/uint8 tensor")
    x_q = input_q(node, st, x, 1, "X")
    check_same(node, x_q, x.q, "X_scale / X_zero_point", st.source(node))
    y_q = output_q(node, st, 3, "Y")
    if y_q.signed != x_q.signed:
        y_q = QTensor(y_q.scale, y_q.zero_point, x_q.signed)
    table = tables.float_table(x_q, y_q, [tables.sigmoid])
    st.attach_table(node, st.stage_of(node, x, "QLinearSigmoid"), table, y_q)
    st.set(node, QInt(q=y_q, shape=x.shape, producer=x.producer, flat=x.flat))


def max_pool(node: onnx.NodeProto, st: ImportState) -> None:
    """``MaxPool`` on int8, on a dequantized tensor, or on a float conv result."""
    x = st.data(node)
    pool = pool_spec(node, (x.shape[1], x.shape[2]))
    if isinstance(x, QInt):
        shape = st.attach_pool(node, st.stage_of(node, x, "MaxPool"), pool, x.shape)
        st.set(node, QInt(q=x.q, shape=shape, producer=x.producer))
    elif isinstance(x, Deq):
        shape = pooled_shape(node, x.shape, pool)
        st.set(node, _pend(node, x, PendingOp("pool", node, pool=pool), shape))
    elif isinstance(x, Acc):
        shape = st.attach_pool(node, st.stages[x.stage], pool, x.shape)
        st.set(node, Acc(stage=x.stage, shape=shape))
    elif isinstance(x, FcAcc):
        st.attach_pool(node, st.fcs[-1], pool, x.shape)  # refuses
    else:
        raise fail(node, "MaxPool comes before any convolution; every layer must start with a Conv")


def global_average_pool(node: onnx.NodeProto, st: ImportState) -> None:
    """Float ``GlobalAveragePool`` between DequantizeLinear and QuantizeLinear."""
    x = st.data(node)
    if isinstance(x, Acc):
        raise fail(
            node,
            "GlobalAveragePool directly on a float Conv result is not supported; "
            "insert QuantizeLinear (and DequantizeLinear) between Conv and GlobalAveragePool",
        )
    if not isinstance(x, Deq):
        raise fail(
            node, "input must come from DequantizeLinear; use QLinearGlobalAveragePool on int8"
        )
    st.stage_of(node, x.src, "GlobalAveragePool")
    st.set(node, _pend(node, x, PendingOp("gap", node), (x.shape[0], 1, 1)))


def qlinear_global_average_pool(node: onnx.NodeProto, st: ImportState) -> None:
    """com.microsoft ``QLinearGlobalAveragePool`` (channels first) on int8/uint8."""
    if int(attrs(node).get("channels_last", 0)) != 0:
        raise fail(node, "channels_last=1 is not supported; use channels_last 0 (NCHW)")
    x = st.data(node)
    if not isinstance(x, QInt):
        raise fail(node, "input must be an int8/uint8 tensor")
    check_same(node, input_q(node, st, x, 1, "x"), x.q, "x_scale / x_zero_point", st.source(node))
    y_q = output_q(node, st, 3, "y")
    if st.const(node, 4, "y_zero_point") is None:
        y_q = QTensor(y_q.scale, y_q.zero_point, x.q.signed)
    st.set(node, st.make_gap(node, x, y_q))
