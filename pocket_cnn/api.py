"""The library API, re-exported by ``pocket_cnn``: a facade over the library modules.

Nothing inside the package imports it: the CLI and the FuseSoC generator call the
modules below it directly, as these functions do. Each call resolves the ``parallel``
setting once (:func:`pocket_cnn.ir.parallel.resolve_parallel`) and passes it down.

>>> import pocket_cnn as pc
>>> net = pc.load("model.onnx")              # or "zoo:NAME[:SEED]", or an IR Network
>>> y = pc.run_reference(net, x)                 # bit-exact 8-bit outputs
>>> pc.emit_vhdl(net, "build/vhdl")          # config package + top + legacy wrapper
>>> res = pc.simulate(net, x)                # the generated VHDL in GHDL
>>> pc.generate_core("model.onnx", "out")    # VHDL + a FuseSoC .core, all or nothing

``argmax=True`` (every call): the network ends with the class index, one uint8 byte
per image (per pixel of a map output), as ONNX ArgMax (the first of equal maxima).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pocket_cnn.ir import Network
from pocket_cnn.ir.inputs import check_input
from pocket_cnn.ir.parallel import DEFAULT, resolve_parallel
from pocket_cnn.loader import load

if TYPE_CHECKING:
    from pocket_cnn.synth.engine import EngineRun

__all__ = ["emit_vhdl", "generate_core", "load", "run_reference", "simulate"]


def _argmax(net: Network, argmax: bool) -> Network:
    return net.with_argmax() if argmax else net


def run_reference(net: Network, x: np.ndarray, argmax: bool = False) -> np.ndarray:
    """Bit-exact outputs of ``net`` for input words ``x`` ((N, C, H, W) or (C, H, W)):
    int8, or uint8 where the final quantized tensor is uint8 (``argmax``: the uint8
    class indices)."""
    from pocket_cnn.reference import run

    net = _argmax(net, argmax)
    return np.asarray(run(net, check_input(net, x, single=True)))


def emit_vhdl(
    net: Network,
    outdir: str | Path,
    top: str = "pcnn_net",
    parallel: Any = DEFAULT,
    argmax: bool = False,
) -> list[Path]:
    """Write the network's VHDL into ``outdir``; returns the files in compile order.

    ``parallel``: ``"auto"`` (default: per PE the fewest multipliers that keep up with
    the input port), ``"full"``/None, ``"PIN,POUT[,PK];..."`` or a list of
    (par_in, par_out[, par_k]) per PE.
    """
    from pocket_cnn.emit import emit

    net = _argmax(net, argmax)
    return emit(net, outdir, top=top, parallel=resolve_parallel(net, parallel))


def simulate(
    net: Network,
    x: np.ndarray,
    parallel: Any = DEFAULT,
    stall_in: int = 0,
    stall_out: int = 0,
    seed: int = 1,
    chunk: int = 16,
    workdir: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    engine: str = "ghdl",
    argmax: bool = False,
) -> EngineRun:
    """Simulate ``net`` on images ``x``; returns the run (hardware outputs, reference,
    bad images, steady-state cycles per image and the bound).

    ``engine``: "ghdl" (the reference simulator, in chunks of ``chunk`` images,
    ``progress(done, total)`` after every chunk) or "verilator" (the ``ghdl --synth``
    netlist compiled by Verilator, all images in one run). Stall percentages 0..99.
    """
    from pocket_cnn.synth.engine import simulate_engine

    net = _argmax(net, argmax)
    pairs = resolve_parallel(net, parallel)
    return simulate_engine(
        net, x, engine, pairs, stall_in, stall_out, seed, chunk, workdir, progress
    )


def generate_core(
    model: str | Path | Network,
    outdir: str | Path,
    top: str = "pcnn_net",
    parallel: Any = DEFAULT,
    argmax: bool = False,
    dsp: str = "infer",
) -> list[Path]:
    """Write the VHDL plus ``<top>.core`` (depending on the IP core) into ``outdir``, all or
    nothing; returns the paths written. For flows that do not run FuseSoC generators.
    ``dsp``: the products' form, ``infer`` or ``ecp5`` (:func:`pocket_cnn.emit.emit`)."""
    from pocket_cnn.fusesoc.capi import write_generated_core

    net = _argmax(load(model), argmax)
    return write_generated_core(net, outdir, top, resolve_parallel(net, parallel), dsp=dsp)
