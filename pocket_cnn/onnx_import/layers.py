"""Import handlers for the layers after a conv: activations, max-pool, global average pool.

Each works on an int8 tensor (QOperator form: attach to the stage at once), on a
dequantized tensor (QDQ form: pending until the next QuantizeLinear) or, where it
is exact, straight on a float Conv result (Relu, MaxPool).
"""

from __future__ import annotations

import numpy as np
import onnx

from pocket_cnn.ir import LEAKY_ALPHA, Activation
from pocket_cnn.onnx_import.geometry import pool_spec
from pocket_cnn.onnx_import.graph import attrs, fail
from pocket_cnn.onnx_import.quant import format_frac, scale_frac, zero_point_signed
from pocket_cnn.onnx_import.state import (
    FROM_GAP,
    Acc,
    Deq,
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


def _check_alpha(node: onnx.NodeProto) -> None:
    alpha = float(np.float32(attrs(node).get("alpha", 0.01)))
    if alpha != LEAKY_ALPHA:
        raise fail(
            node,
            f"leaky relu alpha {alpha:g} is not supported; use alpha {LEAKY_ALPHA} (1/8)",
        )


def relu(node: onnx.NodeProto, st: ImportState) -> None:
    """``Relu`` on int8 (QOperator), on a dequantized tensor, or on a float conv result."""
    x = st.data(node)
    if isinstance(x, QInt):
        st.attach_activation(node, st.stage_of(node, x, "Relu"), Activation.RELU)
        st.set(node, x)
    elif isinstance(x, Deq):
        st.set(node, _pend(node, x, PendingOp("act", node, Activation.RELU), x.shape))
    elif isinstance(x, Acc):
        st.attach_activation(node, st.stages[x.stage], Activation.RELU)
        st.set(node, x)
    else:
        raise fail(node, "Relu comes before any convolution; every layer must start with a Conv")


def leaky_relu(node: onnx.NodeProto, st: ImportState) -> None:
    """Float ``LeakyRelu`` (alpha 0.125) between DequantizeLinear and QuantizeLinear."""
    _check_alpha(node)
    x = st.data(node)
    if isinstance(x, Acc):
        raise fail(
            node,
            "LeakyRelu directly on a float Conv result rounds differently; "
            "insert QuantizeLinear (and DequantizeLinear) between Conv and LeakyRelu",
        )
    if not isinstance(x, Deq):
        raise fail(node, "input must come from DequantizeLinear; use QLinearLeakyRelu on int8")
    st.set(node, _pend(node, x, PendingOp("act", node, Activation.LEAKY), x.shape))


def qlinear_leaky_relu(node: onnx.NodeProto, st: ImportState) -> None:
    """com.microsoft ``QLinearLeakyRelu`` on int8, alpha 0.125, same scale in and out."""
    _check_alpha(node)
    x = st.data(node)
    if not isinstance(x, QInt):
        raise fail(node, "input must be an int8 tensor")
    frac_x = scale_frac(node, st.required_const(node, 1, "X_scale"), "X_scale")
    zero_point_signed(node, st.const(node, 2, "X_zero_point"), True, "X_zero_point")
    frac_y = scale_frac(node, st.required_const(node, 3, "Y_scale"), "Y_scale")
    if not zero_point_signed(node, st.const(node, 4, "Y_zero_point"), True, "Y_zero_point"):
        raise fail(node, "uint8 output is not supported; use an int8 Y_zero_point of 0")
    if frac_x != x.frac:
        raise fail(
            node,
            f"X_scale {format_frac(frac_x)} differs from the scale {format_frac(x.frac)} of its "
            "input; use the producer's scale",
        )
    if frac_y != frac_x:
        raise fail(
            node,
            f"scales in ({format_frac(frac_x)}) and out ({format_frac(frac_y)}) differ; "
            "use the same scale in and out",
        )
    st.attach_activation(node, st.stage_of(node, x, "QLinearLeakyRelu"), Activation.LEAKY)
    st.set(node, x)


def max_pool(node: onnx.NodeProto, st: ImportState) -> None:
    """``MaxPool`` on int8, on a dequantized tensor, or on a float conv result."""
    pool = pool_spec(node)
    x = st.data(node)
    if isinstance(x, QInt):
        shape = st.attach_pool(node, st.stage_of(node, x, "MaxPool"), pool, x.shape)
        st.set(node, QInt(frac=x.frac, signed=x.signed, shape=shape, producer=x.producer))
    elif isinstance(x, Deq):
        shape = pooled_shape(node, x.shape, pool)
        st.set(node, _pend(node, x, PendingOp("pool", node, pool=pool), shape))
    elif isinstance(x, Acc):
        shape = st.attach_pool(node, st.stages[x.stage], pool, x.shape)
        st.set(node, Acc(stage=x.stage, frac=x.frac, shape=shape))
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
    """com.microsoft ``QLinearGlobalAveragePool`` (channels first) on int8."""
    if int(attrs(node).get("channels_last", 0)) != 0:
        raise fail(node, "channels_last=1 is not supported; use channels_last 0 (NCHW)")
    x = st.data(node)
    if not isinstance(x, QInt):
        raise fail(node, "input must be an int8 tensor")
    frac_x = scale_frac(node, st.required_const(node, 1, "x_scale"), "x_scale")
    zero_point_signed(node, st.const(node, 2, "x_zero_point"), True, "x_zero_point")
    if frac_x != x.frac:
        raise fail(
            node,
            f"x_scale {format_frac(frac_x)} differs from the scale {format_frac(x.frac)} of its "
            "input; use the producer's scale",
        )
    frac_y = scale_frac(node, st.required_const(node, 3, "y_scale"), "y_scale")
    if not zero_point_signed(node, st.const(node, 4, "y_zero_point"), True, "y_zero_point"):
        raise fail(node, "uint8 output is not supported; use an int8 y_zero_point of 0")
    st.set(node, st.make_gap(node, x, frac_y))


def _after_gap(x: object) -> bool:
    """True for the result of the global average pool (int8 or pending in float)."""
    if isinstance(x, QInt):
        return x.producer == FROM_GAP
    if isinstance(x, Deq):
        return x.src.producer == FROM_GAP or any(p.kind == "gap" for p in x.pending)
    return False


def _flat_shape_ok(node: onnx.NodeProto, st: ImportState, channels: int) -> bool:
    """Whether the node only turns (N, C, 1, 1) into (N, C)."""
    a = attrs(node)
    if node.op_type == "Flatten":
        return int(a.get("axis", 1)) == 1
    if node.op_type == "Squeeze":
        axes = st.const(node, 1, "axes")
        picked = [int(v) for v in (axes if axes is not None else a.get("axes", [2, 3]))]
        return {v % 4 for v in picked} <= {2, 3} and len(picked) > 0
    shape = st.const(node, 1, "shape")  # Reshape
    if shape is None:
        return False
    dims = [int(v) for v in np.asarray(shape).reshape(-1)]
    return len(dims) == 2 and dims[1] == channels and dims[0] in (-1, 0, 1)


def flatten(node: onnx.NodeProto, st: ImportState) -> None:
    """``Flatten`` / ``Squeeze`` / ``Reshape`` of the global average pool result to (N, C).

    The output layout is (N, C) after GAP anyway, so these pass the value through.
    """
    x = st.data(node)
    if not _after_gap(x):
        raise fail(
            node,
            f"{node.op_type} is only supported right after GlobalAveragePool (to drop its 1x1 "
            "dimensions); remove it",
        )
    assert isinstance(x, QInt | Deq)
    if not _flat_shape_ok(node, st, x.shape[0]):
        raise fail(
            node,
            f"{node.op_type} must turn the (N, C, 1, 1) pooling result into (N, C); "
            "use Flatten(axis=1)",
        )
    st.set(node, x)
