"""``pocket-cnn zoo``: list the model zoo, or write one zoo model as ONNX."""

from __future__ import annotations

import argparse

from pocket_cnn.atomic import write_atomic
from pocket_cnn.errors import ModelError


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``zoo`` subcommand."""
    p = sub.add_parser("zoo", help="list the model zoo or write a zoo model as ONNX")
    p.add_argument("name", nargs="?", metavar="NAME", help="zoo model name (see --list)")
    p.add_argument("--list", action="store_true", help="print the zoo model names")
    p.add_argument("-o", "--output", metavar="FILE.onnx", help="ONNX file to write")
    p.add_argument(
        "--form",
        choices=("qdq", "qoperator"),
        default="qdq",
        help="ONNX form to write (default: qdq)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the weights (default: 0)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """List the zoo or export one model."""
    from pocket_cnn import zoo
    from pocket_cnn.zoo.onnx_export import to_onnx

    if args.list:
        for name in sorted(zoo.ZOO):
            print(name)
        return 0
    if args.name is None:
        raise ModelError("give a zoo model NAME or --list; see 'pocket-cnn zoo --list'")
    if args.name not in zoo.ZOO:
        raise ModelError(
            "unknown zoo model; see 'pocket-cnn zoo --list' for the names", node=args.name
        )
    if args.output is None:
        raise ModelError("no output file; give -o FILE.onnx", node=args.name)
    net = zoo.build(args.name, seed=args.seed)
    model = to_onnx(net, args.form)
    write_atomic(args.output, model.SerializeToString())
    return 0
