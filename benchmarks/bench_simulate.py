"""Benchmark: images per second that `pocket-cnn simulate` pushes through GHDL.

Model conv_2x_3x1_1x1_max_2x2_mt (1x24x48 input, four PEs, GAP) at full
parallelism, no stalls. The one-off work (emit + analysis) is timed separately
from the simulation itself. Usage: python benchmarks/bench_simulate.py [IMAGES]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from pocket_cnn import zoo
from pocket_cnn.reference import run
from pocket_cnn.simulation import ghdl as ghdl_sim
from pocket_cnn.simulation.stimuli import random_images

MODEL = "conv_2x_3x1_1x1_max_2x2_mt"


def main(images: int = 16) -> None:
    net = zoo.build(MODEL)
    x = random_images(net, images, seed=0)
    expected = run(net, x)
    with tempfile.TemporaryDirectory(prefix="pcnn-bench-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        ghdl_sim.prepare(net, work, cache=work / "rtl")
        t1 = time.perf_counter()
        res = ghdl_sim.run_prepared(net, work, x, expected)
        t2 = time.perf_counter()
    assert res.passed and np.array_equal(res.outputs, expected), res.reason
    sim = t2 - t1
    print(f"model {MODEL}: {images} images, bit-exact")
    print(f"emit + GHDL analysis (once): {t1 - t0:.2f} s")
    print(f"simulation: {sim:.2f} s = {images / sim:.2f} images/s ({sim / images:.3f} s per image)")
    print(f"steady-state cycles per image: {res.steady} (bound {res.bound} = H*W*C)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="?", type=int, default=16, help="images (default 16)")
    main(parser.parse_args().images)
