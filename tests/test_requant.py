"""Requantisation with any fp32 scale (pocket_cnn.ir.requant) and 8-bit activation tables
(pocket_cnn.onnx_import.tables) against the float32 formula and onnxruntime.

- ``requantize_exact`` (integers only) equals ``requantize_f32`` (the float32 formula
  of docs/numerics.md) on random and adversarial int32 accumulators;
- both equal onnxruntime's QLinearConv bit for bit on accumulators crafted to sit on
  and next to rounding ties, also past 2**24. The models are int8 x int8, whose
  kernels are exact on every CPU (docs/numerics.md), so the oracle does not depend on
  the CPU;
- ``single_rounding_exact`` agrees with brute force, both ways;
- ``float_table`` equals onnxruntime for all 256 inputs (com.microsoft QLinearLeakyRelu
  and DequantizeLinear -> LeakyRelu / Relu / Clip -> QuantizeLinear). These run no
  integer matrix kernel, so no CPU dependence either.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from pocket_cnn import reference
from pocket_cnn.ir import QTensor
from pocket_cnn.ir.requant import (
    F32_BITS,
    PROOF_LIMIT,
    Mantissa,
    conv_multiplier,
    mantissa,
    requantize_exact,
    requantize_f32,
    requantize_single,
    single_rounding_exact,
)
from pocket_cnn.onnx_import import from_onnx, tables
from pocket_cnn.reference.oracle import run_ort, session

MS = "com.microsoft"
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def out_type(rng: np.random.Generator) -> tuple[int, int, int]:
    """A random output type: (zero point, lo, hi) of uint8 or int8."""
    if rng.integers(2):
        return int(rng.integers(-128, 128)), -128, 127
    return int(rng.integers(0, 256)), 0, 255


def random_multipliers(rng: np.random.Generator, channels: int) -> np.ndarray:
    """QLinearConv multipliers from random fp32 scales, spread over 2**-31 .. 2**1 so
    that accumulators up to int32 can land inside the output range."""
    x_scale = float(10 ** rng.uniform(-4, 0))
    w_scale = 10 ** rng.uniform(-4, -1, channels)
    target = 2.0 ** rng.uniform(-31, 1)
    y_scale = float(x_scale * float(np.median(w_scale)) / target)
    return conv_multiplier(x_scale, w_scale, y_scale)


def adversarial_acc(
    rng: np.random.Generator, mult: np.ndarray, zp: int, lo: int, hi: int, n: int
) -> np.ndarray:
    """(n, C) int64 accumulators per channel: next to ties (k + 0.5) / M, around powers of
    two (where float32 starts to round the accumulator), inside the unclamped window,
    and anywhere in int32."""
    cols = []
    for m in np.asarray(mult, np.float64):
        k = rng.integers(lo - zp - 1, hi - zp + 2, n // 4)
        ties = np.floor((k + 0.5) / m).astype(np.int64) + rng.integers(-2, 3, k.size)
        bits = rng.integers(20, 31, n // 8)
        pow2 = (1 << bits) * rng.choice([-1, 1], bits.size) + rng.integers(-3, 4, bits.size)
        window = max(int((hi - lo + 4) / m), 1)
        inside = rng.integers(-window, window + 1, n // 4) - int(zp / m)
        anywhere = rng.integers(INT32_MIN, INT32_MAX, n - 2 * (n // 4) - n // 8, endpoint=True)
        cols.append(np.concatenate([ties, pow2, inside, anywhere]))
    return np.clip(np.stack(cols, axis=1), INT32_MIN, INT32_MAX)


@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
def test_exact_equals_f32_formula(per_channel: bool) -> None:
    rng = np.random.default_rng(12 + per_channel)
    large = 0
    for _ in range(150):
        mult = random_multipliers(rng, 16 if per_channel else 1)
        zp, lo, hi = out_type(rng)
        acc = adversarial_acc(rng, mult, zp, lo, hi, 2000)
        if not per_channel:
            acc = acc[:, 0]
        axis = 1 if per_channel else 0
        want = requantize_f32(acc, mult, zp, lo, hi, axis=axis)
        got = requantize_exact(acc, mantissa(mult), zp, lo, hi, axis=axis)
        assert np.array_equal(got, want), (mult, zp)
        # accumulators past 2**24 whose output is not clamped: float32 rounds them
        large += int(np.sum((np.abs(acc) > 1 << F32_BITS) & (want > lo) & (want < hi)))
    assert large > 1000


# ---- onnxruntime's QLinearConv on crafted accumulators ---------------------------------
GROUP = 64  # input channels per output channel: one of weight 1, 63 of weight 127
COUT = 8
SIDE = 16  # 16 x 16 pixels: 256 accumulators per output channel
DIGIT = 99  # |x - x_zp| of the weight-127 channels


def qlinear_conv_model(
    x_q: QTensor, weights: np.ndarray, w_scale: np.ndarray, bias: np.ndarray, y_q: QTensor
) -> onnx.ModelProto:
    """float input -> QuantizeLinear -> QLinearConv 1x1 -> DequantizeLinear."""
    inits: list[onnx.TensorProto] = []

    def const(name: str, arr: object) -> str:
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def sz(name: str, q: QTensor) -> list[str]:
        zp = (np.int8 if q.signed else np.uint8)(q.zero_point)
        return [const(f"{name}_scale", np.float32(q.scale)), const(f"{name}_zp", zp)]

    cout, cin = weights.shape[:2]
    nodes = [
        helper.make_node("QuantizeLinear", ["input", *sz("x", x_q)], ["xq"], name="input_q"),
        helper.make_node(
            "QLinearConv",
            [
                "xq",
                *sz("x2", x_q),
                const("w", weights),
                const("w_scale", w_scale),
                const("w_zp", np.zeros(np.shape(w_scale), np.int8)),
                *sz("y", y_q),
                const("b", bias),
            ],
            ["yq"],
            name="conv1",
            kernel_shape=[1, 1],
        ),
        helper.make_node("DequantizeLinear", ["yq", *sz("out", y_q)], ["output"], name="out_dq"),
    ]
    graph = helper.make_graph(
        nodes,
        "crafted",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, cin, SIDE, SIDE])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, cout, SIDE, SIDE])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def crafted_case(
    rng: np.random.Generator, per_channel: bool
) -> tuple[onnx.ModelProto, np.ndarray, np.ndarray, np.ndarray]:
    """A 1x1 int8 QLinearConv with block-diagonal weights (output channel o reads input
    channels o*64 .. o*64+63: weight 1 once, 127 63 times) and an input whose
    accumulators are chosen per pixel: next to rounding ties of each channel's
    multiplier, some of them past 2**24 (a large bias moves the window there). Weight
    scales random, per output channel or one per tensor; zero points random.

    Returns the model, the input words (1, Cin, H, W), the intended accumulators
    (1, Cout, H, W) and the multipliers."""
    x_zp = int(rng.integers(-20, 21))
    x_q = QTensor(float(np.float32(10 ** rng.uniform(-3, 0))), x_zp, True)
    y_q = QTensor(float(np.float32(10 ** rng.uniform(-2, 1))), int(rng.integers(-100, 101)), True)
    # multipliers 2**-30 .. 2**-2 (one per channel or one): w_scale = M * y_scale / x_scale
    targets = 2.0 ** rng.uniform(-30, -2, COUT if per_channel else 1)
    w_scale = (targets * y_q.scale / x_q.scale).astype(np.float32)
    if not per_channel:
        w_scale = w_scale.reshape(())  # a scalar, as the quantizer writes it
    mult = np.broadcast_to(conv_multiplier(x_q.scale, w_scale, y_q.scale), (COUT,))
    weights = np.zeros((COUT, COUT * GROUP, 1, 1), np.int8)
    for o in range(COUT):
        weights[o, o * GROUP] = 1
        weights[o, o * GROUP + 1 : (o + 1) * GROUP] = 127
    reach = 127 * (GROUP - 1) * DIGIT  # |acc - bias| the inputs can give
    bias = np.zeros(COUT, np.int64)
    acc = np.zeros((COUT, SIDE * SIDE), np.int64)
    for o, m in enumerate(mult.astype(np.float64)):
        # centre: the tie above an output value n0 (a bias anywhere in int32)
        n_lo = max(-128 - y_q.zero_point, int(np.ceil((INT32_MIN + reach) * m)))
        n_hi = min(127 - y_q.zero_point, int(np.floor((INT32_MAX - reach) * m)) - 1)
        n0 = int(rng.integers(n_lo, n_hi + 1))
        bias[o] = int(np.clip(round((n0 + 0.5) / m), INT32_MIN + reach, INT32_MAX - reach))
        # ties (k + 0.5) / m inside the window and up to two integers either side (half of
        # the pixels), anywhere in the window (the other half)
        k_lo = int(np.ceil((bias[o] - reach) * m - 0.5)) + 1
        k_hi = int(np.floor((bias[o] + reach) * m - 0.5)) - 1
        half = SIDE * SIDE // 2
        k = rng.integers(min(k_lo, n0), max(k_hi, n0) + 1, half)
        near = np.floor((k + 0.5) / m).astype(np.int64) + rng.integers(-2, 3, half)
        spread = bias[o] + rng.integers(-reach, reach + 1, half)
        acc[o] = np.clip(np.concatenate([near, spread]), bias[o] - reach + 63, bias[o] + reach - 63)
    # digits: acc - bias = r + 127 * q, |r| <= 63, q spread over the 63 weight-127 channels
    rest = acc - bias[:, None]
    r = (rest + 63) % 127 - 63
    q = (rest - r) // 127
    base, extra = np.divmod(q, GROUP - 1)
    digits = np.empty((COUT, GROUP, SIDE * SIDE), np.int64)
    digits[:, 0] = r
    for j in range(1, GROUP):
        digits[:, j] = base + (j - 1 < extra)
    assert np.abs(digits).max() <= DIGIT + 1
    x = (digits + x_zp).reshape(1, COUT * GROUP, SIDE, SIDE)
    assert x.min() >= -128 and x.max() <= 127
    model = qlinear_conv_model(x_q, weights, w_scale, bias.astype(np.int32), y_q)
    return model, x.astype(np.int8), acc.reshape(1, COUT, SIDE, SIDE), mult


@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
def test_exact_equals_onnxruntime_qlinearconv(per_channel: bool) -> None:
    rng = np.random.default_rng(2024 + per_channel)
    large = differ_f64 = 0
    for _ in range(12):
        model, x, acc, mult = crafted_case(rng, per_channel)
        net = from_onnx(model)
        stage = net.stages[0]
        assert np.array_equal(reference.conv_acc(stage, x), acc)  # the crafting worked
        want = run_ort(net, model, x)
        y_q = stage.y_q
        exact = requantize_exact(acc, mantissa(mult), y_q.zero_point, y_q.lo, y_q.hi)
        assert np.array_equal(exact, want)
        assert np.array_equal(reference.run(net, x).astype(np.int64), want)
        assert np.array_equal(requantize_f32(acc, mult, y_q.zero_point, y_q.lo, y_q.hi), want)
        unclamped = (want > y_q.lo) & (want < y_q.hi)
        large += int(np.sum((np.abs(acc) > 1 << F32_BITS) & unclamped))
        # the data is adversarial: exact real arithmetic (float64 here) rounds differently
        m64 = mult.astype(np.float64).reshape(1, -1, 1, 1)
        naive = np.clip(np.rint(acc * m64) + y_q.zero_point, y_q.lo, y_q.hi)
        differ_f64 += int(np.sum(naive != want))
    assert large > 1000
    assert differ_f64 > 100


# ---- single rounding -----------------------------------------------------------------
def single_matches_brute_force(
    mant: Mantissa, zp: int, lo: int, hi: int, a_lo: int, a_hi: int
) -> tuple[bool, int | None]:
    """Whether one rounding equals the float32 formula on every accumulator of the range,
    and the first accumulator where it does not."""
    acc = np.arange(a_lo, a_hi + 1, dtype=np.int64)
    mult = (mant.m.astype(np.float64) * 2.0 ** -mant.s.astype(np.float64)).astype(np.float32)
    want = requantize_f32(acc, mult, zp, lo, hi, axis=0)
    cheap = requantize_single(acc, mant, zp, lo, hi, axis=0)
    bad = np.flatnonzero(cheap != want)
    return bad.size == 0, (int(acc[bad[0]]) if bad.size else None)


def random_mantissa(rng: np.random.Generator) -> Mantissa:
    """A float32 multiplier 2**-12 .. 2**-6 with a full 24-bit mantissa."""
    m = int(rng.integers(1 << 23, 1 << 24)) | 1
    return Mantissa(m=np.array([m]), s=np.array([int(rng.integers(30, 37))]))


def test_single_rounding_verdicts() -> None:
    """Search random multipliers for one that single rounding serves exactly and one it
    does not, over accumulators -2**16 .. 2**16 (past 2**24 once multiplied), and check
    every verdict against brute force."""
    rng = np.random.default_rng(7)
    a_lo, a_hi = -(1 << 16), 1 << 16
    found: dict[bool, int] = {}
    for _ in range(60):
        mant = random_mantissa(rng)
        zp, lo, hi = out_type(rng)
        assert max(-a_lo, a_hi) * int(mant.m.max()) >= 1 << F32_BITS  # not the trivial case
        verdict = single_rounding_exact(mant, zp, lo, hi, a_lo, a_hi)
        same, witness = single_matches_brute_force(mant, zp, lo, hi, a_lo, a_hi)
        assert verdict is same, (mant, zp, witness)
        found[same] = found.get(same, 0) + 1
        if not same:
            assert witness is not None
            one = np.array([witness])
            exact = requantize_exact(one, mant, zp, lo, hi, axis=0)
            assert not np.array_equal(requantize_single(one, mant, zp, lo, hi, axis=0), exact)
    assert found.get(True, 0) >= 1 and found.get(False, 0) >= 1, found


def test_single_rounding_trivial_and_undecided() -> None:
    # a power of two: a shift, exact whatever the range
    assert single_rounding_exact(mantissa(np.float32([2.0**-9])), 0, -128, 127, -(2**31), 2**31)
    # accumulator * mantissa below 2**24: no float32 rounding before the last one
    small = mantissa(np.float32([0.0123]))
    limit = (1 << F32_BITS) // int(small.m[0])
    assert single_rounding_exact(small, 0, -128, 127, -limit, limit) is True
    # a tiny multiplier over all of int32: the window to enumerate is too wide
    tiny = mantissa(np.float32([3.3e-9]))
    assert PROOF_LIMIT < 2 * 128 / 3.3e-9
    assert single_rounding_exact(tiny, 0, -128, 127, INT32_MIN, INT32_MAX) is None


# ---- 256-entry tables ------------------------------------------------------------------
def random_q(rng: np.random.Generator, signed: bool) -> QTensor:
    lo, hi = (-128, 127) if signed else (0, 255)
    scale = float(np.float32(10 ** rng.uniform(-3, 0)))
    return QTensor(scale, int(rng.integers(lo, hi + 1)), signed)


def table_model(
    op_nodes: list[onnx.NodeProto], inits: list[onnx.TensorProto], signed: bool
) -> onnx.ModelProto:
    elem = TensorProto.INT8 if signed else TensorProto.UINT8
    graph = helper.make_graph(
        op_nodes,
        "table",
        [helper.make_tensor_value_info("x", elem, [256])],
        [helper.make_tensor_value_info("y", elem, [256])],
        inits,
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 8
    return model


def scale_zp(name: str, q: QTensor) -> list[onnx.TensorProto]:
    zp = (np.int8 if q.signed else np.uint8)(q.zero_point)
    return [
        numpy_helper.from_array(np.float32(q.scale), f"{name}_scale"),
        numpy_helper.from_array(zp, f"{name}_zp"),
    ]


def ort_table(model: onnx.ModelProto, in_q: QTensor) -> np.ndarray:
    x = tables.domain(in_q).astype(np.int8 if in_q.signed else np.uint8)
    (y,) = session(model).run(None, {"x": x})
    return np.asarray(y).astype(np.int64)


@pytest.mark.parametrize("signed", [False, True], ids=["uint8", "int8"])
def test_qlinear_leaky_relu_table(signed: bool) -> None:
    rng = np.random.default_rng(30 + signed)
    for _ in range(40):
        in_q, out_q = random_q(rng, signed), random_q(rng, signed)
        alpha = float(np.float32(rng.uniform(0.0, 1.0)))
        node = helper.make_node(
            "QLinearLeakyRelu",
            ["x", "x_scale", "x_zp", "y_scale", "y_zp"],
            ["y"],
            domain=MS,
            alpha=alpha,
        )
        model = table_model([node], [*scale_zp("x", in_q), *scale_zp("y", out_q)], signed)
        want = ort_table(model, in_q)
        got = tables.float_table(in_q, out_q, [tables.leaky(alpha)])
        assert np.array_equal(got, want), (in_q, out_q, alpha)


QDQ_OPS = ["LeakyRelu", "Relu", "Clip"]


@pytest.mark.parametrize("signed", [False, True], ids=["uint8", "int8"])
@pytest.mark.parametrize("op", QDQ_OPS)
def test_qdq_elementwise_table(op: str, signed: bool) -> None:
    rng = np.random.default_rng(40 + 2 * QDQ_OPS.index(op) + signed)
    for _ in range(30):
        in_q, out_q = random_q(rng, signed), random_q(rng, signed)
        inits = [*scale_zp("x", in_q), *scale_zp("y", out_q)]
        span = 128 * in_q.scale
        if op == "LeakyRelu":
            alpha = float(np.float32(rng.uniform(0.0, 1.0)))
            fn = tables.leaky(alpha)
            act = helper.make_node(op, ["xf"], ["yf"], alpha=alpha)
        elif op == "Clip":
            lo, hi = sorted(np.float32(rng.uniform(-span, span, 2)))
            fn = tables.clip(float(lo), float(hi))
            inits += [
                numpy_helper.from_array(np.float32(lo), "lo"),
                numpy_helper.from_array(np.float32(hi), "hi"),
            ]
            act = helper.make_node(op, ["xf", "lo", "hi"], ["yf"])
        else:
            fn = tables.relu
            act = helper.make_node(op, ["xf"], ["yf"])
        nodes = [
            helper.make_node("DequantizeLinear", ["x", "x_scale", "x_zp"], ["xf"]),
            act,
            helper.make_node("QuantizeLinear", ["yf", "y_scale", "y_zp"], ["y"]),
        ]
        want = ort_table(table_model(nodes, inits, signed), in_q)
        got = tables.float_table(in_q, out_q, [fn])
        assert np.array_equal(got, want), (op, in_q, out_q)
