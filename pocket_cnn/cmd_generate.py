"""`pocket-cnn generate MODEL.onnx -o DIR`: the network's VHDL plus a .core for any flow."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from pocket_cnn.errors import ModelError
from pocket_cnn.fusesoc_gen import core_text, emit_network, load_network, parse_parallel

#: Library part of the VLNV of cores written by `generate`.
GENERATED_LIBRARY = "pocket-cnn:generated"


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
        "--parallel",
        default="full",
        help="'full' (default) or 'PIN,POUT;PIN,POUT;...': input/output channels per clock, per PE",
    )
    p.set_defaults(run=run)


def generate(model: str, outdir: Path, top: str = "pcnn_net", parallel: str = "full") -> list[Path]:
    """Write VHDL + core into ``outdir`` (all or nothing); returns the paths written."""
    net = load_network(model, None, Path.cwd())
    pars = parse_parallel(parallel)
    parent = outdir.resolve().parent
    if not parent.is_dir():
        raise ModelError("parent directory does not exist; create it first", node=str(parent))
    with tempfile.TemporaryDirectory(dir=parent, prefix=".pcnn-gen-") as tmp_name:
        tmp = Path(tmp_name)
        vhdl = emit_network(net, tmp, top, pars)
        core = tmp / f"{top}.core"
        core.write_text(
            core_text(
                f"{GENERATED_LIBRARY}:{top}:0.1.0",
                vhdl,
                [],
                tmp,
                depend=True,
                description=f"pocket-cnn network {net.name} as entity {top}",
            )
        )
        outdir.mkdir(exist_ok=True)
        written = []
        for src in [*vhdl, core]:
            dst = outdir / src.relative_to(tmp)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(src), dst)
            written.append(dst)
    return written


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; ModelError propagates to the CLI (one line, exit 2)."""
    written = generate(args.model, args.output, args.top, args.parallel)
    for path in written:
        print(path)
    return 0
