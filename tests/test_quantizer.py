"""``pocket-cnn quantize`` (pocket_cnn.quantizer): float ONNX CNNs as PyTorch exports
them (Conv with bias, BatchNormalization, Relu, LeakyRelu 0.125, MaxPool, GAP,
Flatten/Reshape, Gemm) quantized for the hardware.

For 8 float models (the zoo's shapes with float weights, two with BatchNormalization,
four with fully connected layers), in float scales and in power-of-two scales: the
quantized model runs in onnxruntime, ``check`` accepts it, the reference equals
onnxruntime bit for bit, and the output error against the float model is reported
and small. The oracle: for float scales, onnxruntime's integer kernels on the same
quantisation written in QOperator form (uint8 activations with weights up to 127 are
exact only on a VNNI CPU: the test says so where it cannot decide); for power-of-two
scales, the QDQ model itself (its float path is exact with power-of-two scales).
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import onnx
import pytest
from _support.cpu import has_vnni
from onnx import numpy_helper

from pocket_cnn import reference
from pocket_cnn.cli.main import main
from pocket_cnn.emit.hw_view import Requant, conv_hw
from pocket_cnn.ir import Network
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.quantizer import (
    QuantOptions,
    qoperator_translation,
    quant_report,
    quantize_float,
)
from pocket_cnn.reference.oracle import run_ort, to_float
from pocket_cnn.zoo.draw import net_input
from pocket_cnn.zoo.float_nets import FLOAT_NETS, calibration

MODELS = (
    "bn_conv3_max2",
    "bn_leaky_fc",
    "zoo_conv3_max2",
    "zoo_conv5_pad2",
    "zoo_stride2",
    "gap_fc",
    "fc3",
    "lenet",
)
OPTIONS = {
    "float-u8": QuantOptions(),
    "float-s8-pc": QuantOptions(per_channel=True, activation_type="int8"),
    "pow2": QuantOptions(scales="pow2"),
}
N_CALIB = 32


@functools.cache
def quantized(name: str, opt: str) -> tuple[onnx.ModelProto, onnx.ModelProto, np.ndarray]:
    float_model = FLOAT_NETS[name](0)
    calib = calibration(float_model, N_CALIB, 1)
    return float_model, quantize_float(float_model, calib, OPTIONS[opt]), calib


def _ort(net: Network, model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    """onnxruntime's output words, one image at a time (the models have batch 1)."""
    return np.concatenate([run_ort(net, model, x[i : i + 1]) for i in range(len(x))])


def _same_ir(a: Network, b: Network) -> None:
    """The QDQ model and its QOperator translation are one quantisation."""
    assert a.input_q == b.input_q
    for sa, sb in zip([*a.stages, *a.fc], [*b.stages, *b.fc], strict=True):
        np.testing.assert_array_equal(sa.weights, sb.weights)
        np.testing.assert_array_equal(sa.bias, sb.bias)
        np.testing.assert_array_equal(sa.w_scale, sb.w_scale)
        assert sa.y_q == sb.y_q


@pytest.mark.parametrize("opt", sorted(OPTIONS))
@pytest.mark.parametrize("name", MODELS)
def test_quantized_model_is_exact_and_close(name: str, opt: str, tmp_path: Path) -> None:
    float_model, q, calib = quantized(name, opt)
    net = from_onnx(q)
    path = tmp_path / "q.onnx"
    onnx.save(q, path)
    assert main(["check", str(path)]) == 0
    x = net_input(net, 24, seed=2)
    got = reference.run(net, x).astype(np.int64)
    if OPTIONS[opt].scales == "pow2":
        assert net.is_pow2
        assert all(conv_hw(st, i == 0).mode is Requant.SHIFT for i, st in enumerate(net.stages))
        want = _ort(net, q, x)
    else:
        translation = qoperator_translation(float_model, calib, OPTIONS[opt])
        net_op = from_onnx(translation)
        _same_ir(net, net_op)
        if not net.input_q.signed and not has_vnni():
            pytest.skip("uint8 activations, CPU without VNNI: onnxruntime's kernels saturate")
        want = _ort(net_op, translation, x)
    assert np.array_equal(got, want)
    report = quant_report(float_model, q, calib)
    rel = report.out_mean_error / report.out_range
    print(f"{name} {opt}: mean output error {100 * rel:.2f} % of the float range")
    assert rel < 0.03, report.text()
    assert len(report.rows) >= len(net.stages)


def test_pow2_scales_are_powers_of_two() -> None:
    """Every scale of a --scales pow2 model is 2**k and every zero point 0."""
    _, q, _ = quantized("bn_leaky_fc", "pow2")
    inits = {t.name: numpy_helper.to_array(t) for t in q.graph.initializer}
    for node in q.graph.node:
        if node.op_type in ("QuantizeLinear", "DequantizeLinear"):
            s = float(inits[node.input[1]].reshape(-1)[0])
            assert math.log2(s) == round(math.log2(s))
            if len(node.input) > 2 and node.input[2]:
                assert not np.any(inits[node.input[2]])


def test_batchnorm_is_folded() -> None:
    """The BatchNormalization of the float model leaves no trace in the quantized one,
    and the quantized model follows the float model."""
    float_model, q, calib = quantized("bn_conv3_max2", "float-u8")
    assert "BatchNormalization" in {n.op_type for n in float_model.graph.node}
    assert "BatchNormalization" not in {n.op_type for n in q.graph.node}
    report = quant_report(float_model, q, calib)
    assert report.out_mean_error / report.out_range < 0.03
    assert all(r.rel_error is None or r.rel_error < 0.05 for r in report.rows)


def test_quantize_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    float_model = FLOAT_NETS["bn_leaky_fc"](0)
    onnx.save(float_model, tmp_path / "f.onnx")
    np.save(tmp_path / "x.npy", calibration(float_model, 8, 0))
    out = tmp_path / "q.onnx"
    args = ["quantize", str(tmp_path / "f.onnx"), "--calibration", str(tmp_path / "x.npy")]
    assert main([*args, "-o", str(out), "--scales", "pow2"]) == 0
    text = capsys.readouterr().out
    assert "sat %" in text and "output error against float" in text
    net = from_onnx(onnx.load(out))
    assert net.is_pow2
    x = net_input(net, 2, seed=0)
    assert reference.run(net, x).shape == (2, 10)
    assert to_float(net, x).dtype == np.float32


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("missing_model", "file not found"),
        ("bad_calibration", "does not match the model input"),
        ("missing_calibration", "not found"),
    ],
)
def test_quantize_cli_bad_input(
    case: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    float_model = FLOAT_NETS["zoo_conv3_max2"](0)
    onnx.save(float_model, tmp_path / "f.onnx")
    np.save(tmp_path / "x.npy", calibration(float_model, 4, 0))
    np.save(tmp_path / "bad.npy", np.zeros((4, 3, 6, 6), np.float32))
    model = tmp_path / ("none.onnx" if case == "missing_model" else "f.onnx")
    calib = {"bad_calibration": "bad.npy", "missing_calibration": "none.npy"}.get(case, "x.npy")
    out = tmp_path / "q.onnx"
    rc = main(["quantize", str(model), "--calibration", str(tmp_path / calib), "-o", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert words in err and "\n" not in err and "Traceback" not in err
    assert not out.exists()
