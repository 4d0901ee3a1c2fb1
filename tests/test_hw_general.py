"""The conv PE with general quantisation (issue 12): any fp32 scale, zero points,
uint8 and int8 activations, per-channel weight scales, activation tables.

The hardware view (pocket_cnn.emit.hw_view) run in numpy equals the reference on
onnxruntime-quantized float nets and on random models; GHDL equals the reference bit
for bit on a few of them, including stages in the EXACT requantisation mode.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np
import onnx
import pytest

from pocket_cnn.emit.hw_view import Requant, conv_hw, run_hw, to_external
from pocket_cnn.ir import Activation, Network, QTensor
from pocket_cnn.ir.parallel import resolve_parallel
from pocket_cnn.ir.requant import Mantissa, single_rounding_exact
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.reference.integer import run_all
from pocket_cnn.simulation import ghdl as ghdl_sim
from pocket_cnn.simulation.stimuli import random_images
from pocket_cnn.synth.netlist_sim import simulate_netlist
from pocket_cnn.zoo.float_nets import FLOAT_NETS, calibration
from pocket_cnn.zoo.ort_quantize import MATRIX, quantize_setting
from pocket_cnn.zoo.random_nets import random_network

CONV_NETS = ("zoo_conv3_max2", "zoo_leaky", "zoo_no_relu", "zoo_conv2_max3s2", "zoo_conv5_pad2")
#: (net, MATRIX row) through GHDL: QDQ and QOperator, uint8 and int8, per tensor and
#: per channel, tables (zoo_leaky), padding with the zero point (zoo_conv5_pad2)
GHDL_CASES = [
    ("zoo_conv3_max2", 0),
    ("zoo_leaky", 1),
    ("zoo_conv5_pad2", 3),
    ("zoo_leaky", 4),
    ("zoo_stride2", 5),
    ("zoo_conv2_max3s2", 7),
]


@functools.cache
def quantized(name: str, row: int) -> Network:
    model: onnx.ModelProto = FLOAT_NETS[name](1)
    return from_onnx(quantize_setting(model, calibration(model, 8, 0), MATRIX[row]))


def check_hw_view(net: Network, images: int = 3) -> None:
    x = random_images(net, images, seed=5)
    ref = run_all(net, x)
    hw = run_hw(net, x)
    for st, h, r in zip(net.stages, hw, ref[: len(net.stages)], strict=True):
        np.testing.assert_array_equal(to_external(h, st.out_q), r.astype(np.int64), st.name)


@pytest.mark.parametrize("row", range(len(MATRIX)))
@pytest.mark.parametrize("name", CONV_NETS)
def test_hw_view_equals_reference_on_quantized_nets(name: str, row: int) -> None:
    check_hw_view(quantized(name, row))


def random_general(seed: int) -> Network:
    """A random network of the zoo generator with random fp32 scales, zero points,
    types (uint8/int8) and per-channel weight scales (leaky ReLU becomes a table)."""
    rng = np.random.default_rng(seed)
    net = random_network(seed, max_channels=6)

    def qt(signed: bool) -> QTensor:
        zp = int(rng.integers(-128, 128)) if signed else int(rng.integers(0, 256))
        return QTensor(float(np.float32(rng.uniform(0.002, 0.2))), zp, signed)

    x_q = in_q = qt(bool(rng.integers(2)))
    stages = []
    for st in net.stages:
        y_q = qt(bool(rng.integers(2)))
        cout = st.ch_out
        per_channel = bool(rng.integers(2))
        ws = rng.uniform(0.001, 0.05, cout if per_channel else 1).astype(np.float32)
        act, table = st.activation, None
        if act is Activation.LEAKY:
            act = Activation.TABLE
            v = np.arange(y_q.lo, y_q.hi + 1)
            real = (v - y_q.zero_point) * y_q.scale
            real = np.where(real < 0, real * 0.1, real)
            table = np.clip(np.rint(real / y_q.scale) + y_q.zero_point, y_q.lo, y_q.hi)
            table = table.astype(np.int64)
        bias = rng.integers(-3000, 3000, cout).astype(np.int32)
        stages.append(
            dataclasses.replace(
                st,
                x_q=x_q,
                y_q=y_q,
                w_scale=np.broadcast_to(ws, (cout,)).astype(np.float32),
                bias=bias,
                activation=act,
                table=table,
                act_q=None,
            )
        )
        x_q = y_q
    return dataclasses.replace(net, input_q=in_q, stages=stages, gap=None, fc=[])


@pytest.mark.parametrize("seed", range(40))
def test_hw_view_equals_reference_on_random_general_nets(seed: int) -> None:
    check_hw_view(random_general(seed), images=2)


def test_exact_mode_where_single_rounding_fails() -> None:
    """Multipliers where one rounding differs from onnxruntime's float32 steps exist;
    the emitter picks EXACT for them."""
    rng = np.random.default_rng(1)
    found = 0
    for _ in range(200):
        m = int(rng.integers(1 << 23, 1 << 24)) | 1
        mant = Mantissa(m=np.array([m]), s=np.array([int(rng.integers(30, 34))]))
        if single_rounding_exact(mant, 0, -128, 127, -(1 << 27), 1 << 27) is False:
            found += 1
    assert found > 0
    modes = {
        conv_hw(st, i == 0).mode
        for name in CONV_NETS
        for row in (1, 3)
        for i, st in enumerate(quantized(name, row).stages)
    }
    assert Requant.EXACT in modes and Requant.MULT in modes


@pytest.fixture(scope="module")
def rtl_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("ghdl_rtl")
    ghdl_sim.rtl_library(cache)
    return cache


def check_ghdl(net: Network, workdir: Path, cache: Path, images: int = 2) -> None:
    x = random_images(net, images, seed=7)
    expected = run_all(net, x)[-1]
    ghdl_sim.prepare(net, workdir, cache=cache)
    res = ghdl_sim.run_prepared(net, workdir, x, expected, 0, 0, seed=3)
    assert res.outputs.dtype == expected.dtype
    np.testing.assert_array_equal(res.outputs, expected)
    assert res.passed, res.reason


@pytest.mark.requires_tools("ghdl")
@pytest.mark.parametrize(("name", "row"), GHDL_CASES)
def test_ghdl_equals_reference_on_quantized_nets(
    name: str, row: int, tmp_path: Path, rtl_cache: Path
) -> None:
    check_ghdl(quantized(name, row), tmp_path, rtl_cache)


@pytest.mark.requires_tools("ghdl")
def test_ghdl_exact_mode(tmp_path: Path, rtl_cache: Path) -> None:
    """A model whose stages include the EXACT requantisation (QOperator, per channel)."""
    net = quantized("zoo_conv3_max2", 1)
    assert Requant.EXACT in {conv_hw(st, i == 0).mode for i, st in enumerate(net.stages)}
    check_ghdl(net, tmp_path, rtl_cache)


@pytest.mark.requires_tools("ghdl")
@pytest.mark.parametrize("seed", [3, 11, 17, 23, 29, 31])
def test_ghdl_random_general_nets(seed: int, tmp_path: Path, rtl_cache: Path) -> None:
    check_ghdl(random_general(seed), tmp_path, rtl_cache)


@pytest.mark.requires_tools("ghdl", "iverilog")
@pytest.mark.parametrize(
    ("name", "row", "parallel"),
    [
        ("zoo_leaky", 3, "full"),
        ("zoo_conv3_max2", 1, "full"),
        ("zoo_conv3_max2", 1, "1,2;2,3"),
        ("fc1", 2, "full"),
        ("gap_fc", 0, "full"),
    ],
)
def test_netlist_equals_reference(name: str, row: int, parallel: str, tmp_path: Path) -> None:
    """``ghdl --synth`` of four quantized models (MULT and EXACT stages, tables, uint8
    with zero points, a conv map flattened into a fully connected layer, a GAP and a
    fully connected head) simulated in Icarus equals the reference; folded, the
    per-channel multipliers and shifts are picked at run time (variable shifts)."""
    net = quantized(name, row)
    par = resolve_parallel(net, parallel)
    x = random_images(net, 2, seed=5)
    res = simulate_netlist(net, x, tmp_path, parallel=par, stall_in=25, stall_out=25)
    assert res.bad_images == 0, f"{res.outputs.tolist()} != {res.expected.tolist()}"
    assert res.tlast_errors == 0 and res.passed


def test_check_shows_the_hardware_rounding() -> None:
    """``check``'s "hw rounding" column names each stage's requantiser."""
    from pocket_cnn.cli.check_table import rows
    from pocket_cnn.zoo import build

    def modes(net: Network) -> list[str]:
        return [r[13] for r in rows(net)]

    exact = quantized("zoo_conv3_max2", 1)
    want = [conv_hw(st, i == 0).mode.value for i, st in enumerate(exact.stages)]
    assert modes(exact)[: len(want)] == want
    assert "exact" in modes(exact)
    assert set(modes(build("conv_3x1_1x1_max_2x2"))) == {"shift", "gap"}
