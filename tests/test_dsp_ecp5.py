"""Products in ECP5 blocks with their own registers (``emit(dsp="ecp5")``, the ECP5 flow's
form, rtl/pcnn_mul_ecp5.vhd).

- GHDL equals the reference bit for bit in this form, on the block's simulation model
  (sim/models/mult18x18d.vhd), and every image takes the clocks of the cycle model of
  that form (the operands pass the block's input registers, its output register is the
  product register, one adder level in the first tree stage after it; the steady state
  of the inferred form):
  unfolded and folded register-form PEs (weights in logic and in block RAM), the memory
  form, uint8 inputs (an onnxruntime-quantized model), with input gaps and output
  backpressure; the same for the logic form (``dsp="logic"``, the iCE40 flow's: a folded
  conv's products as two registered half products), whose clocks are the cycle model's
  for that form (one register deeper per folded conv with its weights in logic);
- ``ghdl --synth`` -> yosys ``synth_ecp5`` keeps every block with its input and output
  registers set as text parameters (GHDL writes a black box's strings as bit vectors:
  :func:`fix_cell_strings`), a constant weight of 0 or a power of two takes no block,
  and the GHDL stub module of the block is dropped;
- the ECP5 flow of ``pocket-cnn synth`` emits this form, the iCE40 flow the logic form, the
  other families the inferred one; ``pocket-cnn generate --dsp ecp5`` writes it on request.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from _support.tools import require_tools

from pocket_cnn.cli.main import main
from pocket_cnn.emit.vhdl import context
from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Network
from pocket_cnn.ir.cycles import clocked_ends
from pocket_cnn.ir.parallel import resolve_parallel
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.simulation.run import simulate_images
from pocket_cnn.simulation.stimuli import random_images
from pocket_cnn.synth.netlist import synth_netlist
from pocket_cnn.synth.verilog_fix import drop_black_box_stubs, fix_cell_strings
from pocket_cnn.synth.yosys import ECP5, ICE40, run_yosys
from pocket_cnn.zoo import build
from pocket_cnn.zoo.random_quant import random_quant_model

ghdl = pytest.mark.requires_tools("ghdl")

#: (zoo model or "ort:SEED", folding, stall percent)
CASES = [
    ("conv_3x1_1x1_max_2x2", "full", 0),  # unfolded: the window enters the blocks
    ("conv_3x1_1x1_max_2x2", "1,4;4,1", 30),
    ("conv_3x1_1x1_max_2x2", "1,1;1,1", 0),  # folded, weights in logic
    ("conv_3x1_1x1_max_2x2", "1,2,3;2,2", 30),  # taps folded
    ("conv_5x1_1x1_max_2x2", "1,1,1;1,1", 0),  # 400-word ROM: block RAM
    ("conv_3x1_1x1_max_2x2", "1,1m;2,1m", 30),  # memory form
    ("lenet_mnist8", "1,2m;4,4m;1,1m", 0),  # memory form, FC over the map
    # memory form, 3 to 10 products per lane (two and four tree levels)
    ("conv_4x3x1_1x1", "1,8m;3,10m;10,3m;4,7m;5,2m", 0),
    # onnxruntime-quantized: uint8 input bytes (2, 4), per-channel scales, an FC (5)
    ("ort:2", "1,1", 30),
    ("ort:4", "1,1m;1,1;2,1", 0),
    ("ort:5", "1,2;1,1", 0),
]


def network(name: str) -> Network:
    if name.startswith("ort:"):
        return from_onnx(random_quant_model(int(name[4:])))
    return build(name)


@ghdl
@pytest.mark.parametrize(("name", "folding", "stall"), CASES)
def test_ghdl_equals_reference(name: str, folding: str, stall: int) -> None:
    net = network(name)
    par = resolve_parallel(net, None if folding == "full" else folding)
    n = 3
    x = random_images(net, n, seed=11)
    runs = {
        dsp: simulate_images(
            net, x, parallel=par, chunk=n, stall_in=stall, stall_out=stall, dsp=dsp
        )
        for dsp in ("infer", "ecp5", "logic")
    }
    for dsp in ("infer", "ecp5", "logic"):
        assert runs[dsp].bad_images == 0, (dsp, runs[dsp].first_mismatch())
    if not stall:
        infer = [c for r in runs["infer"].results for c in r.cycles]
        # the ECP5 form: the cycle model of that form (the blocks' input registers, and
        # one tree stage more where their tree has an even number of levels; the same
        # steady state)
        ecp5 = [c for r in runs["ecp5"].results for c in r.cycles]
        ends = clocked_ends(net, par.triples(net), n, dsp="ecp5")
        assert ecp5 == [ends[0]] + [b - a for a, b in itertools.pairwise(ends)]
        assert ecp5[1:] == infer[1:]
        # the logic form: the cycle model of that form, clock for clock (deeper by its
        # half-product register per folded conv with weights in logic; the same steady
        # state)
        logic = [c for r in runs["logic"].results for c in r.cycles]
        ends = clocked_ends(net, par.triples(net), n, dsp="logic")
        assert logic == [ends[0]] + [b - a for a, b in itertools.pairwise(ends)]
        assert logic[1:] == infer[1:]


def test_emit_form() -> None:
    net = build("conv_3x1_1x1_max_2x2")
    par = resolve_parallel(net, "1,4;4,1")
    assert context(net, "pcnn_net", par, dsp="ecp5")["dsp_form"] == "PCNN_DSP_ECP5"
    assert context(net, "pcnn_net", par, dsp="logic")["dsp_form"] == "PCNN_DSP_LOGIC"
    assert context(net, "pcnn_net", par)["dsp_form"] == ""
    with pytest.raises(ModelError, match="unknown product form"):
        context(net, "pcnn_net", par, dsp="dsp48")


@pytest.mark.parametrize("form", ["infer", "ecp5", "logic"])
def test_cli_generate(tmp_path: Path, form: str) -> None:
    """``generate --dsp ecp5|logic`` sets the form on every PE; the default infers."""
    out = tmp_path / "gen"
    args = [] if form == "infer" else ["--dsp", form]
    assert main(["generate", "zoo:conv_3x1_1x1_max_2x2", "-o", str(out), *args]) == 0
    top = (out / "pcnn_net.vhd").read_text()
    assert top.count("G_DSP =>") == (0 if form == "infer" else 2)
    if form != "infer":
        assert top.count(f"G_DSP => PCNN_DSP_{form.upper()}") == 2


def test_family_forms() -> None:
    assert ECP5.dsp_form == "ecp5"
    assert ICE40.dsp_form == "logic"


GHDL_BLOCK = """\
module MULT18X18D
  #(parameter
    REG_INPUTA_CLK,
    REG_OUTPUT_CLK)
  (input  A0,
   output P0);
endmodule

module t
  (input  clk,
   output p);
  MULT18X18D #(
    .REG_INPUTA_CLK(32'b01000011010011000100101100110000),
    .REG_OUTPUT_CLK(32'b01001110010011110100111001000101))
    u_dsp (
    .A0(clk),
    .P0(p));
  OTHER #(
    .MODE(32'b01000011010011000100101100110000))
    u_other (
    .A0(clk));
endmodule
"""


def test_fix_cell_strings() -> None:
    text, count = fix_cell_strings(GHDL_BLOCK)
    assert count == 1
    assert '.REG_INPUTA_CLK("CLK0")' in text and '.REG_OUTPUT_CLK("NONE")' in text
    # another cell's parameters stay numbers
    assert ".MODE(32'b01000011010011000100101100110000)" in text
    again, count = fix_cell_strings(text)
    assert (again, count) == (text, 0)


def test_parameterised_stub_dropped() -> None:
    text, names = drop_black_box_stubs(GHDL_BLOCK)
    assert names == ["MULT18X18D"]
    assert "module MULT18X18D" not in text and "module t" in text


def block_params(json_path: Path, top: str) -> list[dict[str, str]]:
    cells = json.loads(json_path.read_text())["modules"][top]["cells"]
    return [c["parameters"] for c in cells.values() if c["type"] == "MULT18X18D"]


def yosys_blocks(tmp_path: Path, net: Network, folding: str, dsp: str) -> list[dict[str, str]]:
    par = resolve_parallel(net, folding)
    work = tmp_path / dsp
    verilog = synth_netlist(net, work, parallel=par, timeout=600, dsp=dsp)
    json_path, _ = run_yosys(verilog, "pcnn_net", ECP5, work, timeout=600)
    return block_params(json_path, "pcnn_net")


def text(value: str) -> str:
    """A yosys JSON parameter as text (yosys writes strings as themselves, a trailing
    space when the text could be read as bits)."""
    return value.rstrip()


@pytest.mark.requires_tools("ghdl", "yosys")
@pytest.mark.parametrize("folding", ["1,4;4,1", "1,1;1,1"])
def test_blocks_keep_their_registers(tmp_path: Path, folding: str) -> None:
    """PE 0's products: unfolded (1,4) the window, folded (1,1) the fabric step register
    enters the block's input registers; every block registers its output.
    As many blocks as yosys infers multipliers where the weight is no constant 0 or
    power of two."""
    require_tools("ghdl", "yosys")
    net = build("conv_3x1_1x1_max_2x2")
    blocks = yosys_blocks(tmp_path, net, folding, "ecp5")
    inferred = yosys_blocks(tmp_path, net, folding, "infer")
    assert blocks, "no MULT18X18D"
    assert all(text(p["REG_OUTPUT_CLK"]) == "CLK0" for p in blocks), blocks[:2]
    assert all(text(p.get(f"REG_INPUT{ab}_CLK", "NONE")) == "CLK0" for p in blocks for ab in "AB")
    # the products yosys infers as blocks are exactly the instantiated ones
    assert all(text(p.get("REG_OUTPUT_CLK", "NONE")) == "NONE" for p in inferred)
    products = [p for p in inferred if text(p.get("REG_OUTPUT_CLK", "NONE")) == "NONE"]
    assert abs(len(blocks) - len(products)) <= 2, (len(blocks), len(products))


def instantiated(blocks: list[dict[str, str]]) -> int:
    """The blocks pcnn_mul_ecp5 instantiated (output register set; yosys' own have none)."""
    return sum(text(p.get("REG_OUTPUT_CLK", "NONE")) == "CLK0" for p in blocks)


@pytest.mark.requires_tools("ghdl", "yosys")
def test_trivial_weights_take_no_block(tmp_path: Path) -> None:
    """PE 0 at full parallelism (constant weights) with every weight 0 or a power of two
    instantiates no block: as many fewer blocks as it had other weights."""
    require_tools("ghdl", "yosys")
    net = build("conv_3x1_1x1_max_2x2")
    conv = net.stages[0]
    rng = np.random.default_rng(4)
    pow2 = np.array([0, 1, -1, 2, -2, 4, 8, -16, 64, -128])
    w = rng.choice(pow2, size=conv.weights.shape).astype(conv.weights.dtype)
    stages = [dataclasses.replace(conv, weights=w), *net.stages[1:]]
    trivial = dataclasses.replace(net, stages=stages)
    others = int(
        np.sum(~np.isin(conv.weights, [0, *[s * 2**k for k in range(8) for s in (1, -1)]]))
    )
    assert others > 0
    full = instantiated(yosys_blocks(tmp_path / "n", net, "full", "ecp5"))
    less = instantiated(yosys_blocks(tmp_path / "t", trivial, "full", "ecp5"))
    assert full - less == others, (full, less, others)
