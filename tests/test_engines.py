"""``simulate --engine verilator`` against GHDL (issue 14): on every zoo model both
engines take the same images and give the same words, equal to the reference, and the
same steady-state cycles per image; the CLI gives the same output file and exit code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pocket_cnn import api, zoo
from pocket_cnn.cli.main import main
from pocket_cnn.reference import run
from pocket_cnn.simulation.stimuli import random_images


@pytest.mark.requires_tools("ghdl", "verilator")
@pytest.mark.parametrize("name", sorted(zoo.ZOO))
def test_engines_agree_on_zoo_model(name: str) -> None:
    net = zoo.build(name)
    x = random_images(net, 3, seed=4)
    ghdl = api.simulate(net, x, engine="ghdl")
    vl = api.simulate(net, x, engine="verilator")
    np.testing.assert_array_equal(vl.outputs, ghdl.outputs)
    np.testing.assert_array_equal(vl.outputs.astype(np.int64), run(net, x).astype(np.int64))
    assert vl.bad_images == ghdl.bad_images == 0
    assert vl.steady == ghdl.steady and vl.bound == ghdl.bound


@pytest.mark.requires_tools("ghdl", "verilator")
def test_cli_engine_verilator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    net = zoo.build("conv_3x1_1x1_max_2x2")
    np.save(tmp_path / "in.npy", random_images(net, 5, seed=1))
    outs = {}
    for engine in ("ghdl", "verilator"):
        out = tmp_path / f"{engine}.npy"
        args = ["simulate", "zoo:conv_3x1_1x1_max_2x2", str(tmp_path / "in.npy"), "-o", str(out)]
        assert main([*args, "--engine", engine, "--stall-in", "20", "--stall-out", "30"]) == 0
        assert "5 images bit-exact" in capsys.readouterr().out
        outs[engine] = np.load(out)
    np.testing.assert_array_equal(outs["ghdl"], outs["verilator"])
    assert (
        main(["simulate", "zoo:conv_3x1_1x1_max_2x2", "x.npy", "-o", "y.npy", "--engine", "x"]) == 2
    )
