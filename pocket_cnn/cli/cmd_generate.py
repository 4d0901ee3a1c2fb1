"""`pocket-cnn generate MODEL.onnx -o DIR`: the network's VHDL plus a .core for any flow."""

from __future__ import annotations

import argparse
from pathlib import Path

from pocket_cnn.cli.argmax_option import add_argmax, apply_argmax
from pocket_cnn.cli.parallel_opts import add_parallel_options, resolve_args
from pocket_cnn.emit.vhdl import DSP_FORMS
from pocket_cnn.loader import load


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    p = sub.add_parser(
        "generate",
        help="write the VHDL of a model (+ a FuseSoC .core)",
        description="Write the network's VHDL (config package + top, library pocket_cnn) and "
        "a FuseSoC core `<top>.core` depending on pocket-cnn:cnn:pocket_cnn.",
    )
    p.add_argument("model", help="ONNX model file (or zoo:NAME[:SEED] for a zoo model)")
    p.add_argument("-o", "--output", required=True, type=Path, help="output directory")
    p.add_argument("--top", default="pcnn_net", help="entity name of the top (default pcnn_net)")
    p.add_argument(
        "--dsp",
        choices=DSP_FORMS,
        default="infer",
        help="the products: 'infer' (any FPGA; the synthesis tool maps them), 'ecp5' "
        "(ECP5 MULT18X18D blocks with their own registers, faster there; simulation needs "
        "the model sim/models/mult18x18d.vhd) or 'logic' (LUTs, a folded conv's products "
        "as two registered half products: faster on an iCE40 without DSPs)",
    )
    add_parallel_options(p)
    add_argmax(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; ModelError propagates to the CLI (one line, exit 2)."""
    from pocket_cnn.fusesoc.capi import write_generated_core

    net = apply_argmax(load(args.model), args)
    pairs = resolve_args(args, net)
    written = write_generated_core(net, args.output, args.top, pairs, dsp=args.dsp)
    for path in written:
        print(path)
    return 0
