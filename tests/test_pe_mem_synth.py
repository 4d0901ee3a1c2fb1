"""Block RAM and logic of the memory-window form (pcnn_pe_mem) through ``ghdl --synth``
and yosys ``synth_ice40 -abc9`` (the iCE40 flow: no ``-dsp``): the window is not
registers any more, its rows and the weights are SB_RAM40_4K, the products logic.

Bounds, not exact pins (the tools' versions move logic by a few cells): the block count
is the rings' and ROMs' (pocket_cnn.ir.estimate.mem_pe_brams) within the estimate's
margin, the FFs far below the register form's window (LeNet's conv2 window alone is
5 x 5 x 8 x 8 = 1,600 FFs, tests/test_synth_resources.py measures 1,798 FFs for that PE
in the register form).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pocket_cnn.boards.auto_target import auto_target
from pocket_cnn.boards.spec import find_board
from pocket_cnn.ir import Activation, PoolSpec
from pocket_cnn.ir.estimate import estimate, mem_pe_brams
from pocket_cnn.ir.parallel import resolve_parallel
from pocket_cnn.loader import load
from pocket_cnn.synth.netlist import synth_netlist
from pocket_cnn.synth.yosys import ICE40, run_yosys, usage_from_cells
from pocket_cnn.zoo.draw import LayerSpec, NetSpec, build_network

pytestmark = pytest.mark.requires_tools("ghdl", "yosys")


def test_lenet_conv2_rows_in_one_memory(tmp_path: Path) -> None:
    """LeNet's conv2 geometry (8 x 14 x 14, 5 x 5, pad 2) at 1,1m: 3 SB_RAM40_4K (the
    ring of 8 rows x 16 columns x 8 one-byte words: 2; 200 weight bytes: 1), no SB_MAC16
    (the iCE40 flow keeps products in LUTs), and a few hundred FFs instead of the
    window's 1,600 (414 on 2026-12-05, 66 of them the gather's skid slice of 8 channels;
    451 since 2026-12-06: 57 more hold the writer's shifted copy of the input beat)."""
    spec = NetSpec("rows8", (8, 14, 14), (LayerSpec(cout=1, kernel=5, pad=2),), False)
    net = build_network(spec, np.random.default_rng(0))
    par = resolve_parallel(net, "1,1m")
    assert mem_pe_brams(net, 0, par.triples(net)[0]) == 3
    path = synth_netlist(net, tmp_path / "n", parallel=par, timeout=600)
    _, cells = run_yosys(path, "pcnn_net", ICE40, tmp_path, 900)
    got = usage_from_cells(ICE40, cells)
    assert got.bram == 3, cells
    assert got.dsp == 0, cells
    assert got.ff <= 470, cells


def test_lenet_auto_setting_within_the_up5k(tmp_path: Path) -> None:
    """lenet_mnist8 at the setting ``auto`` picks on the iCEBreaker: at most the
    estimate's block RAMs, no DSPs (the iCE40 flow keeps products in LUTs)."""
    net = load("zoo:lenet_mnist8")
    par = resolve_parallel(net, "auto", auto_target(find_board("icebreaker"), None))
    assert all(par.mem), str(par)
    est = estimate(net, par.triples(net), 0)
    path = synth_netlist(net, tmp_path / "n", parallel=par, timeout=600)
    _, cells = run_yosys(path, "pcnn_net", ICE40, tmp_path, 1200)
    got = usage_from_cells(ICE40, cells)
    assert got.bram <= est.brams <= 30, cells
    assert got.dsp == 0, cells


def test_pool_after_memory_form(tmp_path: Path) -> None:
    """A 2x2 pool behind the memory form: the ring (8 x 32 x 1 words) is one block."""
    spec = NetSpec(
        "pool",
        (1, 28, 28),
        (LayerSpec(cout=2, kernel=5, pad=2, act=Activation.RELU, pool=PoolSpec(2, 2)),),
        False,
    )
    net = build_network(spec, np.random.default_rng(0))
    par = resolve_parallel(net, "1,1m")
    path = synth_netlist(net, tmp_path / "n", parallel=par, timeout=600)
    _, cells = run_yosys(path, "pcnn_net", ICE40, tmp_path, 900)
    got = usage_from_cells(ICE40, cells)
    assert 1 <= got.bram <= mem_pe_brams(net, 0, par.triples(net)[0]) + 2, cells
