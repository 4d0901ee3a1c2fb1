"""The cycle model (pocket_cnn.ir.cycles, pocket_cnn.ir.clock_model) against GHDL:
every image's clocks with images back to back (the first one's from the start, so the
pipeline depth too) and the steady state, exactly.

Expected clocks come from the simulation of the generated VHDL (the network testbench,
no stalls); the model is what is tested. Coverage: every zoo model at full parallelism
and at ``auto``; random networks (pocket_cnn.zoo.random_nets) and random general-scale
models (pocket_cnn.zoo.random_quant) at random foldings (random PI/PO; PK too once
pcnn_conv folds taps: pocket_cnn.ir.auto_parallel.FOLD_TAPS); small maps where the
window's writer and reader wait on each other (rows of one pixel, padding); networks
with a GAP or a flatten followed by fully connected PEs.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools

import numpy as np
import pytest

from pocket_cnn.emit.fc import fc_as_conv
from pocket_cnn.ir import Activation, FcStage, Network, PoolSpec, QTensor
from pocket_cnn.ir.auto_parallel import FOLD_TAPS
from pocket_cnn.ir.cycles import IMAGES, clocked_ends, cycle_report
from pocket_cnn.ir.parallel import PeParallel, pe_dims, resolve_parallel
from pocket_cnn.ir.requant import conv_multiplier
from pocket_cnn.ir.wrom import rom_shape, wrom_in_bram
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.simulation.run import simulate_images
from pocket_cnn.simulation.stimuli import random_images
from pocket_cnn.zoo import ZOO, build, random_network
from pocket_cnn.zoo.draw import LayerSpec, NetSpec, build_network
from pocket_cnn.zoo.random_quant import random_quant_model

pytestmark = pytest.mark.requires_tools("ghdl")

#: random networks / random general-scale models drawn, one random folding each
RANDOM_SEEDS = range(40)
QUANT_SEEDS = range(8)


def agree(net: Network, par: PeParallel) -> None:
    """GHDL's clocks of every image (images back to back, no stalls) equal the model's:
    the first image's (from the start: the pipeline's depth) and those of images 1.."""
    x = random_images(net, IMAGES, seed=3)
    res = simulate_images(net, x, parallel=par, chunk=IMAGES)
    assert res.bad_images == 0
    measured = [c for r in res.results for c in r.cycles]
    triples = par.triples(net)
    ends = clocked_ends(net, triples, IMAGES)
    model = [ends[0]] + [b - a for a, b in itertools.pairwise(ends)]
    assert model == measured, (net.name, str(par))
    rep = cycle_report(net, triples)
    assert rep.steady == res.steady, (net.name, str(par))
    assert rep.steady >= rep.slowest >= rep.bound == res.bound


def random_folding(net: Network, seed: int) -> PeParallel:
    """Random (par_in, par_out[, par_k]) per PE."""
    rng = np.random.default_rng([seed, 0xF0])
    entries = []
    for _, ch_in, ch_out, kk in pe_dims(net):
        pi, po = int(rng.integers(1, ch_in + 1)), int(rng.integers(1, ch_out + 1))
        pk = int(rng.integers(1, kk + 1)) if FOLD_TAPS else kk
        entries.append((pi, po, pk))
    return resolve_parallel(net, entries)


@pytest.mark.parametrize("setting", ["full", "auto"])
@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo(name: str, setting: str) -> None:
    net = build(name)
    agree(net, resolve_parallel(net, setting))


@pytest.mark.parametrize("seed", RANDOM_SEEDS)
def test_random_networks_folded(seed: int) -> None:
    net = random_network(seed, max_channels=8)
    agree(net, random_folding(net, seed))


@functools.cache
def _quant(seed: int) -> Network:
    return from_onnx(random_quant_model(seed))


@pytest.mark.parametrize("seed", QUANT_SEEDS)
def test_random_quant_folded(seed: int) -> None:
    net = _quant(seed)
    agree(net, random_folding(net, seed + 1000))


#: (C, H, W, K, S, P, pool): maps where the window's writer and reader wait on each
#: other, found where a per-block count alone was off (rows of one pixel, padding)
SMALL = [
    (1, 13, 1, 3, 1, 1, None),
    (1, 13, 1, 5, 2, 2, None),
    (1, 5, 1, 3, 2, 2, None),
    (1, 1, 5, 3, 2, 2, None),
    (1, 1, 1, 5, 1, 2, None),
    (2, 2, 2, 2, 2, 1, None),
    (1, 6, 2, 3, 3, 2, None),
    (3, 13, 1, 1, 2, 0, None),
    (1, 9, 2, 3, 1, 1, (2, 1)),
]


@pytest.mark.parametrize("case", SMALL)
@pytest.mark.parametrize("folded", [False, True])
def test_small_maps(
    case: tuple[int, int, int, int, int, int, tuple[int, int] | None], folded: bool
) -> None:
    c, h, w, k, s, p, pool = case
    layer = LayerSpec(3, k, s, p, Activation.NONE, None if pool is None else PoolSpec(*pool))
    spec = NetSpec("small", (c, h, w), (layer,), gap=False)
    net = build_network(spec, np.random.default_rng(0))
    agree(net, resolve_parallel(net, [(1, 2)] if folded else "full"))


def _fc_net(model: str, gap: bool, widths: tuple[int, ...]) -> Network:
    """A zoo model (with or without its GAP) followed by power-of-two FC layers."""
    net = build(model)
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


@pytest.mark.parametrize(
    ("model", "gap", "widths"),
    [
        ("conv_3x1_1x1_max_2x2", False, (20, 10)),
        ("conv_2x1_1x1_max_3x2", True, (10,)),
        ("conv_3x1_1x1_max_2x1", False, (6,)),
    ],
)
@pytest.mark.parametrize("setting", ["full", "auto", "random"])
def test_fc_networks(model: str, gap: bool, widths: tuple[int, ...], setting: str) -> None:
    net = _fc_net(model, gap, widths)
    par = random_folding(net, 5) if setting == "random" else resolve_parallel(net, setting)
    agree(net, par)


def test_fc_chain_alone() -> None:
    """FC layers only (kernel-1 PEs over one pixel), each a pass-through window."""
    net = _fc_net("conv_3x1_1x1_max_2x2", True, (12, 5))
    chain = Network(
        name="fc_chain",
        input_shape=(8, 1, 1),
        input_q=QTensor.pow2(4),
        stages=[fc_as_conv(f) for f in net.fc],
    )
    agree(chain, resolve_parallel(chain, [(3, 2), (1, 1)]))


#: (C, H, W, Cout, K, pool, (PI, PO, PK)): weights in block RAM (pocket_cnn.ir.wrom;
#: the step register and the register after the read), with several steps per output
#: group (taps folded) and with output groups of one step each (the step register only
#: for the read), the bias word registered ahead (more than 8 output groups)
BRAM = [
    (1, 6, 6, 16, 5, None, (1, 1, 1)),
    (2, 5, 7, 12, 3, (2, 2), (1, 1, 2)),
    (1, 4, 4, 160, 1, None, (1, 1, 1)),
]


@pytest.mark.parametrize("case", BRAM)
def test_weights_in_block_ram(
    case: tuple[int, int, int, int, int, tuple[int, int] | None, tuple[int, int, int]],
) -> None:
    c, h, w, cout, k, pool, par = case
    assert wrom_in_bram(*rom_shape(c, cout, k * k, par[:2], par[2]))
    layer = LayerSpec(cout, k, 1, 0, Activation.RELU, None if pool is None else PoolSpec(*pool))
    spec = NetSpec("bram", (c, h, w), (layer,), gap=False)
    net = build_network(spec, np.random.default_rng(1))
    agree(net, resolve_parallel(net, [par]))


def test_fc_weights_in_block_ram() -> None:
    """An FC PE of one step per output group whose 80 weight words sit in block RAM."""
    net = _fc_net("conv_3x1_1x1_max_2x2", True, (2, 80))
    chain = Network(
        name="fc_bram",
        input_shape=(8, 1, 1),
        input_q=QTensor.pow2(4),
        stages=[fc_as_conv(f) for f in net.fc],
    )
    assert wrom_in_bram(*rom_shape(2, 80, 1, (2, 1), 1))
    agree(chain, resolve_parallel(chain, [(8, 2), (2, 1)]))
