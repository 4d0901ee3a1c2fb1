"""Relative work directories (``pocket-cnn synth --workdir build/x``): the tools run
inside the work directory, so every path they get must not be relative to the caller."""

from __future__ import annotations

from pathlib import Path

import pytest

from pocket_cnn.synth.netlist import synth_netlist
from pocket_cnn.synth.yosys import ICE40, run_yosys
from pocket_cnn.zoo import build


@pytest.mark.requires_tools("ghdl", "yosys")
def test_yosys_in_a_relative_workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    net = build("conv_3x1_1x1_max_2x2_one_channel")
    netlist = synth_netlist(net, Path("rel") / "work", timeout=600)
    json_out, cells = run_yosys(
        Path("rel") / "work" / netlist.name, "pcnn_net", ICE40, Path("rel") / "work", 600
    )
    assert json_out.is_absolute() and json_out.is_file() and cells
