"""Soak: many images through one long GHDL simulation of a generated network.

    python benchmarks/soak.py [IMAGES] [--model NAME] [--seed N] [--engine verilator]

IMAGES (default 10,000) images of the zoo model (default conv_3x1_1x1_max_2x2, 36 input
words per image) go through the robustness testbench sim/tb/pcnn_robust_tb.vhd in one
VUnit/GHDL run: random input gaps and output backpressure (20 %), bursts of framing
errors (short and long images, about 10 % of the images), resets at random cycles
(about 10 % of the segments), status clears. Every result word of every segment that
no reset cuts is checked against the Python reference (bad images against the
reference on the repaired image), the status port after each such segment, and the
AXI4-Stream rules on both ports. Prints the figures; exit 0 only when all passed.
The test command runs a short version (sim/suites/robust.py, config ``soak``).

``--engine verilator`` (pocket_cnn.synth.verilator_soak): IMAGES images through the
Verilator model of the ghdl --synth netlist, built once, in chunks of ``--chunk`` images,
each chunk with its own random input gaps and output backpressure (0..60 %); every
result word and tlast checked against the reference, nothing lost (a missing or extra
word stops the run). Prints progress per chunk and a summary; no framing errors or
resets there (the GHDL soak covers them). tests/test_verilator_soak.py runs a short one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "sim"))

from suites.robust import add_robust  # noqa: E402
from vunit import VUnit  # noqa: E402

from pocket_cnn.emit.vhdl import STATUS_BITS  # noqa: E402
from pocket_cnn.ip import rtl_sources  # noqa: E402
from pocket_cnn.simulation.robust import ScriptMaker, write_script  # noqa: E402
from pocket_cnn.zoo import build  # noqa: E402

OUT = ROOT / "build" / "soak_out"


def verilator_soak(model: str, images: int, chunk: int, seed: int) -> int:
    """The Verilator soak; prints progress per chunk and the summary line."""
    from pocket_cnn.synth.verilator_soak import SoakResult, soak

    def progress(r: SoakResult) -> None:
        rate = r.images / max(r.seconds, 1e-9)
        print(
            f"soak verilator {model}: {r.images}/{images} images, {r.bad_images} wrong, "
            f"{r.seconds:.1f} s ({rate:.0f} images/s)",
            flush=True,
        )

    res = soak(build(model), images, chunk, seed, progress=progress, say=print)
    print(
        f"soak verilator {model}: {res.images} images, {res.words} result words checked, "
        f"{res.cycles} cycles, random stalls 0..60 % per chunk of {chunk}; wrong images "
        f"{res.bad_images}, tlast errors {res.tlast_errors}, lost 0; run {res.seconds:.1f} s "
        f"({res.images / max(res.seconds, 1e-9):.0f} images/s), build "
        f"{res.build_seconds:.0f} s ({'PASS' if res.passed else 'FAIL'})"
    )
    for line in res.failures:
        print(f"  {line}")
    return 0 if res.passed else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="?", type=int, default=10_000)
    parser.add_argument("--model", default="conv_3x1_1x1_max_2x2")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engine", choices=["ghdl", "verilator"], default="ghdl")
    parser.add_argument("--chunk", type=int, default=1000, help="images per Verilator run")
    args = parser.parse_args()
    net = build(args.model)
    if args.engine == "verilator":
        return verilator_soak(args.model, args.images, args.chunk, args.seed)
    stats_file = OUT / "stats.json"

    def pre_config(output_path: str) -> bool:
        maker = ScriptMaker(net, args.seed)
        stats = write_script(net, maker.soak(args.images), Path(output_path), STATUS_BITS)
        stats_file.parent.mkdir(parents=True, exist_ok=True)
        stats_file.write_text(json.dumps(stats.__dict__))
        return True

    name = f"soak{args.images}"
    vu = VUnit.from_argv(
        ["--num-threads", "1", "--output-path", str(OUT), f"robust_{args.model}.*.{name}"],
        compile_builtins=False,
    )
    vu.add_vhdl_builtins()
    vu.add_library("pocket_cnn").add_source_files([str(p) for p in rtl_sources()])
    tb = add_robust(vu, args.model, net).test_bench("pcnn_robust_tb")
    tb.add_config(
        name=name,
        generics={
            "G_OUT_WORDS": net.output_words,
            "G_STATUS_BITS": STATUS_BITS,
            "G_STALL_IN": 20,
            "G_STALL_OUT": 20,
            "G_SEED": args.seed,
            "G_TIMEOUT_MS": 10 * args.images,
        },
        pre_config=pre_config,
    )
    vu.set_compile_option("ghdl.a_flags", ["-frelaxed"])
    vu.set_sim_option("ghdl.elab_flags", ["-frelaxed"])
    start = time.monotonic()
    try:
        vu.main()
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    elapsed = time.monotonic() - start
    stats = json.loads(stats_file.read_text())
    summary = next(OUT.glob(f"test_output/*{name}*/summary.txt"), None)
    figures = summary.read_text().split() if summary is not None else []
    sim = dict(zip(figures[::2], figures[1::2], strict=False))
    lost = "0" if code == 0 else "see the log"
    print(
        f"soak {args.model}: {stats['images']} images in {stats['segments']} segments, "
        f"{stats['bad_images']} framing errors injected ({stats['kinds']}), "
        f"{stats['resets']} resets, {stats['clears']} status clears; "
        f"{stats['checked_images']} images checked whole, {sim.get('words', '?')} result "
        f"words checked, {sim.get('cycles', '?')} cycles; images lost or wrong: {lost}; "
        f"{elapsed:.0f} s ({'PASS' if code == 0 else 'FAIL'})"
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
