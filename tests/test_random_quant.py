"""Random quantized models (issue 12): the zoo's random geometry with random fp32 scales,
zero points, uint8/int8 activations, per-channel weight scales, activation tables and
fully connected heads, written as onnxruntime's QOperator form
(:mod:`pocket_cnn.zoo.random_quant`).

Hundreds of them: the reference equals onnxruntime bit for bit (optimisations off; the
generator keeps |w| <= 64 with uint8 activations, so this holds on CPUs without VNNI
too). A few dozen through GHDL (some under backpressure): equal to the reference.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import onnx
import pytest

from pocket_cnn import reference
from pocket_cnn.ir import Activation, Network
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.reference.integer import run_all
from pocket_cnn.reference.oracle import run_ort
from pocket_cnn.simulation import ghdl as ghdl_sim
from pocket_cnn.simulation.stimuli import random_images
from pocket_cnn.zoo.draw import net_input
from pocket_cnn.zoo.random_quant import U8_W_MAX, random_quant_model

ORT_SEEDS = range(240)
GHDL_SEEDS = range(0, 240, 6)  # 40 models


@functools.cache
def model(seed: int) -> tuple[onnx.ModelProto, Network]:
    m = random_quant_model(seed)
    return m, from_onnx(m)


@pytest.mark.parametrize("seed", ORT_SEEDS)
def test_reference_equals_onnxruntime(seed: int) -> None:
    m, net = model(seed)
    x = net_input(net, 4, seed)
    got = reference.run(net, x).astype(np.int64)
    want = run_ort(net, m, x)
    assert got.shape == want.shape
    assert np.array_equal(got, want)


def _features(m: onnx.ModelProto, net: Network) -> set[str]:
    ops = {n.op_type for n in m.graph.node}
    f = {f"op:{op}" for op in ops}
    f.add("uint8" if not net.input_q.signed else "int8")
    f |= {"zero_point" for st in net.stages if st.y_q.zero_point not in (0, -128)}
    f |= {"per_channel_conv" for st in net.stages if np.unique(st.w_scale).size > 1}
    f |= {"per_channel_fc" for fc in net.fc if np.unique(fc.w_scale).size > 1}
    f |= {f"act:{st.activation.name}" for st in net.stages}
    f |= {f"fc_layers:{len(net.fc)}"} if net.fc else set()
    f |= {"fc_relu" for fc in net.fc if fc.activation is Activation.RELU}
    if net.fc:
        f.add("gap+fc" if net.gap is not None else "conv+fc")
    if not net.is_pow2:
        f.add("non_pow2")
    return f


def test_random_models_cover_every_option() -> None:
    """Every kind of model the generator promises is among the seeds the tests use."""
    covered: set[str] = set()
    for seed in ORT_SEEDS:
        covered |= _features(*model(seed))
    wanted = {
        "uint8",
        "int8",
        "zero_point",
        "per_channel_conv",
        "per_channel_fc",
        "non_pow2",
        "act:NONE",
        "act:RELU",
        "act:TABLE",
        "fc_layers:1",
        "fc_layers:2",
        "fc_layers:3",
        "fc_relu",
        "gap+fc",
        "conv+fc",
        "op:QLinearConv",
        "op:QGemm",
        "op:QLinearMatMul",
        "op:QLinearLeakyRelu",
        "op:QLinearSigmoid",
        "op:QLinearGlobalAveragePool",
        "op:MaxPool",
        "op:Flatten",
        "op:Reshape",
        "op:Relu",
    }
    assert wanted - covered == set()
    covered_ghdl: set[str] = set()
    for seed in GHDL_SEEDS:
        covered_ghdl |= _features(*model(seed))
    assert {"uint8", "int8", "per_channel_conv", "act:TABLE", "gap+fc", "conv+fc"} <= covered_ghdl


def test_uint8_models_keep_weights_pair_safe() -> None:
    """The CPU-independence of the oracle rests on |w| <= 64 with uint8 activations."""
    for seed in ORT_SEEDS[:60]:
        _, net = model(seed)
        if not net.input_q.signed:
            weights = [st.weights for st in net.stages] + [fc.weights for fc in net.fc]
            assert max(int(np.abs(w).max()) for w in weights) <= U8_W_MAX


@pytest.fixture(scope="module")
def rtl_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("ghdl_rtl")
    ghdl_sim.rtl_library(cache)
    return cache


@pytest.mark.requires_tools("ghdl")
@pytest.mark.parametrize("seed", GHDL_SEEDS)
def test_ghdl_equals_reference(seed: int, tmp_path: Path, rtl_cache: Path) -> None:
    _, net = model(seed)
    x = random_images(net, 2, seed=7)
    expected = run_all(net, x)[-1]
    stalls = (30, 20) if seed % 4 == 0 else (0, 0)
    ghdl_sim.prepare(net, tmp_path, cache=rtl_cache)
    res = ghdl_sim.run_prepared(net, tmp_path, x, expected, *stalls, seed=3)
    np.testing.assert_array_equal(res.outputs, expected)
    assert res.passed, res.reason
