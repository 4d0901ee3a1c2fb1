"""`ghdl --synth` of the generated network top succeeds for every zoo model.

The core's RTL list and the generated files are analysed into library pocket_cnn
under tmp_path; the top (and for one model the legacy wrapper) is synthesised with
``--no-formal`` as the board flows do. A failure shows GHDL's message.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pocket_cnn.emit import emit
from pocket_cnn.ip import rtl_sources
from pocket_cnn.tools import GHDL_FLAGS
from pocket_cnn.zoo import ZOO, build

GHDL = shutil.which("ghdl")
pytestmark = pytest.mark.requires_tools("ghdl")
FLAGS = GHDL_FLAGS


def _ghdl(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    assert GHDL is not None
    return subprocess.run([GHDL, *args], cwd=cwd, capture_output=True, text=True, check=False)


def _synth(tmp_path: Path, model: str, top: str, entity: str) -> str:
    files = emit(build(model), tmp_path / "gen", top=top)
    sources = [str(p) for p in rtl_sources()] + [str(p) for p in files]
    ana = _ghdl(["-a", *FLAGS, f"--workdir={tmp_path}", *sources], tmp_path)
    assert ana.returncode == 0, ana.stderr
    syn = _ghdl(["--synth", *FLAGS, f"--workdir={tmp_path}", "--no-formal", entity], tmp_path)
    assert syn.returncode == 0, syn.stderr[-3000:]
    return syn.stdout


@pytest.mark.parametrize("model", sorted(ZOO))
def test_synth_zoo_model(tmp_path: Path, model: str) -> None:
    netlist = _synth(tmp_path, model, "pcnn_net", "pcnn_net")
    assert "entity pcnn_net is" in netlist
    for port in ("s_axis_tdata", "s_axis_tready", "m_axis_tdata", "m_axis_tlast"):
        assert port in netlist


def test_synth_legacy_wrapper(tmp_path: Path) -> None:
    netlist = _synth(tmp_path, "conv_3x1_1x1_max_2x2", "my_cnn", "my_cnn_legacy")
    assert "entity my_cnn_legacy is" in netlist
    for port in ("isl_start", "isl_get", "osl_rdy", "osl_finish", "oslv_data"):
        assert port in netlist
