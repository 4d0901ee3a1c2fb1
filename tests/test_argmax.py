"""The argmax output (issue 14, item 1): ``--argmax`` ends the network with pcnn_argmax,
one class index byte per image (per pixel of a map), the first of equal maxima.

The expected indices come from the reference (:func:`pocket_cnn.reference.argmax` of its
scores), and the reference's argmax is checked against numpy's argmax of onnxruntime's
output. The network simulations run GHDL (and one Verilator) with input gaps and
backpressure on zoo models with GAP, without GAP (a map: one index per pixel) and
onnxruntime-quantized FC networks (uint8 scores); the CLI writes uint8 indices."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np
import onnx
import pytest

from pocket_cnn import api, reference, zoo
from pocket_cnn.cli.main import main
from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Network
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.reference.oracle import run_ort
from pocket_cnn.simulation.stimuli import random_images
from pocket_cnn.zoo.draw import LayerSpec, NetSpec, build_network
from pocket_cnn.zoo.float_nets import FLOAT_NETS, calibration
from pocket_cnn.zoo.onnx_export import to_onnx
from pocket_cnn.zoo.ort_quantize import MATRIX, quantize_setting


def _zoo(name: str, gap: bool = True) -> tuple[Network, onnx.ModelProto | None]:
    net = zoo.build(name)
    return (net if gap else dataclasses.replace(net, gap=None)), None


@functools.cache
def _quantized(name: str, row: int) -> tuple[Network, onnx.ModelProto]:
    model: onnx.ModelProto = FLOAT_NETS[name](1)
    qmodel = quantize_setting(model, calibration(model, 8, 0), MATRIX[row])
    return from_onnx(qmodel), qmodel


#: name -> (network, its ONNX model or None: exported from the IR)
NETS = {
    "gap": lambda: _zoo("conv_3x1_1x1_max_2x2"),
    "gap_odd_channel": lambda: _zoo("conv_3x1_1x1_max_2x2_odd_channel"),
    "map_no_gap": lambda: _zoo("conv_3x1_1x1_max_2x2", gap=False),
    "fc3": lambda: _quantized("fc3", 1),
    "gap_fc": lambda: _quantized("gap_fc", 3),
}


def _net(name: str) -> tuple[Network, onnx.ModelProto]:
    net, model = NETS[name]()
    return net, model if model is not None else to_onnx(net, "qoperator", batch="N")


@pytest.mark.parametrize("name", sorted(NETS))
def test_reference_argmax_equals_onnxruntime(name: str) -> None:
    net, model = _net(name)
    x = random_images(net, 40, seed=2)
    scores = np.concatenate([run_ort(net, model, x[i : i + 1]) for i in range(len(x))])
    want = np.argmax(scores, axis=1, keepdims=True)  # numpy: the first of equal maxima
    got = reference.run(net.with_argmax(), x)
    assert got.dtype == np.uint8 and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(run_ort(net.with_argmax(), model, x[:1]), want[:1])


def test_reference_argmax_ties_take_the_lowest_index() -> None:
    y = np.array([[3, 7, 7, 1], [-5, -5, -5, -5], [0, 0, 1, 1]], dtype=np.int8)
    np.testing.assert_array_equal(reference.argmax(y).ravel(), [1, 0, 2])
    u = np.array([[200, 10, 200]], dtype=np.uint8)  # uint8 codes compare unsigned
    np.testing.assert_array_equal(reference.argmax(u).ravel(), [0])


@pytest.mark.requires_tools("ghdl")
@pytest.mark.parametrize("name", sorted(NETS))
def test_simulate_argmax_ghdl(name: str) -> None:
    net, _ = _net(name)
    x = random_images(net, 6, seed=7)
    res = api.simulate(net, x, argmax=True, stall_in=30, stall_out=40, seed=3)
    want = reference.argmax(reference.run(net, x))
    assert res.outputs.dtype == np.uint8
    np.testing.assert_array_equal(res.outputs, want)
    assert res.bad_images == 0


@pytest.mark.requires_tools("ghdl")
def test_argmax_keeps_the_rate() -> None:
    """Back to back without stalls: one image per H*W*C cycles, as without argmax."""
    net = zoo.build("conv_3x1_1x1_max_2x2")
    x = random_images(net, 6, seed=1)
    plain = api.simulate(net, x)
    res = api.simulate(net, x, argmax=True)
    assert res.bad_images == 0
    assert res.steady == plain.steady == res.bound


@pytest.mark.requires_tools("ghdl", "verilator", "yosys")
def test_simulate_argmax_verilator() -> None:
    net, _ = _net("fc3")
    x = random_images(net, 8, seed=5)
    res = api.simulate(net, x, engine="verilator", argmax=True, stall_in=20, stall_out=20)
    np.testing.assert_array_equal(
        res.outputs.astype(np.uint8), reference.argmax(reference.run(net, x))
    )
    assert res.bad_images == 0


@pytest.mark.requires_tools("ghdl")
def test_cli_simulate_argmax(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = "conv_3x1_1x1_max_2x2_odd_channel"
    net = zoo.build(name)
    x = random_images(net, 5, seed=1)
    np.save(tmp_path / "in.npy", x)
    out = tmp_path / "cls.npy"
    code = main(["simulate", f"zoo:{name}", str(tmp_path / "in.npy"), "-o", str(out), "--argmax"])
    assert code == 0
    assert "5 images bit-exact" in capsys.readouterr().out
    y = np.load(out)
    assert y.dtype == np.uint8 and y.shape == (5, 1)
    np.testing.assert_array_equal(y, np.argmax(reference.run(net, x), axis=1, keepdims=True))


def test_generate_argmax_top(tmp_path: Path) -> None:
    assert main(["generate", "zoo:conv_3x1_1x1_max_2x2", "-o", str(tmp_path), "--argmax"]) == 0
    top = (tmp_path / "pcnn_net.vhd").read_text()
    assert "u_argmax : entity pocket_cnn.pcnn_argmax" in top and "G_CH => 8" in top
    pkg = (tmp_path / "pcnn_net_pkg.vhd").read_text()
    assert "C_OUT_CH      : positive := 1;" in pkg


def test_too_many_classes_is_one_model_error() -> None:
    spec = NetSpec("wide", (1, 2, 2), (LayerSpec(cout=300, kernel=1),), True, True, 7)
    net = build_network(spec, np.random.default_rng(1))
    with pytest.raises(ModelError, match="at most 256"):
        net.with_argmax()
