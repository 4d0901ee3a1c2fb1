"""Bounded formal check of a network's stream ports on its ghdl --synth netlist.

    python scripts/formal_axis.py [MODEL] [--parallel P] [--depth N] [--solver z3]

The network (default zoo:conv_3x1_1x1_max_2x2, full parallelism) becomes the Verilog
netlist of ``pocket-cnn synth`` (pocket_cnn.synth.netlist); sim/formal/pcnn_formal_axis.v
wraps it with the environment assumptions and the properties (see its header); yosys
writes the SMT-LIB model (read_verilog -formal, prep, memory_map, write_smt2) and
yosys-smtbmc checks the assertions in every cycle up to DEPTH with the solver (z3 from
Debian's z3 package; scripts/setup_synth.sh installs it). Prints PASS and the time, or
the failing step; exit 0 when no assertion fails within the bound. Nightly-style: a
full-parallelism model takes minutes per cycle of depth on a small machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pocket_cnn.ir.parallel import resolve_parallel
from pocket_cnn.loader import load
from pocket_cnn.synth.netlist import synth_netlist
from pocket_cnn.tools import find_tool, run_tool

ROOT = Path(__file__).resolve().parents[1]
WRAPPER = ROOT / "sim" / "formal" / "pcnn_formal_axis.v"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default="zoo:conv_3x1_1x1_max_2x2")
    parser.add_argument("--parallel", default="full")
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--solver", default="z3")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "formal_axis")
    args = parser.parse_args()
    net = load(args.model)
    work = args.workdir.resolve()
    start = time.monotonic()
    netlist = synth_netlist(net, work, parallel=resolve_parallel(net, args.parallel))
    smt2 = work / "pcnn_formal_axis.smt2"
    script = (
        f"read_verilog -formal {netlist} {WRAPPER}; prep -top pcnn_formal_axis; "
        f"memory_map; opt -fast; async2sync; dffunmap; write_smt2 -wires {smt2}"
    )
    yosys = run_tool([find_tool("yosys"), "-q", "-p", script], work, 3600, what="yosys")
    if yosys.returncode != 0:
        print(yosys.stdout + yosys.stderr, file=sys.stderr)
        return 2
    bmc = run_tool(
        [find_tool("yosys-smtbmc"), "-s", args.solver, "-t", str(args.depth), str(smt2)],
        work,
        None,
        what="yosys-smtbmc",
    )
    log = bmc.stdout + bmc.stderr
    (work / "smtbmc.log").write_text(log)
    passed = bmc.returncode == 0 and "PASSED" in log
    print(
        f"formal {args.model} (parallel {args.parallel}): depth {args.depth}, "
        f"{'PASS' if passed else 'FAIL'} in {time.monotonic() - start:.0f} s "
        f"(log {work / 'smtbmc.log'})"
    )
    if not passed:
        print("\n".join(log.splitlines()[-15:]), file=sys.stderr)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
