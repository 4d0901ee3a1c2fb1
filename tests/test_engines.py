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


@pytest.mark.requires_tools("ghdl", "verilator", "yosys")
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


@pytest.mark.requires_tools("ghdl", "verilator", "yosys")
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


@pytest.mark.requires_tools("yosys")
def test_yosys_pass_and_its_fallbacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Verilator build takes yosys's netlist; GHDL's own when it is too big or yosys
    fails (the same design either way, yosys's only runs faster)."""
    from pocket_cnn.synth import verilator_model as vm

    said: list[str] = []
    good = tmp_path / "good" / "pcnn_net.v"
    good.parent.mkdir()
    good.write_text(
        "module pcnn_net(input clk, input [7:0] a, output reg [15:0] q);\n"
        "  always @(posedge clk) q <= {a, a};\nendmodule\n"
    )
    split = vm._yosys_pass(good, 60, said.append)
    assert split != good and "module pcnn_net" in split.read_text()
    bad = tmp_path / "bad" / "pcnn_net.v"
    bad.parent.mkdir()
    bad.write_text("module pcnn_net(; endmodule\n")
    assert vm._yosys_pass(bad, 60, said.append) == bad
    assert "going on with GHDL's netlist" in said[-1]
    monkeypatch.setattr(vm, "YOSYS_MAX_BYTES", 10)
    assert vm._yosys_pass(good, 60, said.append) == good
    assert said[-1].endswith("no yosys pass")


def test_verilator_command_choice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The packaged Verilator with its make variables and no yosys pass when installed;
    else the one on PATH with the yosys pass."""
    from pocket_cnn.synth import verilator_model as vm

    fake = tmp_path / "bin" / "verilator"
    monkeypatch.setattr(vm, "packaged_verilator", lambda: fake)
    command, use_yosys = vm.verilator_command()
    assert command[0] == str(fake) and not use_yosys
    assert command[-2:] == ["-MAKEFLAGS", vm.PACKAGED_MAKEFLAGS]
    monkeypatch.setattr(vm, "packaged_verilator", lambda: None)
    monkeypatch.setattr(vm, "find_tool", lambda name: f"/usr/bin/{name}")
    command, use_yosys = vm.verilator_command()
    assert command == ["/usr/bin/verilator", *vm.VERILATOR_FLAGS] and use_yosys


@pytest.mark.requires_tools("ghdl", "verilator", "yosys")
def test_system_verilator_path_agrees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the packaged Verilator installed the zoo test above runs it; this one runs the
    fallback (system Verilator after the yosys pass): the reference's words, GHDL's cycles."""
    from pocket_cnn.synth import verilator_model as vm

    if vm.packaged_verilator() is None:
        pytest.skip("the zoo test already runs the system Verilator")
    monkeypatch.setattr(vm, "packaged_verilator", lambda: None)
    net = zoo.build("conv_3x1_1x1_max_2x2")
    x = random_images(net, 3, seed=5)
    exe, built = vm.build_model(net, cache=tmp_path / "cache")
    assert "yosys" in built
    r = vm.run_model(net, exe, x, tmp_path / "run")
    np.testing.assert_array_equal(r.outputs.astype(np.int64), run(net, x).astype(np.int64))
    assert r.tlast_errors == 0 and r.steady == api.simulate(net, x, engine="ghdl").steady
