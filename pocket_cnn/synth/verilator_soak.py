"""A Verilator soak: many images through the compiled netlist, every word checked.

:func:`soak` builds the model once (:func:`pocket_cnn.synth.verilator_model.build_model`)
and runs it in chunks of seeded random images, each chunk with its own random input-gap
and output-backpressure percentages (0..``max_stall``) and stall seed. Every result word
is compared with the reference, every tlast checked, and the result count of each chunk
must equal its images (nothing lost, nothing added: the testbench stops with a timeout
line otherwise, a ModelError).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pocket_cnn.ir import Network
from pocket_cnn.ir.parallel import PeParallel
from pocket_cnn.simulation.stimuli import random_images
from pocket_cnn.synth.verilator_model import build_model, run_model


@dataclass
class SoakResult:
    """What a soak saw."""

    images: int = 0
    words: int = 0
    cycles: int = 0
    bad_images: int = 0
    tlast_errors: int = 0
    seconds: float = 0.0
    build_seconds: float = 0.0
    #: one line per failing chunk
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.images > 0 and not self.failures


def soak(
    net: Network,
    images: int,
    chunk: int = 1000,
    seed: int = 1,
    max_stall: int = 60,
    parallel: PeParallel | None = None,
    progress: Callable[[SoakResult], None] | None = None,
    say: Callable[[str], None] | None = None,
) -> SoakResult:
    """Run ``images`` random images of ``net`` in chunks of ``chunk``; see the module doc."""
    exe, built = build_model(net, parallel, say=say)
    res = SoakResult(build_seconds=sum(built.values()))
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pcnn-soak-") as tmp:
        k = 0
        while res.images < images:
            n = min(chunk, images - res.images)
            x = random_images(net, n, seed=seed * 100_003 + k)
            s_in, s_out = (int(v) for v in rng.integers(0, max_stall + 1, 2))
            run = run_model(net, exe, x, Path(tmp), s_in, s_out, seed=seed * 7919 + k)
            res.images += n
            res.words += int(run.outputs.size)
            res.cycles += run.cycles
            res.bad_images += run.bad_images
            res.tlast_errors += run.tlast_errors
            if run.bad_images or run.tlast_errors:
                res.failures.append(
                    f"chunk {k} (stall in {s_in} %, out {s_out} %): {run.bad_images} images "
                    f"differ, {run.tlast_errors} tlast errors"
                )
            res.seconds = time.perf_counter() - t0
            if progress is not None:
                progress(res)
            k += 1
    return res
