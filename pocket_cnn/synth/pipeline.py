"""One synthesis run for one board: netlist -> yosys -> fit check -> nextpnr.

:func:`synthesize` runs the steps in order and reports each one through
``progress`` (started / finished with seconds). When yosys' DSP mapping alone exceeds
the part's DSPs, the multipliers go into LUTs instead (a note says so). It stops
before nextpnr when yosys' counts still exceed the board's totals, and reports
nextpnr's own message when the placer runs out of a resource; either way
``SynthReport.fits`` is False and ``SynthReport.overflow`` says which resource and by
how much.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pocket_cnn.boards.spec import Board
from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Network
from pocket_cnn.ir.parallel import PeParallel
from pocket_cnn.synth.netlist import synth_netlist
from pocket_cnn.synth.pnr import PnrResult, run_nextpnr
from pocket_cnn.synth.resources import Usage, overflows
from pocket_cnn.synth.yosys import FAMILIES, Family, run_yosys, usage_from_cells

T = TypeVar("T")
#: ``(net, workdir, top, parallel, timeout) -> Verilog path``: the netlist step.
NetlistFn = Callable[[Network, Path, str, PeParallel | None, float, str], Path]
TOP = "pcnn_net"
#: Toolchains with no open-source flow here, and what to do instead.
VENDOR = {"vivado": "Vivado", "quartus": "Quartus"}


@dataclass
class SynthReport:
    """Everything the ``pocket-cnn synth`` table shows."""

    network: str
    board: Board
    parallel: str
    family: str
    cells: dict[str, int] = field(default_factory=dict)
    synthesised: Usage | None = None
    placed: Usage | None = None
    pnr: PnrResult | None = None
    fits: bool = True
    overflow: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    #: fmax (MHz, None: none reported) per placer seed tried, in seed order
    seed_fmax: dict[int, float | None] = field(default_factory=dict)

    @property
    def meets_clock(self) -> bool | None:
        """Whether nextpnr's fmax reaches the board clock (None: not routed)."""
        if self.pnr is None or self.pnr.fmax_mhz is None:
            return None
        return self.pnr.fmax_mhz >= self.board.clock.hz / 1e6


def family_of(board: Board) -> Family:
    """The open-source flow for the board; vendor toolchains -> one clear ModelError."""
    if board.toolchain in VENDOR:
        raise ModelError(
            f"board '{board.name}' needs {VENDOR[board.toolchain]}, and the vendor tools are "
            f"not available here; write the project with `fusesoc run --setup "
            f"--target={board.name} pocket_cnn` and build it where {VENDOR[board.toolchain]} "
            "is installed",
            node=board.name,
        )
    return FAMILIES[board.toolchain]


def placed_usage(family: Family, pnr: PnrResult) -> Usage:
    """The placed cells per resource from nextpnr's utilisation (None where not counted)."""
    values: dict[str, int | None] = {}
    for key in ("lut", "ff", "bram", "dsp"):
        bel = family.placed.get(key)
        values[key] = pnr.utilisation[bel][0] if bel and bel in pnr.utilisation else None
    return Usage(**values)


def synthesize(
    net: Network,
    board: Board,
    workdir: Path,
    parallel: PeParallel | None = None,
    timeout: float = 3600.0,
    progress: Callable[[str], None] | None = None,
    netlist: NetlistFn = synth_netlist,
    seeds: int = 1,
) -> SynthReport:
    """Run the steps for ``net`` on ``board`` in ``workdir`` (created); see the module doc.
    ``parallel`` resolved by the caller (None: full). ``seeds`` > 1: place and route
    with seeds 1 .. ``seeds`` (a seed sweep; placement alone moves fmax by some per
    cent) and keep the result with the highest fmax (every seed's in ``seed_fmax``)."""
    if seeds < 1:
        raise ModelError(f"must be at least 1, got {seeds}", node="--seeds")
    family = family_of(board)
    workdir = Path(workdir).resolve()  # the tools run in it: relative paths would break
    workdir.mkdir(parents=True, exist_ok=True)
    report = SynthReport(net.name, board, str(parallel or "full"), family.name)
    say = progress or (lambda _text: None)

    def step(name: str, fn: Callable[[], T]) -> T:
        say(f"{name} ...")
        t0 = time.monotonic()
        try:
            return fn()
        finally:
            report.seconds[name] = round(time.monotonic() - t0, 1)
            say(f"{name} done ({report.seconds[name]:.1f} s)")

    verilog = step(
        "ghdl --synth", lambda: netlist(net, workdir, TOP, parallel, timeout, family.dsp_form)
    )
    json_netlist, report.cells = step(
        f"yosys {family.synth}", lambda: run_yosys(verilog, TOP, family, workdir, timeout)
    )
    report.synthesised = usage_from_cells(family, report.cells)
    over = overflows(report.synthesised, board.resources)
    if over and all(o.key == "dsp" for o in over):
        # yosys maps every multiplier it can into DSPs, with no limit: too many for the
        # part -> keep them in the LUT fabric (constant multipliers are small there)
        report.notes.append(
            f"{report.synthesised.dsp} multipliers do not fit the {board.resources.dsp} DSPs: "
            "mapped into LUTs instead"
        )
        if family.dsp_form != "infer":  # instantiated DSP blocks: products inferred again
            verilog = step(
                "ghdl --synth", lambda: netlist(net, workdir, TOP, parallel, timeout, "infer")
            )
        json_netlist, report.cells = step(
            f"yosys {family.synth_nodsp}",
            lambda: run_yosys(verilog, TOP, family, workdir, timeout, use_dsp=False),
        )
        report.synthesised = usage_from_cells(family, report.cells)
        over = overflows(report.synthesised, board.resources)
    if over:
        report.fits = False
        report.overflow = [o.text("after yosys") for o in over]
        return report
    pnr = step(family.nextpnr, lambda: run_nextpnr(board, family, json_netlist, workdir, timeout))
    report.seed_fmax[1] = pnr.fmax_mhz
    for seed in range(2, seeds + 1) if pnr.fits else ():
        got = step(
            f"{family.nextpnr} seed {seed}",
            functools.partial(run_nextpnr, board, family, json_netlist, workdir, timeout, seed),
        )
        report.seed_fmax[seed] = got.fmax_mhz
        if got.fits and (got.fmax_mhz or 0.0) > (pnr.fmax_mhz or 0.0):
            pnr = got
    report.pnr = pnr
    report.placed = placed_usage(family, pnr)
    if not pnr.fits:
        report.fits = False
        # nextpnr's own totals (the real part), not the YAML's
        report.overflow = [
            f"{bel}: {used} needed by nextpnr, {avail} on the device ({used - avail} over)"
            for bel, (used, avail) in pnr.utilisation.items()
            if used > avail
        ]
        report.overflow.append(f"nextpnr: {pnr.message}")
    return report
