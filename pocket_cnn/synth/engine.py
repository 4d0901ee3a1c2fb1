"""The two simulation engines behind ``pocket-cnn simulate --engine`` and the API.

``ghdl`` (the reference simulator): the generated VHDL in GHDL, in chunks of images
(:func:`pocket_cnn.simulation.run.simulate_images`). ``verilator``: the ``ghdl --synth``
netlist of the same design compiled by Verilator with a C++ testbench
(:mod:`pocket_cnn.synth.verilator_model`), all images in one run: a build of minutes
the first time (then cached), then many times GHDL's speed.
Both take the same images and stall settings and give the outputs in the layout
of the reference, the reference's outputs, the images that differ and the steady-state
cycles per image against the bound.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Network
from pocket_cnn.ir.inputs import check_input
from pocket_cnn.ir.parallel import PeParallel
from pocket_cnn.simulation.run import simulate_images
from pocket_cnn.synth.verilator_model import build_model, run_model

ENGINES = ("ghdl", "verilator")


class EngineRun(Protocol):
    """What every engine's run gives."""

    @property
    def outputs(self) -> np.ndarray: ...
    @property
    def expected(self) -> np.ndarray: ...
    @property
    def bad_images(self) -> int: ...
    @property
    def steady(self) -> int | None: ...
    @property
    def bound(self) -> int: ...


def simulate_engine(
    net: Network,
    x: np.ndarray,
    engine: str = "ghdl",
    parallel: PeParallel | None = None,
    stall_in: int = 0,
    stall_out: int = 0,
    seed: int = 1,
    chunk: int = 16,
    workdir: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    say: Callable[[str], None] | None = None,
    wave: str | Path | None = None,
) -> EngineRun:
    """Simulate ``net`` on images ``x`` with ``engine`` (see the module doc);
    ``progress(done, total)`` after every GHDL chunk, ``say(text)`` at the Verilator
    steps (synthesis, compile and run); ``wave``: a waveform file (GHDL only)."""
    if engine == "ghdl":
        return simulate_images(
            net, x, parallel, stall_in, stall_out, seed, chunk, workdir, progress, wave
        )
    if engine != "verilator":
        raise ModelError(f"unknown engine; use one of {', '.join(ENGINES)}", node=engine)
    if wave is not None:
        raise ModelError("waveforms come from the GHDL engine; drop --engine", node="wave")
    xs = check_input(net, x, single=True)
    if workdir is not None:
        return _verilator(net, xs, Path(workdir), parallel, stall_in, stall_out, seed, say)
    with tempfile.TemporaryDirectory(prefix="pcnn-vl-") as tmp:
        return _verilator(net, xs, Path(tmp), parallel, stall_in, stall_out, seed, say)


def _verilator(
    net: Network,
    xs: np.ndarray,
    work: Path,
    parallel: PeParallel | None,
    stall_in: int,
    stall_out: int,
    seed: int,
    say: Callable[[str], None] | None,
) -> EngineRun:
    for name, value in (("stall_in", stall_in), ("stall_out", stall_out)):
        if not 0 <= value <= 99:
            raise ModelError("must be a percentage 0..99", node=name)
    exe, built = build_model(net, parallel, say=say)
    res = run_model(net, exe, xs, work, stall_in, stall_out, seed)
    res.seconds = {**built, **res.seconds}
    if say is not None:
        say(f"verilator run done ({res.seconds['verilator']:.1f} s, {res.cycles} cycles)")
    if res.tlast_errors:
        raise ModelError(
            f"{res.tlast_errors} result words with tlast in the wrong place", node="verilator"
        )
    return res
