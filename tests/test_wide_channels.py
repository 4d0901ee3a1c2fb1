"""The channel limit (512) end to end: import/export, reference == onnxruntime, and
the generated VHDL in GHDL == reference, for 512 input and 512 output channels."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from pocket_cnn import reference
from pocket_cnn.ir import (
    MAX_CHANNELS,
    Activation,
    ConvStage,
    GapStage,
    Network,
    PoolSpec,
    QTensor,
)
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.reference.oracle import run_ort
from pocket_cnn.simulation import ghdl as ghdl_sim
from pocket_cnn.simulation.stimuli import random_images
from pocket_cnn.zoo.onnx_export import to_onnx

C = MAX_CHANNELS


def _chain(
    shape: tuple[int, int, int], layers: list[dict[str, object]], gap: bool, seed: int
) -> Network:
    """A network of the given layers; each output scale is chosen from the reference's
    own accumulator statistics (std of about 40 LSB) so outputs are not degenerate."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (4, *shape)).astype(np.uint8)
    stages: list[ConvStage] = []
    frac_in, signed, cur = 8, False, shape
    for i, spec in enumerate(layers):
        cout, k = int(spec["cout"]), int(spec["kernel"])  # type: ignore[call-overload]
        st = ConvStage.pow2(
            name=f"wide{i}",
            in_shape=cur,
            weights=rng.integers(-128, 128, (cout, cur[0], k, k)).astype(np.int8),
            bias=rng.integers(-(2**12), 2**12, cout).astype(np.int32),
            stride=1,
            pad=int(spec.get("pad", 0)),  # type: ignore[call-overload]
            frac_in=frac_in,
            frac_w=7,
            frac_out=0,
            in_signed=signed,
            activation=spec.get("act", Activation.NONE),  # type: ignore[arg-type]
            pool=spec.get("pool"),  # type: ignore[arg-type]
        )
        std = float(reference.conv_acc(st, x).std())
        st = dataclasses.replace(st, y_q=QTensor.pow2(frac_in + 7 - round(math.log2(std / 40))))
        x = reference.conv_stage(st, x)
        stages.append(st)
        frac_in, signed, cur = st.frac_out, True, st.out_shape
    g = GapStage.pow2("gap", cur, frac_in, frac_in) if gap else None
    return Network("wide", shape, QTensor.pow2(8, False), stages, g)


def wide_net() -> Network:
    """512 input channels -> 3x3 conv to 512 channels -> 1x1 conv to 4 -> GAP."""
    leaky = {"cout": C, "kernel": 3, "pad": 1, "act": Activation.LEAKY, "pool": PoolSpec(2, 1)}
    relu = {"cout": 4, "kernel": 1, "act": Activation.RELU}
    return _chain((C, 3, 3), [leaky, relu], gap=True, seed=512)


def hw_net() -> Network:
    """512 input channels -> 3x3 conv to 8 -> 1x1 conv to 512 output channels (no GAP):
    both ends of the channel limit at a size GHDL simulates quickly."""
    narrow = {"cout": 8, "kernel": 3, "pad": 1, "act": Activation.LEAKY, "pool": PoolSpec(2, 1)}
    wide = {"cout": C, "kernel": 1, "act": Activation.RELU}
    return _chain((C, 3, 3), [narrow, wide], gap=False, seed=513)


@pytest.mark.parametrize("make", [wide_net, hw_net])
def test_wide_nets_are_not_degenerate(make: object) -> None:
    net = make()  # type: ignore[operator]
    for y in reference.run_all(net, random_images(net, 4, seed=1)):
        assert len(np.unique(y)) > 4
        assert np.mean(np.abs(y.astype(int)) >= 127) < 0.5


@pytest.mark.parametrize("form", ["qdq", "qoperator"])
def test_wide_reference_equals_onnxruntime(form: str) -> None:
    net = wide_net()
    model = to_onnx(net, form, batch=None)
    assert from_onnx(model).stages[0].ch_in == C
    x = random_images(net, 3, seed=2)
    assert np.array_equal(reference.run(net, x).astype(np.int64), run_ort(net, model, x))


@pytest.mark.requires_tools("ghdl")
def test_wide_net_in_ghdl(tmp_path: Path) -> None:
    net = hw_net()
    x = random_images(net, 2, seed=3)
    res = ghdl_sim.simulate(net, x, tmp_path, stall_in=20, stall_out=20)
    assert res.passed, res.reason
    assert np.array_equal(res.outputs, reference.run(net, x))
