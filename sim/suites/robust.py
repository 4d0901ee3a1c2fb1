"""Robustness tests of whole networks: framing errors, resets at any cycle, a soak.

Per model a library ``robust_<model>`` gets the generated network (build/vunit_gen),
the testbench sim/tb/pcnn_robust_tb.vhd and the AXI4-Stream checker; a pre_config hook
writes the run's script (pocket_cnn.simulation.robust: images, tlast, resets, status
clears, the reference's words on the repaired images, the expected status port).
Configurations per model:
  framing_stall<P>  every kind of image (good, short, long) after every kind, the
                    shortest and longest bad images, a burst, status clears
  reset_stall<P>    the reset swept over every cycle 0..SPAN-1 of a segment (an image
                    and a bad one), each followed by two good images checked whole
  soak              SOAK_IMAGES images: gaps, backpressure, bursts of framing errors,
                    resets at random cycles (benchmarks/soak.py runs 10,000)
Library ``robust_blocks`` tests the checker itself (pcnn_axis_checker_tb): every kind
of violation must be counted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vunit.ui import VUnit
from vunit.ui.library import Library

from pocket_cnn.emit import emit
from pocket_cnn.emit.vhdl import STATUS_BITS
from pocket_cnn.ip import ROOT
from pocket_cnn.ir import Network
from pocket_cnn.simulation.robust import ScriptMaker, Segment, write_script
from pocket_cnn.zoo import build

from . import TB

GEN = ROOT / "build" / "vunit_gen"
#: models under test: the default, and a padded stride-2 one with another geometry
MODELS = ("conv_3x1_1x1_max_2x2", "conv_3x2_1x1_max_2x1_padding")
#: images of the short soak in the test command
SOAK_IMAGES = 300


def sweep_span(net: Network) -> int:
    """Cycles the reset sweep covers: more than a segment of two images takes, its
    results included, without stalls."""
    return 2 * net.input_words + 2 * net.output_words + 60


def script_hook(
    net: Network, make: Callable[[ScriptMaker], list[Segment]], seed: int
) -> Callable[[str], bool]:
    """A VUnit pre_config hook writing the script ``make`` builds into the output path."""

    def hook(output_path: str) -> bool:
        write_script(net, make(ScriptMaker(net, seed)), Path(output_path), STATUS_BITS)
        return True

    return hook


def add_robust(vu: VUnit, name: str, net: Network) -> Library:
    """Library ``robust_<name>``: the network, the checker and the robustness testbench."""
    lib_name = f"robust_{name}"
    lib = vu.add_library(lib_name)
    lib.add_source_files([str(p) for p in emit(net, GEN / lib_name)])
    lib.add_source_files(
        [str(TB / f) for f in ("pcnn_tb_pkg.vhd", "pcnn_axis_checker.vhd", "pcnn_robust_tb.vhd")]
    )
    return lib


def add_tests(vu: VUnit, rtl_lib: Library) -> None:
    """See the module docstring."""
    del rtl_lib
    checker_lib = vu.add_library("robust_blocks")
    checker_lib.add_source_files(
        [str(TB / "pcnn_axis_checker.vhd"), str(TB / "pcnn_axis_checker_tb.vhd")]
    )
    for i, name in enumerate(MODELS):
        net = build(name)
        tb = add_robust(vu, name, net).test_bench("pcnn_robust_tb")
        base = {"G_OUT_WORDS": net.output_words, "G_STATUS_BITS": STATUS_BITS}
        span = sweep_span(net)

        def sweep(m: ScriptMaker, span: int = span) -> list[Segment]:
            return m.reset_sweep(span)

        def soak(m: ScriptMaker) -> list[Segment]:
            return m.soak(SOAK_IMAGES)

        for pct in (0, 30):
            tb.add_config(
                name=f"framing_stall{pct}",
                generics={**base, "G_STALL_IN": pct, "G_STALL_OUT": pct, "G_SEED": 1 + i},
                pre_config=script_hook(net, ScriptMaker.framing, seed=10 + i),
            )
            tb.add_config(
                name=f"reset_stall{pct}",
                generics={**base, "G_STALL_IN": pct, "G_STALL_OUT": pct, "G_SEED": 3 + i},
                pre_config=script_hook(net, sweep, seed=20 + i),
            )
        tb.add_config(
            name="soak",
            generics={**base, "G_STALL_IN": 20, "G_STALL_OUT": 20, "G_SEED": 5 + i},
            pre_config=script_hook(net, soak, seed=30 + i),
        )
