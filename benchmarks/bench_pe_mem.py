"""Benchmark: LeNet (zoo ``lenet_mnist8``) in the memory-window form on the iCEBreaker.

Prints the setting ``--parallel auto`` picks for the board (pocket_cnn.ir.auto_parallel),
the cycle model's clocks per image and images/s at the board clock, and with ``--ghdl``
the clocks GHDL measures over a few images back to back (the network testbench, the
reference checking every output). Resources and fmax: ``pocket-cnn synth
zoo:lenet_mnist8 --board icebreaker`` (nice; about a minute).
Usage: python benchmarks/bench_pe_mem.py [--board icebreaker] [--ghdl] [--images N]
"""

from __future__ import annotations

import argparse
import time

from pocket_cnn.boards.auto_target import auto_target
from pocket_cnn.boards.spec import find_board
from pocket_cnn.ir.cycles import cycle_report
from pocket_cnn.ir.estimate import estimate
from pocket_cnn.ir.parallel import resolve_parallel
from pocket_cnn.loader import load
from pocket_cnn.simulation.run import simulate_images
from pocket_cnn.simulation.stimuli import random_images


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="zoo:lenet_mnist8")
    ap.add_argument("--board", default="icebreaker")
    ap.add_argument("--parallel", default="auto")
    ap.add_argument("--ghdl", action="store_true")
    ap.add_argument("--images", type=int, default=3)
    args = ap.parse_args()
    board = find_board(args.board)
    target = auto_target(board, None)
    net = load(args.model)
    t0 = time.perf_counter()
    par = resolve_parallel(net, args.parallel, target)
    print(
        f"setting: {par} ({time.perf_counter() - t0:.1f} s){' - ' + par.note if par.note else ''}"
    )
    rep = cycle_report(net, par.triples(net))
    mhz = board.clock.hz / 1e6
    print(
        f"cycle model: {rep.steady} clocks/image, "
        f"{mhz * 1e6 / rep.steady:.1f} images/s at {mhz:g} MHz"
    )
    est = estimate(net, par.triples(net), target.dsps)
    print(f"estimate: {est.multipliers} multipliers, ~{est.cells} cells, {est.brams} block RAMs")
    if args.ghdl:
        x = random_images(net, args.images, seed=1)
        t0 = time.perf_counter()
        res = simulate_images(net, x, parallel=par)
        print(
            f"GHDL: {res.steady} clocks/image steady, {res.bad_images} bad images of "
            f"{args.images} ({time.perf_counter() - t0:.1f} s)"
        )


if __name__ == "__main__":
    main()
