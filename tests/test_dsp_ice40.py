"""iCE40 DSPs: the memory form's products not in logic (``m`` PEs) in the iCE40 flow's
form (``dsp="logic"``) are SB_MAC16 blocks in their 8 x 8 mode, two products per block
(rtl/pcnn_mul_ice40.vhd).

- The ``ghdl --synth`` netlist, with yosys' own simulation model of SB_MAC16 (its ice40
  ``cells_sim.v``, not ours: sim/models/sb_mac16.vhd is what GHDL runs), simulated in
  Icarus with random input gaps and output backpressure equals the reference: uint8 and
  int8 inputs, an odd product count (one block with one product); and a model
  onnxruntime's quantizer wrote, three PEs in blocks.
- yosys keeps the blocks: as many SB_MAC16 as pairs of products.
- ``--parallel auto --board icebreaker`` puts the biggest memory-form PEs' products into
  the UP5K's 8 blocks, the rest in logic (tests/test_dsp_ecp5.py runs GHDL against the
  reference and the cycle model in this form).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pocket_cnn.boards.auto_target import auto_target
from pocket_cnn.boards.spec import find_board
from pocket_cnn.ir import Network
from pocket_cnn.ir.auto_parallel import _mem_assign, choose
from pocket_cnn.ir.parallel import resolve_parallel
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.simulation.stimuli import random_images
from pocket_cnn.synth.netlist import synth_netlist
from pocket_cnn.synth.netlist_sim import run_netlist
from pocket_cnn.synth.yosys import ICE40, run_yosys
from pocket_cnn.tools import find_tool
from pocket_cnn.zoo import build
from pocket_cnn.zoo.random_quant import random_quant_model

#: (zoo model, folding): PE 0 3 products (uint8 input: 2 blocks, one with one product),
#: PE 1 6 products (int8 input: 3 blocks)
MODEL, FOLDING, BLOCKS = "conv_3x2_1x1_max_2x1_padding", "1,3m;2,3m", 5


def yosys_cell_model() -> str:
    """The SB_MAC16 module of yosys' ice40 simulation library."""
    share = Path(find_tool("yosys")).resolve().parent.parent / "share" / "yosys"
    text = (share / "ice40" / "cells_sim.v").read_text()
    m = re.search(r"^module SB_MAC16\b.*?^endmodule\b", text, re.MULTILINE | re.DOTALL)
    assert m, "no SB_MAC16 in yosys' ice40 cells_sim.v"
    return m.group(0) + "\n"


@pytest.mark.requires_tools("ghdl", "yosys", "iverilog", "vvp")
def test_netlist_with_yosys_model_equals_reference(tmp_path: Path) -> None:
    net = build(MODEL)
    assert not net.stages[0].in_signed and net.stages[1].in_signed
    check_netlist(net, FOLDING, tmp_path, signs={"0", "1"})


@pytest.mark.requires_tools("ghdl", "yosys", "iverilog", "vvp")
def test_netlist_of_onnxruntime_model(tmp_path: Path) -> None:
    """A model onnxruntime's quantizer wrote (per-channel int8 weights, uint8
    activations with zero points), three memory-form PEs in blocks."""
    net = from_onnx(random_quant_model(4))
    assert len(net.stages) == 3
    check_netlist(net, "1,1m;1,1m;2,1m", tmp_path)


def check_netlist(
    net: Network, folding: str, tmp_path: Path, signs: set[str] | None = None
) -> None:
    """The logic-form netlist of ``net`` at ``folding`` with yosys' SB_MAC16 model,
    simulated in Icarus with 25 % input gaps and output stalls, equals the reference;
    ``signs``: the blocks' A_SIGNED values expected (None: not checked)."""
    par = resolve_parallel(net, folding)
    netlist = synth_netlist(net, tmp_path / "synth", parallel=par, dsp="logic")
    text = netlist.read_text()
    # one block module per operand signedness (GHDL writes one module per generic set)
    found = set(re.findall(r"\.A_SIGNED\(1'b([01])\)", text))
    assert found if signs is None else found == signs
    assert "module SB_MAC16" not in text  # GHDL's black-box stub dropped
    combined = tmp_path / "netlist_with_cells.v"
    combined.write_text(text + yosys_cell_model())
    x = random_images(net, 4, seed=3)
    res = run_netlist(net, combined, x, tmp_path / "iverilog", stall_in=25, stall_out=25)
    assert res.tlast_errors == 0
    assert res.bad_images == 0, (res.outputs[:1], res.expected[:1])


@pytest.mark.requires_tools("ghdl", "yosys")
def test_yosys_keeps_the_blocks(tmp_path: Path) -> None:
    net = build(MODEL)
    par = resolve_parallel(net, FOLDING)
    netlist = synth_netlist(net, tmp_path / "synth", parallel=par, dsp="logic")
    (tmp_path / "yosys").mkdir()
    _, cells = run_yosys(netlist, "pcnn_net", ICE40, tmp_path / "yosys", timeout=600)
    assert cells.get("SB_MAC16", 0) == BLOCKS, cells
    # the same folding with its products in logic takes none
    logic = resolve_parallel(net, FOLDING.replace("m", "ml"))
    netlist = synth_netlist(net, tmp_path / "synth_l", parallel=logic, dsp="logic")
    (tmp_path / "yosys_l").mkdir()
    _, cells = run_yosys(netlist, "pcnn_net", ICE40, tmp_path / "yosys_l", timeout=600)
    assert cells.get("SB_MAC16", 0) == 0, cells


def test_blocks_hold_two_products() -> None:
    # 4 + 16 + 1 products = 2 + 8 + 1 blocks: the smallest PEs go to logic until 8 fit
    picks = [(0, 1, 4), (0, 8, 2), (0, 1, 1)]
    par = _mem_assign(picks, 8, 0, 2)
    assert [p[2] < 0 for p in par] == [True, False, True]
    assert [p[2] < 0 for p in _mem_assign(picks, 11, 0, 2)] == [False, False, False]
    # one product per block (ECP5): 21 products
    assert [p[2] < 0 for p in _mem_assign(picks, 16, 0, 1)] == [True, False, True]


def test_auto_uses_the_up5k_blocks() -> None:
    board = find_board("icebreaker")
    target = auto_target(board, None)
    net = build("lenet_mnist8")
    choice = choose(net, target)
    blocks = sum(-(-(a * b) // 2) for a, b, k in choice.par if k == 0)
    assert 0 < blocks <= board.resources.dsp, choice.par
    assert choice.estimate.in_dsps
    # what the blocks buy: the same device with its products all in logic is slower
    no_dsp = choose(net, target.__class__(**{**target.__dict__, "dsps": 0}))
    assert all(k != 0 for _, _, k in no_dsp.par)
    assert choice.report.steady < no_dsp.report.steady
