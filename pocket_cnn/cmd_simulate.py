"""`pocket-cnn simulate MODEL.onnx INPUT.npy -o OUT.npy`: run the generated design in GHDL.

Every image of INPUT.npy goes through the VHDL network (sim/tb/pcnn_tb_net.vhd, GHDL),
in chunks so progress shows on long runs. OUT.npy gets the hardware's integers in the
layout of `pocket-cnn reference`; the testbench also checks every word against the
reference and reports the steady-state cycles per image against the bound H*W*C.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

import numpy as np

from pocket_cnn.cmd_reference import read_input
from pocket_cnn.errors import ModelError
from pocket_cnn.fusesoc_gen import load_network, parse_parallel
from pocket_cnn.ghdl_sim import SimResult, prepare, run_prepared
from pocket_cnn.outfile import write_atomic
from pocket_cnn.reference import run as reference


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
    p.add_argument("--parallel", default="full", help="'full' or 'PIN,POUT;...' per PE")
    p.add_argument("--chunk", type=int, default=16, help="images per GHDL run (default 16)")
    p.add_argument("--stall-in", type=int, default=0, help="input gap probability, percent")
    p.add_argument("--stall-out", type=int, default=0, help="output backpressure, percent")
    p.add_argument("--seed", type=int, default=1, help="seed of the random stalls")
    p.add_argument("--workdir", type=Path, default=None, help="keep GHDL files here")
    p.set_defaults(run=run)


def simulate_all(
    args: argparse.Namespace, workdir: Path
) -> tuple[np.ndarray, np.ndarray, list[SimResult]]:
    """Simulate every image in chunks; returns hardware outputs, reference outputs, results."""
    net = load_network(args.model, None, Path.cwd())
    x = read_input(net, args.input)
    if args.chunk < 1:
        raise ModelError("must be >= 1", node="--chunk")
    for name in ("stall_in", "stall_out"):
        if not 0 <= getattr(args, name) <= 99:
            raise ModelError("must be a percentage 0..99", node=f"--{name.replace('_', '-')}")
    expected = reference(net, x)
    prepare(net, workdir, parse_parallel(args.parallel))
    outs, results = [], []
    n = int(x.shape[0])
    for start in range(0, n, args.chunk):
        stop = min(n, start + args.chunk)
        res = run_prepared(
            net,
            workdir,
            x[start:stop],
            expected[start:stop],
            args.stall_in,
            args.stall_out,
            args.seed + start,
        )
        outs.append(res.outputs)
        results.append(res)
        if n > args.chunk:
            print(f"pocket-cnn: simulated {stop}/{n} images", file=sys.stderr, flush=True)
    return np.concatenate(outs), expected, results


def run(args: argparse.Namespace) -> int:
    """Run the subcommand: 0 bit-exact, 1 differs from the reference (ModelError -> 2)."""
    if args.workdir is not None:
        hw, ref, results = simulate_all(args, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="pcnn-sim-") as tmp:
            hw, ref, results = simulate_all(args, Path(tmp))
    buf = io.BytesIO()
    np.save(buf, np.asarray(hw, dtype=np.int8), allow_pickle=False)
    write_atomic(args.output, buf.getvalue())
    steady = [r.steady for r in results if r.steady is not None]
    bound = results[0].bound
    if steady:
        cyc = max(steady)
        print(f"cycles per image: {cyc:g} (bound {bound} = H*W*C, ratio {cyc / bound:.3f})")
    else:
        print(f"cycles per image: not measured (too few images); bound {bound} = H*W*C")
    bad = int(np.sum(np.any((hw != ref).reshape(hw.shape[0], -1), axis=1)))
    if bad:
        print(
            f"pocket-cnn: {bad} of {hw.shape[0]} images differ from the reference", file=sys.stderr
        )
        return 1
    print(f"{hw.shape[0]} images bit-exact against the reference; wrote {args.output}")
    return 0
