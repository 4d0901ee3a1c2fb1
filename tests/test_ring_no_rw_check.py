"""pcnn_pe_mem's ring memory (``ring_nrw``) is marked free of read-write collisions in
both yosys routes (``pocket-cnn synth``'s :func:`run_yosys`, and the FuseSoC flow's Tcl
from the ``pcnn_ghdl_synth`` edalize plugin, where edalize reads the netlist deferred):
yosys then maps it to one SB_RAM40_4K and nothing else. A memory of another name keeps
yosys's read-first emulation (address compares and a bypass register), as does the ring
without the plugin: the checks see both sides. What the mark rests on (no unmasked tap
is read at the address written in the same clock) is an assertion in pcnn_pe_mem that
every GHDL simulation of the memory form runs.

Needs yosys (skipped without it, a failure under CI: tests/_support/tools.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _support.tools import require_tools
from _support.yosys_flow import run_flow

from edalize.tools import pcnn_ghdl_synth
from pocket_cnn.synth.yosys import ICE40, run_yosys


def design(memory: str) -> str:
    """A top over a pcnn_pe_mem-like module whose one memory, named ``memory``, is read
    at one clock edge (registered, enabled) and written at the same edge."""
    return f"""\
module pcnn_pe_mem_x(input clk, input en, we, input [7:0] ra, wa, wd, output reg [7:0] rd);
  reg [7:0] {memory}[255:0];
  always @(posedge clk) if (en) rd <= {memory}[ra];
  always @(posedge clk) if (we) {memory}[wa] <= wd;
endmodule
module t(input clk, input en, we, input [7:0] ra, wa, wd, output [7:0] rd);
  pcnn_pe_mem_x u(.clk(clk), .en(en), .we(we), .ra(ra), .wa(wa), .wd(wd), .rd(rd));
endmodule
"""


@pytest.mark.parametrize("memory", ["ring_nrw", "ring"])
def test_pocket_cnn_synth_route(tmp_path: Path, memory: str) -> None:
    require_tools("yosys")
    src = tmp_path / "t.v"
    src.write_text(design(memory))
    _, cells = run_yosys(src, "t", ICE40, tmp_path, timeout=120)
    assert cells.get("SB_RAM40_4K", 0) == 1, cells
    if memory == "ring_nrw":
        assert cells == {"SB_RAM40_4K": 1}, cells
    else:
        assert sum(cells.values()) > 10, cells


def flow_cells(tmp_path: Path, memory: str, with_plugin: bool, synth: str) -> dict[str, int]:
    """The edalize yosys flow with ``synth`` as its synth command, the netlist read
    deferred as edalize reads it."""
    src = tmp_path / "t.v"
    src.write_text(design(memory))
    plugin = pcnn_ghdl_synth._YOSYS_TCL_TEXT if with_plugin else ""
    return run_flow(tmp_path, src, "t", synth, plugin, defer=True)


@pytest.mark.parametrize(
    ("memory", "with_plugin"), [("ring_nrw", True), ("ring", True), ("ring_nrw", False)]
)
def test_fusesoc_flow_route(tmp_path: Path, memory: str, with_plugin: bool) -> None:
    require_tools("yosys")
    cells = flow_cells(tmp_path, memory, with_plugin, "synth_ice40 -abc9")
    assert cells.get("SB_RAM40_4K", 0) == 1, cells
    if memory == "ring_nrw" and with_plugin:
        assert cells == {"SB_RAM40_4K": 1}, cells
    else:
        assert sum(cells.values()) > 10, cells


def test_fusesoc_flow_route_other_family(tmp_path: Path) -> None:
    """A synth procedure that is not one synth_ice40 command (as for ECP5) is wrapped
    too: the mark, then edalize's own procedure (here two commands, which the iCE40
    split leaves alone)."""
    require_tools("yosys")
    cells = flow_cells(tmp_path, "ring_nrw", True, "opt_clean; synth_ice40 -abc9")
    assert cells == {"SB_RAM40_4K": 1}, cells
