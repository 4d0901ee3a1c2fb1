"""``--parallel auto`` (pocket_cnn.ir.auto_parallel): the default of the CLI, the API and
the FuseSoC generator; per PE the fewest multipliers that meet the target by the cycle
model, within a board's device by the resource estimate (pocket_cnn.ir.estimate).

That the model's clocks are the hardware's is tests/test_cycles.py (GHDL, zoo models at
auto among them); here: the choice against the model, the options and their errors."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from pocket_cnn.boards.auto_target import AUTO_MAX_CELLS, auto_target
from pocket_cnn.boards.spec import find_board
from pocket_cnn.cli.main import main
from pocket_cnn.emit import emit
from pocket_cnn.errors import ModelError
from pocket_cnn.fusesoc.network_gen import generate, parse_params
from pocket_cnn.ir.auto_parallel import FOLD_TAPS, AutoTarget, choose
from pocket_cnn.ir.cycles import cycle_report, stage_cycles
from pocket_cnn.ir.estimate import COEF, estimate
from pocket_cnn.ir.parallel import pe_dims, resolve_parallel
from pocket_cnn.synth.yosys import ICE40
from pocket_cnn.zoo import ZOO, build

SMALL_ZOO = [n for n in sorted(ZOO) if build(n).input_words <= 108]


@pytest.mark.parametrize("name", sorted(ZOO))
def test_auto_keeps_up_with_the_input_port(name: str) -> None:
    """Default target: the input bound, as full parallelism, with no more multipliers."""
    net = build(name)
    auto = resolve_parallel(net, "auto")
    full = resolve_parallel(net, "full")
    rep = cycle_report(net, auto.triples(net))
    full_steady = cycle_report(net, full.triples(net)).steady
    assert auto.auto
    assert not auto.note
    assert rep.steady == rep.bound == full_steady
    mults = [a * b * k for a, b, k in auto.triples(net)]
    full_mults = [a * b * k for a, b, k in full.triples(net)]
    assert all(m <= f for m, f in zip(mults, full_mults, strict=True))


@pytest.mark.parametrize("name", SMALL_ZOO)
def test_auto_is_minimal_per_pe(name: str) -> None:
    """No PE can take fewer multipliers (the others as chosen) and keep the bound."""
    net = build(name)
    par = resolve_parallel(net, "auto").triples(net)
    for i, (_, ch_in, ch_out, kk) in enumerate(pe_dims(net)):
        mine = par[i][0] * par[i][1] * par[i][2]
        pks = range(1, kk + 1) if FOLD_TAPS else [kk]
        for pi, po, pk in itertools.product(range(1, ch_in + 1), range(1, ch_out + 1), pks):
            if pi * po * pk >= mine:
                continue
            trial = list(par)
            trial[i] = (pi, po, pk)
            # a block alone misses the bound (steady >= slowest block); the GAP in its
            # faster form (the PEs' clocks do not depend on it; picking the form is two
            # clocked runs of the network, the test's time)
            if max(s.cycles for s in stage_cycles(net, trial, banked=True)) > net.input_words:
                continue
            assert cycle_report(net, trial).steady > net.input_words, (name, i, pi, po, pk)


def test_rate_target() -> None:
    """--rate at the board clock: the fewest clocks per image it needs, met."""
    net = build("conv_2x_3x1_1x1_max_2x2_mt")
    clock = 12.0
    for rate in (1000.0, 3000.0):
        choice = choose(net, AutoTarget(rate=rate, clock_mhz=clock))
        assert choice.report.steady <= clock * 1e6 / rate
        assert not choice.note
    slow = choose(net, AutoTarget(rate=1000.0, clock_mhz=clock)).estimate.multipliers
    fast = choose(net, AutoTarget(rate=3000.0, clock_mhz=clock)).estimate.multipliers
    assert slow < fast


def test_rate_above_the_input_port_says_so() -> None:
    net = build("conv_3x1_1x1_max_2x2")
    choice = choose(net, AutoTarget(rate=12e6, clock_mhz=12.0))  # one clock per image
    assert choice.report.steady == net.input_words
    assert "cannot be met" in choice.note


def test_board_limits_the_setting() -> None:
    """On the UP5K the default model's auto setting is the fastest that fits the estimate."""
    net = build("conv_3x1_1x1_max_2x2")
    board = find_board("icebreaker")
    target = auto_target(board, None)
    choice = choose(net, target)
    assert estimate(net, choice.par, board.resources.dsp).cells <= board.resources.lut
    unlimited = choose(net)
    assert estimate(net, unlimited.par, board.resources.dsp).cells > board.resources.lut
    assert "does not fit the iCE40UP5K" in choice.note
    assert choice.report.steady > net.input_words
    # a big device keeps the unlimited choice
    assert choose(net, auto_target(find_board("ulx3s"), None)).par == unlimited.par


def test_nothing_fits_takes_the_smaller_form() -> None:
    """Where no setting of either form fits, auto takes the smaller of the two smallest
    settings by the estimate (LeNet: the memory form's, one product per PE) and says so."""
    net = build("lenet_mnist8")
    target = AutoTarget(cells=1000, mem_cells=1000, dsps=0, device="tiny", brams=30)
    choice = choose(net, target)
    assert all(k < 0 for _, _, k in choice.par), choice.par
    assert all(a * b == 1 for a, b, _ in choice.par), choice.par
    assert "no setting fits the tiny" in choice.note and "memory-window" in choice.note
    register_smallest = [(1, 1, 1)] * len(choice.par)
    assert choice.estimate.cells < target.estimate(net, register_smallest).cells


def test_choice_products_in_dsps_off_ice40() -> None:
    """Products with a choice of weights count as DSPs where yosys maps them so (ECP5:
    conv_3x2_1x1_max_2x1 at 1,1;4,1 measured 14 MULT18X18D), not on iCE40, whose flow
    maps no product into a DSP (only the memory form instantiates SB_MAC16s)."""
    net = build("conv_3x2_1x1_max_2x1")
    par = [(1, 1, 9), (4, 1, 1)]
    ice40 = auto_target(find_board("icebreaker"), None).estimate(net, par)
    ecp5 = auto_target(find_board("ulx3s"), None).estimate(net, par)
    assert ice40.dsps == 0 and not ice40.in_dsps
    assert ecp5.dsps == round(COEF["dsp_base"] + 13 * COEF["dsp_wmux"])


def test_general_requantisers_count_as_dsps_off_ice40() -> None:
    """Off iCE40 each output lane of a register-form PE with a mult/exact requantiser
    adds dsp_rq_lane DSPs; a power-of-two (shift) stage adds none."""
    from pocket_cnn.ir.rq_serial import Requant, requant_mode
    from pocket_cnn.onnx_import import from_onnx
    from pocket_cnn.zoo.random_quant import random_quant_model

    ecp5 = auto_target(find_board("ulx3s"), None)
    ice40 = auto_target(find_board("icebreaker"), None)
    for seed in range(20):
        net = from_onnx(random_quant_model(seed))
        if requant_mode(net.stages[0]) is Requant.SHIFT or net.stages[0].ch_out < 2:
            continue
        dims = pe_dims(net)
        par = [(1, 1, kk) for _, _, _, kk in dims]
        wide = [(1, dims[0][2], dims[0][3]), *par[1:]]
        grow = ecp5.estimate(net, wide).dsps - ecp5.estimate(net, par).dsps
        lanes = dims[0][2] - 1
        assert grow >= round(COEF["dsp_rq_lane"] * lanes) - 1
        assert ice40.estimate(net, wide).dsps - ice40.estimate(net, par).dsps < grow
        return
    pytest.fail("no random model with a general first stage")


@pytest.mark.parametrize("name", sorted(ZOO))
def test_auto_on_a_big_device_stays_within_its_cap(name: str) -> None:
    """On the ECP5-85F auto fills at most AUTO_MAX_CELLS (synthesis in minutes) and keeps
    its products in the DSPs the device has."""
    net = build(name)
    target = auto_target(find_board("ulx3s"), None)
    assert target.cells == AUTO_MAX_CELLS
    est = choose(net, target).estimate
    assert est.cells <= AUTO_MAX_CELLS
    assert est.in_dsps


def test_estimate_terms() -> None:
    """Multipliers in LUTs once they exceed the DSPs."""
    net = build("conv_3x1_1x1_max_2x2")
    par = [(1, 1, 9), (1, 1, 1)]
    in_dsp, in_lut = estimate(net, par, dsps=8), estimate(net, par, dsps=2)
    assert in_dsp.multipliers == in_lut.multipliers == 10
    assert in_dsp.in_dsps and not in_lut.in_dsps
    assert in_lut.cells > in_dsp.cells
    assert set(COEF) >= {"base", "lut_xmux", "dsp_xmux"}


def test_cli_check_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "zoo:conv_2x_3x1_1x1_max_2x2", "--parallel", "1,1;1,1;1,1;1,1"]) == 0
    out = capsys.readouterr().out
    net = build("conv_2x_3x1_1x1_max_2x2")
    rep = cycle_report(net, resolve_parallel(net, "1,1;1,1;1,1;1,1").triples(net))
    assert f"steady state: {rep.steady} cycles/image (bound {net.input_words}" in out
    neck = [line.split()[0] for line in out.splitlines() if line.endswith("<- bottleneck")]
    slowest = {st.name for i, st in enumerate(net.stages) if rep.pe_cycles(i) == rep.slowest}
    assert set(neck) == slowest == {"conv2", "conv3"}
    assert "bottleneck: conv2.conv (PE 1)" in out
    assert main(["check", "zoo:conv_3x1_1x1_max_2x2"]) == 0
    auto = resolve_parallel(build("conv_3x1_1x1_max_2x2"), "auto")
    assert f"parallelism (auto): {auto}" in capsys.readouterr().out


def test_cli_board_and_rate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "zoo:conv_3x1_1x1_max_2x2", "--board", "icebreaker"]) == 0
    cap = capsys.readouterr()
    assert cap.err.startswith("pocket-cnn: auto: 36 clocks per image does not fit")
    assert main(["check", "zoo:conv_3x1_1x1_max_2x2", "--rate", "100"]) == 2
    assert "--rate" in capsys.readouterr().err
    assert main(["check", "zoo:conv_3x1_1x1_max_2x2", "--rate", "100", "--parallel", "full",
                 "--board", "icebreaker"]) == 2  # fmt: skip
    assert "auto only" in capsys.readouterr().err
    assert main(["check", "zoo:conv_3x1_1x1_max_2x2", "--rate", "-1", "--board", "icebreaker"]) == 2
    assert main(["check", "zoo:conv_3x1_1x1_max_2x2", "--parallel", "fast"]) == 2
    assert "'auto', 'full'" in capsys.readouterr().err


def test_generator_parameters(tmp_path: Path) -> None:
    assert parse_params({"zoo": "conv_3x1_1x1_max_2x2"}).parallel == "auto"
    p = parse_params({"zoo": "x", "parallel": "auto", "board": "icebreaker", "rate": 5000})
    assert p.board == "icebreaker" and p.rate == 5000.0
    for bad in ({"board": 3}, {"rate": 0}, {"rate": "fast"}):
        with pytest.raises(ModelError):
            parse_params({"zoo": "x", **bad})


def test_generator_auto_on_a_board(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``parallel: auto`` (the default) with ``board``: the setting the CLI chooses for
    the board, its note on stderr; the IP's boards/ when the calling core has none."""
    yml = tmp_path / "net_input.yml"
    params = {"zoo": "conv_3x1_1x1_max_2x2", "board": "icebreaker"}
    data = {"files_root": str(tmp_path), "gapi": "1.0", "vlnv": "a:b:c-net:0", "parameters": params}
    yml.write_text(yaml.safe_dump(data))
    files = generate(yml, tmp_path / "gen")
    assert "does not fit the iCE40UP5K" in capsys.readouterr().err
    net = build("conv_3x1_1x1_max_2x2")
    par = resolve_parallel(net, "auto", auto_target(find_board("icebreaker"), None))
    # the board's family sets the products' form too (iCE40: logic)
    want = emit(net, tmp_path / "want", "pcnn_net", par, dsp=ICE40.dsp_form)
    got = {p.name: p.read_text() for p in files if p.suffix == ".vhd"}
    assert got == {p.name: p.read_text() for p in want}
    assert par != resolve_parallel(net, "auto")  # the board changed the setting
