"""Exact resource regression of the synthesis library (pocket_cnn.synth): small networks
without GAP, at full parallelism and folded, through ``ghdl --synth`` and yosys
(``synth_ice40 -abc9`` / ``synth_ecp5``) use exactly the LUTs, FFs, block RAMs and DSPs
in RESOURCES (yosys' cell counts, pocket_cnn.synth.yosys.usage_from_cells).

The figures belong to the design *and* the tools: they were measured with the versions in
PINNED (Debian 12's GHDL and yosys, as scripts/setup.sh installs them). With other
versions the test fails under CI (env CI set) and is skipped otherwise, asking for a
re-pin. After an intended RTL change, or to re-pin on new tools, run

    POCKET_CNN_REPIN=1 pytest -n 0 -s tests/test_synth_resources.py

which measures every configuration and prints the table (also as the skip reasons in the
summary) to paste over RESOURCES (and PINNED).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from _support.tools import in_ci

from pocket_cnn.ir import Activation, PoolSpec
from pocket_cnn.ir.parallel import resolve_parallel
from pocket_cnn.synth.netlist import synth_netlist
from pocket_cnn.synth.resources import Usage
from pocket_cnn.synth.yosys import ECP5, ICE40, Family, run_yosys, usage_from_cells
from pocket_cnn.tools import tool_version
from pocket_cnn.zoo.draw import LayerSpec, NetSpec, build_network

pytestmark = pytest.mark.requires_tools("ghdl", "yosys")

#: First line of ``ghdl --version`` / ``yosys -V`` the figures were measured with.
PINNED = {
    "ghdl": "GHDL 2.0.0 (Debian 2.0.0+dfsg-6.2+b2) [Dunoon edition]",
    "yosys": "Yosys 0.23 (git sha1 7ce5011c24b)",
}
REPIN = os.environ.get("POCKET_CNN_REPIN") == "1"

#: The networks (weights drawn with seed 0), all without GAP.
NETS = {
    # one 1x1 conv, one channel: a multiplier, the requantiser and the stream control
    "tiny": NetSpec("tiny", (1, 4, 4), (LayerSpec(cout=1, kernel=1, act=Activation.RELU),), False),
    # 1x1 conv, 2 -> 2 channels: 4 products at full parallelism, folded at "1,1"
    "two_ch": NetSpec(
        "two_ch", (2, 4, 4), (LayerSpec(cout=2, kernel=1, act=Activation.RELU),), False
    ),
    # 3x3 conv with zero padding and a 2x2 max-pool: line buffers, window, pool
    "window": NetSpec(
        "window", (1, 4, 4), (LayerSpec(cout=1, kernel=3, pad=1, pool=PoolSpec(2, 2)),), False
    ),
    # 3x3 conv on 200-pixel rows: the line buffers' K+2 row slots in block RAM
    "long_rows": NetSpec("long_rows", (1, 3, 200), (LayerSpec(cout=1, kernel=3, pad=1),), False),
    # LeNet's long rows on the UP5K (kernel 5: K+2 = 7 row slots): 28 pixels x 1 channel
    # (one SB_RAM40_4K per slot, + 1 for the 2x2 pool's line of 14 partial maxima) and
    # 14 pixels x 8 channels (64-bit rows: four 16-bit SB_RAM40_4K per slot)
    "lenet_rows_1ch": NetSpec(
        "lenet_rows_1ch",
        (1, 28, 28),
        (LayerSpec(cout=1, kernel=5, pad=2, pool=PoolSpec(2, 2)),),
        False,
    ),
    "lenet_rows_8ch": NetSpec(
        "lenet_rows_8ch", (8, 14, 14), (LayerSpec(cout=1, kernel=5, pad=2),), False
    ),
}
#: network -> block RAMs its line buffers take on every family (one per row slot)
BRAM_ROWS = {"long_rows": 5}
#: network -> (SB_RAM40_4K, most LUTs, most FFs) on iCE40 at parallelism 1,1: the rows are
#: in block RAM, not in logic (the 8-channel rows alone are 7 x 14 x 64 = 6,272 bits; its
#: 1,600 window-register FFs are the 5 x 5 x 8 window itself, as many again its hold copy
#: in the folded conv). Measured (yosys 0.23, 2026-12-05, every multiplier in LUTs: the
#: iCE40 flow has no -dsp, pocket_cnn/synth/yosys.py): 3,157 LUT / 893 FF and 9,172 LUT /
#: 4,667 FF; the first 3,419 / 1,002 on 2026-12-06 (the window's row slots one-hot, its
#: column tests and next column info as registers: FFs for a shorter decision path), the
#: second 9,462 / 5,108 on 2026-12-06 (seventh session: the folded conv's operand
#: register, its product as two registered half products).
ICE40_ROWS = {
    "lenet_rows_1ch": (8, 3800, 1100),
    "lenet_rows_8ch": (28, 10000, 5400),
}
FAMILIES = {"ice40": ICE40, "ecp5": ECP5}

#: (network, parallel, family) -> yosys' counts. tiny full ecp5 went 144 -> 253 on
#: 2026-12-06 (seventh session) with a netlist of the same logic (the ECP5 block's unused
#: input-register option removed): ABC maps it with wide-LUT mux trees. The iCE40 counts
#: of tiny, two_ch and window full moved on 2026-12-07 (twelfth session: the logic form's
#: input register in front of one-step constant products; window's skid slice between
#: its window and conv: 1,621 / 805 -> 1,590 / 951).
RESOURCES: dict[tuple[str, str, str], Usage] = {
    ("tiny", "full", "ice40"): Usage(lut=167, ff=114, bram=0, dsp=0),
    ("tiny", "full", "ecp5"): Usage(lut=131, ff=103, bram=0, dsp=1),
    ("two_ch", "full", "ice40"): Usage(lut=377, ff=184, bram=0, dsp=0),
    ("two_ch", "1,1", "ice40"): Usage(lut=361, ff=230, bram=0, dsp=0),
    ("two_ch", "1,1", "ecp5"): Usage(lut=217, ff=190, bram=0, dsp=1),
    ("window", "full", "ice40"): Usage(lut=1590, ff=951, bram=0, dsp=0),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("name", sorted(BRAM_ROWS))
def test_line_buffers_in_block_ram(
    netlist: Callable[[str, str, str], Path], tmp_path: Path, name: str, family: str
) -> None:
    """Long rows go to block RAM (SB_RAM40_4K / DP16KD), one block per row slot, whatever
    the tool versions: the memory style of pcnn_window is one yosys infers."""
    fam: Family = FAMILIES[family]
    _, cells = run_yosys(netlist(name, "full", fam.dsp_form), "pcnn_net", fam, tmp_path, 600)
    assert usage_from_cells(fam, cells).bram == BRAM_ROWS[name], cells


@pytest.mark.parametrize("name", sorted(ICE40_ROWS))
def test_long_rows_in_ice40_block_ram(
    netlist: Callable[[str, str, str], Path], tmp_path: Path, name: str
) -> None:
    """LeNet's line buffers go to SB_RAM40_4K (the UP5K has no LUT RAM): the block count
    is exact, the logic bounded (about 25 % above the measured figures), whatever the
    tool versions."""
    bram, most_lut, most_ff = ICE40_ROWS[name]
    _, cells = run_yosys(netlist(name, "1,1", "infer"), "pcnn_net", ICE40, tmp_path, 1200)
    got = usage_from_cells(ICE40, cells)
    assert got.bram == bram, cells
    assert got.lut <= most_lut and got.ff <= most_ff, cells


@pytest.fixture(scope="module")
def versions() -> dict[str, str]:
    """The installed tools' versions; a difference from PINNED fails (CI) or skips."""
    found = {tool: tool_version(tool) for tool in PINNED}
    if REPIN:
        print(f"\nPINNED = {found!r}")
        return found
    differ = [f"{t}: {found[t]!r}, pinned {PINNED[t]!r}" for t in PINNED if found[t] != PINNED[t]]
    if differ:
        message = (
            f"resource figures were pinned on other tool versions ({'; '.join(differ)}); "
            "re-pin with POCKET_CNN_REPIN=1 pytest -n 0 -s tests/test_synth_resources.py"
        )
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def netlist(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str, str], Path]:
    """``netlist(name, parallel, dsp)``: the ghdl --synth Verilog of a network with its
    products in the form ``dsp`` (the family's, Family.dsp_form), once per module."""
    cache: dict[tuple[str, str, str], Path] = {}

    def make(name: str, parallel: str, dsp: str) -> Path:
        if (name, parallel, dsp) not in cache:
            net = build_network(NETS[name], np.random.default_rng(0))
            work = tmp_path_factory.mktemp(f"{name}_{parallel.replace(',', '_')}_{dsp}")
            par = resolve_parallel(net, parallel)
            cache[(name, parallel, dsp)] = synth_netlist(
                net, work, parallel=par, timeout=600, dsp=dsp
            )
        return cache[(name, parallel, dsp)]

    return make


@pytest.mark.parametrize(("name", "parallel", "family"), sorted(RESOURCES))
def test_exact_resources(
    versions: dict[str, str],
    netlist: Callable[[str, str, str], Path],
    tmp_path: Path,
    name: str,
    parallel: str,
    family: str,
) -> None:
    fam: Family = FAMILIES[family]
    verilog = netlist(name, parallel, fam.dsp_form)
    json_netlist, cells = run_yosys(verilog, "pcnn_net", fam, tmp_path, 600)
    assert json_netlist.stat().st_size > 0
    got = usage_from_cells(fam, cells)
    if REPIN:
        row = f"({name!r}, {parallel!r}, {family!r}): {got!r},"
        print(f"\n    {row}")
        pytest.skip(f"re-pin: {row}")
    want = RESOURCES[(name, parallel, family)]
    assert got == want, (
        f"{name} parallel={parallel} {family}: yosys counts {got}, pinned {want} "
        f"(cells {cells}); if the RTL change is intended, re-pin (see the module docstring)"
    )
