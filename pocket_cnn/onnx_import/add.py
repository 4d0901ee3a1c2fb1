"""A bias written as a separate ``Add`` after a Conv (or a MatMul / Gemm).

* Float form before the QuantizeLinear, ``DQ(x) -> Conv -> Add(c) -> Q``: the constant
  ``c`` (DequantizeLinear of an int32 initializer, or a float initializer) is folded
  into the layer's int32 bias when it is exactly an int32 multiple of the
  accumulator's scale ``s = x_scale * w_scale`` per output channel: an int32 tensor
  through DequantizeLinear with scale ``s`` (as a quantizer writes it), or a float
  ``c`` equal to that DequantizeLinear, ``f32(float(b) * s)``, bit for bit. Otherwise it
  is refused: rounding it would change the results.
* After the layer's QuantizeLinear, ``Q -> DQ -> Add(DQ(uint8 c)) -> Q`` and
  com.microsoft ``QLinearAdd`` with a constant: what ``quantize_static`` writes for a
  bias Add when the model was not pre-processed. The constant is an 8-bit tensor with
  its own scale, and the sum is requantised: exactly that is a different table per
  channel, which the hardware does not have. Refused, naming the fix: onnxruntime's
  ``quant_pre_process`` with its default optimisation folds the Add into the Conv's bias
  (and the bias is then quantized as int32, far more precisely).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import onnx

from pocket_cnn.onnx_import.conv import INT32_MAX, INT32_MIN, _bias
from pocket_cnn.onnx_import.graph import fail, input_at, label
from pocket_cnn.onnx_import.state import (
    Acc,
    ConstQ,
    Deq,
    FcAcc,
    FcDraft,
    ImportState,
    QInt,
    StageDraft,
)

#: The fix for a bias Add that was quantized as an 8-bit tensor.
PRE_PROCESS_ADVICE = (
    "run onnxruntime.quantization.quant_pre_process with its default optimisation "
    "(skip_optimization=False) before quantize_static, which folds the Add into the "
    "bias of the Conv (or Gemm) before it"
)


def _operands(
    node: onnx.NodeProto, st: ImportState, indices: tuple[int, int]
) -> tuple[str, ConstQ | np.ndarray]:
    """(name of the chain input, the constant operand) of a binary node whose inputs are
    at ``indices``."""
    names = [input_at(node, i) for i in indices]
    chain = [n for n in names if n is not None and n in st.values]
    if len(chain) != 1:
        what = "two tensors of the network" if len(chain) == 2 else "two constants"
        raise fail(
            node,
            f"{node.op_type} of {what} is not supported; only a constant (a bias) may be "
            "added to a layer's output",
        )
    other = indices[names.index(chain[0]) ^ 1]
    const = st.qconst(node, other, "addend")
    if const is None:  # pragma: no cover - the schema needs both inputs
        raise fail(node, "the second input is missing")
    return chain[0], const


def _per_channel(node: onnx.NodeProto, values: np.ndarray, n: int, conv: bool) -> np.ndarray:
    """A constant that is the same over the map, as (n,): one value, or one per output
    channel, shape (1, C, 1, 1) / (C, 1, 1) after a Conv, (N,) / (1, N) after a Gemm."""
    arr = np.asarray(values)
    if arr.size == 1:
        return np.broadcast_to(arr.reshape(-1), (n,)).copy()
    dims = [d for d in arr.shape if d != 1]
    if conv:
        ok = 3 <= arr.ndim <= 4 and arr.shape[-3] == n and dims == [n]
        want = f"(1, {n}, 1, 1)"
    else:
        ok = arr.ndim <= 2 and arr.shape[-1] == n and dims == [n]
        want = f"({n},)"
    if not ok:
        raise fail(
            node,
            f"added constant of shape {list(arr.shape)} is not one value per output channel "
            f"({n}); only a bias of shape {want} can be added",
        )
    return arr.reshape(-1)


def _fold(
    node: onnx.NodeProto,
    draft: StageDraft | FcDraft,
    const: ConstQ | np.ndarray,
    acc_scale: np.ndarray,
) -> None:
    """Add ``const`` to the layer's int32 bias (accumulator scale ``acc_scale``)."""
    n = int(draft.weights.shape[0])
    conv = isinstance(draft, StageDraft)
    if isinstance(const, ConstQ):
        if const.values.dtype != np.int32:
            raise fail(
                node,
                f"the added bias is a {const.values.dtype} tensor; quantize it as int32 at "
                f"scale x_scale * w_scale, or {PRE_PROCESS_ADVICE}",
            )
        const = replace(const, values=_per_channel(node, const.values, n, conv))
    elif np.issubdtype(np.asarray(const).dtype, np.floating):
        values = _per_channel(node, const, n, conv).astype(np.float32)
        with np.errstate(all="ignore"):
            ints = np.rint(values.astype(np.float64) / acc_scale.astype(np.float64))
        # exact: the constant is what DequantizeLinear of those int32 gives, in float32
        fits = np.all(np.isfinite(ints)) and np.all(np.abs(ints) <= INT32_MAX)
        back = (ints.astype(np.float32) * acc_scale.astype(np.float32)).astype(np.float32)
        if not fits or not np.array_equal(back, values):
            raise fail(
                node,
                "the added bias is not an exact multiple of x_scale * w_scale; quantize it "
                "as int32 at scale x_scale * w_scale (per output channel), or "
                f"{PRE_PROCESS_ADVICE}",
            )
        const = ints.astype(np.int32)
    else:
        const = _per_channel(node, const, n, conv)
    added = _bias(node, const, n, acc_scale.astype(np.float32)).astype(np.int64)
    total = draft.bias.astype(np.int64) + added
    if np.any(total < INT32_MIN) or np.any(total > INT32_MAX):
        raise fail(node, "the bias plus the added constant does not fit int32")
    draft.bias = total.astype(np.int32)
    draft.nodes.append(label(node))


def add(node: onnx.NodeProto, st: ImportState) -> None:
    """``Add`` of a constant to a float Conv / Gemm / MatMul result (a bias): folded."""
    name, const = _operands(node, st, (0, 1))
    x = st.values[name]
    if isinstance(x, Acc):
        stage = st.stages[x.stage]
        if stage.activation.value != "none" or stage.pool is not None:
            raise fail(
                node,
                "the bias Add comes after an activation or a MaxPool on the Conv's result; "
                "add the bias right after the Conv",
            )
        x_scale = np.float32(stage.x_q.scale)
        _fold(node, stage, const, (x_scale * stage.w_scale).astype(np.float32))
        st.set(node, x)
        return
    if isinstance(x, FcAcc):
        draft = st.fcs[-1]
        if draft.activation.value != "none":
            raise fail(
                node,
                "the bias Add comes after an activation on the layer's result; add the "
                "bias right after the Gemm / MatMul",
            )
        scale = np.float32(draft.x_q.scale) * draft.w_scale.astype(np.float64) * draft.alpha
        _fold(node, draft, const, scale.astype(np.float32))
        st.set(node, x)
        return
    if isinstance(x, Deq | QInt):
        raise fail(
            node,
            "a constant added after the layer's QuantizeLinear (a bias quantized as an 8-bit "
            f"tensor) is not supported; {PRE_PROCESS_ADVICE}",
        )
    raise fail(node, "Add comes before any convolution; every layer must start with a Conv")


def qlinear_add(node: onnx.NodeProto, st: ImportState) -> None:
    """com.microsoft ``QLinearAdd``: A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp."""
    _operands(node, st, (0, 3))  # refuses two chain inputs
    raise fail(
        node,
        "QLinearAdd of a constant (a bias quantized as an 8-bit tensor) is not supported; "
        f"{PRE_PROCESS_ADVICE}",
    )


__all__ = ["PRE_PROCESS_ADVICE", "add", "qlinear_add"]
