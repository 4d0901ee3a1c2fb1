"""8-bit activation tables equal onnxruntime's results on every input byte (issue 12).

``pocket_cnn.onnx_import.tables`` builds ``Q(f(DQ(q)))`` for all 256 input values in
float32 with onnxruntime's own Sigmoid / Tanh approximations (MLAS) and Eigen's
HardSigmoid. What onnxruntime computes depends on the CPU: on x86-64 with AVX2 + FMA3
MLAS runs fused multiply-adds, without FMA3 a multiply then an add. The importer builds
the FMA3 tables (every machine of the project has AVX2 + FMA3); these tests compare the
variant of the CPU they run on (``fma`` below) with onnxruntime, and the last test runs
them on an emulated CPU without FMA3 (qemu-user ``-cpu SandyBridge``) against the
other variant.

The oracle here is onnxruntime itself (graph optimisations off, one thread):
- float functions on ~400k float inputs (bit patterns compared);
- QDQ ``DequantizeLinear -> op -> QuantizeLinear`` with random scales and zero points,
  uint8 and int8 in and out (also mixed), input arrays of 263 values (not a multiple of
  the 8-wide vector: the masked tail of the kernels is exercised too);
- com.microsoft ``QLinearSigmoid`` / ``QLinearLeakyRelu`` (onnxruntime builds a
  256-entry table from the same kernels).
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from pocket_cnn.ir import QTensor
from pocket_cnn.onnx_import import tables

ort = pytest.importorskip("onnxruntime")

TESTS = Path(__file__).resolve().parent
QEMU = shutil.which("qemu-x86_64")
X86 = platform.machine().lower() in ("x86_64", "amd64")


def _cpu_has_fma3() -> bool:
    """Whether onnxruntime's MLAS takes its FMA3 kernels here (AVX2 and FMA3, as seen by
    CPUID: numpy's runtime detection, which also sees an emulated CPU)."""
    from numpy._core._multiarray_umath import __cpu_features__ as feats

    return bool(feats.get("AVX2")) and bool(feats.get("FMA3"))


FMA = _cpu_has_fma3()
needs_x86 = pytest.mark.skipif(
    not X86, reason="onnxruntime's x86-64 MLAS kernels are emulated; other CPUs differ"
)
VARIANT = "fma3" if FMA else "generic (no FMA3)"

FloatFnOf = Callable[[bool], tables.FloatFn]
#: op -> (attributes, float function of the fma flag)
FLOAT_OPS: dict[str, tuple[dict[str, Any], FloatFnOf]] = {
    "Sigmoid": ({}, lambda fma: lambda v: tables.sigmoid(v, fma)),
    "Tanh": ({}, lambda fma: lambda v: tables.tanh(v, fma)),
    "HardSigmoid": ({}, lambda fma: tables.hard_sigmoid(0.2, 0.5)),
    "HardSigmoid_a": (
        {"alpha": 0.1666667, "beta": 0.5},
        lambda fma: tables.hard_sigmoid(0.1666667, 0.5),
    ),
    "HardSigmoid_b": ({"alpha": 0.37, "beta": 0.21}, lambda fma: tables.hard_sigmoid(0.37, 0.21)),
}


def _session(model: onnx.ModelProto) -> Any:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(
        model.SerializeToString(), sess_options=opts, providers=["CPUExecutionProvider"]
    )


def _model(
    nodes: list[onnx.NodeProto], inputs: list[Any], outputs: list[Any], inits: list[Any]
) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "tables", inputs, outputs, inits)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
    )
    model.ir_version = 8
    return model


def _bits(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32).view(np.uint32)


# ---- float32 arithmetic -----------------------------------------------------------------
def _f32_of(value: Fraction) -> float:
    """The float32 nearest ``value`` (ties to even), exactly, for normal numbers."""
    if value == 0:
        return 0.0
    mag = abs(value)
    exp = mag.numerator.bit_length() - mag.denominator.bit_length()
    while Fraction(2) ** exp > mag:
        exp -= 1
    while Fraction(2) ** (exp + 1) <= mag:
        exp += 1
    scaled = mag / Fraction(2) ** (exp - 23)
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    half = Fraction(rest, scaled.denominator)
    if half > Fraction(1, 2) or (half == Fraction(1, 2) and whole % 2 == 1):
        whole += 1
    out = float(whole) * 2.0 ** (exp - 23)
    return -out if value < 0 else out


def test_fma32_is_one_rounding() -> None:
    """``fma32`` equals the exactly rounded ``a * b + c`` (rational arithmetic), also where
    the float64 sum alone would round twice."""
    rng = np.random.default_rng(5)
    n = 3000
    a = rng.standard_normal(n).astype(np.float32)
    b = (rng.standard_normal(n) * 8).astype(np.float32)
    c = (rng.standard_normal(n) * np.float32(2.0) ** rng.integers(-30, 4, n)).astype(np.float32)
    # cancellation and tiny addends: the hard cases of double rounding
    c[: n // 4] = (-(a[: n // 4].astype(np.float64) * b[: n // 4])).astype(np.float32)
    got = tables.fma32(a, b, c)
    want = [
        _f32_of(Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z)))
        for x, y, z in zip(a, b, c, strict=True)
    ]
    assert np.array_equal(got, np.asarray(want, dtype=np.float32))
    # (1 + 2**-12)**2 + 2**-60 lies just above a float32 tie: float64 drops the 2**-60
    # and then rounds the tie to even (down); one rounding goes up
    one = np.float32(1 + 2.0**-12)
    tiny = np.float32(2.0**-60)
    twice = np.float32(np.float64(one) * np.float64(one) + np.float64(tiny))
    assert tables.fma32(one, one, tiny) == np.float32(1 + 2.0**-11 + 2.0**-23)
    assert twice == np.float32(1 + 2.0**-11)


# ---- the float functions ----------------------------------------------------------------
def _float_inputs() -> np.ndarray:
    rng = np.random.default_rng(11)
    parts = [rng.standard_normal(60000) * s for s in (0.05, 0.5, 2.0, 6.0, 20.0, 300.0)]
    grid = np.linspace(-25.0, 25.0, 40001)
    edges = [0.0, -0.0, 5.0, -5.0, 9.0, -9.0, 18.0, -18.0, 1e-30, -1e-30, 3e38, -3e38]
    return np.concatenate([*parts, grid, edges]).astype(np.float32)


@needs_x86
@pytest.mark.parametrize("op", sorted(FLOAT_OPS))
def test_float_function_matches_ort(op: str) -> None:
    """Bit for bit on ~400k float32 inputs, the variant of this CPU."""
    attrs, make = FLOAT_OPS[op]
    x = _float_inputs()
    node = helper.make_node(op.split("_")[0], ["x"], ["y"], **attrs)
    vi = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [x.size]) for n in ("x", "y")]
    got = _session(_model([node], [vi[0]], [vi[1]], [])).run(None, {"x": x})[0]
    want = make(FMA)(x)
    bad = np.flatnonzero(_bits(got) != _bits(want))
    assert bad.size == 0, f"{op} ({VARIANT}): {bad.size} mismatches, e.g. x={x[bad[:3]]}"


def test_numpy_functions_are_not_onnxruntimes() -> None:
    """Why the emulation exists: exact tanh / logistic differ from onnxruntime's, and the
    two MLAS variants (FMA3 or not) differ from each other."""
    x = _float_inputs()
    assert np.mean(_bits(np.tanh(x)) != _bits(tables.tanh(x))) > 0.1
    with np.errstate(over="ignore"):
        exact_sig = (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32)
    assert np.mean(_bits(exact_sig) != _bits(tables.sigmoid(x))) > 0.05
    assert np.any(_bits(tables.tanh(x, True)) != _bits(tables.tanh(x, False)))
    assert np.any(_bits(tables.sigmoid(x, True)) != _bits(tables.sigmoid(x, False)))


# ---- 8-bit tables -----------------------------------------------------------------------
ELEM = {False: TensorProto.UINT8, True: TensorProto.INT8}
DTYPE = {False: np.uint8, True: np.int8}
N_SETTINGS = 48


def _random_q(rng: np.random.Generator, signed: bool, lo_exp: float, hi_exp: float) -> QTensor:
    scale = float(np.float32(10.0 ** rng.uniform(lo_exp, hi_exp)))
    zp = int(rng.integers(-128, 128)) if signed else int(rng.integers(0, 256))
    return QTensor(scale, zp, signed)


def _table_input(signed: bool, rng: np.random.Generator) -> np.ndarray:
    """Every value of the type, shuffled, plus 7 repeats: 263 values."""
    dom = tables.domain(QTensor(1.0, 0, signed))
    vals = np.concatenate([dom, rng.choice(dom, 7)])
    rng.shuffle(vals)
    return vals.astype(DTYPE[signed])


def _qdq_settings(seed: int, mixed: bool = True) -> list[tuple[QTensor, QTensor]]:
    """Random (input, output) quantisations; ``mixed``: some u8 -> s8 and s8 -> u8."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(N_SETTINGS):
        in_signed = bool(i % 2)
        out_signed = not in_signed if mixed and i % 6 == 0 else in_signed
        # input scales from 0.001 to 0.3 (dequantized range up to about +-75: every clamp
        # of the approximations is reached), output scales around the function's range
        out.append((_random_q(rng, in_signed, -3.0, -0.5), _random_q(rng, out_signed, -3.0, -1.0)))
    return out


def _scalar(name: str, value: float | int, elem: int | None = None) -> onnx.TensorProto:
    if elem is None:
        return numpy_helper.from_array(np.array(value, dtype=np.float32), name)
    return numpy_helper.from_array(np.array(value, dtype=DTYPE[elem == TensorProto.INT8]), name)


def _run_branches(
    build: Callable[[int, str, QTensor, QTensor, list[onnx.TensorProto]], list[onnx.NodeProto]],
    settings: list[tuple[QTensor, QTensor]],
    seed: int,
) -> list[tuple[np.ndarray, np.ndarray, QTensor, QTensor]]:
    """One model, one branch per setting (its input: the uint8 or the int8 input);
    returns (input values, output values, in_q, out_q) per branch."""
    rng = np.random.default_rng(seed)
    feeds = {"xu": _table_input(False, rng), "xs": _table_input(True, rng)}
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []
    outs = []
    for i, (in_q, out_q) in enumerate(settings):
        nodes += build(i, "xs" if in_q.signed else "xu", in_q, out_q, inits)
        outs.append(helper.make_tensor_value_info(f"y{i}", ELEM[out_q.signed], [263]))
    inputs = [helper.make_tensor_value_info(n, ELEM[n == "xs"], [263]) for n in ("xu", "xs")]
    got = _session(_model(nodes, inputs, outs, inits)).run(None, feeds)
    return [
        (feeds["xs" if a.signed else "xu"], g, a, b)
        for g, (a, b) in zip(got, settings, strict=True)
    ]


def _qparams(i: int, tag: str, q: QTensor, inits: list[onnx.TensorProto]) -> list[str]:
    names = [f"{tag}_s{i}", f"{tag}_z{i}"]
    inits.append(_scalar(names[0], q.scale))
    inits.append(_scalar(names[1], q.zero_point, ELEM[q.signed]))
    return names


def _check(
    results: list[tuple[np.ndarray, np.ndarray, QTensor, QTensor]], fn: tables.FloatFn, what: str
) -> None:
    for x, got, in_q, out_q in results:
        table = tables.float_table(in_q, out_q, [fn])
        want = table[x.astype(np.int64) - in_q.lo]
        bad = np.flatnonzero(got.astype(np.int64) != want)
        assert bad.size == 0, (
            f"{what} ({VARIANT}) in {in_q.text()} out {out_q.text()}: {bad.size} of 263 "
            f"differ, e.g. q={x[bad[:3]]} ort={got[bad[:3]]} table={want[bad[:3]]}"
        )


QDQ_OPS: dict[str, tuple[dict[str, Any], FloatFnOf]] = {
    **FLOAT_OPS,
    "LeakyRelu": ({"alpha": 0.1}, lambda fma: tables.leaky(0.1)),
    "LeakyRelu_a": ({"alpha": 0.013}, lambda fma: tables.leaky(0.013)),
    "Relu": ({}, lambda fma: tables.relu),
}


@needs_x86
@pytest.mark.parametrize("op", sorted(QDQ_OPS))
def test_qdq_tables_match_ort(op: str) -> None:
    """DequantizeLinear -> op -> QuantizeLinear, 48 random settings, all 256 inputs."""
    attrs, make = QDQ_OPS[op]

    def build(i: int, x: str, in_q: QTensor, out_q: QTensor, inits: list[Any]) -> list[Any]:
        dq = _qparams(i, "x", in_q, inits)
        q = _qparams(i, "y", out_q, inits)
        return [
            helper.make_node("DequantizeLinear", [x, *dq], [f"d{i}"]),
            helper.make_node(op.split("_")[0], [f"d{i}"], [f"f{i}"], **attrs),
            helper.make_node("QuantizeLinear", [f"f{i}", *q], [f"y{i}"]),
        ]

    seed = sum(map(ord, op))
    _check(_run_branches(build, _qdq_settings(seed), seed), make(FMA), op)


@needs_x86
def test_qdq_clip_table_matches_ort() -> None:
    """DequantizeLinear -> Clip(lo, hi) -> QuantizeLinear with random bounds."""
    rng = np.random.default_rng(3)
    settings = _qdq_settings(3)
    bounds = [
        (float(np.float32(rng.uniform(-1, 0.5))), float(np.float32(rng.uniform(0.6, 6))))
        for _ in settings
    ]

    def build(i: int, x: str, in_q: QTensor, out_q: QTensor, inits: list[Any]) -> list[Any]:
        dq = _qparams(i, "x", in_q, inits)
        q = _qparams(i, "y", out_q, inits)
        inits += [_scalar(f"lo{i}", bounds[i][0]), _scalar(f"hi{i}", bounds[i][1])]
        return [
            helper.make_node("DequantizeLinear", [x, *dq], [f"d{i}"]),
            helper.make_node("Clip", [f"d{i}", f"lo{i}", f"hi{i}"], [f"f{i}"]),
            helper.make_node("QuantizeLinear", [f"f{i}", *q], [f"y{i}"]),
        ]

    results = _run_branches(build, settings, 3)
    for i, res in enumerate(results):
        _check([res], tables.clip(*bounds[i]), f"Clip{bounds[i]}")


@needs_x86
@pytest.mark.parametrize("op", ["QLinearSigmoid", "QLinearLeakyRelu"])
def test_qlinear_lookup_tables_match_ort(op: str) -> None:
    """com.microsoft QLinearSigmoid / QLinearLeakyRelu (X and Y of the same type)."""
    alpha = 0.07
    seed = sum(map(ord, op))
    settings = _qdq_settings(seed, mixed=False)
    attrs = {"alpha": alpha} if op == "QLinearLeakyRelu" else {}

    def build(i: int, x: str, in_q: QTensor, out_q: QTensor, inits: list[Any]) -> list[Any]:
        xq = _qparams(i, "x", in_q, inits)
        yq = _qparams(i, "y", out_q, inits)
        return [helper.make_node(op, [x, *xq, *yq], [f"y{i}"], domain="com.microsoft", **attrs)]

    fn = (lambda v: tables.sigmoid(v, FMA)) if op == "QLinearSigmoid" else tables.leaky(alpha)
    _check(_run_branches(build, settings, seed), fn, op)


@pytest.mark.skipif(QEMU is None or not X86 or not FMA, reason="needs qemu-user on an FMA3 host")
def test_tables_on_a_cpu_without_fma3() -> None:
    """The float functions and QDQ / QLinear tables again, on an emulated x86-64 without
    FMA3 (qemu-user -cpu SandyBridge): onnxruntime then runs MLAS's generic kernels, and
    the ``fma=False`` variant must match them."""
    assert QEMU is not None
    args = [
        QEMU,
        "-cpu",
        "SandyBridge",
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        str(TESTS / "test_tables.py"),
        "-k",
        "float_function_matches_ort and (Sigmoid or Tanh) or qdq_tables_match_ort and "
        "(Sigmoid or Tanh) or QLinearSigmoid",
    ]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=1200, check=False)
    out = proc.stdout[-3000:] + proc.stderr[-1000:]
    assert proc.returncode == 0, out
    assert " passed" in proc.stdout and "failed" not in proc.stdout, out
