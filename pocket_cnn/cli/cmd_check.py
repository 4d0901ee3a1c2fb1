"""``pocket-cnn check``: import a model, check every limit, print the stage table and,
per PE, its parallelism, cycles per image and multipliers (the bottleneck marked)."""

from __future__ import annotations

import argparse

from pocket_cnn.cli.parallel_opts import add_parallel_options, resolve_args
from pocket_cnn.loader import load


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``check`` subcommand."""
    p = sub.add_parser("check", help="check an ONNX model against the limits; print its stages")
    p.add_argument("model", metavar="MODEL.onnx", help="quantized ONNX model (or zoo:NAME[:SEED])")
    add_parallel_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Import the model (errors -> ModelError) and print the table."""
    from pocket_cnn.boards.auto_target import auto_target
    from pocket_cnn.boards.spec import find_board
    from pocket_cnn.cli.check_table import table
    from pocket_cnn.onnx_import.host import describe

    net = load(args.model)
    board = find_board(args.board) if getattr(args, "board", None) else None
    print(table(net, resolve_args(args, net, board), auto_target(board, None)))
    if net.host_ops:
        print(describe(net.host_ops, net.boundary))
    return 0
