"""Benchmark: FPGA resources and fmax of generated networks with the open-source flow.

Per zoo model and parallelism: emit the VHDL (pocket_cnn.emit.vhdl + the core's rtl
list), convert it with ``ghdl --synth --std=08 --no-formal --out=verilog`` into one
Verilog netlist, synthesise it with yosys ``synth_ice40`` (and ``synth_ecp5`` with
--ecp5), then place and route with nextpnr-ice40 on the smallest device that can hold
it (iCE40UP5K, else iCE40HX8K) and take the max frequency nextpnr reports.
Prints a table and writes it as JSON (default build/bench_resources/results.json).
Usage: python benchmarks/bench_resources.py [--models A B] [--parallel full 1]
[--timeout S] [--ecp5] [--no-pnr]. Tools are not installed here: a missing one
stops the run with exit code 2 and the package to install.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pocket_cnn.emit import emit
from pocket_cnn.flow.ip import ROOT, rtl_sources
from pocket_cnn.ir import Network
from pocket_cnn.zoo import ZOO, build

DEFAULT_MODELS = (
    "conv_3x1_1x1_max_2x2",
    "conv_3x1_1x1_max_2x2_padding",
    "conv_3x3_2x2_1x1",
    "conv_2x_3x1_1x1_max_2x2",
)
#: Tool -> Debian package that provides it.
PACKAGES = {"ghdl": "ghdl", "yosys": "yosys", "nextpnr-ice40": "nextpnr-ice40"}
#: nextpnr messages that mean the design is too big for the part.
NO_ROOM = re.compile(
    r"no BELs remaining|Unable to place|Failed to expand region|too many|exceeds", re.IGNORECASE
)
GHDL_FLAGS = ["--std=08", "-frelaxed", "--work=pocket_cnn"]


@dataclass(frozen=True)
class Device:
    """An iCE40 part nextpnr-ice40 can place on, with its capacities."""

    name: str
    flags: tuple[str, ...]
    lcs: int
    brams: int
    dsps: int


#: Smallest first: the first that holds the design is used.
DEVICES = (
    Device("iCE40UP5K", ("--up5k", "--package", "sg48"), 5280, 30, 8),
    Device("iCE40HX8K", ("--hx8k", "--package", "ct256"), 7680, 32, 0),
)


@dataclass
class Result:
    """One table row; ``None`` means the step did not run or failed."""

    model: str
    parallel: str
    lut: int | None = None
    ff: int | None = None
    bram: int | None = None
    dsp: int | None = None
    carry: int | None = None
    device: str | None = None
    fmax_mhz: float | None = None
    status: str = "ok"
    ecp5: dict[str, int] | None = None
    problems: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


class StepError(Exception):
    """A tool failed or timed out; the message is one line for the table."""


class Progress:
    """Prints one line per finished step with the elapsed wall-clock seconds."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def line(self, text: str) -> None:
        """Print ``text`` prefixed with the seconds since the start."""
        print(f"[{time.perf_counter() - self.t0:8.1f} s] {text}", flush=True)


def missing_tools(tools: list[str]) -> list[str]:
    """The tools from ``tools`` that are not on PATH."""
    return [t for t in tools if shutil.which(t) is None]


def run_tool(cmd: list[str], cwd: Path, timeout: float, log: Path) -> str:
    """Run ``cmd`` in ``cwd``; stdout is returned, stderr+stdout go to ``log``.

    The tool gets its own process group so that a timeout also ends its children
    (yosys starts yosys-abc).
    """
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise StepError(f"{cmd[0]} timed out after {timeout:.0f} s") from None
    log.write_text(f"$ {' '.join(cmd)}\n--- stdout\n{out}\n--- stderr\n{err}")
    if proc.returncode != 0:
        lines = [ln for ln in (err or out).splitlines() if ln.strip()]
        errs = [ln for ln in lines if "error" in ln.lower()] or lines[-1:]
        msg = errs[0].strip() if errs else f"exit code {proc.returncode}"
        raise StepError(f"{cmd[0]} failed: {msg} (log {log})")
    return out


def parallel_pairs(net: Network, par: str) -> list[tuple[int, int]] | None:
    """emit()'s ``parallel`` argument: None = full, '1' = one channel in and out per PE."""
    if par == "full":
        return None
    return [(1, 1) for _ in net.stages]


def netlist(net: Network, par: str, work: Path, timeout: float) -> tuple[Path, list[str]]:
    """Emit the VHDL, analyse it and convert the top to Verilog; return path + notes."""
    gen = emit(net, work / "gen", top="pcnn_net", parallel=parallel_pairs(net, par))
    sources = [str(p) for p in rtl_sources()] + [str(p) for p in gen]
    run_tool(["ghdl", "-a", *GHDL_FLAGS, *sources], work, timeout, work / "ghdl_a.log")
    cmd = ["ghdl", "--synth", *GHDL_FLAGS, "--no-formal", "--out=verilog", "pcnn_net"]
    text = run_tool(cmd, work, timeout, work / "ghdl_synth.log")
    out = work / "pcnn_net.v"
    out.write_text(text)
    notes = []
    log = (work / "ghdl_synth.log").read_text()
    if re.search(r"latch", log, re.IGNORECASE):
        notes.append("ghdl --synth reports a latch (see ghdl_synth.log)")
    if re.search(r"(?<![0-9])0'b", text):
        notes.append("zero-width constant 0'b in the Verilog netlist")
    return out, notes


def yosys_synth(netlist_v: Path, arch: str, timeout: float) -> tuple[dict[str, int], list[str]]:
    """Run ``synth_<arch>`` on the netlist; return cell counts and problems found by check."""
    work = netlist_v.parent
    stat = work / f"stat_{arch}.json"
    json_out = f"-json {work / 'pcnn_net_ice40.json'}" if arch == "ice40" else ""
    script = (
        f"read_verilog {netlist_v}; synth_{arch} -top pcnn_net {json_out}; "
        f"tee -q -o {work / f'check_{arch}.txt'} check; tee -q -o {stat} stat -json"
    )
    run_tool(["yosys", "-q", "-p", script], work, timeout, work / f"yosys_{arch}.log")
    data = json.loads(stat.read_text())
    cells = data["design"]["num_cells_by_type"]
    problems: list[str] = []
    check = (work / f"check_{arch}.txt").read_text()
    for line in check.splitlines():
        if line.startswith("Warning") or "found logic loop" in line or "driver" in line:
            problems.append(f"yosys check ({arch}): {line.strip()}")
    log = (work / f"yosys_{arch}.log").read_text()
    for m in re.finditer(r"^(Latch inferred for signal .*)$", log, re.MULTILINE):
        problems.append(f"yosys ({arch}): {m.group(1)}")
    return {str(k): int(v) for k, v in cells.items()}, problems


def ice40_counts(cells: dict[str, int]) -> dict[str, int]:
    """LUT / FF / BRAM / DSP / carry from synth_ice40 cell counts."""
    return {
        "lut": cells.get("SB_LUT4", 0),
        "ff": sum(v for k, v in cells.items() if k.startswith("SB_DFF")),
        "bram": cells.get("SB_RAM40_4K", 0),
        "dsp": cells.get("SB_MAC16", 0),
        "carry": cells.get("SB_CARRY", 0),
    }


def ecp5_counts(cells: dict[str, int]) -> dict[str, int]:
    """LUT / FF / BRAM / DSP / carry / LUTRAM from synth_ecp5 cell counts."""
    return {
        "lut": cells.get("LUT4", 0),
        "ff": cells.get("TRELLIS_FF", 0),
        "bram": cells.get("DP16KD", 0),
        "dsp": cells.get("MULT18X18D", 0),
        "carry": cells.get("CCU2C", 0),
        "lutram": cells.get("TRELLIS_DPR16X4", 0),
    }


def candidate_devices(counts: dict[str, int]) -> list[Device]:
    """iCE40 parts, smallest first, that may hold the counts (a lower bound only:
    carries and FFs that do not pack with a LUT need extra logic cells, nextpnr decides).
    """
    return [
        dev
        for dev in DEVICES
        if max(counts["lut"], counts["ff"]) <= dev.lcs
        and counts["bram"] <= dev.brams
        and counts["dsp"] <= dev.dsps
    ]


def place_and_route(dev: Device, work: Path, freq: float, timeout: float) -> float:
    """nextpnr-ice40 on ``dev``; return the achieved max frequency of clk in MHz."""
    report = work / "nextpnr_report.json"
    cmd = [
        "nextpnr-ice40",
        *dev.flags,
        "--json",
        str(work / "pcnn_net_ice40.json"),
        "--freq",
        str(freq),
        "--timing-allow-fail",
        "--pcf-allow-unconstrained",
        "--seed",
        "1",
        "--report",
        str(report),
    ]
    run_tool(cmd, work, timeout, work / "nextpnr.log")
    fmax = json.loads(report.read_text()).get("fmax", {})
    achieved = [float(v["achieved"]) for v in fmax.values() if "achieved" in v]
    if not achieved:
        raise StepError("nextpnr reported no clock frequency")
    return min(achieved)


def fit_and_route(
    counts: dict[str, int], work: Path, args: argparse.Namespace, step: Callable[..., Any]
) -> tuple[str, float] | None:
    """Place and route on the smallest iCE40 that holds the design: (device, fmax) or None."""
    for dev in candidate_devices(counts):
        try:
            fmax = step(
                f"nextpnr-ice40 {dev.name}",
                lambda dev=dev: place_and_route(dev, work, args.freq, args.timeout),
            )
        except StepError as exc:
            if NO_ROOM.search(str(exc)):
                continue
            raise
        return dev.name, fmax
    return None


def bench_one(model: str, par: str, args: argparse.Namespace, prog: Progress) -> Result:
    """All steps for one (model, parallelism); failures end up in ``status``."""
    res = Result(model=model, parallel=par)
    work = Path(args.build).resolve() / f"{model}_{par}"
    work.mkdir(parents=True, exist_ok=True)
    tag = f"{model} par={par}:"

    def step(name: str, fn: Callable[[], Any]) -> Any:
        t = time.perf_counter()
        try:
            return fn()
        finally:
            res.seconds[name] = round(time.perf_counter() - t, 1)
            prog.line(f"{tag} {name} ({res.seconds[name]:.1f} s)")

    try:
        v, notes = step("ghdl --synth", lambda: netlist(build(model), par, work, args.timeout))
        res.problems += notes
        cells, probs = step("yosys synth_ice40", lambda: yosys_synth(v, "ice40", args.timeout))
        res.problems += probs
        counts = ice40_counts(cells)
        res.lut, res.ff, res.bram = counts["lut"], counts["ff"], counts["bram"]
        res.dsp, res.carry = counts["dsp"], counts["carry"]
        if args.ecp5:
            cells5, probs5 = step("yosys synth_ecp5", lambda: yosys_synth(v, "ecp5", args.timeout))
            res.problems += probs5
            res.ecp5 = ecp5_counts(cells5)
        fit = None if args.no_pnr else fit_and_route(counts, work, args, step)
        if fit is None and not args.no_pnr:
            res.status = "does not fit"
            prog.line(f"{tag} does not fit iCE40UP5K/HX8K")
        elif fit is not None:
            res.device, res.fmax_mhz = fit[0], round(fit[1], 2)
    except StepError as exc:
        res.status = str(exc)
        prog.line(f"{tag} {exc}")
    return res


def fmt(v: object) -> str:
    """Table cell text."""
    return "-" if v is None else str(v)


def table(results: list[Result]) -> str:
    """Plain-text table of the results."""
    head = ("model", "par", "LUT", "FF", "BRAM", "DSP", "fmax MHz")
    rows = []
    for r in results:
        if r.fmax_mhz is not None:
            speed = f"{r.fmax_mhz:.1f} ({r.device})"
        elif r.status != "ok":
            speed = r.status
        else:
            speed = "-"
        rows.append((r.model, r.parallel, fmt(r.lut), fmt(r.ff), fmt(r.bram), fmt(r.dsp), speed))
    widths = [max(len(str(x[i])) for x in (head, *rows)) for i in range(len(head) - 1)]
    lines = []
    for row in (head, *rows):
        cells = [
            str(c).ljust(w) if i < 2 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=False))
        ]
        lines.append("  ".join([*cells, str(row[-1])]))
    if any(r.ecp5 for r in results):
        lines.append("")
        lines.append("ECP5 (synth_ecp5): model par LUT4 FF DP16KD MULT18X18D CCU2C DPR16X4")
        for r in results:
            if r.ecp5:
                e = r.ecp5
                lines.append(
                    f"  {r.model} {r.parallel}: {e['lut']} {e['ff']} {e['bram']} "
                    f"{e['dsp']} {e['carry']} {e['lutram']}"
                )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS), help="zoo model names")
    p.add_argument(
        "--parallel",
        nargs="+",
        choices=("full", "1"),
        default=["full"],
        help="full = every channel in parallel; 1 = one input and one output channel per PE",
    )
    p.add_argument("--timeout", type=float, default=1200.0, help="seconds per tool step")
    p.add_argument("--freq", type=float, default=12.0, help="nextpnr target frequency, MHz")
    p.add_argument("--ecp5", action="store_true", help="also run yosys synth_ecp5")
    p.add_argument("--no-pnr", action="store_true", help="skip nextpnr (yosys counts only)")
    p.add_argument("--build", default=str(ROOT / "build" / "bench_resources"))
    p.add_argument("--json", default=None, help="output JSON (default BUILD/results.json)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every row finished, 1 when some failed, 2 on bad setup."""
    args = parse_args(argv)
    unknown = [m for m in args.models if m not in ZOO]
    if unknown:
        print(f"bench_resources: unknown zoo model(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    tools = ["ghdl", "yosys"] + ([] if args.no_pnr else ["nextpnr-ice40"])
    missing = missing_tools(tools)
    if missing:
        pkgs = " ".join(PACKAGES[t] for t in missing)
        print(
            f"bench_resources: {', '.join(missing)} not found on PATH; "
            f"install with: apt-get install -y {pkgs}",
            file=sys.stderr,
        )
        return 2
    prog = Progress()
    results = [bench_one(m, par, args, prog) for m in args.models for par in args.parallel]
    out = Path(args.json) if args.json else Path(args.build) / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    print()
    print(table(results))
    problems = [f"{r.model} {r.parallel}: {p}" for r in results for p in r.problems]
    if problems:
        print("\nsynthesis problems:")
        print("\n".join(f"  {p}" for p in problems))
    print(f"\nJSON: {out}")
    failed = [r for r in results if r.status not in ("ok", "does not fit")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
