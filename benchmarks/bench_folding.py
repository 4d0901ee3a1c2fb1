"""Benchmark: does folding pay? LUTs of zoo models folded against full parallelism.

For each model, ``ghdl --synth`` and yosys ``synth_ecp5`` (no place and route: the
issue's measure is yosys' LUT count on the ECP5-85F) at full parallelism and at the
folded settings asked for: ``1`` (one input and one output channel per clock per PE,
all kernel taps: the register form at parallelism 1), ``1k`` (the same folding kernel
taps too, one product per PE) and ``m`` (the memory-window form, one product per PE).
Prints progress and a markdown table: LUT, FF, MULT18 per setting and each folded
setting's LUTs as a share of full parallelism's; writes the rows as JSON (default
build/bench_folding/results.json). Runs over ``--timeout`` seconds (per tool step)
are reported as such.
``--nodsp`` runs ``synth_ecp5 -nodsp``: every product in LUTs on both sides (with DSPs,
full parallelism hides 66-174 products in MULT18X18D and its LUT count leaves them out).
Usage: python benchmarks/bench_folding.py [--models A B | --all] [--settings 1 1k m]
[--timeout S] [--nodsp]. Yosys on the large models at full parallelism takes many minutes.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from pocket_cnn.errors import ModelError
from pocket_cnn.ip import build_root
from pocket_cnn.ir import Network
from pocket_cnn.ir.parallel import resolve_parallel
from pocket_cnn.synth.netlist import synth_netlist
from pocket_cnn.synth.yosys import ECP5, run_yosys, usage_from_cells
from pocket_cnn.tools import tool_version
from pocket_cnn.zoo import ZOO, build

DEFAULT_MODELS = ("conv_3x1_1x1_max_2x2", "conv_3x3_2x2_1x1", "conv_5x1_1x1_max_2x2")
SETTINGS = ("1", "1k", "m")


@dataclass
class Row:
    """One model at one setting (None: not measured, ``note`` says why)."""

    model: str
    setting: str
    parallel: str
    lut: int | None
    ff: int | None
    dsp: int | None
    seconds: float
    note: str = ""


def parallel_text(net: Network, setting: str) -> str:
    """``--parallel`` text of ``setting`` (full, 1, 1k or m) for every PE of ``net``."""
    if setting == "full":
        return "full"
    taps = [st.kernel * st.kernel for st in net.stages] + [1 for _ in net.fc]
    if setting == "1":
        return ";".join("1,1" for _ in taps)
    if setting == "1k":
        return ";".join("1,1,1" for _ in taps)
    if setting == "m":
        return ";".join("1,1m" for _ in taps)
    raise ModelError(f"unknown setting {setting!r}: use 1, 1k or m", node="--settings")


def measure(model: str, setting: str, work: Path, timeout: float, nodsp: bool = False) -> Row:
    """Synthesise ``model`` at ``setting`` for the ECP5 (yosys counts; ``nodsp``: no
    MULT18X18D, every product in LUTs)."""
    family = dataclasses.replace(ECP5, synth=ECP5.synth_nodsp) if nodsp else ECP5
    net = build(model)
    text = parallel_text(net, setting)
    t0 = time.monotonic()
    try:
        par = resolve_parallel(net, text)
        netlist = synth_netlist(net, work / "ghdl", parallel=par, timeout=timeout)
        _, cells = run_yosys(netlist, "pcnn_net", family, work, timeout)
    except ModelError as err:
        return Row(model, setting, text, None, None, None, time.monotonic() - t0, str(err))
    got = usage_from_cells(ECP5, cells)
    return Row(model, setting, text, got.lut, got.ff, got.dsp, time.monotonic() - t0)


def share(row: Row, full: Row | None) -> str:
    """``row``'s LUTs as a percentage of full parallelism's ('-' if either is missing)."""
    if full is None or full.lut is None or row.lut is None or not full.lut:
        return "-"
    return f"{100 * row.lut / full.lut:.0f} %"


def table(rows: list[Row], settings: list[str]) -> str:
    """Markdown: per model, full parallelism then each folded setting."""
    head = "| model | setting | parallel | LUT | FF | MULT18 | LUT vs full | yosys time |"
    out = [head, "|---|---|---|---:|---:|---:|---:|---:|"]
    for model in dict.fromkeys(r.model for r in rows):
        mine = {r.setting: r for r in rows if r.model == model}
        full = mine.get("full")
        for s in ["full", *settings]:
            r = mine.get(s)
            if r is None:
                continue
            if r.lut is None:
                out.append(
                    f"| {model} | {s} | `{r.parallel}` | {r.note} | | | | {r.seconds:.0f} s |"
                )
                continue
            out.append(
                f"| {model} | {s} | `{r.parallel}` | {r.lut} | {r.ff} | {r.dsp} | "
                f"{'100 %' if s == 'full' else share(r, full)} | {r.seconds:.0f} s |"
            )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 0 (the figures are the result, not a pass/fail)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS))
    p.add_argument("--all", action="store_true", help="every zoo model")
    p.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=SETTINGS)
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per tool step")
    p.add_argument("--out", type=Path, default=build_root() / "bench_folding")
    p.add_argument("--nodsp", action="store_true", help="synth_ecp5 -nodsp: products in LUTs")
    args = p.parse_args(argv)
    models = sorted(ZOO) if args.all else args.models
    rows: list[Row] = []
    jobs = [(m, s) for m in models for s in ["full", *args.settings]]
    start = time.monotonic()
    for k, (model, setting) in enumerate(jobs, 1):
        print(
            f"[{time.monotonic() - start:7.1f} s] {k}/{len(jobs)} {model} at {setting} ...",
            file=sys.stderr,
            flush=True,
        )
        work = args.out / model / setting
        rows.append(measure(model, setting, work, args.timeout, args.nodsp))
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps([asdict(r) for r in rows], indent=1))
    how = "synth_ecp5 -nodsp" if args.nodsp else "synth_ecp5"
    print(f"Folding on the ECP5-85F (yosys {how} counts), {datetime.date.today()}, ", end="")
    print(f"{tool_version('ghdl')}; {tool_version('yosys')}\n")
    print(table(rows, args.settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
