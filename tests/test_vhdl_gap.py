"""The GAP reciprocal constants are exact for every reachable sum (exhaustive).

pocket_cnn.emit.gap.gap_model is the integer recipe pcnn_gap.vhd implements. For
every zoo model's GAP and a sweep of map sizes and scale steps, it must equal the
exact ``sat8(RNE(sum * 2**d / N))`` of pocket_cnn.reference.gap (fed with one map
per sum) for every reachable sum in [-128N, 127N]; with any float32 scales and zero
points (uint8 tensors in the internal int8 convention: MSB flipped) likewise.
"""

from __future__ import annotations

import numpy as np
import pytest

from pocket_cnn import reference
from pocket_cnn.emit.gap import gap_constants, gap_constants_q, gap_model
from pocket_cnn.emit.vhdl import net_gap_constants
from pocket_cnn.errors import ModelError
from pocket_cnn.ir import GapStage, QTensor
from pocket_cnn.zoo import ZOO, build


def _maps(area: int) -> tuple[np.ndarray, np.ndarray]:
    """All reachable sums and one int8 map of ``area`` pixels per sum: ``k`` pixels at
    the extreme, one remainder pixel, zeros elsewhere."""
    sums = np.arange(-128 * area, 127 * area + 1, dtype=np.int64)
    x = np.zeros((sums.size, 1, 1, area), dtype=np.int64)
    for i, s in enumerate(sums):
        step = 127 if s > 0 else -128
        full, rest = divmod(abs(int(s)), abs(step))
        x[i, 0, 0, :full] = step
        if rest:
            x[i, 0, 0, full] = rest if s > 0 else -rest
    assert np.array_equal(x.sum(axis=(1, 2, 3)), sums)
    return sums, x


def _exact(area: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """All reachable sums and their exact results, via the reference's GAP.

    A map of ``area`` pixels whose sum is ``s`` is built per sum: ``k`` pixels at
    the extreme, one remainder pixel, zeros elsewhere; reference.gap then averages it.
    """
    sums, x = _maps(area)
    stage = GapStage.pow2("gap", (1, 1, area), frac_in=0, frac_out=d)
    return sums, reference.gap(stage, x.astype(np.int8))[:, 0].astype(np.int64)


@pytest.mark.parametrize("area", [1, 2, 3, 4, 6, 9, 10, 16, 25, 40, 49, 64, 100])
@pytest.mark.parametrize("d", [-4, -1, 0, 1, 3, 7])
def test_reciprocal_exact_sweep(area: int, d: int) -> None:
    sums, want = _exact(area, d)
    consts = gap_constants(area, d)
    assert np.array_equal(gap_model(sums, consts), want)


@pytest.mark.parametrize("model", sorted(ZOO))
def test_reciprocal_exact_zoo(model: str) -> None:
    net = build(model)
    consts = net_gap_constants(net)
    if consts is None:
        pytest.skip("no GAP")
    sums, want = _exact(consts.area, consts.d)
    assert np.array_equal(gap_model(sums, consts), want)


def test_constants_fit_vhdl_integers() -> None:
    for model in ZOO:
        consts = net_gap_constants(build(model))
        if consts is None:
            continue
        k_max = consts.mul_a * consts.clamp_hi + consts.add_b
        assert consts.mul_a * consts.clamp_lo + consts.add_b >= 0
        assert max(k_max, consts.mul_m, consts.add_b) < 2**31
        assert k_max.bit_length() <= consts.k_bits


def test_out_of_range_scale_step_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="GlobalAveragePool"):
        gap_constants(16, 40)


#: (pixels, input, output quantisation): uint8/int8, zero points, float32 scales
GENERAL = [
    (1, QTensor(0.031, 7, True), QTensor(0.0021, -20, True)),
    (4, QTensor(0.0235, 131, False), QTensor(0.0117, 3, False)),
    (9, QTensor(0.0039215689, 0, False), QTensor(0.0039215689, 0, False)),
    (16, QTensor(0.0039, 0, False), QTensor(0.02, -5, True)),
    (25, QTensor(0.1, -3, True), QTensor(0.004, 250, False)),
    (49, QTensor(0.05, -10, True), QTensor(0.013, 100, False)),
    (64, QTensor(0.0173, 128, False), QTensor(0.0173, 128, False)),
    (100, QTensor(0.0087, 5, False), QTensor(0.0009, 201, False)),
    (4, QTensor(0.5, 0, True), QTensor(0.25, 0, False)),  # power-of-two scales, uint8
]


@pytest.mark.parametrize(("area", "x_q", "y_q"), GENERAL)
def test_reciprocal_exact_general(area: int, x_q: QTensor, y_q: QTensor) -> None:
    """Every reachable internal sum: the hardware steps equal reference.gap (float32
    multiplier, zero points), uint8 tensors converted to and from the int8 convention."""
    sums, x = _maps(area)
    x_in = x.astype(np.int8) if x_q.signed else (x + 128).astype(np.uint8)
    want = reference.gap(GapStage("gap", (1, 1, area), x_q, y_q), x_in)[:, 0].astype(np.int64)
    if not y_q.signed:
        want -= 128
    consts = gap_constants_q(area, x_q, y_q)
    assert np.array_equal(gap_model(sums, consts), want)
    assert max(consts.mul_a, consts.add_b, consts.mul_m, consts.k0) < 2**31
    assert consts.mul_a * consts.clamp_lo + consts.add_b >= 0


def test_pow2_keeps_its_constants() -> None:
    """int8 power-of-two scales with zero point 0: the constants of today (resources)."""
    x_q, y_q = QTensor.pow2(0), QTensor.pow2(3)
    assert gap_constants_q(9, x_q, y_q) == gap_constants(9, 3)


def test_float32_tie_without_a_line_is_a_model_error() -> None:
    """float32 rounds two products of this layer onto a half (-130.5000063 -> -130.5,
    then to even): no single clamp/multiply/shift line meets both; one line refusal."""
    with pytest.raises(ModelError, match=r"GlobalAveragePool.*float32"):
        gap_constants_q(100, QTensor(0.0087, 17, False), QTensor(0.0009, 201, False))
