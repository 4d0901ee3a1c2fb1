"""Import handlers for fully connected layers and what leads into them.

* ``Flatten`` / ``Squeeze`` / ``Reshape`` of an 8-bit map (QOperator) or of a
  dequantized one (QDQ: DequantizeLinear -> Flatten -> QuantizeLinear): the data
  order does not change (NCHW, ``c*H*W + h*W + w``), so the value passes through
  with ``flat`` set and its (C, H, W) shape kept for the FC that reads it. Of a
  constant (a weight the exporter reshapes at run time): folded into a constant.
* QOperator: com.microsoft ``QGemm`` (int32 bias C, alpha) and ``QLinearMatMul``.
* QDQ: ``DequantizeLinear -> Gemm(DQ(w), DQ(bias)) -> QuantizeLinear`` and
  ``DequantizeLinear -> MatMul(DQ(w)) -> QuantizeLinear``.

Weights are int8 with zero point 0, one scale per tensor or per output (B's column
for transB=0 and MatMul, B's row for transB=1). The requantisation multiplier is
formed as the ONNX op forms it: QGemm's (alpha included) for Gemm, QLinearMatMul's
for MatMul (docs/numerics.md).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import onnx

from pocket_cnn.ir import Activation, QTensor
from pocket_cnn.onnx_import import tables
from pocket_cnn.onnx_import.conv import _bias, _weights, input_q, output_q
from pocket_cnn.onnx_import.graph import attrs, fail, input_at, label
from pocket_cnn.onnx_import.quant import check_same
from pocket_cnn.onnx_import.state import (
    FROM_FC,
    FROM_GAP,
    FROM_INPUT,
    Acc,
    ConstQ,
    Deq,
    FcAcc,
    FcDraft,
    ImportState,
    QInt,
)

#: Advice for a weight that is computed at run time and quantized like an activation.
COMPUTED_WEIGHT_ADVICE = (
    "run onnxruntime's quant_pre_process with its optimisation (the default, "
    "skip_optimization=False) before quantize_static, so that the Reshape folds into "
    "the weight initializer and the weight is quantized as symmetric int8"
)


# ---- Flatten / Squeeze / Reshape ------------------------------------------------------------
def _prod(dims: tuple[int, ...] | list[int]) -> int:
    return int(np.prod(dims, dtype=np.int64)) if dims else 1


def _result_dims(
    node: onnx.NodeProto, st: ImportState, dims: tuple[int, ...]
) -> tuple[int, ...] | None:
    """The output dims of Flatten / Squeeze / Reshape on ``dims`` (None: not valid or
    not constant)."""
    a = attrs(node)
    rank = len(dims)
    if node.op_type == "Flatten":
        axis = int(a.get("axis", 1))
        axis = axis + rank if axis < 0 else axis
        if not 0 <= axis <= rank:
            return None
        return (_prod(dims[:axis]), _prod(dims[axis:]))
    if node.op_type == "Squeeze":
        axes_in = st.const(node, 1, "axes")
        if axes_in is None and "axes" not in a:
            return tuple(d for d in dims if d != 1)
        raw = axes_in if axes_in is not None else a["axes"]
        axes = {int(v) % rank for v in np.asarray(raw).reshape(-1)}
        if any(dims[i] != 1 for i in axes):
            return None
        return tuple(d for i, d in enumerate(dims) if i not in axes)
    shape = st.const(node, 1, "shape")  # Reshape
    if shape is None:
        return None
    allow_zero = int(a.get("allowzero", 0)) != 0
    out: list[int] = []
    for i, v in enumerate(int(v) for v in np.asarray(shape).reshape(-1)):
        if v == 0 and not allow_zero:
            if i >= rank:
                return None
            v = dims[i]
        out.append(v)
    if out.count(-1) > 1 or any(v < -1 for v in out):
        return None
    if -1 in out:
        known = _prod([v for v in out if v != -1])
        if known == 0 or _prod(dims) % known:
            return None
        out[out.index(-1)] = _prod(dims) // known
    return tuple(out) if _prod(out) == _prod(dims) else None


def _fold_constant(node: onnx.NodeProto, st: ImportState) -> bool:
    """Flatten / Squeeze / Reshape of a constant (or of DequantizeLinear of one):
    the reshaped constant. Returns False when the input is not a constant."""
    name = node.input[0] if node.input else ""
    if name in st.view.consts:
        values = st.view.consts[name]
    elif name in st.qconsts:
        values = st.qconsts[name].values
    else:
        return False
    dims = _result_dims(node, st, tuple(int(d) for d in values.shape))
    if dims is None:
        raise fail(node, f"cannot apply {node.op_type} to the constant of shape {values.shape}")
    if name in st.view.consts:
        st.view.consts[node.output[0]] = values.reshape(dims)
        return True
    cq = st.qconsts[name]
    if np.asarray(cq.scale).size != 1 or (cq.zero_point is not None and cq.zero_point.size > 1):
        raise fail(
            node,
            f"{node.op_type} of a per-channel quantized constant is not supported; "
            "reshape the float initializer before quantizing it",
        )
    st.qconsts[node.output[0]] = replace(cq, values=cq.values.reshape(dims))
    return True


def _after_gap(x: QInt | Deq) -> bool:
    """True for the result of the global average pool (int8 or pending in float)."""
    if isinstance(x, QInt):
        return x.producer == FROM_GAP
    return x.src.producer == FROM_GAP or any(p.kind == "gap" for p in x.pending)


def _gap_flat_ok(node: onnx.NodeProto, st: ImportState, channels: int) -> bool:
    """Whether the node only drops the 1x1 dimensions of the (N, C, 1, 1) pooling result
    (as accepted before fully connected layers existed: partial Squeezes included)."""
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
    if len(dims) != 2 or dims == [-1, -1]:
        return False
    return dims[1] in (channels, -1) and dims[0] in (-1, 0, 1)


def flatten(node: onnx.NodeProto, st: ImportState) -> None:
    """``Flatten`` / ``Squeeze`` / ``Reshape`` to (N, C*H*W) of a conv stage's output map,
    of the global average pool's (N, C, 1, 1) or of an FC output; of a constant: folded."""
    if _fold_constant(node, st):
        return
    x = st.data(node)
    if isinstance(x, Acc | FcAcc):
        raise fail(
            node,
            f"{node.op_type} directly on a float Conv / Gemm result is not supported; "
            "insert QuantizeLinear (and DequantizeLinear) before it",
        )
    if not isinstance(x, QInt | Deq):
        raise fail(node, f"{node.op_type} of the float graph input; put a Conv first")
    src = x if isinstance(x, QInt) else x.src
    if src.producer == FROM_INPUT:
        raise fail(
            node,
            f"{node.op_type} of the network input is not supported; the network must start "
            "with a Conv (fully connected layers follow the convolutions or the global "
            "average pool)",
        )
    c, h, w = x.shape
    flat_in = src.flat and not (isinstance(x, Deq) and x.pending)
    dims = (1, c * h * w) if flat_in else (1, c, h, w)
    result = _result_dims(node, st, dims)
    ok = result is not None and result[-1] == c * h * w and _prod(result[:-1]) == 1
    if not ok and _after_gap(x):
        ok = _gap_flat_ok(node, st, c)
    if not ok:
        got = "no valid constant shape" if result is None else f"shape {list(result)}"
        raise fail(
            node,
            f"{node.op_type} gives {got}, not the (N, C*H*W) = (1, {c * h * w}) flattening "
            f"of the {c}x{h}x{w} map that a fully connected layer reads; use Flatten(axis=1) "
            "or Reshape to (1, -1)",
        )
    if isinstance(x, QInt):
        st.set(node, replace(x, flat=True))
    else:
        st.set(node, Deq(src=replace(x.src, flat=True), shape=x.shape, pending=x.pending))


# ---- constants through QuantizeLinear -------------------------------------------------------
def quantize_constant(values: np.ndarray, q: QTensor) -> np.ndarray:
    """QuantizeLinear of a float constant as onnxruntime computes it (a true division in
    float32, round half to even, saturate, zero point), as int8 or uint8."""
    ints = tables.quantize(np.asarray(values, dtype=np.float32), q)
    return ints.astype(np.int8 if q.signed else np.uint8)


# ---- the fully connected layer --------------------------------------------------------------
def _fc_input(node: onnx.NodeProto, st: ImportState, qdq: bool) -> QInt:
    """The 8-bit tensor an FC reads: from DequantizeLinear (``qdq``) or as it is."""
    x = st.data(node, 0)
    if isinstance(x, Acc | FcAcc):
        raise fail(
            node,
            "input is a float Conv / Gemm result; insert QuantizeLinear and DequantizeLinear "
            "before this layer",
        )
    if qdq:
        if isinstance(x, QInt):
            raise fail(
                node,
                f"float {node.op_type} on an 8-bit tensor; insert DequantizeLinear before it "
                "or use the quantized op (QGemm / QLinearMatMul)",
            )
        if not isinstance(x, Deq):
            raise fail(node, "input must come from DequantizeLinear of an int8/uint8 tensor")
        if x.pending:
            last = x.pending[-1].node
            raise fail(
                node,
                f"input comes from {last.op_type} '{label(last)}' without QuantizeLinear; "
                f"insert QuantizeLinear -> DequantizeLinear before this {node.op_type}",
            )
        q = x.src
    else:
        if not isinstance(x, QInt):
            raise fail(
                node, "input must be an int8/uint8 tensor from QuantizeLinear or a QLinear op"
            )
        q = x
    if q.producer == FROM_INPUT:
        raise fail(
            node,
            "a fully connected layer directly on the network input is not supported; "
            "the network must start with a Conv",
        )
    _, h, w = q.shape
    if not q.flat and h * w != 1:
        raise fail(
            node,
            f"input is a {q.shape[0]}x{h}x{w} map, not flattened; insert Flatten(axis=1) "
            f"before this {node.op_type}",
        )
    return q


def _is_computed(st: ImportState, name: str | None) -> bool:
    """Whether a constant input is made by nodes (e.g. Reshape -> QuantizeLinear of an
    initializer) rather than stored as an initializer."""
    return name is not None and name in st.view.producer


def _weights_nk(
    node: onnx.NodeProto,
    st: ImportState,
    index: int,
    values: np.ndarray,
    scale: np.ndarray,
    zp: np.ndarray | None,
    n_rows: bool,
    dq: onnx.NodeProto | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """int8 weights (Nout, Nin) and their scales (Nout,) from B; ``n_rows``: B is (N, K)
    (Gemm transB=1), else (K, N). ``dq``: the DequantizeLinear of B (QDQ form)."""
    if values.ndim != 2:
        raise fail(node, f"weight B of shape {list(values.shape)} is not 2-D")
    nonzero_zp = zp is not None and bool(np.any(np.asarray(zp) != 0))
    if _is_computed(st, input_at(node, index) if dq is None else dq.input[0]) and (
        values.dtype != np.int8 or nonzero_zp
    ):
        kind = "uint8" if values.dtype == np.uint8 else str(values.dtype)
        zps = sorted({int(v) for v in np.asarray(zp).reshape(-1)}) if zp is not None else [0]
        raise fail(
            node,
            f"weight B is computed in the graph and quantized like an activation ({kind}, "
            f"zero point {', '.join(map(str, zps))}); {COMPUTED_WEIGHT_ADVICE}",
        )
    arr = np.asarray(scale).reshape(-1)
    n = int(values.shape[0] if n_rows else values.shape[1])
    if dq is not None and arr.size > 1:
        axis = int(attrs(dq).get("axis", 1))
        axis = axis + 2 if axis < 0 else axis
        want = 0 if n_rows else 1
        if axis != want:
            raise fail(
                node,
                f"weight scales are per {'row' if axis == 0 else 'column'} of B (axis "
                f"{axis}) but the outputs run along axis {want}; quantize the weights per "
                f"output (DequantizeLinear axis {want})",
            )
    if dq is not None and int(attrs(dq).get("block_size", 0)) != 0:
        raise fail(node, "blocked weight quantization is not supported; quantize per channel")
    if arr.size not in (1, n):
        raise fail(node, f"weight scale has {arr.size} values for {n} outputs")
    w = values if n_rows else values.T
    return _weights(node, np.ascontiguousarray(w), np.asarray(scale), zp)


def _begin(
    node: onnx.NodeProto,
    st: ImportState,
    x: QInt,
    weights: np.ndarray,
    w_scale: np.ndarray,
    bias: np.ndarray,
    kind: str,
    alpha: float = 1.0,
) -> FcDraft:
    n_in = int(np.prod(x.shape))
    if weights.shape[1] != n_in:
        c, h, w = x.shape
        raise fail(
            node,
            f"weights expect {weights.shape[1]} inputs but the input has {n_in} ({c}x{h}x{w})",
        )
    draft = FcDraft(
        name=label(node),
        in_shape=x.shape,
        weights=weights,
        bias=bias,
        x_q=x.q,
        w_scale=w_scale,
        kind=kind,
        alpha=alpha,
        nodes=[label(node)],
    )
    st.fcs.append(draft)
    return draft


def _gemm_attrs(node: onnx.NodeProto) -> tuple[bool, float, float]:
    """transB, alpha and beta of a Gemm / QGemm (transA must be 0, alpha > 0)."""
    a = attrs(node)
    if int(a.get("transA", 0)) != 0:
        raise fail(node, "transA=1 is not supported; export the layer with transA 0")
    alpha = float(np.float32(a.get("alpha", 1.0)))
    beta = float(np.float32(a.get("beta", 1.0)))
    if not alpha > 0 or not np.isfinite(alpha):
        raise fail(node, f"alpha {alpha:g} is not a positive number; fold it into the weights")
    return int(a.get("transB", 0)) != 0, alpha, beta


def _out(draft: FcDraft, y_q: QTensor) -> QInt:
    """The FC's 8-bit output: (Nout, 1, 1), already flat."""
    draft.y_q = y_q
    return QInt(q=y_q, shape=(int(draft.weights.shape[0]), 1, 1), producer=FROM_FC, flat=True)


def qgemm(node: onnx.NodeProto, st: ImportState) -> None:
    """com.microsoft ``QGemm``: A, a_scale, a_zp, B, b_scale, b_zp, C (int32), y_scale, y_zp."""
    x = _fc_input(node, st, qdq=False)
    check_same(node, input_q(node, st, x, 1, "a"), x.q, "a_scale / a_zero_point", st.source(node))
    trans_b, alpha, _ = _gemm_attrs(node)
    b = st.const(node, 3, "B")
    b_scale = st.required_const(node, 4, "b_scale")
    if b is None:
        raise fail(node, "weight B is missing")
    if input_at(node, 7) is None:
        raise fail(
            node,
            "QGemm without y_scale has a float output; quantize its output "
            "(give y_scale and y_zero_point)",
        )
    b_zp = st.const(node, 5, "b_zero_point")
    weights, w_scale = _weights_nk(node, st, 3, b, b_scale, b_zp, trans_b)
    n = int(weights.shape[0])
    c = st.const(node, 6, "C")  # int32 by the schema, added to the accumulator as it is
    acc_scale = (np.float32(x.q.scale) * w_scale).astype(np.float32)
    bias = _bias(node, None if c is None else _vector(node, c, n), n, acc_scale)
    draft = _begin(node, st, x, weights, w_scale, bias, "gemm", alpha)
    st.set(node, _out(draft, output_q(node, st, 7, "y")))


def qlinear_matmul(node: onnx.NodeProto, st: ImportState) -> None:
    """``QLinearMatMul`` with a constant int8 B (K, N): a, a_scale, a_zp, b, b_scale, b_zp,
    y_scale, y_zp; no bias."""
    x = _fc_input(node, st, qdq=False)
    check_same(node, input_q(node, st, x, 1, "a"), x.q, "a_scale / a_zero_point", st.source(node))
    b = st.const(node, 3, "b")
    if b is None:  # pragma: no cover - required by the schema
        raise fail(node, "weight b is missing")
    b_scale = st.required_const(node, 4, "b_scale")
    b_zp = st.const(node, 5, "b_zero_point")
    weights, w_scale = _weights_nk(node, st, 3, b, b_scale, b_zp, False)
    n = int(weights.shape[0])
    draft = _begin(node, st, x, weights, w_scale, np.zeros(n, np.int32), "matmul")
    st.set(node, _out(draft, output_q(node, st, 6, "y")))


def _const_weight(node: onnx.NodeProto, st: ImportState, index: int) -> ConstQ:
    w = st.qconst(node, index, "weights")
    if not isinstance(w, ConstQ):
        raise fail(
            node,
            "weight B must be an int8 initializer through DequantizeLinear "
            "(float weights are not quantized)",
        )
    return w


def _vector(node: onnx.NodeProto, c: np.ndarray, n: int) -> np.ndarray:
    """A bias C of any shape broadcastable to (1, N) as (N,)."""
    arr = np.asarray(c)
    if arr.size == 1 and n > 1:
        return np.broadcast_to(arr.reshape(-1), (n,)).copy()
    if arr.ndim == 2 and arr.shape[0] != 1:
        raise fail(node, f"bias C of shape {list(arr.shape)} is not one row; use shape ({n},)")
    return arr.reshape(-1)


def gemm(node: onnx.NodeProto, st: ImportState) -> None:
    """QDQ ``Gemm``: DequantizeLinear input, DQ(int8 B), optional DQ(int32 C)."""
    x = _fc_input(node, st, qdq=True)
    trans_b, alpha, beta = _gemm_attrs(node)
    w = _const_weight(node, st, 1)
    weights, w_scale = _weights_nk(node, st, 1, w.values, w.scale, w.zero_point, trans_b, w.node)
    n = int(weights.shape[0])
    c = st.qconst(node, 2, "C") if beta != 0 else None
    if isinstance(c, ConstQ):
        c = replace(c, values=_vector(node, c.values, n))
    elif c is not None:
        c = _vector(node, c, n)
    # beta * C must be alpha * (x_scale * w_scale) * bias: the bias scale is alpha / beta times
    # the accumulator's
    acc_scale = np.float32(x.q.scale) * w_scale.astype(np.float64) * (alpha / beta)
    bias = _bias(node, c, n, acc_scale.astype(np.float32))
    _begin(node, st, x, weights, w_scale, bias, "gemm", alpha)
    st.set(node, FcAcc(shape=(n, 1, 1)))


def matmul(node: onnx.NodeProto, st: ImportState) -> None:
    """QDQ ``MatMul``: DequantizeLinear input times DQ(int8 B (K, N)); no bias."""
    x = _fc_input(node, st, qdq=True)
    w = _const_weight(node, st, 1)
    weights, w_scale = _weights_nk(node, st, 1, w.values, w.scale, w.zero_point, False, w.node)
    n = int(weights.shape[0])
    _begin(node, st, x, weights, w_scale, np.zeros(n, np.int32), "matmul")
    st.set(node, FcAcc(shape=(n, 1, 1)))


def close_acc(node: onnx.NodeProto, st: ImportState, x: FcAcc, out_q: QTensor) -> QInt:
    """QuantizeLinear of a float Gemm / MatMul result: the FC's output quantisation."""
    st.fcs[-1].y_q = out_q
    return QInt(q=out_q, shape=x.shape, producer=FROM_FC, flat=True)


def relu_acc(node: onnx.NodeProto, st: ImportState, x: FcAcc) -> None:
    """``Relu`` on a float Gemm / MatMul result: max(y, zero point), as after a Conv."""
    draft = st.fcs[-1]
    draft.activation = Activation.RELU
    draft.nodes.append(label(node))
    st.set(node, x)


__all__ = [
    "close_acc",
    "flatten",
    "gemm",
    "matmul",
    "qgemm",
    "qlinear_matmul",
    "quantize_constant",
    "relu_acc",
]
