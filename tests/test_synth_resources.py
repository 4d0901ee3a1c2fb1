"""Resource regression of the synthesis library (pocket_cnn.synth), moved from the old
benchmarks/bench_resources.py test: a tiny network through ghdl --synth and yosys
synth_ice40 stays within bounds (bounded, not pinned, so the RTL can change)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from pocket_cnn.ir import Activation
from pocket_cnn.synth.netlist import netlist_notes, synth_netlist
from pocket_cnn.synth.yosys import ICE40, run_yosys, usage_from_cells
from pocket_cnn.zoo.draw import LayerSpec, NetSpec, build_network


@pytest.mark.skipif(
    shutil.which("yosys") is None or shutil.which("ghdl") is None,
    reason="yosys or ghdl not installed (bash scripts/setup.sh --synth)",
)
def test_tiny_network_through_yosys(tmp_path: Path) -> None:
    spec = NetSpec("tiny", (1, 4, 4), (LayerSpec(cout=1, kernel=1, act=Activation.RELU),), False)
    net = build_network(spec, np.random.default_rng(0))
    verilog = synth_netlist(net, tmp_path, timeout=120)
    assert netlist_notes(verilog) == []
    json_netlist, cells = run_yosys(verilog, "pcnn_net", ICE40, tmp_path, timeout=120)
    counts = usage_from_cells(ICE40, cells)
    # one 8x8 constant multiply, a requantiser and stream control: some logic, far from a chip
    assert counts.lut is not None and 0 < counts.lut < 3000
    assert counts.ff is not None and 8 <= counts.ff < 3000
    assert counts.dsp is not None and counts.dsp <= 1
    assert counts.bram == 0
    assert json_netlist.stat().st_size > 0
