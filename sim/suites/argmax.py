"""VUnit suite of pcnn_argmax: the class index of every pixel (argmax over its bytes,
the first of equal maxima).

Each configuration streams seeded random images back to back through the entity
(sim/tb/pcnn_argmax_tb.vhd) with and without random input gaps and output backpressure;
the expected indices come from :func:`pocket_cnn.reference.argmax`. Ties are drawn on
purpose: the ``ties`` cases take their bytes from a few values only, and every case
starts with an all-equal pixel (-128), an all-127 pixel and one with the maximum at the
last channel.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pocket_cnn.reference import argmax
from pocket_cnn.simulation import stimuli

from . import TB, TB_COMMON

LIBRARY = "pcnn_tb_argmax"
IMAGES = 6
#: name -> (channels, pixels per image, byte values drawn from: "full" or "ties")
CASES = {
    "ch1_pix1": (1, 1, "full"),
    "ch2_pix3_ties": (2, 3, "ties"),
    "ch3_pix1": (3, 1, "full"),
    "ch10_pix1_ties": (10, 1, "ties"),
    "ch10_pix4": (10, 4, "full"),
    "ch17_pix2_ties": (17, 2, "ties"),
    "ch64_pix1": (64, 1, "full"),
    "ch256_pix1_ties": (256, 1, "ties"),
}


def draw(ch: int, pixels: int, values: str, seed: int) -> np.ndarray:
    """(IMAGES * pixels, ch) int8 pixels; the first three are the fixed edge pixels."""
    rng = np.random.default_rng(seed)
    n = IMAGES * pixels
    if values == "ties":
        x = rng.choice(np.array([-128, -1, 0, 1, 127]), size=(n, ch), p=[0.2, 0.2, 0.3, 0.2, 0.1])
    else:
        x = rng.integers(-128, 128, (n, ch))
    x[0] = -128
    if n > 1:
        x[1] = 127
    if n > 2:
        x[2] = -128
        x[2, -1] = 127
    return x.astype(np.int8)


def _pre_config(ch: int, pixels: int, values: str, seed: int) -> Callable[[str], bool]:
    def hook(output_path: str) -> bool:
        x = draw(ch, pixels, values, seed)
        want = argmax(x).reshape(-1).astype(np.int64)
        out = Path(output_path)
        stimuli.write_words(out / "input.txt", x.reshape(-1).astype(np.int64))
        stimuli.write_words(out / "expected.txt", ((want + 128) % 256) - 128)  # signed bytes
        return True

    return hook


def add_tests(vu: Any, rtl_lib: Any) -> None:
    """Add pcnn_argmax_tb and its configurations to ``vu``."""
    del rtl_lib
    lib = vu.add_library(LIBRARY)
    lib.add_source_files([*TB_COMMON, str(TB / "pcnn_argmax_tb.vhd")])
    tb = lib.test_bench("pcnn_argmax_tb")
    for i, (name, (ch, pixels, values)) in enumerate(CASES.items()):
        for stall in (0, 40):
            tb.add_config(
                name=f"{name}_stall{stall}",
                generics={
                    "G_CH": ch,
                    "G_PIXELS": pixels,
                    "G_IMAGES": IMAGES,
                    "G_STALL_IN": stall,
                    "G_STALL_OUT": stall,
                    "G_SEED": 1 + i,
                },
                pre_config=_pre_config(ch, pixels, values, seed=i),
            )
