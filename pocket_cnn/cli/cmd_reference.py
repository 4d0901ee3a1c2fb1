"""``pocket-cnn reference``: run the bit-exact reference on images from a .npy file."""

from __future__ import annotations

import argparse
import io

import numpy as np

from pocket_cnn.atomic import write_atomic
from pocket_cnn.ir.inputs import load_input
from pocket_cnn.loader import load


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``reference`` subcommand."""
    p = sub.add_parser(
        "reference", help="run the bit-exact integer reference of a model on input images"
    )
    p.add_argument("model", metavar="MODEL.onnx", help="quantized ONNX model (or zoo:NAME[:SEED])")
    p.add_argument(
        "input",
        metavar="INPUT.npy",
        help="integer input words (N, C, H, W) or (C, H, W), uint8 or int8 as the model says",
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT.npy",
        help="output array (int8, or uint8 as the model's final tensor)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Import, read, run the reference, write the 8-bit result atomically."""
    from pocket_cnn.reference import run as reference_run

    net = load(args.model)
    y = np.asarray(reference_run(net, load_input(net, args.input)))
    buf = io.BytesIO()
    np.save(buf, y, allow_pickle=False)
    write_atomic(args.output, buf.getvalue())
    return 0
