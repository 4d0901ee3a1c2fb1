"""The library API: what the CLI, the FuseSoC generator, the VUnit suites and the
benchmarks call. One place for load -> validate -> emit.

>>> import pocket_cnn as pc
>>> net = pc.load("model.onnx")              # or "zoo:NAME[:SEED]", or an IR Network
>>> y = pc.run_reference(net, x)                 # bit-exact int8 outputs
>>> pc.emit_vhdl(net, "build/vhdl")          # config package + top + legacy wrapper
>>> res = pc.simulate(net, x)                # the generated VHDL in GHDL
>>> pc.generate_core("model.onnx", "out")    # VHDL + a FuseSoC .core, all or nothing
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pocket_cnn.atomic import existing_ancestor
from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Network
from pocket_cnn.ir.inputs import check_input
from pocket_cnn.ir.parallel import parse_parallel, resolve_parallel

#: Library part of the VLNV of cores written by :func:`generate_core`.
GENERATED_LIBRARY = "pocket-cnn:generated"


def load(model: str | Path | Network, files_root: str | Path | None = None) -> Network:
    """The network named by ``model``: an ONNX path (relative to ``files_root``, default the
    working directory), ``"zoo:NAME[:SEED]"`` for a built-in zoo model, or an IR network."""
    if isinstance(model, Network):
        return model
    from pocket_cnn.onnx_import import load_model
    from pocket_cnn.zoo import from_spec

    text = str(model)
    if text.startswith("zoo:"):
        return from_spec(text[4:])
    path = Path(text)
    if not path.is_absolute():
        path = Path(files_root or Path.cwd()) / path
    return load_model(path)


def run_reference(net: Network, x: np.ndarray) -> np.ndarray:
    """Bit-exact int8 outputs of ``net`` for input words ``x`` ((N, C, H, W) or (C, H, W))."""
    from pocket_cnn.reference import run

    return np.asarray(run(net, check_input(net, x, single=True)), dtype=np.int8)


def emit_vhdl(
    net: Network, outdir: str | Path, top: str = "pcnn_net", parallel: Any = "full"
) -> list[Path]:
    """Write the network's VHDL into ``outdir``; returns the files in compile order.

    ``parallel``: ``"full"``/None, ``"PIN,POUT;..."`` or a list of (par_in, par_out) per PE.
    """
    from pocket_cnn.emit import emit

    pairs = resolve_parallel(net, parse_parallel(parallel))
    return [Path(p) for p in emit(net, outdir, top=top, parallel=pairs)]


def simulate(
    net: Network,
    x: np.ndarray,
    parallel: Any = "full",
    stall_in: int = 0,
    stall_out: int = 0,
    seed: int = 1,
    chunk: int = 16,
    workdir: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Any:
    """Simulate ``net`` in GHDL on images ``x`` in chunks of ``chunk`` images; returns a
    :class:`pocket_cnn.simulation.ghdl.SimRun` (hardware outputs, reference, cycles).

    ``progress(done, total)`` is called after every chunk. Stall percentages 0..99.
    """
    from pocket_cnn.simulation.ghdl import simulate_chunks

    xs = check_input(net, x, single=True)
    if chunk < 1:
        raise ModelError("must be >= 1", node="chunk")
    for name, value in (("stall_in", stall_in), ("stall_out", stall_out)):
        if not 0 <= value <= 99:
            raise ModelError("must be a percentage 0..99", node=name)
    pairs = resolve_parallel(net, parse_parallel(parallel))
    if workdir is not None:
        return simulate_chunks(
            net, xs, Path(workdir), pairs, stall_in, stall_out, seed, chunk, progress
        )
    with tempfile.TemporaryDirectory(prefix="pcnn-sim-") as tmp:
        return simulate_chunks(
            net, xs, Path(tmp), pairs, stall_in, stall_out, seed, chunk, progress
        )


def generate_core(
    model: str | Path | Network,
    outdir: str | Path,
    top: str = "pcnn_net",
    parallel: Any = "full",
) -> list[Path]:
    """Write the VHDL plus ``<top>.core`` (depending on the IP core) into ``outdir``, all or
    nothing; returns the paths written. For flows that do not run FuseSoC generators."""
    from pocket_cnn.flow.generator import core_text

    net = load(model)
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise ModelError("output exists and is not a directory; give another path", node=str(out))
    with tempfile.TemporaryDirectory(dir=existing_ancestor(out), prefix=".pcnn-gen-") as tmp_name:
        tmp = Path(tmp_name)
        vhdl = emit_vhdl(net, tmp, top, parallel)
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
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for src in [*vhdl, core]:
            dst = out / src.relative_to(tmp)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(src), dst)
            written.append(dst)
    return written


def print_progress(done: int, total: int) -> None:
    """A progress callback for :func:`simulate` that prints to stderr."""
    print(f"pocket-cnn: simulated {done}/{total} images", file=sys.stderr, flush=True)
