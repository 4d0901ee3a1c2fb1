"""The ``--parallel`` / ``--rate`` / ``--board`` options of ``generate``, ``simulate``,
``synth`` and ``check``, and their one resolution (``auto`` by default)."""

from __future__ import annotations

import argparse
import sys

from pocket_cnn.boards.auto_target import auto_target
from pocket_cnn.boards.spec import Board, find_board
from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Network
from pocket_cnn.ir.parallel import DEFAULT, PeParallel, resolve_parallel

PARALLEL_HELP = (
    "'auto' (default): per PE the fewest multipliers that keep up with the input port "
    "(or --rate), within the --board's device; 'full': every channel at once; or "
    "'PIN,POUT[,PK];...': input channels, output channels [and kernel taps] per clock, per PE"
)


def add_parallel_options(p: argparse.ArgumentParser, board: bool = True) -> None:
    """Add ``--parallel`` and ``--rate`` (and ``--board`` unless the command has one)."""
    p.add_argument("--parallel", default=DEFAULT, help=PARALLEL_HELP)
    p.add_argument(
        "--rate",
        type=float,
        default=None,
        metavar="IMAGES/S",
        help="with --parallel auto: images per second to reach at the --board's clock "
        "(default: keep up with the input port, one word per clock)",
    )
    if board:
        p.add_argument(
            "--board",
            default=None,
            metavar="B",
            help="with --parallel auto: board name (boards/B.yaml) or YAML path; auto "
            "stays within its device's multipliers and logic cells",
        )


def resolve_args(args: argparse.Namespace, net: Network, board: Board | None = None) -> PeParallel:
    """The setting of ``args`` for ``net``; ``auto``'s note goes to stderr."""
    if board is None and getattr(args, "board", None):
        board = find_board(args.board)
    if args.rate is not None and str(args.parallel).strip() != "auto":
        raise ModelError("applies to --parallel auto only", node="--rate")
    par = resolve_parallel(net, args.parallel, auto_target(board, args.rate))
    if par.note:
        print(f"pocket-cnn: {par.note}", file=sys.stderr)
    return par
