"""Power-of-two scales for the shift-only hardware.

Input: a QDQ model from onnxruntime's quantizer with int8 symmetric activations (zero
point 0) and per-tensor int8 weights. Every scale becomes a power of two, chosen so
that nothing saturates that did not before:

* an activation scale ``s`` becomes ``2**ceil(log2 s)`` (the calibrated range is kept;
  at most one bit of resolution is lost);
* a weight tensor is re-quantized from its float values ``w * s`` with the scale
  ``2**ceil(log2(max|w * s| / 127))``;
* a bias is re-quantized from its float values with the scale ``x_scale * w_scale`` of
  its new input and weight scales (exact powers of two, as onnxruntime requires).

Then every requantisation is a rounding shift (no multiplier in hardware).
"""

from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import numpy_helper

from pocket_cnn.errors import ModelError


def pow2_ceil(value: float) -> float:
    """The smallest power of two >= ``value`` (> 0)."""
    return float(2.0 ** math.ceil(math.log2(value)))


class _Graph:
    """Initializers by name, with replacement under a new name (never shared by accident)."""

    def __init__(self, model: onnx.ModelProto) -> None:
        self.model = model
        self.inits = {t.name: t for t in model.graph.initializer}
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        for node in model.graph.node:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)

    def value(self, name: str) -> np.ndarray:
        return numpy_helper.to_array(self.inits[name])

    def replace(self, node: onnx.NodeProto, index: int, arr: np.ndarray, tag: str) -> None:
        """Give input ``index`` of ``node`` a new initializer holding ``arr``."""
        name = f"{node.input[index]}_{tag}"
        tensor = numpy_helper.from_array(arr, name)
        self.model.graph.initializer.append(tensor)
        self.inits[name] = tensor
        node.input[index] = name


def _dq_nodes(g: _Graph, dtype: np.dtype) -> list[onnx.NodeProto]:
    """DequantizeLinear nodes of an initializer of ``dtype`` (weights: int8, biases: int32)."""
    return [
        node
        for node in g.model.graph.node
        if node.op_type == "DequantizeLinear"
        and node.input[0] in g.inits
        and g.value(node.input[0]).dtype == dtype
    ]


def _scalar(g: _Graph, node: onnx.NodeProto, index: int, what: str) -> float:
    arr = g.value(node.input[index])
    if arr.size != 1:
        raise ModelError(
            f"{what} is quantized per channel; power-of-two scales need per-tensor weights",
            node=node.name,
        )
    return float(arr.reshape(-1)[0])


def to_pow2(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of the QDQ ``model`` with power-of-two scales (see the module doc)."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    g = _Graph(out)
    # activations: every Q/DQ whose data input is computed
    for node in out.graph.node:
        if node.op_type in ("QuantizeLinear", "DequantizeLinear") and node.input[0] not in g.inits:
            zp = g.value(node.input[2]) if len(node.input) > 2 and node.input[2] else None
            if zp is not None and (zp.dtype != np.int8 or np.any(zp != 0)):
                raise ModelError(
                    "power-of-two scales need int8 activations with zero point 0",
                    node=node.name,
                )
            s = _scalar(g, node, 1, "an activation")
            g.replace(node, 1, np.array(pow2_ceil(s), np.float32), "p2")
    w_scale: dict[str, float] = {}  # DQ output of a weight -> its new scale
    for node in _dq_nodes(g, np.dtype(np.int8)):
        s = _scalar(g, node, 1, f"weight {node.input[0]}")
        real = g.value(node.input[0]).astype(np.float64) * s
        s2 = pow2_ceil(max(float(np.abs(real).max()) / 127.0, 2.0**-30))
        q = np.clip(np.rint(real / s2), -127, 127).astype(np.int8)
        g.replace(node, 0, q, "p2")
        g.replace(node, 1, np.array(s2, np.float32), "p2")
        w_scale[node.output[0]] = s2
    for node in _dq_nodes(g, np.dtype(np.int32)):
        s2 = _bias_scale(g, node, w_scale)
        real = g.value(node.input[0]).astype(np.float64) * _scalar(g, node, 1, "a bias")
        q = np.clip(np.rint(real / s2), -(2**31), 2**31 - 1).astype(np.int32)
        g.replace(node, 0, q, "p2")
        g.replace(node, 1, np.array(s2, np.float32), "p2")
    return out


def _bias_scale(g: _Graph, node: onnx.NodeProto, w_scale: dict[str, float]) -> float:
    """x_scale * w_scale of the Conv / Gemm that reads this bias."""
    users = g.consumers.get(node.output[0], [])
    if len(users) != 1 or users[0].op_type not in ("Conv", "Gemm"):
        raise ModelError("a bias must feed one Conv or Gemm", node=node.name)
    op = users[0]
    x_dq = next((n for n in g.model.graph.node if op.input[0] in n.output), None)
    if x_dq is None or x_dq.op_type != "DequantizeLinear" or op.input[1] not in w_scale:
        raise ModelError("input and weight must come from DequantizeLinear", node=op.name)
    return float(g.value(x_dq.input[1]).reshape(-1)[0]) * w_scale[op.input[1]]
