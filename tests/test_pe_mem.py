"""The memory-window PE form (rtl/pcnn_pe_mem.vhd, ``m`` after a ``--parallel`` entry).

GHDL equals the reference bit for bit in the memory form (zoo models, LeNet with its
FC as a K = H = W conv over the map, random networks over every stride / pad / kernel,
ORT-quantized general-scale models, input gaps and output backpressure); every image's
clocks equal the cycle model's (pocket_cnn.ir.clock_model.MemPe), exactly; the parser
reads and writes the marker and refuses what the form cannot run.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools

import numpy as np
import pytest

from pocket_cnn.boards.auto_target import BOARD_TOP_CELLS, auto_target
from pocket_cnn.boards.spec import find_board
from pocket_cnn.emit.vhdl import context
from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Activation, FcStage, Network, PoolSpec, QTensor
from pocket_cnn.ir.cycles import (
    IMAGES,
    MEM_K,
    clocked_ends,
    cycle_report,
    network_blocks,
    pool_fused,
)
from pocket_cnn.ir.estimate import estimate
from pocket_cnn.ir.parallel import PeParallel, pe_dims, resolve_parallel
from pocket_cnn.ir.requant import conv_multiplier
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.simulation.run import simulate_images
from pocket_cnn.simulation.stimuli import random_images
from pocket_cnn.zoo import build, random_network
from pocket_cnn.zoo.draw import LayerSpec, NetSpec, build_network
from pocket_cnn.zoo.random_quant import random_quant_model

ghdl = pytest.mark.requires_tools("ghdl")


def mem_folding(net: Network, seed: int, every: bool = True) -> PeParallel:
    """Random (par_in, par_out) per PE, the memory form on every PE (or a random half)."""
    rng = np.random.default_rng([seed, 0x3E])
    entries: list[tuple[int, ...]] = []
    for i, (_, ch_in, ch_out, _) in enumerate(pe_dims(net)):
        pi, po = int(rng.integers(1, ch_in + 1)), int(rng.integers(1, ch_out + 1))
        mem = every or i == 0 or bool(rng.integers(0, 2))
        entries.append((min(pi, 4), min(po, 4), -1) if mem else (pi, po))
    return resolve_parallel(net, entries)


def agree(net: Network, par: PeParallel, stall: int = 0) -> None:
    """GHDL equals the reference; without stalls every image's clocks equal the model's."""
    n = 3 if stall else IMAGES
    x = random_images(net, n, seed=5)
    res = simulate_images(net, x, parallel=par, chunk=n, stall_in=stall, stall_out=stall)
    assert res.bad_images == 0, res.first_mismatch()
    if stall:
        return
    measured = [c for r in res.results for c in r.cycles]
    triples = par.triples(net)
    ends = clocked_ends(net, triples, IMAGES)
    model = [ends[0]] + [b - a for a, b in itertools.pairwise(ends)]
    assert model == measured, (net.name, str(par))
    assert cycle_report(net, triples).steady == res.steady


def test_parse_and_print() -> None:
    net = build("lenet_mnist8")
    par = resolve_parallel(net, "1,2m;2,4m;1,1m")
    assert par.mem == (True, True, True)
    assert str(par) == "1,2m;2,4m;1,1m"
    assert resolve_parallel(net, str(par)) == par
    assert [t[2] for t in par.triples(net)] == [MEM_K] * 3
    mixed = resolve_parallel(net, "1,2m;2,4;1,1")
    assert mixed.mem == (True, False, False) and str(mixed) == "1,2m;2,4;1,1"
    with pytest.raises(ModelError):
        resolve_parallel(net, "1,2x;2,4m;1,1m")


def test_emit_fc_over_the_map() -> None:
    """A memory-form FC after a conv map is a K = H = W conv: no flatten, weights the
    Gemm rows reshaped (ONNX's (c, h, w) order is the kernel's (ci, ky, kx))."""
    net = build("lenet_mnist8")
    ctx = context(net, "pcnn_net", resolve_parallel(net, "1,2m;2,4m;1,1m"))
    assert ctx["flatten"] is None
    fc = ctx["pes"][2]
    assert (fc.kernel, fc.height, fc.width, fc.ch_in, fc.mem_form) == (4, 4, 4, 16, "true")
    reg = context(net, "pcnn_net", resolve_parallel(net, "1,2m;2,4m;1,1"))
    assert reg["flatten"] is not None and reg["pes"][2].kernel == 1


def test_fc_on_a_non_square_map_refused() -> None:
    layer = LayerSpec(3, 3, 1, 1, Activation.RELU, None)
    conv = build_network(NetSpec("ns", (1, 3, 5), (layer,), gap=False), np.random.default_rng(2))
    net = _fc_net(conv, False, (6,))
    _, h, w = net.fc[0].in_shape
    assert h != w
    with pytest.raises(ModelError, match="square"):
        resolve_parallel(net, "1,1m;1,1m")


def lenet_auto() -> PeParallel:
    """``auto`` for lenet_mnist8 on the iCEBreaker (12 MHz, iCE40UP5K)."""
    net = build("lenet_mnist8")
    return resolve_parallel(net, "auto", auto_target(find_board("icebreaker"), None))


def test_auto_picks_the_memory_form_for_lenet_on_the_up5k() -> None:
    """>= 100 images/s at 12 MHz (<= 120,000 clocks per image, issue 13) within the
    estimate's cells (the memory form's products in the 8 SB_MAC16, two per block, the
    rest in logic) and the 30 block RAMs; the note says the input rate is missed.
    (benchmarks/bench_boards.py measures the placed cells.)"""
    net = build("lenet_mnist8")
    par = lenet_auto()
    assert par.mem == (True, True, True), str(par)
    triples = par.triples(net)
    assert cycle_report(net, triples).steady <= 120_000
    est = estimate(net, triples, 8, pair_dsps=True)
    assert est.in_dsps and est.dsps <= 8
    assert est.cells <= 5280 - BOARD_TOP_CELLS and est.brams <= 30
    assert "memory-window form" in par.note
    # both max-pools run in their PE's serial requantiser (no pcnn_maxpool_line)
    assert [pool_fused(net, i, triples[i]) for i in range(2)] == [True, True]
    assert "MaxPoolLine" not in [type(b).__name__ for b in network_blocks(net, triples)]


@ghdl
@pytest.mark.parametrize("setting", ["1,2m;2,4m;1,1m", "auto"])
def test_lenet_mnist8(setting: str) -> None:
    net = build("lenet_mnist8")
    par = lenet_auto() if setting == "auto" else resolve_parallel(net, setting)
    x = random_images(net, 2, seed=9)
    res = simulate_images(net, x, parallel=par)
    assert res.bad_images == 0, res.first_mismatch()
    assert res.steady == cycle_report(net, par.triples(net)).steady


@ghdl
@pytest.mark.parametrize(
    ("model", "parallel"),
    [
        ("conv_3x1_1x1_max_2x2", "1,1m;1,1m"),
        ("conv_3x1_1x1_max_2x2", "1,3m;3,8"),
        ("conv_5x1_1x1_max_2x2", "1,2m;2,3m"),
        ("conv_2x_3x1_1x1_max_2x2_padding", "1,2m;2,2m;4,8;8,4m"),
    ],
)
@pytest.mark.parametrize("stall", [0, 30])
def test_zoo_models(model: str, parallel: str, stall: int) -> None:
    net = build(model)
    agree(net, resolve_parallel(net, parallel), stall)


@ghdl
@pytest.mark.parametrize("seed", range(12))
def test_random_networks(seed: int) -> None:
    net = random_network(seed + 300, max_channels=8)
    agree(net, mem_folding(net, seed, every=seed % 2 == 0), stall=25 if seed % 3 == 0 else 0)


@functools.cache
def _quant(seed: int) -> Network:
    return from_onnx(random_quant_model(seed))


@ghdl
@pytest.mark.parametrize("seed", range(4))
def test_random_quant_models(seed: int) -> None:
    net = _quant(seed)
    agree(net, mem_folding(net, seed + 50))


@ghdl
@pytest.mark.parametrize("seed", range(4))
def test_serial_requantiser(seed: int) -> None:
    """General-scale PEs with one serial requantiser (every output lane of a group in
    turn, pocket_cnn.ir.rq_serial): exact, clocks as the model's, under stalls too."""
    net = _quant(seed)
    par = resolve_parallel(net, [(1, co, -1) for _, _, co, _ in pe_dims(net)])
    digits = [pe.rq_digit for pe in context(net, "pcnn_net", par)["pes"]]
    assert any(digits), digits
    agree(net, par)
    agree(net, par, stall=17)


#: (C, H, W, K, S, P, pool): every stride 1-3, pad 0-2, kernel 1-5, short rows
GEOMETRY = [
    (1, 7, 9, 5, 1, 2, None),
    (2, 9, 8, 3, 2, 1, (2, 2)),
    (3, 8, 7, 3, 3, 0, None),
    (1, 5, 1, 3, 2, 2, None),
    (2, 1, 1, 5, 1, 2, None),
    (3, 6, 6, 1, 2, 0, (3, 1)),
    (5, 6, 6, 2, 1, 1, None),
]


@ghdl
@pytest.mark.parametrize("case", GEOMETRY)
@pytest.mark.parametrize("par", [(1, 1), (2, 3)])
def test_geometry(
    case: tuple[int, int, int, int, int, int, tuple[int, int] | None], par: tuple[int, int]
) -> None:
    c, h, w, k, s, p, pool = case
    layer = LayerSpec(3, k, s, p, Activation.RELU, None if pool is None else PoolSpec(*pool))
    spec = NetSpec("geom", (c, h, w), (layer,), gap=False)
    net = build_network(spec, np.random.default_rng(2))
    agree(net, resolve_parallel(net, [(min(par[0], c), par[1], -1)]))


def _fc_net(model: str | Network, gap: bool, widths: tuple[int, ...]) -> Network:
    """A zoo model (with or without its GAP) followed by FC layers."""
    net = build(model) if isinstance(model, str) else model
    if not gap:
        net = dataclasses.replace(net, gap=None)
    c, h, w = net.stages[-1].out_shape
    shape = (c, 1, 1) if gap else (c, h, w)
    rng = np.random.default_rng(7)
    fcs = []
    n_in = shape[0] * shape[1] * shape[2]
    for i, n_out in enumerate(widths):
        x_q, y_q = QTensor.pow2(4), QTensor.pow2(4)
        w_scale = np.full(n_out, 2.0**-7, dtype=np.float32)
        fcs.append(
            FcStage(
                name=f"fc{i + 1}",
                in_shape=shape if i == 0 else (n_in, 1, 1),
                weights=rng.integers(-128, 128, (n_out, n_in)).astype(np.int8),
                bias=rng.integers(-2000, 2000, n_out).astype(np.int32),
                x_q=x_q,
                w_scale=w_scale,
                y_q=y_q,
                multiplier=conv_multiplier(x_q.scale, w_scale, y_q.scale),
                activation=Activation.RELU,
            )
        )
        n_in = n_out
    return dataclasses.replace(net, fc=fcs)


@ghdl
@pytest.mark.parametrize(
    ("model", "gap", "widths", "parallel"),
    [
        ("conv_3x1_1x1_max_2x2", False, (20, 10), "1,2;2,2m;2,3m;3,2m"),
        ("conv_3x1_1x1_max_2x2", False, (20, 10), "1,2m;2,2;2,3m;3,2"),
        ("conv_2x1_1x1_max_3x2", True, (10,), "1,2m;2,4;3,2m"),
    ],
)
def test_fc_networks(model: str, gap: bool, widths: tuple[int, ...], parallel: str) -> None:
    net = _fc_net(model, gap, widths)
    agree(net, resolve_parallel(net, parallel))
