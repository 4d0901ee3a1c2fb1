"""Quiet simulations: no VUnit naming warnings, no metavalue warnings from the IP.

A user's own simulation of the network (no ``--ieee-asserts`` option) must print no
numeric_std metavalue warnings, also at time 0; and the VUnit run script must find
every testbench by its name (``*_tb``) without a warning.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pocket_cnn import zoo
from pocket_cnn.ip import ROOT
from pocket_cnn.ir.parallel import resolve_parallel
from pocket_cnn.reference import run
from pocket_cnn.simulation import ghdl as ghdl_sim
from pocket_cnn.simulation.stimuli import random_images


@pytest.mark.requires_tools("ghdl")
@pytest.mark.parametrize(
    ("name", "parallel"),
    [("conv_3x1_1x1_max_2x2", None), ("conv_3x2_1x1_max_2x1_padding", None), ("conv_4x3x1_1x1", 1)],
)
def test_no_metavalue_warnings(name: str, parallel: int | None, tmp_path: Path) -> None:
    net = zoo.build(name)
    par = None if parallel is None else resolve_parallel(net, ";".join(["1,1"] * len(net.stages)))
    x = random_images(net, 2, seed=1)
    ghdl_sim.prepare(net, tmp_path, par, cache=tmp_path / "rtl")
    res = ghdl_sim.run_prepared(net, tmp_path, x, run(net, x), silence_at_0=False)
    assert res.passed, res.reason
    assert "metavalue" not in res.log, res.log[:2000]


def test_vunit_finds_testbenches_without_warnings() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "sim" / "run.py"),
            "--list",
            "-o",
            str(ROOT / "build" / "vunit_list"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout + proc.stderr
    assert "WARNING" not in out, out[:2000]
    assert "pcnn_robust_tb.reset_stall0" in out
