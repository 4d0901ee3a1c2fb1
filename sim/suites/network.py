"""Network tests: every zoo model streamed through the generated VHDL, bit-exact.

For each model a library ``net_<model>[_<variant>]`` gets the generated package and
top (written to build/vunit_gen, never the source tree), the plain testbench
sim/tb/pcnn_tb_net.vhd and its VUnit wrapper. Per model: one run of 3 images under
random input gaps and output backpressure, one without stalls that prints the
steady-state cycles per image. A few models also run at parallelism 1 and partial.
Stimuli and expected words (pocket_cnn.reference.run) are written by a pre_config
hook into the test's output path; a post_check re-reads the testbench's result file.
The blocks around the PEs have their own testbenches here too: pcnn_stream_tb
(gather -> serialize loopback) and pcnn_gap_tb (against pocket_cnn.reference.gap).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from vunit.ui import VUnit
from vunit.ui.library import Library

from pocket_cnn import reference
from pocket_cnn.emit import emit
from pocket_cnn.emit.gap import gap_cfg_fields, gap_constants_q
from pocket_cnn.ip import ROOT
from pocket_cnn.ir import GapStage, Network, QTensor
from pocket_cnn.ir.parallel import Parallel
from pocket_cnn.simulation import stimuli as sim_data
from pocket_cnn.simulation.testbench import read_result
from pocket_cnn.zoo import ZOO, build, random_network

from . import TB, TB_COMMON, reference_pre_config

GEN = ROOT / "build" / "vunit_gen"
IMAGES = 3
#: models that also run with parallelism 1 and about half (folded PEs)
FOLDED = ("conv_3x1_1x1_max_2x2_colored_input", "conv_3x3_2x2_1x1", "conv_3x1_1x1_max_2x2_padding")
#: seeds of random networks (pocket_cnn.zoo.random_network) also simulated
RANDOM_SEEDS = (1, 2, 3)
#: models also run through the generated legacy wrapper (original pocket-cnn ports)
LEGACY = ("conv_3x1_1x1_max_2x2", "conv_3x1_1x1_max_2x2_colored_input")


def _half(net: Network) -> list[tuple[int, int]]:
    return [((st.ch_in + 1) // 2, (st.ch_out + 1) // 2) for st in net.stages]


def _one(net: Network) -> list[tuple[int, int]]:
    return [(1, 1)] * len(net.stages)


def _post_check(label: str, net: Network, report: bool) -> Callable[[str], bool]:
    """Re-check the result file; print the cycles per image of no-stall runs."""

    def hook(output_path: str) -> bool:
        out = Path(output_path)
        res = read_result(out / "result.txt")
        want = sim_data.read_words(out / "expected.txt")
        ok = res.passed and np.array_equal(np.asarray(res.words, dtype=np.int64), want)
        if report and res.steady is not None:
            ratio = res.steady / net.input_words
            print(
                f"{label}: {res.steady} cycles/image, bound {net.input_words} "
                f"(H*W*C), ratio {ratio:.3f}"
            )
        return ok

    return hook


def _add_net(
    vu: VUnit,
    label: str,
    net: Network,
    parallel: Parallel,
    stalls: bool,
    seed: int,
    legacy: bool = False,
) -> None:
    lib_name = f"net_{label}"
    files = emit(net, GEN / lib_name, parallel=parallel)
    lib = vu.add_library(lib_name)
    lib.add_source_files([str(p) for p in files])
    lib.add_source_files(
        [str(TB / f) for f in ("pcnn_axis_checker.vhd", "pcnn_tb_net.vhd", "pcnn_net_tb.vhd")]
    )
    tb = lib.test_bench("pcnn_net_tb")
    base = {"G_IMAGES": IMAGES, "G_IN_WORDS": net.input_words, "G_OUT_WORDS": net.output_words}
    runs = [("nostall", 0, True)] + ([("stall", 30, False)] if stalls else [])
    for name, pct, report in runs:
        tb.add_config(
            name=name,
            generics={**base, "G_STALL_IN": pct, "G_STALL_OUT": pct, "G_SEED": seed + 1},
            pre_config=reference_pre_config(net, IMAGES, seed),
            post_check=_post_check(f"{label} {name}", net, report),
        )
    if legacy:
        lib.add_source_files([*TB_COMMON, str(TB / "pcnn_legacy_tb.vhd")])
        legacy_tb = lib.test_bench("pcnn_legacy_tb")
        for pct in (0, 30):
            legacy_tb.add_config(
                name=f"get_stall{pct}",
                generics={
                    "G_IMAGES": IMAGES,
                    "G_CH": net.input_shape[0],
                    "G_IN_WORDS": net.input_words,
                    "G_OUT_WORDS": net.output_words,
                    "G_STALL_OUT": pct,
                    "G_SEED": seed + 3,
                },
                pre_config=reference_pre_config(net, IMAGES, seed),
            )


def add_tests(vu: VUnit, rtl_lib: Library) -> None:
    """One library per (model, parallelism); see the module docstring."""
    del rtl_lib  # the networks use library pocket_cnn by name
    _add_blocks(vu)
    for i, name in enumerate(sorted(ZOO)):
        net = build(name)
        _add_net(vu, name, net, None, stalls=True, seed=i, legacy=name in LEGACY)
        if name in FOLDED:
            _add_net(vu, f"{name}_par1", net, _one(net), stalls=True, seed=i)
            _add_net(vu, f"{name}_half", net, _half(net), stalls=True, seed=i)
    for seed in RANDOM_SEEDS:
        net = random_network(seed)
        _add_net(vu, f"random{seed}", net, None, stalls=True, seed=100 + seed)


#: (channels, pixels, scale step d) of the GAP block tests
GAP_CASES = ((1, 1, 0), (3, 4, 0), (8, 9, 1), (5, 36, -2), (16, 2, 3), (2, 100, 0))
GAP_IMAGES = 6


#: (channels, pixels, input, output quantisation) of the general GAP block tests: any
#: float32 scale, zero points, uint8 tensors carried as int8 with the MSB flipped
GAP_GENERAL_CASES = (
    (4, 9, QTensor(0.0235, 131, False), QTensor(0.0117, 3, False)),
    (3, 49, QTensor(0.05, -10, True), QTensor(0.013, 100, False)),
    (2, 16, QTensor(0.0039, 0, False), QTensor(0.02, -5, True)),
    (1, 1, QTensor(0.031, 7, True), QTensor(0.0021, -20, True)),
)


def _gap_pre_config(stage: GapStage, seed: int) -> Callable[[str], bool]:
    """Random maps plus all -128 / all 127 maps (internal int8); expected words from
    reference.gap, uint8 tensors converted to and from the internal int8 convention."""

    def hook(output_path: str) -> bool:
        ch, _, area = stage.in_shape
        rng = np.random.default_rng(seed)
        x = rng.integers(-128, 128, (GAP_IMAGES, ch, 1, area), dtype=np.int16).astype(np.int8)
        x[0] = -128
        x[1] = 127
        x_in = x if stage.x_q.signed else (x.astype(np.int16) + 128).astype(np.uint8)
        y = reference.gap(stage, x_in).reshape(-1).astype(np.int64)
        if not stage.y_q.signed:
            y -= 128
        out = Path(output_path)
        sim_data.write_words(out / "input.txt", sim_data.to_words(x))
        sim_data.write_words(out / "expected.txt", y)
        return True

    return hook


#: (channels, pixels) of the flatten block tests
FLATTEN_CASES = ((1, 1), (3, 1), (2, 9), (5, 4), (1, 12))


def _flatten_pre_config(ch: int, pixels: int, seed: int) -> Callable[[str], bool]:
    """Random images; the expected beats hold the same bytes (stream order)."""

    def hook(output_path: str) -> bool:
        rng = np.random.default_rng(seed)
        x = rng.integers(-128, 128, GAP_IMAGES * pixels * ch)
        out = Path(output_path)
        sim_data.write_words(out / "input.txt", x)
        sim_data.write_words(out / "expected.txt", x)
        return True

    return hook


def _add_blocks(vu: VUnit) -> None:
    lib = vu.add_library("pcnn_blocks_tb")
    lib.add_source_files(
        [
            *TB_COMMON,
            str(TB / "pcnn_stream_tb.vhd"),
            str(TB / "pcnn_gap_tb.vhd"),
            str(TB / "pcnn_flatten_tb.vhd"),
        ]
    )
    stream = lib.test_bench("pcnn_stream_tb")
    for ch, pix in ((1, 1), (1, 7), (3, 5), (16, 2)):
        for pct in (0, 40):
            stream.add_config(
                name=f"ch{ch}_pix{pix}_stall{pct}",
                generics={"G_CH": ch, "G_PIXELS": pix, "G_STALL_IN": pct, "G_STALL_OUT": pct},
            )
    flatten = lib.test_bench("pcnn_flatten_tb")
    for i, (ch, pix) in enumerate(FLATTEN_CASES):
        for pct in (0, 40):
            flatten.add_config(
                name=f"ch{ch}_pix{pix}_stall{pct}",
                generics={
                    "G_CH": ch,
                    "G_PIXELS": pix,
                    "G_IMAGES": GAP_IMAGES,
                    "G_STALL_IN": pct,
                    "G_STALL_OUT": pct,
                    "G_SEED": 1 + i,
                },
                pre_config=_flatten_pre_config(ch, pix, seed=i),
            )
    gap_tb = lib.test_bench("pcnn_gap_tb")
    cases = [
        (f"ch{ch}_pix{area}_d{d}", GapStage.pow2("gap", (ch, 1, area), frac_in=0, frac_out=d))
        for ch, area, d in GAP_CASES
    ] + [
        (f"q{j}_ch{ch}_pix{area}", GapStage("gap", (ch, 1, area), x_q, y_q))
        for j, (ch, area, x_q, y_q) in enumerate(GAP_GENERAL_CASES)
    ]
    for i, (name, stage) in enumerate(cases):
        ch, _, area = stage.in_shape
        # the pcnn_gap_cfg_t fields beyond ch and pixels, one scalar generic each
        consts = gap_constants_q(area, stage.x_q, stage.y_q)
        generics = {f"G_{k.upper()}": v for k, v in gap_cfg_fields(consts).items()}
        # (stall percent, banked, serial output): each form once under backpressure
        for pct, banked, serial in (
            (0, True, False),
            (40, True, False),
            (40, False, False),
            (40, False, True),
            (40, True, True),
        ):
            gap_tb.add_config(
                name=f"{name}_stall{pct}"
                + ("" if banked else "_inplace")
                + ("_serial" if serial else ""),
                generics={
                    "G_CH": ch,
                    "G_PIXELS": area,
                    "G_IMAGES": GAP_IMAGES,
                    "G_STALL_IN": pct,
                    "G_STALL_OUT": pct,
                    "G_SEED": 1 + i,
                    "G_BANKED": banked,
                    "G_SERIAL": serial,
                    **generics,
                },
                pre_config=_gap_pre_config(stage, seed=i),
            )
