"""Throughput benchmark: steady-state cycles per image of every zoo model in GHDL.

For each zoo model at parallelism 1 (every PE par_in = par_out = 1) and full, the
generated network runs in sim/tb/pcnn_tb_net.vhd with 3 images back to back and no
stalls; the last image-to-image difference of the output ends is the steady-state
cycles per image, compared with the bound H*W*C (input words per image, one word per
clock). Every run is also checked bit-exact against pocket_cnn.reference.

Requirement: ratio <= 1.10 at full parallelism on every zoo model (exit code 1 if not).

    .venv/bin/python benchmarks/bench_throughput.py [--models a,b] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from pocket_cnn import reference
from pocket_cnn.errors import ModelError
from pocket_cnn.ip import ROOT
from pocket_cnn.ir import Network
from pocket_cnn.ir.parallel import resolve_parallel
from pocket_cnn.simulation import ghdl as ghdl_sim
from pocket_cnn.simulation import stimuli as sim_data
from pocket_cnn.zoo import ZOO, build

IMAGES = 3
LIMIT = 1.10
WORK = ROOT / "build" / "bench_throughput"


@dataclass
class Row:
    """One measured (model, parallelism)."""

    model: str
    parallel: str
    cycles: int
    bound: int
    ratio: float
    exact: bool
    seconds: float


def measure(net: Network, label: str, parallel: str, workdir: Path) -> Row:
    """Emit, compile and simulate one network; return its steady-state cycles."""
    par = resolve_parallel(net, None if parallel == "full" else [(1, 1)] * len(net.stages))
    start = time.monotonic()
    work = ghdl_sim.prepare(net, workdir / f"{label}_{parallel}", parallel=par)
    x = sim_data.random_images(net, IMAGES, seed=0)
    try:
        res = ghdl_sim.run_prepared(net, work, x, reference.run(net, x))
    except ModelError as err:  # too few output words: not bit-exact, no cycle figure
        print(f"{label} ({parallel}): {err}", flush=True)
        exact, cycles = False, -1
    else:
        exact = res.passed
        cycles = res.steady if res.steady is not None else -1
    return Row(
        model=label,
        parallel=parallel,
        cycles=cycles,
        bound=net.input_words,
        ratio=cycles / net.input_words,
        exact=exact,
        seconds=round(time.monotonic() - start, 1),
    )


def table(rows: list[Row]) -> str:
    """A markdown table of the rows."""
    lines = [
        "| model | parallel | cycles/image | bound H*W*C | ratio | bit-exact |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.model} | {r.parallel} | {r.cycles} | {r.bound} | {r.ratio:.3f} | "
            f"{'yes' if r.exact else 'NO'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", help="comma-separated zoo models (default: all)")
    ap.add_argument("--parallel", default="1,full", help="comma-separated: 1 and/or full")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = ap.parse_args(argv)
    models = args.models.split(",") if args.models else sorted(ZOO)
    shutil.rmtree(WORK, ignore_errors=True)
    rows: list[Row] = []
    for model in models:
        net = build(model)
        for parallel in args.parallel.split(","):
            row = measure(net, model, parallel, WORK)
            rows.append(row)
            print(
                f"{model:40s} {parallel:>4s} {row.cycles:7d} / {row.bound:5d} = {row.ratio:.3f}"
                f"{'' if row.exact else '  NOT BIT-EXACT'} ({row.seconds} s)",
                flush=True,
            )
    print()
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1))
    bad = [r for r in rows if not r.exact or (r.parallel == "full" and r.ratio > LIMIT)]
    for r in bad:
        print(f"FAIL {r.model} ({r.parallel}): ratio {r.ratio:.3f}, bit-exact {r.exact}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
