"""The GAP reciprocal constants are exact for every reachable sum (exhaustive).

pocket_cnn.emit.gap.gap_model is the integer recipe pcnn_gap.vhd implements. For
every zoo model's GAP and a sweep of map sizes and scale steps, it must equal the
exact ``sat8(RNE(sum * 2**d / N))`` of pocket_cnn.reference.gap (fed with one map
per sum) for every reachable sum in [-128N, 127N].
"""

from __future__ import annotations

import numpy as np
import pytest

from pocket_cnn import reference
from pocket_cnn.emit.gap import gap_constants, gap_model
from pocket_cnn.emit.vhdl import net_gap_constants
from pocket_cnn.errors import ModelError
from pocket_cnn.ir import GapStage
from pocket_cnn.zoo import ZOO, build


def _exact(area: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """All reachable sums and their exact results, via the reference's GAP.

    A map of ``area`` pixels whose sum is ``s`` is built per sum: ``k`` pixels at
    the extreme, one remainder pixel, zeros elsewhere; reference.gap then averages it.
    """
    sums = np.arange(-128 * area, 127 * area + 1, dtype=np.int64)
    x = np.zeros((sums.size, 1, 1, area), dtype=np.int64)
    for i, s in enumerate(sums):
        step = 127 if s > 0 else -128
        full, rest = divmod(abs(int(s)), abs(step))
        x[i, 0, 0, :full] = step
        if rest:
            x[i, 0, 0, full] = rest if s > 0 else -rest
    assert np.array_equal(x.sum(axis=(1, 2, 3)), sums)
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
