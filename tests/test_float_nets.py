"""The float nets of issue 12 and their quantization with onnxruntime's quantize_static.

Every net runs in onnxruntime with the documented shapes; each quantizes under one
MATRIX setting per form and the quantized model runs and stays near the float model.
"""

from __future__ import annotations

import itertools

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from pocket_cnn.zoo.float_nets import FLOAT_NETS, SHAPES, calibration, input_range
from pocket_cnn.zoo.ort_quantize import MATRIX, Setting, quantize, quantize_setting

N_CALIB = 8
#: one setting per form: QDQ per-tensor uint8, QOperator per-channel int8 (the latter
#: takes the Gemm bias workaround for mnist_same)
ONE_PER_FORM: dict[str, Setting] = {s.form: s for s in MATRIX[:2]}


def _run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), so, ["CPUExecutionProvider"])
    return np.stack([sess.run(None, {"input": x[i : i + 1]})[0] for i in range(len(x))])


def _dims(value: onnx.ValueInfoProto) -> tuple[int, ...]:
    return tuple(int(d.dim_value) for d in value.type.tensor_type.shape.dim)


def test_registry_documents_every_net() -> None:
    assert set(FLOAT_NETS) == set(SHAPES)
    assert len(FLOAT_NETS) >= 12


@pytest.mark.parametrize("name", sorted(FLOAT_NETS))
def test_float_net_runs_with_documented_shapes(name: str) -> None:
    model = FLOAT_NETS[name](3)
    onnx.checker.check_model(model, full_check=True)
    (g_in,), (g_out,) = model.graph.input, model.graph.output
    assert (g_in.name, g_out.name) == ("input", "output")
    assert (_dims(g_in), _dims(g_out)) == SHAPES[name]
    x = calibration(model, 4, 0)
    y = _run(model, x)
    assert y.shape == (4, *SHAPES[name][1])
    assert np.all(np.isfinite(y)) and np.ptp(y) > 0


@pytest.mark.parametrize("name", sorted(FLOAT_NETS))
def test_float_net_is_deterministic(name: str) -> None:
    a, b, c = FLOAT_NETS[name](5), FLOAT_NETS[name](5), FLOAT_NETS[name](6)
    assert a.SerializeToString() == b.SerializeToString()
    assert a.graph.initializer[0].raw_data != c.graph.initializer[0].raw_data


def test_calibration_draws_from_the_input_range() -> None:
    model = FLOAT_NETS["zoo_no_relu"](0)
    x = calibration(model, 5, 2)
    lo, hi = input_range(model)
    assert (lo, hi) == (-0.5, 2.0)
    assert x.shape == (5, 1, 7, 7) and x.dtype == np.float32
    assert lo <= x.min() and x.max() <= hi
    assert np.array_equal(x, calibration(model, 5, 2))


@pytest.mark.parametrize("form", sorted(ONE_PER_FORM))
@pytest.mark.parametrize("name", sorted(FLOAT_NETS))
def test_quantized_net_runs(name: str, form: str) -> None:
    model = FLOAT_NETS[name](0)
    x = calibration(model, N_CALIB, 1)
    q = quantize_setting(model, x, ONE_PER_FORM[form])
    assert any(n.op_type == "QuantizeLinear" for n in q.graph.node)
    y, f = _run(q, x), _run(model, x)
    assert y.shape == f.shape
    # a sanity bound, not a numeric contract: 8-bit activations, a few layers
    assert np.max(np.abs(y - f)) <= 0.1 * np.ptp(f)


def test_quantize_leaves_the_float_model_alone() -> None:
    model = FLOAT_NETS["fc1"](0)
    before = model.SerializeToString()
    quantize(
        model,
        calibration(model, 2, 0),
        form="qdq",
        per_channel=False,
        activation_type="uint8",
        reduce_range=False,
        method="minmax",
    )
    assert model.SerializeToString() == before


def test_matrix_covers_every_axis_value_and_pair() -> None:
    assert len(MATRIX) <= 8 and len(set(MATRIX)) == len(MATRIX)
    axes: list[tuple[str, tuple[object, ...]]] = [
        ("form", ("qdq", "qoperator")),
        ("per_channel", (False, True)),
        ("activation_type", ("uint8", "int8")),
        ("reduce_range", (False, True)),
        ("method", ("minmax", "entropy", "percentile")),
    ]

    def val(s: Setting, axis: str) -> object:
        return getattr(s, axis)

    for (a, va), (b, vb) in itertools.combinations(axes, 2):
        seen = {(val(s, a), val(s, b)) for s in MATRIX}
        assert seen == set(itertools.product(va, vb)), (a, b)
    assert {s.optimize for s in MATRIX} == {True, False}
