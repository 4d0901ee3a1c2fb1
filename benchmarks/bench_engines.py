"""Benchmark: simulated images per second, GHDL against Verilator (issue 14).

Models: the zoo's conv_2x_3x1_1x1_max_2x2_mt (1x24x48 input, four PEs, GAP) and the
LeNet-shaped digits net (examples/digits/models/lenet.onnx quantized with
onnxruntime's defaults), full parallelism, no stalls. GHDL runs ``--ghdl-images``
images, Verilator ``--verilator-images`` (its one-off ghdl --synth and C++ compile
timed apart from the run). Prints a markdown table: images/s of each engine's run and
the ratio. Usage: python benchmarks/bench_engines.py [--ghdl-images N]
[--verilator-images N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx

from pocket_cnn import zoo
from pocket_cnn.ip import ROOT
from pocket_cnn.ir import Network
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.simulation.run import simulate_images
from pocket_cnn.simulation.stimuli import random_images
from pocket_cnn.synth.netlist_sim import simulate_netlist


def _lenet() -> Network:
    from pocket_cnn.quantizer import quantize_float
    from pocket_cnn.zoo.float_nets import calibration

    model = onnx.load(ROOT / "examples" / "digits" / "models" / "lenet.onnx")
    calib = calibration(model, 32, 0)  # [0, 1] inputs as the digits
    return from_onnx(quantize_float(model, calib))


def run_only(net: Network, images: int) -> float:
    """Seconds of the Verilator run alone: the same compile with 1 and ``images`` images."""
    times = []
    for n in (1, images):
        x = random_images(net, n, seed=1)
        with tempfile.TemporaryDirectory(prefix="pcnn-bench-vl-") as tmp:
            r = simulate_netlist(net, x, Path(tmp), simulator="verilator", stall_in=0, stall_out=0)
            times.append(r.seconds["verilator"])
    return max(times[1] - times[0], 1e-3)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--ghdl-images", type=int, default=16)
    p.add_argument("--verilator-images", type=int, default=500)
    args = p.parse_args(argv)
    rows = []
    for label, make in (
        ("conv_2x_3x1_1x1_max_2x2_mt (1x24x48)", lambda: zoo.build("conv_2x_3x1_1x1_max_2x2_mt")),
        ("digits lenet (1x28x28)", _lenet),
    ):
        net = make()
        print(f"{label}: GHDL {args.ghdl_images} images ...", flush=True)
        t = time.monotonic()
        g = simulate_images(net, random_images(net, args.ghdl_images, seed=0), chunk=64)
        ghdl_rate = args.ghdl_images / (time.monotonic() - t)
        assert g.bad_images == 0
        print(f"{label}: Verilator {args.verilator_images} images (compile twice) ...", flush=True)
        run_s = run_only(net, args.verilator_images)
        vl_rate = args.verilator_images / run_s
        rows.append((label, ghdl_rate, vl_rate))
    print("\n| model | GHDL images/s | Verilator images/s (run) | ratio |")
    print("|---|---:|---:|---:|")
    for label, g_rate, v_rate in rows:
        print(f"| {label} | {g_rate:.2f} | {v_rate:.0f} | {v_rate / g_rate:.0f}x |")
    print(f"\nnumpy {np.__version__}; GHDL includes analysis and elaboration of its run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
