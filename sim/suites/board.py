"""UART board top tests: whole images through the uart_rx pin, results off uart_tx.

Per model a library ``board_<model>`` gets the board RTL (fileset ``board`` of
pocket_cnn.core), the generated network (build/vunit_gen) and the testbench
sim/tb/pcnn_board_tb.vhd. The board runs at 1 MHz with 100 kBd (10 clocks per bit)
so a simulation takes seconds. Every run sends IMAGES images back to back with random
idle gaps between bytes and one long pause mid-image; the default model also runs
with a glitch and a bad stop bit before the images, and with the host's bit time 2.5 %
shorter and longer than the board's; ARGMAX_RUN runs with the network generated with
argmax and the board top's G_ARGMAX (one class byte per image, expected from the
reference's argmax, classes differing between images). Stimuli and expected words (from
pocket_cnn.reference.run) are written by a pre_config hook into the test's output path.
Library ``board_blocks`` tests the FIFO alone (pocket_cnn.pcnn_fifo, shared with the legacy
adapter: fill to capacity, order, throughput).
"""

from __future__ import annotations

from typing import Any

from vunit.ui import VUnit
from vunit.ui.library import Library

from pocket_cnn.emit import emit
from pocket_cnn.ip import ROOT, fileset
from pocket_cnn.reference import run as reference_run
from pocket_cnn.simulation import stimuli
from pocket_cnn.zoo import build

from . import TB, reference_pre_config

GEN = ROOT / "build" / "vunit_gen"
IMAGES = 3
CLK_HZ = 1_000_000
BAUD = 100_000
#: models under test: the default, one with zero padding, one with 3 input channels
MODELS = (
    "conv_3x1_1x1_max_2x2",
    "conv_3x1_1x1_max_2x2_padding",
    "conv_3x1_1x1_max_2x2_colored_input",
)
#: the argmax run (library ``board_<model>_argmax``): model, images and image seed,
#: chosen so that the classes differ from image to image (checked when it is added)
ARGMAX_RUN = ("conv_3x1_1x1_max_2x2_padding", 6, 10)
#: extra runs of the first model: (name, generics)
EXTRA: tuple[tuple[str, dict[str, Any]], ...] = (
    ("bad_frames", {"G_BAD_FRAMES": True}),
    ("host_fast", {"G_SKEW_PERMILLE": -25}),
    ("host_slow", {"G_SKEW_PERMILLE": 25}),
)

#: FIFO tests: depths and (input gap %, output backpressure %)
FIFO_DEPTHS = (1, 4, 5)
FIFO_STALLS = ((0, 0), (40, 40), (10, 60), (60, 10))


def add_tests(vu: VUnit, rtl_lib: Library) -> None:
    """One library per model; see the module docstring."""
    del rtl_lib  # the generated network uses library pocket_cnn by name
    board = fileset("board")
    board_files = [str(p) for p in board]
    _add_fifo(vu)
    for i, name in enumerate(MODELS):
        _add_model(vu, board_files, name, i, argmax=False)
    _add_model(vu, board_files, ARGMAX_RUN[0], len(MODELS), argmax=True)


def _add_model(vu: VUnit, board_files: list[str], name: str, i: int, argmax: bool) -> None:
    """Library ``board_<name>[_argmax]``: the board top around the model's network."""
    net = build(name).with_argmax(argmax)
    images, seed = (ARGMAX_RUN[1], ARGMAX_RUN[2]) if argmax else (IMAGES, 10 + i)
    if argmax:  # a board that always sent the same class must not pass
        classes = reference_run(net, stimuli.random_images(net, images, seed))
        assert len(set(classes.ravel().tolist())) > 1, "ARGMAX_RUN: pick another seed"
    lib_name = f"board_{name}" + ("_argmax" if argmax else "")
    lib = vu.add_library(lib_name)
    lib.add_source_files([str(p) for p in emit(net, GEN / lib_name)])
    lib.add_source_files(board_files)
    lib.add_source_files(
        [str(TB / f) for f in ("pcnn_tb_pkg.vhd", "pcnn_axis_checker.vhd", "pcnn_board_tb.vhd")]
    )
    tb = lib.test_bench("pcnn_board_tb")
    base = {
        "G_CLK_HZ": CLK_HZ,
        "G_BAUD": BAUD,
        "G_IMAGES": images,
        "G_IN_WORDS": net.input_words,
        "G_OUT_WORDS": net.output_words,
        "G_SEED": 1 + i,
        "G_ARGMAX": argmax,
    }
    runs: list[tuple[str, dict[str, object]]] = [("gaps", {})]
    runs += list(EXTRA) if i == 0 else []
    for run_name, extra in runs:
        tb.add_config(
            name=run_name,
            generics={**base, **extra},
            pre_config=reference_pre_config(net, images, seed=seed),
        )


def _add_fifo(vu: VUnit) -> None:
    lib = vu.add_library("board_blocks")  # the FIFO itself is in library pocket_cnn
    lib.add_source_files([str(TB / "pcnn_tb_pkg.vhd"), str(TB / "pcnn_fifo_tb.vhd")])
    tb = lib.test_bench("pcnn_fifo_tb")
    for depth in FIFO_DEPTHS:
        for seed, (stall_in, stall_out) in enumerate(FIFO_STALLS, start=1):
            tb.add_config(
                name=f"depth{depth}_in{stall_in}_out{stall_out}",
                generics={
                    "G_DEPTH": depth,
                    "G_STALL_IN": stall_in,
                    "G_STALL_OUT": stall_out,
                    "G_SEED": seed,
                },
            )
