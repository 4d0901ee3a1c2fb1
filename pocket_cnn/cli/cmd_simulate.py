"""`pocket-cnn simulate MODEL.onnx INPUT.npy -o OUT.npy`: run the generated design in GHDL.

Every image of INPUT.npy goes through the VHDL network (sim/tb/pcnn_tb_net.vhd, GHDL),
in chunks so progress shows on long runs; ``--engine verilator`` runs the ``ghdl --synth``
netlist compiled by Verilator instead (pocket_cnn.synth.engine). OUT.npy gets the
hardware's integers in the layout of `pocket-cnn reference`; the testbench also checks
every word against the reference and reports the steady-state cycles per image against
the bound H*W*C.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np

from pocket_cnn.atomic import write_atomic
from pocket_cnn.cli.argmax_option import add_argmax, apply_argmax
from pocket_cnn.cli.parallel_opts import add_parallel_options, resolve_args
from pocket_cnn.ir import Network
from pocket_cnn.ir.inputs import load_input
from pocket_cnn.loader import load


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    p = sub.add_parser(
        "simulate",
        help="run the generated VHDL in GHDL on every image of an .npy file",
        description="Simulate the network's VHDL in GHDL on INPUT.npy (N, C, H, W) and write "
        "the hardware's outputs like `pocket-cnn reference`. Exit 1 if they differ from the "
        "reference, 2 on bad input or a failed simulation.",
    )
    p.add_argument("model", help="ONNX model file (or zoo:NAME[:SEED] for a zoo model)")
    p.add_argument("input", help="input images .npy, (N, C, H, W) uint8/int8")
    p.add_argument("-o", "--output", required=True, type=Path, help="output .npy")
    add_parallel_options(p)
    p.add_argument("--chunk", type=int, default=16, help="images per GHDL run (default 16)")
    p.add_argument("--stall-in", type=int, default=0, help="input gap probability, percent")
    p.add_argument("--stall-out", type=int, default=0, help="output backpressure, percent")
    p.add_argument("--seed", type=int, default=1, help="seed of the random stalls")
    p.add_argument("--workdir", type=Path, default=None, help="keep GHDL files here")
    p.add_argument(
        "--engine",
        choices=["ghdl", "verilator"],
        default="ghdl",
        help="ghdl (default, the reference simulator) or verilator (the ghdl --synth "
        "netlist compiled by Verilator: a slow start, then faster on small designs)",
    )
    p.add_argument(
        "--wave",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the run's waveform (.ghw, .vcd or .fst; one GHDL run of all images)",
    )
    add_argmax(p)
    p.set_defaults(run=run)


def print_progress(done: int, total: int) -> None:
    """Progress of a long simulation, on stderr."""
    print(f"pocket-cnn: simulated {done}/{total} images", file=sys.stderr, flush=True)


def print_step(text: str) -> None:
    """A step of the Verilator engine, on stderr."""
    print(f"pocket-cnn: {text}", file=sys.stderr, flush=True)


def _dtype(net: Network) -> type[np.integer]:
    """The output file's type: uint8 class indices with ``--argmax``, else int8."""
    return np.uint8 if net.argmax else np.int8


def run(args: argparse.Namespace) -> int:
    """Run the subcommand: 0 bit-exact, 1 differs from the reference (ModelError -> 2)."""
    from pocket_cnn.simulation.ghdl import SimRun
    from pocket_cnn.synth.engine import simulate_engine

    net = apply_argmax(load(args.model), args)
    x = load_input(net, args.input)
    sim = simulate_engine(
        net,
        x,
        engine=args.engine,
        parallel=resolve_args(args, net),
        stall_in=args.stall_in,
        stall_out=args.stall_out,
        seed=args.seed,
        chunk=args.chunk,
        workdir=args.workdir,
        progress=print_progress,
        say=print_step,
        wave=args.wave,
    )
    buf = io.BytesIO()
    np.save(buf, np.asarray(sim.outputs, dtype=_dtype(net)), allow_pickle=False)
    write_atomic(args.output, buf.getvalue())
    bound = sim.bound
    if sim.steady is not None:
        cyc = sim.steady
        print(f"cycles per image: {cyc:g} (bound {bound} = H*W*C, ratio {cyc / bound:.3f})")
    else:
        print(f"cycles per image: not measured (too few images); bound {bound} = H*W*C")
    n = sim.outputs.shape[0]
    if sim.bad_images:
        print(
            f"pocket-cnn: {sim.bad_images} of {n} images differ from the reference", file=sys.stderr
        )
        first = sim.first_mismatch() if isinstance(sim, SimRun) else ""
        if first:
            print(f"pocket-cnn: first mismatch: {first}", file=sys.stderr)
        return 1
    print(f"{n} images bit-exact against the reference; wrote {args.output}")
    if args.wave is not None:
        print(f"wrote the waveform {args.wave}")
    return 0
