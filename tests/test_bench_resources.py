"""benchmarks/bench_resources.py: GHDL -> Verilog -> yosys synth_ice40 on a tiny network.

The network is one 1x1 convolution, one channel, 4x4 image, no GAP: small enough for
yosys to finish in well under a minute. The counts are bounded, not pinned, so the RTL
can change; a missing tool is reported with exit code 2 and the package name.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from pocket_cnn.flow.ip import ROOT
from pocket_cnn.ir import Activation
from pocket_cnn.zoo.draw import LayerSpec, NetSpec, build_network

SCRIPT = ROOT / "benchmarks" / "bench_resources.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_resources", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_resources"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(
    shutil.which("yosys") is None or shutil.which("ghdl") is None,
    reason="yosys or ghdl not installed",
)
def test_tiny_network_through_yosys(tmp_path: Path) -> None:
    bench = _bench()
    spec = NetSpec("tiny", (1, 4, 4), (LayerSpec(cout=1, kernel=1, act=Activation.RELU),), False)
    net = build_network(spec, np.random.default_rng(0))
    verilog, notes = bench.netlist(net, "full", tmp_path, timeout=60)
    assert notes == []
    cells, problems = bench.yosys_synth(verilog, "ice40", timeout=60)
    assert problems == []
    counts = bench.ice40_counts(cells)
    # one 8x8 constant multiply, a requantiser and stream control: some logic, far from a chip
    assert 0 < counts["lut"] < 3000
    assert 8 <= counts["ff"] < 3000
    assert counts["dsp"] == 0  # synth_ice40 without -dsp never maps SB_MAC16
    assert (tmp_path / "pcnn_net_ice40.json").stat().st_size > 0


def test_missing_tool_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = _bench()
    monkeypatch.setenv("PATH", "")
    assert bench.main(["--models", "conv_3x1_1x1_max_2x2"]) == 2
    err = capsys.readouterr().err
    assert "apt-get install -y ghdl yosys nextpnr-ice40" in err


def test_unknown_model_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _bench()
    assert bench.main(["--models", "no_such_model"]) == 2
    assert "no_such_model" in capsys.readouterr().err
