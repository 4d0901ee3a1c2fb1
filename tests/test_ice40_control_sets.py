"""iCE40 control sets: both yosys routes (``pocket-cnn synth``'s :func:`run_yosys` and the
FuseSoC flow's Tcl from the ``pcnn_ghdl_synth`` edalize plugin) split ``synth_ice40``
around :func:`pocket_cnn.synth.yosys.ice40_ff_legalize`, so a sync reset or clock enable
that only a few flip-flops share goes into the LUTs, and a shared one stays on the
flip-flops. Without the split the same design keeps its one-flip-flop sync reset (the
check that the design shows the difference at all).

Needs yosys (skipped without it, a failure under CI: tests/_support/tools.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _support.tools import require_tools
from _support.yosys_flow import run_flow

from edalize.tools import pcnn_ghdl_synth
from pocket_cnn.synth.yosys import ICE40, ICE40_MIN_CE, ICE40_MIN_SRST, run_yosys

#: q: one flip-flop with a sync reset (b); r: a clock enable (c) shared by 8 flip-flops;
#: s: a clock enable (e) of one flip-flop; t: a sync reset (f) shared by 8.
DESIGN = """\
module t(input clk, input a, b, c, d, e, f, output reg q, output reg [7:0] r,
         output reg s, output reg [7:0] u);
  always @(posedge clk) q <= b ? 1'b0 : a;
  always @(posedge clk) if (c) r <= {r[6:0], d};
  always @(posedge clk) if (e) s <= a ^ d;
  always @(posedge clk) u <= f ? 8'd0 : {u[6:0], a};
endmodule
"""


def test_thresholds_keep_the_shared_nets() -> None:
    """The design's shared nets (8 flip-flops) are at or above both thresholds, its single
    ones below: the checks below see both sides."""
    assert 1 < ICE40_MIN_CE <= 8
    assert 1 < ICE40_MIN_SRST <= 8


def test_pocket_cnn_synth_route(tmp_path: Path) -> None:
    require_tools("yosys")
    src = tmp_path / "t.v"
    src.write_text(DESIGN)
    _, cells = run_yosys(src, "t", ICE40, tmp_path, timeout=120)
    # q and s lose their control nets, r and u keep theirs
    assert cells.get("SB_DFFE", 0) == 8, cells
    assert cells.get("SB_DFFSR", 0) == 8, cells
    assert cells.get("SB_DFF", 0) == 2, cells


def yosys_tcl(tmp_path: Path, with_plugin: bool) -> dict[str, int]:
    """The edalize icestorm flow: ``synth`` is one ``synth_ice40`` command."""
    src = tmp_path / "t.v"
    src.write_text(DESIGN)
    plugin = pcnn_ghdl_synth._YOSYS_TCL_TEXT if with_plugin else ""
    return run_flow(tmp_path, src, "t", "synth_ice40 -abc9", plugin)


@pytest.mark.parametrize("with_plugin", [True, False])
def test_fusesoc_flow_route(tmp_path: Path, with_plugin: bool) -> None:
    require_tools("yosys")
    cells = yosys_tcl(tmp_path, with_plugin)
    assert cells.get("SB_DFFE", 0) == 8 + (0 if with_plugin else 1), cells
    assert cells.get("SB_DFFSR", 0) == 8 + (0 if with_plugin else 1), cells
