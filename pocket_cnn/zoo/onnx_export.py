"""IR -> ONNX, in the QOperator or the QDQ form (see docs/design.md).

Both forms start with ``float input -> QuantizeLinear`` and end with
``DequantizeLinear -> float output``; all scales are ``2**-frac``, all zero
points 0. onnxruntime runs both forms bit-exactly against the reference.

onnxruntime has no QLinearConv kernel for a uint8 input with an int8 output,
so in the QOperator form a convolution whose input is uint8 (the first layer
of a uint8-input network) is written in QDQ style (DQ -> Conv -> Q). The
importer accepts any mix of the two forms, so the model stays importable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from pocket_cnn.ir import LEAKY_ALPHA, Activation, ConvStage, FcStage, GapStage, Network
from pocket_cnn.ir.network import pow2_frac

Form = Literal["qdq", "qoperator"]
ReluStyle = Literal["qdq", "fused"]

OPSET = 17
MS_DOMAIN = "com.microsoft"
IR_VERSION = 8


@dataclass
class _Graph:
    """Accumulates nodes and initializers while the graph is written."""

    nodes: list[onnx.NodeProto] = field(default_factory=list)
    inits: list[onnx.TensorProto] = field(default_factory=list)
    uses_ms: bool = False
    _consts: dict[tuple[str, int | str], str] = field(default_factory=dict)

    def init(self, name: str, arr: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def scale(self, frac: int) -> str:
        """Shared float32 scalar initializer 2**-frac."""
        key = ("scale", frac)
        if key not in self._consts:
            tag = f"m{-frac}" if frac < 0 else str(frac)
            self._consts[key] = self.init(f"scale_f{tag}", np.array(2.0**-frac, np.float32))
        return self._consts[key]

    def zero(self, dtype: str) -> str:
        """Shared zero-point initializer of ``dtype`` (int8, uint8 or int32)."""
        key = ("zero", dtype)
        if key not in self._consts:
            self._consts[key] = self.init(f"zp_{dtype}", np.array(0, np.dtype(dtype)))
        return self._consts[key]

    def node(self, op: str, inputs: list[str], output: str, name: str, **attrs: Any) -> str:
        ms = (op.startswith("QLinear") and op != "QLinearConv") or op == "QGemm"
        domain = MS_DOMAIN if ms else ""
        if domain:
            self.uses_ms = True
        self.nodes.append(
            helper.make_node(op, inputs, [output], name=name, domain=domain or None, **attrs)
        )
        return output

    def dq(self, x: str, frac: int, dtype: str, name: str) -> str:
        return self.node(
            "DequantizeLinear", [x, self.scale(frac), self.zero(dtype)], f"{name}_f", name
        )

    def q(self, x: str, frac: int, name: str, out: str, dtype: str = "int8") -> str:
        return self.node("QuantizeLinear", [x, self.scale(frac), self.zero(dtype)], out, name)


def _conv_attrs(stage: ConvStage) -> dict[str, object]:
    k, s, p = stage.kernel, stage.stride, stage.pad
    return {"kernel_shape": [k, k], "strides": [s, s], "pads": [p, p, p, p]}


def _pool_attrs(stage: ConvStage) -> dict[str, object]:
    assert stage.pool is not None
    k, s = stage.pool.kernel, stage.pool.stride
    return {"kernel_shape": [k, k], "strides": [s, s]}


def _conv_qdq(g: _Graph, st: ConvStage, x: str, x_dtype: str, relu_style: ReluStyle) -> str:
    """DQ -> Conv -> [Relu] -> Q; returns the int8 output tensor (activation included)."""
    n = st.name
    x_f = g.dq(x, st.frac_in, x_dtype, f"{n}_dq_in")
    w = g.init(f"{n}_weight", st.weights.astype(np.int8))
    w_f = g.dq(w, st.frac_w, "int8", f"{n}_dq_weight")
    b = g.init(f"{n}_bias", st.bias.astype(np.int32))
    b_f = g.dq(b, st.frac_in + st.frac_w, "int32", f"{n}_dq_bias")
    acc = g.node("Conv", [x_f, w_f, b_f], f"{n}_acc_f", n, **_conv_attrs(st))
    if st.activation == Activation.RELU and relu_style == "fused":
        acc = g.node("Relu", [acc], f"{n}_relu_f", f"{n}_relu")
        return g.q(acc, st.frac_out, f"{n}_q_out", f"{n}_act")
    y = g.q(acc, st.frac_out, f"{n}_q_out", f"{n}_conv_out")
    if st.activation == Activation.RELU:
        y_f = g.dq(y, st.frac_out, "int8", f"{n}_dq_relu")
        r = g.node("Relu", [y_f], f"{n}_relu_f", f"{n}_relu")
        y = g.q(r, st.frac_out, f"{n}_q_relu", f"{n}_act")
    elif st.activation == Activation.LEAKY:
        y_f = g.dq(y, st.frac_out, "int8", f"{n}_dq_leaky")
        r = g.node("LeakyRelu", [y_f], f"{n}_leaky_f", f"{n}_leaky", alpha=LEAKY_ALPHA)
        y = g.q(r, st.frac_out, f"{n}_q_leaky", f"{n}_act")
    return y


def _conv_qop(g: _Graph, st: ConvStage, x: str) -> str:
    """QLinearConv -> [Relu | QLinearLeakyRelu]; returns the int8 output tensor."""
    n = st.name
    fi, fo = st.frac_in, st.frac_out
    w = g.init(f"{n}_weight", st.weights.astype(np.int8))
    b = g.init(f"{n}_bias", st.bias.astype(np.int32))
    ins = [x, g.scale(fi), g.zero("int8"), w, g.scale(st.frac_w), g.zero("int8")]
    ins += [g.scale(fo), g.zero("int8"), b]
    y = g.node("QLinearConv", ins, f"{n}_conv_out", n, **_conv_attrs(st))
    if st.activation == Activation.RELU:
        y = g.node("Relu", [y], f"{n}_act", f"{n}_relu")
    elif st.activation == Activation.LEAKY:
        s, z = g.scale(fo), g.zero("int8")
        y = g.node("QLinearLeakyRelu", [y, s, z, s, z], f"{n}_act", f"{n}_leaky", alpha=LEAKY_ALPHA)
    return y


def _stage(g: _Graph, st: ConvStage, x: str, x_dtype: str, form: Form, style: ReluStyle) -> str:
    """Write one processing element; returns its int8 output tensor."""
    if form == "qdq" or x_dtype == "uint8":
        y = _conv_qdq(g, st, x, x_dtype, style)
    else:
        y = _conv_qop(g, st, x)
    if st.pool is None:
        return y
    n = st.name
    if form == "qoperator":
        return g.node("MaxPool", [y], f"{n}_pool_out", f"{n}_pool", **_pool_attrs(st))
    y_f = g.dq(y, st.frac_out, "int8", f"{n}_dq_pool")
    p = g.node("MaxPool", [y_f], f"{n}_pool_f", f"{n}_pool", **_pool_attrs(st))
    return g.q(p, st.frac_out, f"{n}_q_pool", f"{n}_pool_out")


def _gap(g: _Graph, gp: GapStage, x: str, form: Form) -> str:
    n = gp.name
    if form == "qoperator":
        ins = [x, g.scale(gp.frac_in), g.zero("int8"), g.scale(gp.frac_out), g.zero("int8")]
        return g.node("QLinearGlobalAveragePool", ins, f"{n}_out", n, channels_last=0)
    x_f = g.dq(x, gp.frac_in, "int8", f"{n}_dq_in")
    a = g.node("GlobalAveragePool", [x_f], f"{n}_avg_f", n)
    return g.q(a, gp.frac_out, f"{n}_q_out", f"{n}_out")


def _fc(g: _Graph, fc: FcStage, x: str, form: Form, flat: bool) -> str:
    """[Flatten ->] a fully connected layer: QDQ ``DQ -> Gemm(DQ w, DQ bias) -> [Relu] ->
    Q``, QOperator com.microsoft ``QGemm [-> Relu]``; returns the int8 output tensor."""
    n = fc.name
    if not flat:
        x = g.node("Flatten", [x], f"{n}_flat", f"{n}_flatten", axis=1)
    fi, fo = fc.x_q.frac, fc.y_q.frac
    fw = pow2_frac(float(np.asarray(fc.w_scale).reshape(-1)[0]))
    assert fw is not None, "zoo FC layers have power-of-two weight scales"
    w = g.init(f"{n}_weight", fc.weights.astype(np.int8))
    b = g.init(f"{n}_bias", fc.bias.astype(np.int32))
    if form == "qoperator":
        ins = [x, g.scale(fi), g.zero("int8"), w, g.scale(fw), g.zero("int8"), b]
        y = g.node("QGemm", [*ins, g.scale(fo), g.zero("int8")], f"{n}_out", n, transB=1)
        if fc.activation == Activation.RELU:
            y = g.node("Relu", [y], f"{n}_act", f"{n}_relu")
        return y
    x_f = g.dq(x, fi, "int8", f"{n}_dq_in")
    w_f = g.dq(w, fw, "int8", f"{n}_dq_weight")
    b_f = g.dq(b, fi + fw, "int32", f"{n}_dq_bias")
    acc = g.node("Gemm", [x_f, w_f, b_f], f"{n}_acc_f", n, transB=1)
    if fc.activation == Activation.RELU:
        acc = g.node("Relu", [acc], f"{n}_relu_f", f"{n}_relu")
    return g.q(acc, fo, f"{n}_q_out", f"{n}_out")


def to_onnx(
    net: Network,
    form: Form,
    batch: int | str | None = 1,
    relu_style: ReluStyle = "qdq",
) -> onnx.ModelProto:
    """Write ``net`` as an ONNX model in ``form``.

    ``batch``: a fixed batch size (int), or a dynamic one (its name as a string;
    None means the name "N"). ``relu_style`` (QDQ form only): "qdq" writes
    ``Conv -> Q -> DQ -> Relu -> Q``, "fused" writes ``Conv -> Relu -> Q``.
    """
    if form not in ("qdq", "qoperator"):
        raise ValueError(f"unknown ONNX form {form!r}: use 'qdq' or 'qoperator'")
    if relu_style not in ("qdq", "fused"):
        raise ValueError(f"unknown relu_style {relu_style!r}: use 'qdq' or 'fused'")
    n_dim: int | str = "N" if batch is None else batch
    g = _Graph()
    in_dtype = "int8" if net.input_signed else "uint8"
    x = g.q(net.input_name, net.input_frac, "input_quant", "input_q", in_dtype)
    dtype = in_dtype
    for st in net.stages:
        x = _stage(g, st, x, dtype, form, relu_style)
        dtype = "int8"
    if net.gap is not None:
        x = _gap(g, net.gap, x, form)
    for i, fc in enumerate(net.fc):
        x = _fc(g, fc, x, form, flat=i > 0)
    g.node(
        "DequantizeLinear",
        [x, g.scale(net.output_frac), g.zero("int8")],
        net.output_name,
        "output_dequant",
    )
    out_shape: list[int | str] = [n_dim, *net.output_shape]
    if net.gap is not None and not net.fc:
        out_shape = [n_dim, net.output_shape[0], 1, 1]
    graph = helper.make_graph(
        g.nodes,
        net.name,
        [
            helper.make_tensor_value_info(
                net.input_name, TensorProto.FLOAT, [n_dim, *net.input_shape]
            )
        ],
        [helper.make_tensor_value_info(net.output_name, TensorProto.FLOAT, out_shape)],
        g.inits,
    )
    opsets = [helper.make_opsetid("", OPSET)]
    if g.uses_ms:
        opsets.append(helper.make_opsetid(MS_DOMAIN, 1))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="pocket-cnn")
    model.ir_version = IR_VERSION
    return model
