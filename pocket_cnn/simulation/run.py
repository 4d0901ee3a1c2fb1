"""One checked simulation of many images: what ``pocket-cnn simulate`` and the API run.

:func:`simulate_images` checks the images and the settings (ModelError naming the bad
one), then runs :func:`pocket_cnn.simulation.ghdl.simulate_chunks` in ``workdir`` (kept)
or in a temporary directory (removed afterwards).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Network
from pocket_cnn.ir.inputs import check_input
from pocket_cnn.ir.parallel import PeParallel
from pocket_cnn.simulation.ghdl import SimRun, simulate_chunks


def simulate_images(
    net: Network,
    x: np.ndarray,
    parallel: PeParallel | None = None,
    stall_in: int = 0,
    stall_out: int = 0,
    seed: int = 1,
    chunk: int = 16,
    workdir: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    wave: str | Path | None = None,
    dsp: str = "infer",
) -> SimRun:
    """Simulate ``net`` in GHDL on images ``x`` ((N, C, H, W) or (C, H, W)) in chunks of
    ``chunk`` images; ``parallel`` resolved by the caller (None: full), stall percentages
    0..99, ``progress(done, total)`` called after every chunk; ``wave``: a waveform file
    (.ghw, .vcd or .fst) of one GHDL run over all images; ``dsp``: the products' form
    (:func:`pocket_cnn.emit.emit`; ``ecp5`` runs on the vendor cell's model)."""
    xs = check_input(net, x, single=True)
    if chunk < 1:
        raise ModelError("must be >= 1", node="chunk")
    for name, value in (("stall_in", stall_in), ("stall_out", stall_out)):
        if not 0 <= value <= 99:
            raise ModelError("must be a percentage 0..99", node=name)
    wave_path = None if wave is None else Path(wave)
    if wave_path is not None:
        wave_path.parent.mkdir(parents=True, exist_ok=True)
    if workdir is not None:
        return simulate_chunks(
            net,
            xs,
            Path(workdir),
            parallel,
            stall_in,
            stall_out,
            seed,
            chunk,
            progress,
            wave_path,
            dsp,
        )
    with tempfile.TemporaryDirectory(prefix="pcnn-sim-") as tmp:
        return simulate_chunks(
            net, xs, Path(tmp), parallel, stall_in, stall_out, seed, chunk, progress, wave_path, dsp
        )
