"""Models with any fp32 scale, zero points, per-channel weight scales, uint8 activations
inside the network and activation tables (issue 12): they import, and the reference
equals onnxruntime.

Most cases are a legitimate form of a model that tests/test_bad_input.py used to refuse
(under the old bad-input ids), written consistently: every
DequantizeLinear / QLinear op reads its input with the scale and zero point it was
quantized with, and biases have the scale x_scale * w_scale.

The oracle must not depend on the CPU (docs/numerics.md):

* QOperator form ("qop"): onnxruntime's integer kernels, compared bit for bit. Either
  every activation is int8 (s8 x s8 is exact on every CPU) or, where uint8
  activations feed a QLinearConv, every weight has |w| <= 64, so that a pair
  ``x*w + x*w`` stays below 2**15 and the u8 x s8 kernels of CPUs without VNNI cannot
  saturate it (``U8_PAIR_SAFE``; under ``qemu-x86_64 -cpu Haswell`` the uint8 case
  passes with |w| <= 64 and fails with |w| <= 127 on all-255 inputs).
* QDQ form ("qdq"): with optimisations off onnxruntime runs DequantizeLinear -> float
  Conv -> QuantizeLinear in float, which differs from the integer contract in a few
  outputs per million by 1 LSB: at least 99.9 % of the words must be equal and none may
  differ by more than 1. That share holds for scales like a quantizer's (no simple
  ratio between them): with "round" scales such as weights 0.01, input 2**-7 and output
  2**-4 (multiplier exactly 1/800), many accumulators sit exactly on a tie in real
  numbers and the float path rounds about 0.2 % of them the other way, so the scales
  here are deliberately not round.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from pocket_cnn import reference
from pocket_cnn.emit import emit
from pocket_cnn.ir import Activation, QTensor, conv_out
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.reference.oracle import run_ort
from pocket_cnn.zoo.draw import net_input

MS = "com.microsoft"
#: largest |weight| in models with uint8 activations into a QOperator conv (see above)
U8_PAIR_SAFE = 64


def u8(scale: float, zp: int = 0) -> QTensor:
    return QTensor(float(np.float32(scale)), zp, signed=False)


def s8(scale: float, zp: int = 0) -> QTensor:
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
        self.x = self.quantize("input", "input_QuantizeLinear", in_q)

    # ---- low level ---------------------------------------------------------
    def const(self, name: str, arr: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def add(self, op: str, inputs: list[str], name: str, domain: str | None = None, **at) -> str:
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
    ) -> QBuilder:
        """A conv; ``w_scale`` a list: per output channel; ``relu``: Conv -> Relu -> Q (QDQ)."""
        c, h, w = self.shape
        weights = self.rng.integers(-self.w_max, self.w_max + 1, (cout, c, k, k)).astype(np.int8)
        bias = self.rng.integers(-2000, 2000, cout).astype(np.int32)
        ws = np.asarray(w_scale, np.float32)
        wzp = np.zeros(ws.shape, np.int8)
        attrs = {"kernel_shape": [k, k], "strides": [stride, stride], "pads": [pad] * 4}
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
            # the bias scale as the quantizer computes it: float32 x_scale * w_scale
            bs = (np.float32(self.qt.scale) * ws).astype(np.float32)
            bf = self.add(
                "DequantizeLinear",
                [self.const(f"{name}_b", bias), self.const(f"{name}_bs", bs)],
                f"{name}_b_DequantizeLinear",
                axis=0,
            )
            y = self.add("Conv", [xf, wf, bf], name, **attrs)
            if relu:
                y = self.add("Relu", [y], f"{name}_relu")
            self.x = self.quantize(y, f"{name}_output_QuantizeLinear", y_q)
        else:
            assert not relu
            ins = [
                self.x,
                *self.scale_zp(f"{name}_x", self.qt),
                self.const(f"{name}_w", weights),
                self.const(f"{name}_ws", ws),
                self.const(f"{name}_wzp", wzp),
                *self.scale_zp(f"{name}_y", y_q),
                self.const(f"{name}_b", bias),
            ]
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
            assert op == "LeakyRelu"
            ins = [self.x, *self.scale_zp(f"{name}_x", self.qt), *self.scale_zp(f"{name}_y", out_q)]
            self.x = self.add("QLinearLeakyRelu", ins, name, domain=MS, alpha=alpha)
        self.qt = out_q
        return self

    def pool(self, name: str, form: str = "qdq", out_q: QTensor | None = None) -> QBuilder:
        """MaxPool 2/2: DQ -> MaxPool -> Q (may change the scale), or on the integers."""
        attrs = {"kernel_shape": [2, 2], "strides": [2, 2]}
        if form == "qdq":
            xf = self.dequantize(self.x, f"{name}_input_DequantizeLinear", self.qt)
            y = self.add("MaxPool", [xf], name, **attrs)
            self.qt = out_q or self.qt
            self.x = self.quantize(y, f"{name}_output_QuantizeLinear", self.qt)
        else:
            assert out_q is None
            self.x = self.add("MaxPool", [self.x], name, **attrs)
        c, h, w = self.shape
        self.shape = (c, conv_out(h, 2, 2), conv_out(w, 2, 2))
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

    def model(self) -> onnx.ModelProto:
        nodes = [*self.nodes]
        nodes.append(
            helper.make_node(
                "DequantizeLinear",
                [self.x, *self.scale_zp("output", self.qt)],
                ["output"],
                name="output_DequantizeLinear",
            )
        )
        c, h, w = self.in_shape
        graph = helper.make_graph(
            nodes,
            "general",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", c, h, w])],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", *self.shape])],
            self.inits,
        )
        opsets = [helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)]
        model = helper.make_model(graph, opset_imports=opsets)
        model.ir_version = 8
        return model


def base(
    form: str,
    in_q: QTensor,
    conv1_q: QTensor,
    conv2_q: QTensor,
    gap_q: QTensor,
    w_scale: float | list[float] = 0.00713,
) -> QBuilder:
    """tests/test_bad_input.py's base net: conv1 3x3 pad 1 -> relu1 -> pool1 -> conv2 1x1
    -> gap1, here with any quantisation (in QOperator form without the Relu, which
    onnxruntime's quantizer folds into the zero point)."""
    b = QBuilder((2, 8, 8), in_q)
    b.conv("conv1", 4, conv1_q, form, k=3, pad=1, w_scale=w_scale)
    if form == "qdq":
        b.act("relu1", "Relu")
    b.pool("pool1", form).conv("conv2", 3, conv2_q, form, k=1, w_scale=0.0219)
    return b.gap("gap1", gap_q, form)


def conv_then(form: str, in_q: QTensor, y_q: QTensor, **conv: Any) -> QBuilder:
    """One 3x3 conv with 4 output channels on a (3, 10, 10) input."""
    return QBuilder((3, 10, 10), in_q).conv("conv1", 4, y_q, form, **conv)


@dataclass(frozen=True)
class Case:
    id: str
    form: str
    make: Callable[[], QBuilder]
    note: str  # why onnxruntime is a CPU-independent oracle here


S8_EXACT = "int8 activations: s8 x s8 kernels are exact on every CPU"
U8_SAFE = f"uint8 activations, |w| <= {U8_PAIR_SAFE}: pairs cannot saturate"
FLOAT_QDQ = "QDQ: onnxruntime runs float Conv, within 1 LSB"

CASES = [
    Case(
        "non_pow2_scale",
        "qdq",
        lambda: base("qdq", u8(1 / 255), s8(0.1), s8(0.37), s8(0.05)),
        FLOAT_QDQ,
    ),
    Case(
        "non_pow2_scale_qop",
        "qop",
        lambda: base("qop", s8(0.02), s8(0.1), s8(0.3), s8(0.05)),
        S8_EXACT,
    ),
    Case(
        "nonzero_zero_point",
        "qdq",
        lambda: base("qdq", u8(1 / 255), s8(0.0625, 3), s8(0.0625, -9), s8(0.03125, 11)),
        FLOAT_QDQ,
    ),
    Case(
        "nonzero_input_zero_point",
        "qdq",
        lambda: base("qdq", u8(2**-7, 128), s8(0.0625), s8(0.0625), s8(0.03125)),
        FLOAT_QDQ,
    ),
    Case(
        "nonzero_zero_point_qop",
        "qop",
        lambda: base("qop", s8(0.013, 7), s8(0.0625, -5), s8(0.21, 4), s8(0.04, -3)),
        S8_EXACT,
    ),
    Case(
        "per_channel_scale",
        "qdq",
        lambda: conv_then("qdq", u8(1 / 255), s8(2**-1), w_scale=[2**-6, 2**-5, 2**-6, 2**-7]),
        FLOAT_QDQ,
    ),
    Case(
        "per_channel_scale_qop",
        "qop",
        lambda: base(
            "qop", s8(0.011, -4), s8(0.09, 2), s8(0.2), s8(0.05), w_scale=[3e-3, 1e-2, 7e-4, 5e-3]
        ),
        S8_EXACT,
    ),
    Case(
        "leaky_alpha",
        "qdq",
        lambda: conv_then("qdq", u8(1 / 255), s8(0.05)).act("leaky1", "LeakyRelu", alpha=0.1),
        FLOAT_QDQ,
    ),
    Case(
        "leaky_alpha_qop",
        "qop",
        lambda: conv_then("qop", s8(0.02), s8(0.05, -7)).act(
            "leaky1", "LeakyRelu", "qop", alpha=0.2
        ),
        S8_EXACT,
    ),
    Case(
        "maxpool_scales_differ",
        "qdq",
        lambda: (
            conv_then("qdq", u8(1 / 255), s8(2**-4))
            .pool("pool1", out_q=s8(2**-3))
            .conv("conv2", 2, s8(0.1), k=1)
        ),
        FLOAT_QDQ,
    ),
    Case(
        "leaky_scales_differ",
        "qdq",
        lambda: conv_then("qdq", u8(1 / 255), s8(2**-4)).act(
            "leaky1", "LeakyRelu", out_q=s8(2**-1), alpha=0.125
        ),
        FLOAT_QDQ,
    ),
    Case(
        "leaky_scales_differ_qop",
        "qop",
        lambda: conv_then("qop", s8(2**-7), s8(2**-4)).act(
            "leaky1", "LeakyRelu", "qop", out_q=s8(2**-2, 5), alpha=0.125
        ),
        S8_EXACT,
    ),
    Case(
        "uint8_inside",
        "qdq",
        lambda: conv_then("qdq", s8(2**-7), u8(2**-4)).conv("conv2", 2, u8(2**-4), k=1),
        FLOAT_QDQ,
    ),
    # what onnxruntime's quantizer writes by default: uint8 asymmetric activations
    Case(
        "uint8_asymmetric",
        "qdq",
        lambda: (
            QBuilder((3, 10, 10), u8(0.0123, 131))
            .conv(
                "conv1", 5, u8(0.047, 90), pad=1, relu=True, w_scale=[2e-3, 4e-3, 1e-3, 3e-3, 5e-3]
            )
            .pool("pool1")
            .conv("conv2", 4, u8(0.031, 117), k=1)
            .gap("gap1", u8(0.02, 125))
        ),
        FLOAT_QDQ,
    ),
    Case(
        "uint8_asymmetric_qop",
        "qop",
        lambda: (
            QBuilder((3, 10, 10), u8(0.0123, 131), w_max=U8_PAIR_SAFE)
            .conv("conv1", 5, u8(0.047, 90), "qop", pad=1, w_scale=[2e-3, 4e-3, 1e-3, 3e-3, 5e-3])
            .pool("pool1", "qop")
            .conv("conv2", 4, u8(0.031, 117), "qop", k=1, stride=2)
            .act("leaky1", "LeakyRelu", "qop", out_q=u8(0.017, 100), alpha=0.3)
            .gap("gap1", u8(0.02, 125), "qop")
        ),
        U8_SAFE,
    ),
    Case(
        "clip_table",
        "qdq",
        lambda: (
            conv_then("qdq", u8(1 / 255), s8(0.07, -10))
            .act("clip1", "Clip", out_q=u8(6 / 255), bounds=(0.0, 6.0))
            .conv("conv2", 3, s8(0.11, 2), k=1)
        ),
        FLOAT_QDQ,
    ),
]


def compare(case: Case, n: int = 48) -> tuple[np.ndarray, np.ndarray]:
    model = case.make().model()
    net = from_onnx(model)
    assert not net.is_pow2  # not the old power-of-two path
    x = net_input(net, n, seed=3)
    return reference.run(net, x).astype(np.int64), run_ort(net, model, x)


@pytest.mark.parametrize("case", [c for c in CASES if c.form == "qop"], ids=lambda c: c.id)
def test_qoperator_bit_exact(case: Case) -> None:
    got, want = compare(case)
    assert got.shape == want.shape
    assert np.array_equal(got, want), case.note


@pytest.mark.parametrize("case", [c for c in CASES if c.form == "qdq"], ids=lambda c: c.id)
def test_qdq_within_one_lsb(case: Case) -> None:
    got, want = compare(case)
    assert got.shape == want.shape
    diff = np.abs(got - want)
    assert int(diff.max()) <= 1, case.note
    assert float(np.mean(diff == 0)) >= 0.999, case.note


def test_imported_quantisation() -> None:
    """The imported IR keeps the model's scales, zero points, types and tables."""
    net = from_onnx(next(c for c in CASES if c.id == "uint8_asymmetric_qop").make().model())
    assert net.input_q == u8(0.0123, 131)
    conv1, conv2 = net.stages
    assert conv1.x_q == u8(0.0123, 131) and conv1.y_q == u8(0.047, 90)
    assert np.array_equal(conv1.w_scale, np.float32([2e-3, 4e-3, 1e-3, 3e-3, 5e-3]))
    assert conv2.activation is Activation.TABLE and conv2.out_q == u8(0.017, 100)
    assert net.gap is not None and net.gap.y_q == u8(0.02, 125)
    relu = from_onnx(next(c for c in CASES if c.id == "uint8_asymmetric").make().model())
    assert relu.stages[0].activation is Activation.RELU  # max(y, 90): no table needed


def test_emit_accepts_general_conv_stages(tmp_path: Path) -> None:
    """Conv stages with any scale, zero points, uint8 and tables have hardware now
    (pocket_cnn.emit.hw_view; GHDL against the reference in tests/test_hw_general.py)."""
    net = from_onnx(CASES[0].make().model())
    net = dataclasses.replace(net, gap=None)
    files = emit(net, tmp_path)
    text = files[0].read_text()
    assert "PCNN_RQ_SHIFT" not in text and ("PCNN_RQ_MULT" in text or "PCNN_RQ_EXACT" in text)
    for i, st in enumerate(net.stages):
        assert (f"C_PE{i}_TABLE" in text) == (st.activation is Activation.TABLE)
