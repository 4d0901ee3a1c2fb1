"""A folded PE with enough weights keeps them in block RAM, and the netlist of that
memory form computes what the reference does.

pcnn_conv reads a PE's weight words at a registered address into a registered word; where
the cost model (pocket_cnn.ir.wrom) picks the memory form, ``ghdl --synth`` writes a ROM
that yosys maps to SB_RAM40_4K (``synth_ice40``) and DP16KD (``synth_ecp5``): bounded
counts here, whatever the tool versions. Its Verilog netlist in Icarus equals the
reference bit for bit (GHDL writes the ROM reversed behind an address subtractor, so the
simulation matters), with input gaps and output backpressure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pocket_cnn.emit.vhdl import context
from pocket_cnn.ir import Network
from pocket_cnn.ir.parallel import resolve_parallel
from pocket_cnn.simulation.stimuli import random_images
from pocket_cnn.synth.netlist import synth_netlist
from pocket_cnn.synth.netlist_sim import simulate_netlist
from pocket_cnn.synth.yosys import ECP5, ICE40, run_yosys, usage_from_cells
from pocket_cnn.zoo.draw import LayerSpec, NetSpec, build_network

#: one 5x5 conv, 1 -> 16 channels, padding 2, on 8x8 images: 400 weights, at one tap per
#: clock 400 words of 8 bits (one block on either family; the 8-pixel rows of its line
#: buffers stay out of block RAM)
BIG = NetSpec("big_rom", (1, 8, 8), (LayerSpec(cout=16, kernel=5, pad=2),), False)
#: a 3x3 conv, 1 -> 16, then a 1x1 16 -> 4: 144 words of 8 bits in the memory form
SMALL = NetSpec(
    "rom_sim", (1, 4, 5), (LayerSpec(cout=16, kernel=3), LayerSpec(cout=4, kernel=1)), False
)


def _net(spec: NetSpec) -> Network:
    return build_network(spec, np.random.default_rng(0))


def test_memory_form_is_emitted() -> None:
    for spec, parallel in ((BIG, "1,1,1"), (SMALL, "1,1,1;4,2")):
        net = _net(spec)
        pes = context(net, "pcnn_net", resolve_parallel(net, parallel))["pes"]
        assert pes[0].wrom_bram == "true", spec.name
    net = _net(BIG)
    pes = context(net, "pcnn_net", resolve_parallel(net, "1,1"))["pes"]
    assert pes[0].wrom_bram == "false"  # 16 words of 200 bits: logic


@pytest.mark.requires_tools("ghdl", "yosys")
@pytest.mark.parametrize("family", [ICE40, ECP5], ids=lambda f: f.name)
def test_folded_weights_in_block_ram(tmp_path: Path, family: object) -> None:
    net = _net(BIG)
    netlist = synth_netlist(net, tmp_path, parallel=resolve_parallel(net, "1,1,1"), timeout=600)
    _, cells = run_yosys(netlist, "pcnn_net", family, tmp_path, 600)  # type: ignore[arg-type]
    use = usage_from_cells(family, cells)  # type: ignore[arg-type]
    print(f"{family.name}: {use}")  # type: ignore[attr-defined]
    assert 1 <= use.bram <= 2, cells
    # one 9 x 8 product: one MULT18X18D; none on iCE40 (its flow keeps products in LUTs)
    assert use.dsp == (0 if family is ICE40 else 1), cells


@pytest.mark.requires_tools("ghdl", "iverilog", "vvp")
def test_memory_form_netlist_equals_reference(tmp_path: Path) -> None:
    net = _net(SMALL)
    x = random_images(net, 3, seed=4)
    par = resolve_parallel(net, "1,1,1;4,2")
    res = simulate_netlist(net, x, tmp_path, parallel=par, stall_in=25, stall_out=25)
    assert res.bad_images == 0, f"netlist {res.outputs.tolist()} != {res.expected.tolist()}"
    assert res.tlast_errors == 0
    assert res.passed
