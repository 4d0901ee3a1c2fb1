"""Benchmark: simulated images per second, GHDL against Verilator (issue 14).

Models (``--models``): the zoo's conv_2x_3x1_1x1_max_2x2_mt (``mt``: 1x24x48 input,
four PEs, GAP), the default zoo model conv_3x1_1x1_max_2x2 (``default``: 6x6) and the
LeNet-shaped digits net (``lenet``: examples/digits/models/lenet.onnx quantized with
onnxruntime's defaults), each at the settings ``--parallel`` (default: full and auto,
the front ends' default), no stalls. GHDL runs ``--ghdl-images`` images (analysis and
elaboration included, as `pocket-cnn simulate` runs them), Verilator
``--verilator-images`` through its compiled model (the one-off ghdl --synth, yosys pass
and C++ build, cached across runs, timed apart). Both runs are checked against the
reference. The Verilator is the engine's choice (the packaged 5.048 when installed,
GHDL's netlist as written; else the system one after the yosys pass). Prints a markdown
table: images/s of each engine, the ratio, the build time and the CPU time per image
(the machine may be shared: CPU seconds are the steadier figure).
Usage: python benchmarks/bench_engines.py [--ghdl-images N]
[--verilator-images N] [--models default mt lenet] [--parallel full auto]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx

from pocket_cnn import zoo
from pocket_cnn.ip import ROOT
from pocket_cnn.ir import Network
from pocket_cnn.ir.parallel import PeParallel, resolve_parallel
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.simulation.run import simulate_images
from pocket_cnn.simulation.stimuli import random_images
from pocket_cnn.synth.verilator_model import build_model, run_model, verilator_command


def _lenet() -> Network:
    from pocket_cnn.quantizer import quantize_float
    from pocket_cnn.zoo.float_nets import calibration

    model = onnx.load(ROOT / "examples" / "digits" / "models" / "lenet.onnx")
    calib = calibration(model, 32, 0)  # [0, 1] inputs as the digits
    return from_onnx(quantize_float(model, calib))


def _children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system


def verilator_rate(
    net: Network, images: int, parallel: PeParallel
) -> tuple[float, float, float, int | None]:
    """(images/s of the run, CPU seconds per image, build seconds, cycles per image) of
    the Verilator model."""
    exe, built = build_model(net, parallel, say=print)
    x = random_images(net, images, seed=1)
    with tempfile.TemporaryDirectory(prefix="pcnn-bench-vl-") as tmp:
        cpu = _children_cpu()
        r = run_model(net, exe, x, Path(tmp))
        cpu = _children_cpu() - cpu
    assert r.bad_images == 0 and r.tlast_errors == 0
    rate = images / max(r.seconds["verilator"], 1e-6)
    return rate, cpu / images, sum(built.values()), r.steady


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--ghdl-images", type=int, default=16)
    p.add_argument("--verilator-images", type=int, default=500)
    p.add_argument(
        "--models", nargs="+", choices=["default", "mt", "lenet"], default=["mt", "lenet"]
    )
    p.add_argument(
        "--parallel",
        nargs="+",
        default=["full", "auto"],
        help="settings to measure each model at (full, auto, or PIN,POUT;... per PE)",
    )
    args = p.parse_args(argv)
    rows = []
    models = {
        "default": ("conv_3x1_1x1_max_2x2 (1x6x6)", lambda: zoo.build("conv_3x1_1x1_max_2x2")),
        "mt": (
            "conv_2x_3x1_1x1_max_2x2_mt (1x24x48)",
            lambda: zoo.build("conv_2x_3x1_1x1_max_2x2_mt"),
        ),
        "lenet": ("digits lenet (1x28x28)", _lenet),
    }
    for key in args.models:
        label, make = models[key]
        net = make()
        for setting in args.parallel:
            par = resolve_parallel(net, setting)
            name = f"{label}, {setting}" + ("" if setting == "full" else f" ({par})")
            print(f"{name}: GHDL {args.ghdl_images} images ...", flush=True)
            x = random_images(net, args.ghdl_images, seed=0)
            t = time.monotonic()
            cpu = _children_cpu()
            g = simulate_images(net, x, parallel=par, chunk=64)
            ghdl_rate = args.ghdl_images / (time.monotonic() - t)
            ghdl_cpu = (_children_cpu() - cpu) / args.ghdl_images
            assert g.bad_images == 0
            print(f"{name}: Verilator {args.verilator_images} images ...", flush=True)
            vl_rate, vl_cpu, build_s, cycles = verilator_rate(net, args.verilator_images, par)
            rows.append((name, cycles, ghdl_rate, vl_rate, ghdl_cpu, vl_cpu, build_s))
    print(
        "\n| model, parallel | cycles/image | GHDL images/s | Verilator images/s | ratio | "
        "CPU per image GHDL / Verilator (ms) | CPU ratio | Verilator build s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, cycles, g_rate, v_rate, g_cpu, v_cpu, build_s in rows:
        built = f"{build_s:.0f}" if build_s else "cached"
        print(
            f"| {name} | {cycles} | {g_rate:.3f} | {v_rate:.2f} | {v_rate / g_rate:.0f}x | "
            f"{1e3 * g_cpu:.2f} / {1e3 * v_cpu:.3f} | {g_cpu / max(v_cpu, 1e-9):.0f}x | {built} |"
        )
    command, use_yosys = verilator_command()
    print(f"\nnumpy {np.__version__}; GHDL includes analysis and elaboration of its run")
    print(f"Verilator: {command[0]} ({'after the yosys pass' if use_yosys else 'GHDL netlist'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
