"""A fully connected stage as the hardware runs it (pocket_cnn.emit.fc): the flatten
entity's stream order (h, w, c) and the permuted weights of a kernel-1 conv give the
reference's FC bit for bit, for any scale, zero points and activation; the limits
refuse with one line."""

from __future__ import annotations

import numpy as np
import pytest

from pocket_cnn import reference
from pocket_cnn.emit.fc import fc_as_conv, stream_order
from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Activation, FcStage, QTensor
from pocket_cnn.ir.requant import conv_multiplier, gemm_multiplier


def _fc(
    rng: np.random.Generator, shape: tuple[int, int, int], n_out: int, general: bool
) -> FcStage:
    c, h, w = shape
    n_in = c * h * w
    if general:
        x_q = QTensor(float(np.float32(rng.uniform(0.002, 0.05))), int(rng.integers(0, 256)), False)
        w_scale = rng.uniform(0.001, 0.02, n_out).astype(np.float32)
        y_q = QTensor(float(np.float32(rng.uniform(0.01, 0.2))), int(rng.integers(0, 256)), False)
    else:
        x_q, y_q = QTensor.pow2(4), QTensor.pow2(3)
        w_scale = np.full(n_out, 2.0**-6, dtype=np.float32)
    return FcStage(
        name="fc",
        in_shape=shape,
        weights=rng.integers(-128, 128, (n_out, n_in)).astype(np.int8),
        bias=rng.integers(-3000, 3000, n_out).astype(np.int32),
        x_q=x_q,
        w_scale=w_scale,
        y_q=y_q,
        multiplier=conv_multiplier(x_q.scale, w_scale, y_q.scale),
        activation=Activation.RELU if general else Activation.NONE,
    )


@pytest.mark.parametrize("shape", [(3, 2, 4), (16, 1, 1), (2, 5, 5), (1, 7, 3)])
@pytest.mark.parametrize("general", [False, True])
def test_conv_form_equals_fc(shape: tuple[int, int, int], general: bool) -> None:
    rng = np.random.default_rng(sum(shape) + general)
    fc = _fc(rng, shape, 10, general)
    x_q = fc.x_q
    x = rng.integers(x_q.lo, x_q.hi + 1, (20, *shape)).astype(np.int8 if x_q.signed else np.uint8)
    conv = fc_as_conv(fc)
    got = reference.conv_stage(conv, stream_order(x)).reshape(20, -1)
    assert np.array_equal(got, reference.fc(fc, x))


def test_too_wide_input_is_refused() -> None:
    fc = _fc(np.random.default_rng(0), (8, 8, 9), 4, False)
    with pytest.raises(ModelError, match="at most 512"):
        fc_as_conv(fc)


def test_gemm_alpha_is_refused() -> None:
    fc = _fc(np.random.default_rng(0), (4, 1, 1), 3, True)
    fc.multiplier = gemm_multiplier(0.5, fc.x_q.scale, fc.w_scale, fc.y_q.scale)
    with pytest.raises(ModelError, match="alpha"):
        fc_as_conv(fc)
