"""The reference against onnxruntime (the oracle), bit for bit, plus hand-picked rounding cases.

Expected values come from onnxruntime or from Python's exact ``fractions.Fraction``
(whose ``round`` rounds half to even), never from the code under test.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import onnx
import pytest

from pocket_cnn import reference, zoo
from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Activation, ConvStage, GapStage
from pocket_cnn.reference.oracle import run_ort
from pocket_cnn.zoo.draw import net_input
from pocket_cnn.zoo.onnx_export import to_onnx

N_IMAGES = 20
N_RANDOM = 240
CHUNK = 20
FORMS = ("qdq", "qoperator")


def _sat8(v: int) -> int:
    return max(-128, min(127, v))


def _compare(net, model: onnx.ModelProto, x: np.ndarray) -> None:
    ref = reference.run(net, x).astype(np.int64)
    got = run_ort(net, model, x)
    assert got.shape == ref.shape
    bad = np.argwhere(got != ref)
    assert bad.size == 0, f"{net.name}: {len(bad)} mismatches, first at {bad[0].tolist()}"


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", sorted(zoo.ZOO))
def test_zoo_matches_ort(name: str, form: str) -> None:
    net = zoo.build(name, seed=0)
    x = net_input(net, N_IMAGES, seed=101)
    # QDQ with a dynamic batch dimension, QOperator with a fixed one
    model = to_onnx(net, form, batch="N" if form == "qdq" else N_IMAGES)  # type: ignore[arg-type]
    onnx.checker.check_model(model, full_check=True)
    _compare(net, model, x)


@pytest.mark.parametrize("start", range(0, N_RANDOM, CHUNK))
def test_random_models_match_ort(start: int) -> None:
    for seed in range(start, start + CHUNK):
        net = zoo.random_network(seed)
        x = net_input(net, 3, seed=seed + 7)
        form = FORMS[seed % 2]
        style = ("qdq", "fused")[(seed // 2) % 2]
        batch = None if seed % 3 else 3
        model = to_onnx(net, form, batch=batch, relu_style=style)  # type: ignore[arg-type]
        onnx.checker.check_model(model, full_check=True)
        _compare(net, model, x)


def _rne_fraction(v: int, shift: int) -> int:
    return round(Fraction(v) / Fraction(2) ** shift)


RNE_CASES = [
    # ties at shift 1 and 2, both signs, plus non-ties and large values
    *[(v, 1) for v in range(-9, 10)],
    *[(v, 2) for v in (-14, -10, -6, -2, 2, 6, 10, 14, -7, 7, -5, 5)],
    (2**40 + 2**9, 10),
    (-(2**40) - 3 * 2**9, 10),
    (3 * 2**20 - 1, 21),
    (5, 0),
    (-3, -4),
]


@pytest.mark.parametrize(("value", "shift"), RNE_CASES)
def test_rne_shift_ties(value: int, shift: int) -> None:
    got = reference.rne_shift(np.array([value], np.int64), shift)
    expected = value * 2 ** (-shift) if shift <= 0 else _rne_fraction(value, shift)
    assert int(got[0]) == expected


def test_requantize_saturates_after_rounding() -> None:
    acc = [127 * 4 + 1, 127 * 4 + 2, 127 * 4 + 3, -128 * 4 - 2, -128 * 4 - 3, -2, 2, 6, -6]
    got = reference.requantize(np.array(acc, np.int64), 2)
    assert got.dtype == np.int8
    assert got.tolist() == [_sat8(_rne_fraction(a, 2)) for a in acc]
    left = reference.requantize(np.array([3, -3, 40, -40], np.int64), -2)
    assert left.tolist() == [12, -12, 127, -128]


def test_leaky_rounds_half_to_even() -> None:
    y = np.arange(-128, 128, dtype=np.int8)
    got = reference.activate(y, Activation.LEAKY)
    expected = [v if v >= 0 else round(Fraction(v, 8)) for v in range(-128, 128)]
    assert got.tolist() == expected
    assert reference.activate(y, Activation.RELU).tolist() == [max(v, 0) for v in range(-128, 128)]


@pytest.mark.parametrize(
    ("hw", "d"), [((2, 2), 0), ((2, 3), 0), ((3, 3), 1), ((2, 3), -1), ((5, 1), 3)]
)
def test_gap_exact_rounding(hw: tuple[int, int], d: int) -> None:
    h, w = hw
    rng = np.random.default_rng(h * 10 + w + d)
    x = rng.integers(-128, 128, (64, 4, h, w)).astype(np.int8)
    # force exact ties: every element of channel 0 equal to a small odd or even value
    x[:, 0] = np.arange(64).reshape(64, 1, 1) % 7 - 3
    stage = GapStage.pow2("gap", (4, h, w), frac_in=3, frac_out=3 + d)
    got = reference.gap(stage, x)
    expected = [
        [
            _sat8(round(Fraction(int(x[n, c].astype(np.int64).sum()) * Fraction(2) ** d, h * w)))
            for c in range(4)
        ]
        for n in range(64)
    ]
    assert got.tolist() == expected


def test_gap_ties_hand_picked() -> None:
    # sums over 2x2 of 2, 6, -2, -6, 10: 0.5 -> 0, 1.5 -> 2, -0.5 -> 0, -1.5 -> -2, 2.5 -> 2
    rows = [[1, 1, 0, 0], [2, 2, 1, 1], [-1, -1, 0, 0], [-2, -2, -1, -1], [3, 3, 2, 2]]
    x = np.array(rows, np.int8).reshape(5, 1, 2, 2)
    got = reference.gap(GapStage.pow2("gap", (1, 2, 2), 0, 0), x)
    assert got.ravel().tolist() == [0, 2, 0, -2, 2]


def test_conv_acc_matches_direct_sum() -> None:
    rng = np.random.default_rng(5)
    w = rng.integers(-128, 128, (3, 2, 3, 3)).astype(np.int8)
    b = rng.integers(-1000, 1000, 3).astype(np.int32)
    st = ConvStage.pow2("c", (2, 7, 6), w, b, stride=2, pad=1, frac_in=0, frac_w=0, frac_out=0)
    x = rng.integers(-128, 128, (2, 2, 7, 6)).astype(np.int8)
    got = reference.conv_acc(st, x)
    xp = [[[[0] * 8 for _ in range(9)] for _ in range(2)] for _ in range(2)]
    for n in range(2):
        for c in range(2):
            for i in range(7):
                for j in range(6):
                    xp[n][c][i + 1][j + 1] = int(x[n, c, i, j])
    _, ho, wo = st.conv_shape
    assert got.shape == (2, 3, ho, wo)
    for n in range(2):
        for o in range(3):
            for i in range(ho):
                for j in range(wo):
                    acc = int(b[o])
                    for c in range(2):
                        for ky in range(3):
                            for kx in range(3):
                                acc += xp[n][c][2 * i + ky][2 * j + kx] * int(w[o, c, ky, kx])
                    assert int(got[n, o, i, j]) == acc


def test_maxpool_window() -> None:
    x = np.arange(2 * 5 * 5, dtype=np.int64).reshape(1, 2, 5, 5) * np.array([1, -1]).reshape(
        1, 2, 1, 1
    )
    got = reference.maxpool(x, 3, 2)
    assert got.shape == (1, 2, 2, 2)
    assert got[0, 0].tolist() == [[12, 14], [22, 24]]
    assert got[0, 1].tolist() == [[-25, -27], [-35, -37]]


def test_run_checks_input() -> None:
    net = zoo.build("conv_3x1_1x1_max_2x2")
    with pytest.raises(ModelError, match=r"\(N, 1, 6, 6\) uint8"):
        reference.run(net, np.zeros((2, 1, 6, 7), np.uint8))
    with pytest.raises(ModelError, match="dtype int8"):
        reference.run(net, np.zeros((2, 1, 6, 6), np.int8))
    with pytest.raises(ModelError):
        reference.run(net, np.zeros((1, 6, 6), np.uint8))
    outs = reference.run_all(net, np.zeros((2, 1, 6, 6), np.uint8))
    assert [o.shape for o in outs] == [(2, 4, 2, 2), (2, 8, 2, 2), (2, 8)]


def test_wide_random_models_match_ort() -> None:
    # up to 64 channels (inputs shrink to 8 x 8): both forms, dynamic batch
    for seed in range(8):
        net = zoo.random_network(seed, max_channels=64)
        x = net_input(net, 2, seed=seed + 3)
        for form in FORMS:
            _compare(net, to_onnx(net, form, batch=None), x)  # type: ignore[arg-type]
