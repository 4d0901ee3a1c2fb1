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
import pytest

from pocket_cnn import reference
from pocket_cnn.emit import emit
from pocket_cnn.ir import Activation, QTensor
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.reference.oracle import run_ort
from pocket_cnn.zoo.draw import net_input
from pocket_cnn.zoo.qbuilder import QBuilder, s8, u8

#: largest |weight| in models with uint8 activations into a QOperator conv (see above)
U8_PAIR_SAFE = 64


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
