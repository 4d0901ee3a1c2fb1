"""Synthesis means what simulation means: the ``ghdl --synth`` Verilog netlist of a zoo
network, simulated in Icarus Verilog with images back to back, random input gaps and
output backpressure, gives the reference's outputs bit for bit (and tlast on the last
word of every result). Expected values come from pocket_cnn.reference, never from the
design. Also: GHDL 2.0's quoted-string constants are rewritten, and without that rewrite
the netlist computes something else (so the comparison can fail).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest

from pocket_cnn.errors import ModelError
from pocket_cnn.ir.parallel import resolve_parallel
from pocket_cnn.loader import load
from pocket_cnn.simulation.stimuli import random_images
from pocket_cnn.synth.netlist import DROPPED_EDGE, synth_netlist
from pocket_cnn.synth.netlist_sim import run_netlist, simulate_netlist
from pocket_cnn.synth.verilog_fix import BIT_STRING, drop_black_box_stubs, fix_bit_strings

TOOLS = ("ghdl", "iverilog", "vvp")
pytestmark = pytest.mark.requires_tools(*TOOLS)

#: (zoo model, parallelism): 3x3 conv + 2x2 max-pool; 3x3 conv with stride 2 and zero
#: padding 1 + 2x1 pool, at full parallelism, folded to one channel in and out per PE,
#: and folded over kernel taps (2 of 9 per clock); and in the memory-window form.
#: Three input channels: the input gather assembles a pixel from several words.
CASES = [
    ("conv_3x1_1x1_max_2x2", "full"),
    ("conv_3x2_1x1_max_2x1_padding", "full"),
    ("conv_3x2_1x1_max_2x1_padding", "1,1;1,1"),
    ("conv_3x2_1x1_max_2x1_padding", "1,2,2;2,3"),
    ("conv_3x1_1x1_max_2x2_colored_input", "full"),
    # memory-window form (pcnn_pe_mem): ring and weight memories, masked padding,
    # stride 2, products as multipliers and as shift-and-add logic
    ("conv_3x2_1x1_max_2x1_padding", "1,2m;2,3ml"),
]
IMAGES = 3
#: A constant of high-impedance bits: GHDL's netlist for signal bits nothing drives.
UNDRIVEN = re.compile(r"\b\d+'b[zZ]+\b")


@pytest.mark.parametrize(("model", "parallel"), CASES)
def test_netlist_matches_reference(tmp_path: Path, model: str, parallel: str) -> None:
    net = load(f"zoo:{model}")
    x = random_images(net, IMAGES, seed=5)
    t0 = time.perf_counter()
    pairs = resolve_parallel(net, parallel)
    res = simulate_netlist(
        net, x, tmp_path, parallel=pairs, stall_in=25, stall_out=25, progress=print
    )
    print(
        f"{model} parallel={parallel}: {res.simulator}, {res.cycles} cycles, "
        f"{time.perf_counter() - t0:.1f} s {res.seconds}; notes: {res.notes}"
    )
    assert res.outputs.shape == res.expected.shape == (IMAGES, *net.output_shape)
    assert res.bad_images == 0, (
        f"netlist {res.outputs.tolist()} != reference {res.expected.tolist()}"
    )
    assert res.tlast_errors == 0
    assert res.passed
    text = res.netlist.read_text()
    assert not BIT_STRING.search(text), "a quoted bit string is left in the netlist"
    assert not DROPPED_EDGE.search(text), "a memory write port GHDL's Verilog drops"
    # no undriven register bits: GHDL writes them as a Z literal, which at full
    # parallelism of a big conv outgrew what Verilator reads (98,304 bits, 2026-12-05)
    assert not UNDRIVEN.search(text), UNDRIVEN.findall(text)[:3]


def test_quoted_constants_break_the_netlist(tmp_path: Path) -> None:
    """Without the rewrite, GHDL 2.0's netlist reads its constants (weight and bias ROMs)
    as ASCII: wrong outputs, or undefined bits (an ASCII character's bits as x / z
    reach the output: the simulation stops with that error)."""
    net = load("zoo:conv_3x1_1x1_max_2x2")
    raw = synth_netlist(net, tmp_path / "raw", repair=False)
    if not BIT_STRING.search(raw.read_text()):
        pytest.skip("this GHDL writes no quoted-string constants")
    x = random_images(net, 2, seed=3)
    try:
        res = run_netlist(net, raw, x, tmp_path / "raw" / "sim")
    except ModelError as err:
        assert "undefined" in str(err), err
        return
    assert not res.passed
    assert res.bad_images > 0


def test_fix_bit_strings() -> None:
    text = (
        'localparam [5:0] n1_o = "01X10Z";\n'
        '  q <= "1100";\n'
        "assign a = 4'b0101; // keep\n"
        '$display("cannot open file");\n'
    )
    fixed, count = fix_bit_strings(text)
    assert count == 2
    assert "localparam [5:0] n1_o = 6'b01x10z;" in fixed
    assert "q <= 4'b1100;" in fixed
    assert "4'b0101" in fixed
    assert '"cannot open file"' in fixed
    again, count2 = fix_bit_strings(fixed)
    assert (again, count2) == (fixed, 0)


def test_drop_black_box_stubs() -> None:
    """GHDL's port-only module for a component without entity goes; a module with a
    body (even one line) stays."""
    stub = "module pcnn_pll_x\n  (input  clk_in,\n   output locked);\nendmodule\n\n"
    real = "module keep\n  (input  a,\n   output b);\n  assign b = a;\nendmodule\n\n"
    top = "module top\n  (input  clk);\n  pcnn_pll_x u_pll (.clk_in(clk));\nendmodule\n"
    text, names = drop_black_box_stubs(real + stub + top)
    assert names == ["pcnn_pll_x"]
    assert text == real + top


def test_bad_simulator_is_one_error(tmp_path: Path) -> None:
    net = load("zoo:conv_3x1_1x1_max_2x2")
    with pytest.raises(ModelError, match="unknown simulator"):
        simulate_netlist(net, np.zeros((1, *net.input_shape), np.uint8), tmp_path, simulator="xyz")


def test_ghdl_error_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A VHDL error stops the netlist with GHDL's first error line (file:line:col)."""
    import pocket_cnn.synth.netlist as netlist_mod
    from pocket_cnn.ip import rtl_sources

    broken = tmp_path / "pcnn_broken.vhd"
    broken.write_text("entity pcnn_broken is\nend entity;\narchitecture a of pcnn_broken is\n")
    monkeypatch.setattr(netlist_mod, "rtl_sources", lambda: [*rtl_sources(), broken])
    net = load("zoo:conv_3x1_1x1_max_2x2")
    want = r"GHDL analysis failed: \S*pcnn_broken\.vhd:\d+:\d+: "
    with pytest.raises(ModelError, match=want):
        synth_netlist(net, tmp_path / "work")


def test_ghdl_timeout(tmp_path: Path) -> None:
    from pocket_cnn.errors import ModelError

    net = load("zoo:conv_3x1_1x1_max_2x2")
    with pytest.raises(ModelError, match="timed out after"):
        synth_netlist(net, tmp_path, timeout=0.001)


def test_variable_index_write_is_flagged(tmp_path: Path) -> None:
    """The GHDL 2.0 Verilog bug the input gather had: an array written at a variable index
    becomes a memory whose clock edge is the constant 0; netlist_notes names it."""
    import subprocess

    from pocket_cnn.synth.netlist import netlist_notes

    (tmp_path / "mem.vhd").write_text(
        "library ieee;\nuse ieee.std_logic_1164.all;\n"
        "entity mem is port (clk : in std_logic; i : in integer range 0 to 2;\n"
        "  d : in std_logic_vector(7 downto 0); q : out std_logic_vector(23 downto 0));\n"
        "end entity;\narchitecture rtl of mem is\n"
        "  type arr_t is array (0 to 2) of std_logic_vector(7 downto 0);\n"
        "  signal a : arr_t := (others => (others => '0'));\nbegin\n"
        "  process (clk) begin\n    if rising_edge(clk) then a(i) <= d; end if;\n"
        "  end process;\n  q <= a(2) & a(1) & a(0);\nend architecture;\n"
    )
    flags = ["--std=08", f"--workdir={tmp_path}"]
    subprocess.run(["ghdl", "-a", *flags, "mem.vhd"], cwd=tmp_path, check=True)
    out = subprocess.run(
        ["ghdl", "--synth", *flags, "--out=verilog", "mem"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    netlist = tmp_path / "mem.v"
    netlist.write_text(out)
    if not DROPPED_EDGE.search(out):
        pytest.skip("this GHDL writes the memory's clock edge correctly")
    assert any("variable index" in note for note in netlist_notes(netlist))
