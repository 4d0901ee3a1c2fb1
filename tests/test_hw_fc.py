"""Fully connected layers in hardware (issue 12, item 4): an FC is pcnn_pe as a
kernel-1 conv over a 1x1 map (pocket_cnn.emit.fc.fc_as_conv), behind pcnn_flatten
after a conv map. GHDL equals the reference bit for bit: FC chains alone, power-of-two
networks conv -> flatten -> FC chain and conv -> GAP -> FC built from the IR (full,
folded, with input gaps and backpressure), onnxruntime-quantized fc1 / gap_fc / fc3 /
lenet; the default parallelism keeps the input port's bound; ghdl --synth works."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest

from pocket_cnn import reference
from pocket_cnn.emit import emit
from pocket_cnn.emit.fc import fc_as_conv
from pocket_cnn.ip import rtl_sources
from pocket_cnn.ir import Activation, FcStage, Network, QTensor
from pocket_cnn.ir.parallel import PeParallel, fc_cycles, resolve_parallel
from pocket_cnn.ir.requant import conv_multiplier
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.simulation.run import simulate_images
from pocket_cnn.simulation.stimuli import random_images
from pocket_cnn.tools import GHDL_FLAGS
from pocket_cnn.zoo import build
from pocket_cnn.zoo.float_nets import FLOAT_NETS, calibration
from pocket_cnn.zoo.ort_quantize import MATRIX, quantize_setting

pytestmark = pytest.mark.requires_tools("ghdl")

#: LeNet-like chain widths (Nin of the first, then every Nout)
WIDTHS = (48, 20, 12, 10)


def fc_chain(seed: int, widths: tuple[int, ...] = WIDTHS) -> list[FcStage]:
    """Power-of-two FC layers (int8, zero point 0), ReLU between them; the first reads
    a (widths[0], 1, 1) map (reshape its in_shape for a conv map)."""
    rng = np.random.default_rng(seed)
    out: list[FcStage] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
        x_q, y_q = QTensor.pow2(4), QTensor.pow2(4)
        w_scale = np.full(n_out, 2.0**-7, dtype=np.float32)
        out.append(
            FcStage(
                name=f"fc{i + 1}",
                in_shape=(n_in, 1, 1),
                weights=rng.integers(-128, 128, (n_out, n_in)).astype(np.int8),
                bias=rng.integers(-2000, 2000, n_out).astype(np.int32),
                x_q=x_q,
                w_scale=w_scale,
                y_q=y_q,
                multiplier=conv_multiplier(x_q.scale, w_scale, y_q.scale),
                activation=Activation.RELU if i + 2 < len(widths) else Activation.NONE,
            )
        )
    return out


@pytest.mark.parametrize(
    ("setting", "stall"),
    [("full", 0), ("full", 30), ("folded", 30), ("one", 0)],
)
def test_fc_chain_ghdl(setting: str, stall: int) -> None:
    fcs = fc_chain(5)
    net = Network(
        name="fc_chain",
        input_shape=(WIDTHS[0], 1, 1),
        input_q=QTensor.pow2(4),
        stages=[fc_as_conv(fc) for fc in fcs],
    )
    pars = {
        "full": None,
        "folded": PeParallel(((8, 4), (5, 3), (4, 5))),
        "one": PeParallel(((1, 1), (1, 1), (1, 1))),
    }[setting]
    rng = np.random.default_rng(1)
    x = rng.integers(-128, 128, (6, WIDTHS[0], 1, 1)).astype(np.int8)
    want = x
    for fc in fcs:
        want = reference.fc(fc, want)
    res = simulate_images(net, x, parallel=pars, stall_in=stall, stall_out=stall, seed=2)
    np.testing.assert_array_equal(res.outputs.reshape(6, -1), want)
    assert res.bad_images == 0


@pytest.mark.parametrize(
    "pairs", [((1, 1), (1, 1), (1, 1)), ((1, 20), (1, 12), (1, 10)), ((8, 4), (5, 3), (4, 5))]
)
def test_fc_chain_cycles(pairs: tuple[tuple[int, int], ...]) -> None:
    """Steady state: the slowest FC's ``ceil(Nin/par_in) * ceil(Nout/par_out)`` cycles
    per image, or the input port's bound Nin when that is more."""
    fcs = fc_chain(5)
    net = Network(
        name="fc_chain",
        input_shape=(WIDTHS[0], 1, 1),
        input_q=QTensor.pow2(4),
        stages=[fc_as_conv(fc) for fc in fcs],
    )
    x = np.random.default_rng(1).integers(-128, 128, (12, WIDTHS[0], 1, 1)).astype(np.int8)
    res = simulate_images(net, x, parallel=PeParallel(pairs))
    assert res.bad_images == 0
    model = max(
        -(-fc.n_in // pi) * -(-fc.n_out // po) for fc, (pi, po) in zip(fcs, pairs, strict=True)
    )
    assert res.bound == WIDTHS[0]
    assert res.steady == max(model, res.bound)


def with_fc(model: str, gap: bool, widths: tuple[int, ...]) -> Network:
    """A power-of-two zoo model (with or without its GAP) followed by an FC chain."""
    net = build(model)
    if not gap:
        net = dataclasses.replace(net, gap=None)
    c, h, w = net.stages[-1].out_shape
    shape = (c, 1, 1) if gap else (c, h, w)
    fcs = fc_chain(9, (shape[0] * shape[1] * shape[2], *widths))
    fcs[0] = dataclasses.replace(fcs[0], in_shape=shape)
    return dataclasses.replace(net, fc=fcs)


#: (model, keep its GAP, FC widths, folded parallelism of the whole network)
IR_NETS = {
    "conv_flatten_fc3": (
        "conv_3x1_1x1_max_2x2", False, (20, 12, 10), ((1, 2), (3, 1), (5, 4), (4, 3), (2, 5))
    ),
    "gap_fc": ("conv_2x1_1x1_max_3x2", True, (10,), ((1, 1), (2, 3), (3, 2))),
    "conv_flatten_fc": ("conv_3x1_1x1_max_2x1", False, (10,), ((1, 4), (4, 1), (7, 1))),
}  # fmt: skip


@pytest.mark.parametrize("folded", [False, True])
@pytest.mark.parametrize("name", sorted(IR_NETS))
def test_pow2_fc_networks_ghdl(name: str, folded: bool) -> None:
    model, gap, widths, pairs = IR_NETS[name]
    net = with_fc(model, gap, widths)
    x = random_images(net, 5, seed=4)
    par = resolve_parallel(net, list(pairs) if folded else None)
    res = simulate_images(net, x, parallel=par, stall_in=30, stall_out=30, seed=6)
    np.testing.assert_array_equal(res.outputs, reference.run(net, x))
    assert res.bad_images == 0


@functools.cache
def quantized(name: str, row: int) -> Network:
    model: onnx.ModelProto = FLOAT_NETS[name](1)
    return from_onnx(quantize_setting(model, calibration(model, 8, 0), MATRIX[row]))


@pytest.mark.parametrize(
    ("name", "row", "stall"),
    [("fc1", 0, 20), ("fc1", 1, 0), ("gap_fc", 3, 20), ("fc3", 5, 20), ("lenet", 1, 0)],
)
def test_quantized_fc_nets_ghdl(name: str, row: int, stall: int) -> None:
    """Default parallelism; without stalls the steady state is the input bound."""
    net = quantized(name, row)
    assert net.fc
    x = random_images(net, 12 if not stall else 4, seed=3)
    res = simulate_images(
        net, x, parallel=resolve_parallel(net, None), stall_in=stall, stall_out=stall
    )
    np.testing.assert_array_equal(res.outputs, reference.run(net, x))
    assert res.bad_images == 0
    if not stall:
        assert res.steady == res.bound == net.input_words


def test_default_fc_parallel_keeps_the_bound() -> None:
    net = quantized("lenet", 1)
    pairs = resolve_parallel(net, None).pairs[len(net.stages) :]
    assert pairs == ((1, 40), (1, 14), (1, 2))
    for f, pair in zip(net.fc, pairs, strict=True):
        assert fc_cycles(f.n_in, f.n_out, pair) <= net.input_words


def test_synth_fc_network(tmp_path: Path) -> None:
    """`ghdl --synth` of a network with flatten and an FC chain (quantized fc3)."""
    files = emit(quantized("fc3", 1), tmp_path / "gen")
    assert "pcnn_flatten" in files[1].read_text()
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
