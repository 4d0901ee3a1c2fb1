"""The global average pool in hardware with any scale and zero points (issue 12):
onnxruntime-quantized conv nets with a GAP head (the float net ``gap_fc`` without its
fully connected layer: the GAP output checked directly) through GHDL, bit for bit against
the reference, uint8 and int8, QDQ and QOperator, with input gaps and backpressure.
The constants are proven exhaustively in tests/test_vhdl_gap.py."""

from __future__ import annotations

import dataclasses
import functools
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest

from pocket_cnn.emit import emit
from pocket_cnn.emit.vhdl import net_gap_constants
from pocket_cnn.ip import rtl_sources
from pocket_cnn.ir import Network
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.reference.integer import run_all
from pocket_cnn.simulation import ghdl as ghdl_sim
from pocket_cnn.simulation.stimuli import random_images
from pocket_cnn.tools import GHDL_FLAGS
from pocket_cnn.zoo.float_nets import FLOAT_NETS, calibration
from pocket_cnn.zoo.ort_quantize import MATRIX, quantize_setting

pytestmark = pytest.mark.requires_tools("ghdl")


@functools.cache
def gap_net(row: int) -> Network:
    model: onnx.ModelProto = FLOAT_NETS["gap_fc"](1)
    net = from_onnx(quantize_setting(model, calibration(model, 8, 0), MATRIX[row]))
    assert net.gap is not None
    return dataclasses.replace(net, fc=[])


@pytest.mark.parametrize("row", [0, 1, 3, 5])
def test_ghdl_general_gap(row: int, tmp_path: Path) -> None:
    net = gap_net(row)
    gap = net.gap
    assert gap is not None and not (gap.x_q.is_pow2 and gap.y_q.is_pow2)
    assert net_gap_constants(net) is not None
    x = random_images(net, 8, seed=7)
    expected = run_all(net, x)[-1]
    ghdl_sim.prepare(net, tmp_path)
    res = ghdl_sim.run_prepared(net, tmp_path, x, expected, 30, 30, seed=3)
    assert res.outputs.dtype == expected.dtype
    np.testing.assert_array_equal(res.outputs, expected)
    assert res.passed, res.reason


def test_synth_general_gap(tmp_path: Path) -> None:
    """`ghdl --synth` of a network whose GAP has general constants."""
    files = emit(gap_net(1), tmp_path / "gen")
    sources = [str(p) for p in rtl_sources()] + [str(p) for p in files]
    ana = subprocess.run(
        ["ghdl", "-a", *GHDL_FLAGS, f"--workdir={tmp_path}", *sources],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ana.returncode == 0, ana.stderr
    syn = subprocess.run(
        ["ghdl", "--synth", *GHDL_FLAGS, f"--workdir={tmp_path}", "--no-formal", "pcnn_net"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert syn.returncode == 0, syn.stderr[-3000:]
    assert "entity pcnn_net is" in syn.stdout
