"""Write quantized ONNX chains with any quantisation per tensor (fp32 scales, zero
points, uint8/int8, per-channel weight scales), in the QDQ or the QOperator form, as
onnxruntime's quantizer writes them: every DequantizeLinear / QLinear op reads its input
with the scale and zero point it was quantized with, biases have the scale
``float32(x_scale * w_scale)``.

Used by the tests of the general quantisation and by the random quantized models
(:mod:`pocket_cnn.zoo.random_quant`). Weights are random int8 from ``seed``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from pocket_cnn.ir import QTensor, conv_out

MS = "com.microsoft"


def u8(scale: float, zp: int = 0) -> QTensor:
    """A uint8 quantisation (scale rounded to float32)."""
    return QTensor(float(np.float32(scale)), zp, signed=False)


def s8(scale: float, zp: int = 0) -> QTensor:
    """An int8 quantisation (scale rounded to float32)."""
    return QTensor(float(np.float32(scale)), zp, signed=True)


class QBuilder:
    """A chain of layers as ONNX nodes with any quantisation per tensor.

    ``form`` per layer is "qdq" or "qop"; every tensor carries its QTensor, which the
    next DequantizeLinear or QLinear op repeats (as onnxruntime's quantizer writes).
    """

    def __init__(
        self, shape: tuple[int, int, int], in_q: QTensor, seed: int = 0, w_max: int = 127
    ) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.in_shape = shape
        self.shape = shape
        self.w_max = w_max
        self.qt = in_q
        self.flat = False
        self.last_weights = np.zeros((0,), np.int8)
        self.last_bias = np.zeros((0,), np.int32)
        self.last_w_scale = np.zeros((0,), np.float32)
        self.x = self.quantize("input", "input_QuantizeLinear", in_q)

    # ---- low level ---------------------------------------------------------
    def const(self, name: str, arr: Any) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def add(
        self, op: str, inputs: list[str], name: str, domain: str | None = None, **at: Any
    ) -> str:
        out = f"{name}_output_0"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, domain=domain, **at))
        return out

    def scale_zp(self, name: str, qt: QTensor) -> list[str]:
        zp = (np.int8 if qt.signed else np.uint8)(qt.zero_point)
        return [self.const(f"{name}_scale", np.float32(qt.scale)), self.const(f"{name}_zp", zp)]

    def quantize(self, x: str, name: str, qt: QTensor) -> str:
        return self.add("QuantizeLinear", [x, *self.scale_zp(name, qt)], name)

    def dequantize(self, x: str, name: str, qt: QTensor) -> str:
        return self.add("DequantizeLinear", [x, *self.scale_zp(name, qt)], name)

    def bias_dq(self, name: str, bias: np.ndarray, ws: np.ndarray) -> str:
        """DequantizeLinear of an int32 bias with the scale the quantizer computes:
        float32 x_scale * w_scale."""
        bs = (np.float32(self.qt.scale) * ws).astype(np.float32)
        ins = [self.const(f"{name}_b", bias), self.const(f"{name}_bs", bs)]
        return self.add("DequantizeLinear", ins, f"{name}_b_DequantizeLinear", axis=0)

    def close(self, y: str, name: str, y_q: QTensor, relu: bool) -> None:
        """[Relu ->] QuantizeLinear of a float layer result."""
        if relu:
            y = self.add("Relu", [y], f"{name}_relu")
        self.x = self.quantize(y, f"{name}_output_QuantizeLinear", y_q)

    def qop_inputs(self, name: str, w: np.ndarray, ws: np.ndarray, wzp: np.ndarray) -> list[str]:
        """x, x_scale, x_zp, w, w_scale, w_zp of a QLinear op."""
        return [
            self.x,
            *self.scale_zp(f"{name}_x", self.qt),
            self.const(f"{name}_w", w),
            self.const(f"{name}_ws", ws),
            self.const(f"{name}_wzp", wzp),
        ]

    # ---- layers --------------------------------------------------------------
    def conv(
        self,
        name: str,
        cout: int,
        y_q: QTensor,
        form: str = "qdq",
        k: int = 3,
        pad: int = 0,
        stride: int = 1,
        w_scale: float | list[float] = 0.00713,
        relu: bool = False,
        bias_max: int = 2000,
        weights: np.ndarray | None = None,
        bias: np.ndarray | None = None,
    ) -> QBuilder:
        """A conv (``weights``/``bias``: given, or drawn from the seed); ``w_scale`` a
        list: per output channel; ``relu``: Conv -> Relu -> Q (QDQ)."""
        c, h, w = self.shape
        if weights is None:
            weights = self.rng.integers(-self.w_max, self.w_max + 1, (cout, c, k, k))
        if bias is None:
            bias = self.rng.integers(-bias_max, bias_max, cout)
        weights = np.asarray(weights).astype(np.int8)
        bias = np.asarray(bias).astype(np.int32)
        ws = np.asarray(w_scale, np.float32)
        wzp = np.zeros(ws.shape, np.int8)
        self.last_weights = weights
        self.last_bias = bias
        self.last_w_scale = np.broadcast_to(ws, (cout,)).astype(np.float32)
        attrs: dict[str, Any] = {
            "kernel_shape": [k, k],
            "strides": [stride, stride],
            "pads": [pad] * 4,
        }
        if form == "qdq":
            xf = self.dequantize(self.x, f"{name}_input_DequantizeLinear", self.qt)
            wf = self.add(
                "DequantizeLinear",
                [
                    self.const(f"{name}_w", weights),
                    self.const(f"{name}_ws", ws),
                    self.const(f"{name}_wzp", wzp),
                ],
                f"{name}_w_DequantizeLinear",
                axis=0,
            )
            bf = self.bias_dq(name, bias, ws)
            self.close(self.add("Conv", [xf, wf, bf], name, **attrs), name, y_q, relu)
        else:
            assert not relu
            ins = [*self.qop_inputs(name, weights, ws, wzp), *self.scale_zp(f"{name}_y", y_q)]
            ins.append(self.const(f"{name}_b", bias))
            self.x = self.add("QLinearConv", ins, name, **attrs)
        self.qt = y_q
        self.shape = (cout, conv_out(h, k, stride, pad), conv_out(w, k, stride, pad))
        return self

    def act(
        self,
        name: str,
        op: str,
        form: str = "qdq",
        out_q: QTensor | None = None,
        alpha: float = 0.01,
        bounds: tuple[float, float] = (0.0, 6.0),
    ) -> QBuilder:
        """Relu, LeakyRelu or Clip: DQ -> op -> Q, or com.microsoft QLinearLeakyRelu."""
        out_q = out_q or self.qt
        if form == "qdq":
            xf = self.dequantize(self.x, f"{name}_input_DequantizeLinear", self.qt)
            if op == "LeakyRelu":
                y = self.add(op, [xf], name, alpha=alpha)
            elif op == "Clip":
                lo = self.const(f"{name}_min", np.float32(bounds[0]))
                hi = self.const(f"{name}_max", np.float32(bounds[1]))
                y = self.add(op, [xf, lo, hi], name)
            else:
                y = self.add(op, [xf], name)
            self.x = self.quantize(y, f"{name}_output_QuantizeLinear", out_q)
        else:
            assert op in ("LeakyRelu", "Sigmoid"), op
            ins = [self.x, *self.scale_zp(f"{name}_x", self.qt), *self.scale_zp(f"{name}_y", out_q)]
            if op == "LeakyRelu":
                self.x = self.add("QLinearLeakyRelu", ins, name, domain=MS, alpha=alpha)
            else:
                self.x = self.add("QLinearSigmoid", ins, name, domain=MS)
        self.qt = out_q
        return self

    def pool(
        self,
        name: str,
        form: str = "qdq",
        out_q: QTensor | None = None,
        k: int = 2,
        stride: int = 2,
    ) -> QBuilder:
        """MaxPool k/stride: DQ -> MaxPool -> Q (may change the scale), or on the integers."""
        attrs: dict[str, Any] = {"kernel_shape": [k, k], "strides": [stride, stride]}
        if form == "qdq":
            xf = self.dequantize(self.x, f"{name}_input_DequantizeLinear", self.qt)
            y = self.add("MaxPool", [xf], name, **attrs)
            self.qt = out_q or self.qt
            self.x = self.quantize(y, f"{name}_output_QuantizeLinear", self.qt)
        else:
            assert out_q is None
            self.x = self.add("MaxPool", [self.x], name, **attrs)
        c, h, w = self.shape
        self.shape = (c, conv_out(h, k, stride), conv_out(w, k, stride))
        return self

    def flatten(self, name: str, op: str = "Flatten") -> QBuilder:
        """``Flatten`` (axis 1) or a ``Reshape`` to (-1, C*H*W) of the integer tensor."""
        if op == "Flatten":
            self.x = self.add("Flatten", [self.x], name, axis=1)
        else:
            shape = self.const(f"{name}_shape", np.array([-1, int(np.prod(self.shape))], np.int64))
            self.x = self.add("Reshape", [self.x, shape], name)
        self.shape = (int(np.prod(self.shape)), 1, 1)
        self.flat = True
        return self

    def fc(
        self,
        name: str,
        n: int,
        y_q: QTensor,
        form: str = "qdq",
        w_scale: float | list[float] = 0.00713,
        op: str = "Gemm",
        relu: bool = False,
        bias_max: int = 2000,
        weights: np.ndarray | None = None,
        bias: np.ndarray | None = None,
    ) -> QBuilder:
        """A fully connected layer on the flat input: ``Gemm`` (transB 1, bias) or
        ``MatMul`` (B as (K, N), no bias); QDQ form DQ -> op -> [Relu] -> Q, QOperator
        form com.microsoft ``QGemm`` / ``QLinearMatMul``."""
        assert self.flat, "flatten() first"
        k = self.shape[0]
        if weights is None:
            weights = self.rng.integers(-self.w_max, self.w_max + 1, (n, k))
        if bias is None:
            bias = self.rng.integers(-bias_max, bias_max + 1, n)
        weights = np.asarray(weights).astype(np.int8)
        bias = np.asarray(bias).astype(np.int32)
        ws = np.asarray(w_scale, np.float32)
        wzp = np.zeros(ws.shape, np.int8)
        gemm = op == "Gemm"
        b = weights if gemm else np.ascontiguousarray(weights.T)
        self.last_weights = weights
        self.last_bias = bias if gemm else np.zeros(n, np.int32)
        self.last_w_scale = np.broadcast_to(ws, (n,)).astype(np.float32)
        if form == "qdq":
            xf = self.dequantize(self.x, f"{name}_input_DequantizeLinear", self.qt)
            w_ins = [self.const(f"{name}_w", b), self.const(f"{name}_ws", ws)]
            w_ins.append(self.const(f"{name}_wzp", wzp))
            wf = self.add(
                "DequantizeLinear", w_ins, f"{name}_w_DequantizeLinear", axis=0 if gemm else 1
            )
            if gemm:
                bf = self.bias_dq(name, bias, ws)
                y = self.add("Gemm", [xf, wf, bf], name, transB=1)
            else:
                y = self.add("MatMul", [xf, wf], name)
            self.close(y, name, y_q, relu)
        else:
            assert not relu
            ins = self.qop_inputs(name, b, ws, wzp)
            if gemm:
                ins += [self.const(f"{name}_b", bias), *self.scale_zp(f"{name}_y", y_q)]
                self.x = self.add("QGemm", ins, name, domain=MS, transB=1)
            else:
                ins += self.scale_zp(f"{name}_y", y_q)
                self.x = self.add("QLinearMatMul", ins, name)
        self.qt = y_q
        self.shape = (n, 1, 1)
        return self

    def gap(self, name: str, y_q: QTensor, form: str = "qdq") -> QBuilder:
        if form == "qdq":
            xf = self.dequantize(self.x, f"{name}_input_DequantizeLinear", self.qt)
            y = self.add("GlobalAveragePool", [xf], name)
            self.x = self.quantize(y, f"{name}_output_QuantizeLinear", y_q)
        else:
            ins = [self.x, *self.scale_zp(f"{name}_x", self.qt), *self.scale_zp(f"{name}_y", y_q)]
            self.x = self.add("QLinearGlobalAveragePool", ins, name, domain=MS, channels_last=0)
        self.qt = y_q
        self.shape = (self.shape[0], 1, 1)
        return self

    def model(self, name: str = "general") -> onnx.ModelProto:
        """The chain so far, ending in DequantizeLinear of the last tensor ("output")."""
        nodes = [*self.nodes]
        n_inits = len(self.inits)
        out_qp = self.scale_zp("output", self.qt)
        inits = self.inits[:]
        del self.inits[n_inits:]  # the builder can go on after this
        nodes.append(
            helper.make_node(
                "DequantizeLinear", [self.x, *out_qp], ["output"], name="output_DequantizeLinear"
            )
        )
        c, h, w = self.in_shape
        out_shape: list[int | str] = ["N", self.shape[0]] if self.flat else ["N", *self.shape]
        graph = helper.make_graph(
            nodes,
            name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", c, h, w])],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, out_shape)],
            inits,
        )
        opsets = [helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)]
        model = helper.make_model(graph, opset_imports=opsets)
        model.ir_version = 8
        return model
