"""`ghdl --synth` of the UART board top (fileset ``board``) around a generated network.

As in test_synth_net.py: the core's RTL, the generated network and the board files are
analysed into library pocket_cnn under tmp_path and the top pcnn_board_uart is
synthesised with ``--no-formal``. GHDL stops with an error on an inferred latch; the
test also requires that both FIFO arrays are recognised as RAM (so the vendor tools
can map them to block RAM) and that the board ports reach the netlist.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pocket_cnn.emit import emit
from pocket_cnn.ip import fileset, rtl_sources
from pocket_cnn.tools import GHDL_FLAGS
from pocket_cnn.zoo import build

GHDL = shutil.which("ghdl")
pytestmark = pytest.mark.requires_tools("ghdl")
FLAGS = GHDL_FLAGS
TOP = "pcnn_board_uart"


def _ghdl(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    assert GHDL is not None
    return subprocess.run([GHDL, *args], cwd=cwd, capture_output=True, text=True, check=False)


def _run_synth(
    tmp_path: Path, model: str, generics: list[str], argmax: bool = False
) -> subprocess.CompletedProcess[str]:
    files = emit(build(model).with_argmax(argmax), tmp_path / "gen")
    sources = [*rtl_sources(), *files, *fileset("board")]
    ana = _ghdl(["-a", *FLAGS, f"--workdir={tmp_path}", *map(str, sources)], tmp_path)
    assert ana.returncode == 0, ana.stderr
    args = ["--synth", *FLAGS, f"--workdir={tmp_path}", "--no-formal", *generics, TOP]
    return _ghdl(args, tmp_path)


def _synth(
    tmp_path: Path, model: str, generics: list[str], argmax: bool = False
) -> subprocess.CompletedProcess[str]:
    syn = _run_synth(tmp_path, model, generics, argmax)
    assert syn.returncode == 0, syn.stderr[-3000:]
    return syn


@pytest.mark.parametrize(
    ("model", "generics"),
    [
        ("conv_3x1_1x1_max_2x2", []),
        ("conv_3x1_1x1_max_2x2_padding", ["-gG_CLK_HZ=25000000", "-gG_BAUD=921600"]),
    ],
)
def test_synth_board_top(tmp_path: Path, model: str, generics: list[str]) -> None:
    syn = _synth(tmp_path, model, generics)
    assert "latch" not in syn.stderr.lower(), syn.stderr
    assert syn.stderr.count('found RAM "mem"') == 2, syn.stderr
    assert f"entity {TOP} is" in syn.stdout
    for port, mode in (("clk", "in"), ("rst_btn", "in"), ("uart_rx", "in"), ("uart_tx", "out")):
        assert re.search(rf"\b{port}\s*:\s*{mode}\s+std_logic;", syn.stdout), port
    assert re.search(r"\bleds\s*:\s*out\s+std_logic_vector\s*\(3 downto 0\)", syn.stdout)


def test_synth_board_top_argmax(tmp_path: Path) -> None:
    """G_ARGMAX with a network generated with argmax synthesises (the class byte reaches
    the TX path); with a network without argmax the board top's guard stops synthesis."""
    syn = _synth(tmp_path / "ok", "conv_3x1_1x1_max_2x2", ["-gG_ARGMAX=true"], argmax=True)
    assert "latch" not in syn.stderr.lower(), syn.stderr
    assert f"entity {TOP} is" in syn.stdout
    bad = _run_synth(tmp_path / "bad", "conv_3x1_1x1_max_2x2", ["-gG_ARGMAX=true"])
    assert bad.returncode != 0
    assert "G_ARGMAX needs a network generated with argmax" in bad.stderr, bad.stderr[-2000:]
