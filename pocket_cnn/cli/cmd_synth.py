"""``pocket-cnn synth MODEL.onnx --board B``: resources and fmax of a model on a board's FPGA.

The network (not the UART board top) goes through ``ghdl --synth`` -> yosys ->
nextpnr for the board's device (boards/<B>.yaml, or a YAML file path). Prints the
resources used against the device's totals, fmax against the board clock, the
critical path's ends and the time per step. Exit 0 when it fits, 1 when it does not
(the message names the resource and by how much), 2 on bad input or a tool failure.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from pocket_cnn.boards.spec import find_board
from pocket_cnn.cli.argmax_option import add_argmax, apply_argmax
from pocket_cnn.cli.parallel_opts import add_parallel_options, resolve_args
from pocket_cnn.errors import ModelError
from pocket_cnn.ip import build_root
from pocket_cnn.loader import load
from pocket_cnn.synth.pipeline import synthesize
from pocket_cnn.synth.report import text


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``synth`` subcommand."""
    p = sub.add_parser(
        "synth",
        help="synthesise a model for a board's FPGA: resources, fmax, critical path",
        description="Run ghdl --synth, yosys and nextpnr for the FPGA of a board and print "
        "the resources used against the device, fmax against the board clock and the "
        "critical path. Exit 0 fits, 1 does not fit, 2 bad input or a tool failure.",
    )
    p.add_argument("model", metavar="MODEL.onnx", help="quantized ONNX model (or zoo:NAME[:SEED])")
    p.add_argument(
        "--board", required=True, metavar="B", help="board name (boards/B.yaml) or a YAML path"
    )
    add_parallel_options(p, board=False)
    p.add_argument(
        "--timeout", type=float, default=3600.0, metavar="S", help="seconds per tool step"
    )
    p.add_argument(
        "--seeds",
        type=int,
        default=1,
        metavar="N",
        help="place and route with seeds 1..N and keep the fastest (default 1)",
    )
    p.add_argument(
        "--workdir",
        type=Path,
        default=None,
        metavar="DIR",
        help="work directory (default build/synth/<model>_<board>_<parallel>)",
    )
    add_argmax(p)
    p.set_defaults(run=run)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "-", text).strip("-") or "x"


def run(args: argparse.Namespace) -> int:
    """Run the flow and print the report: 0 fits, 1 does not fit (ModelError -> 2)."""
    board = find_board(args.board)
    net = apply_argmax(load(args.model), args)
    if args.timeout <= 0:
        raise ModelError(f"must be > 0 seconds, got {args.timeout}", node="--timeout")
    pairs = resolve_args(args, net, board)
    tag = "_argmax" if net.argmax else ""
    work = args.workdir or (
        build_root() / "synth" / f"{_slug(net.name)}_{board.name}_{_slug(str(pairs))}{tag}"
    )
    t0 = time.monotonic()

    def progress(line: str) -> None:
        print(f"pocket-cnn synth: [{time.monotonic() - t0:7.1f} s] {line}", file=sys.stderr)

    rep = synthesize(
        net, board, Path(work), pairs, timeout=args.timeout, progress=progress, seeds=args.seeds
    )
    print(text(rep))
    if not rep.fits:
        print(
            f"pocket-cnn: '{net.name}' does not fit the {board.device} of {board.name}: "
            + "; ".join(rep.overflow),
            file=sys.stderr,
        )
        return 1
    return 0
