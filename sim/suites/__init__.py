"""VUnit test suites; each module defines ``add_tests(vu, rtl_lib)``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pocket_cnn.ir import Network
from pocket_cnn.reference import run as reference_run
from pocket_cnn.simulation import stimuli

#: Folder of the testbenches.
TB = Path(__file__).resolve().parents[1] / "tb"
#: Shared testbench files (package, stream source, stream sink), in compile order; every
#: library holding a testbench that uses them gets its own copy.
TB_COMMON = tuple(str(TB / f"pcnn_tb_{name}.vhd") for name in ("pkg", "source", "sink"))


def reference_pre_config(net: Network, images: int, seed: int) -> Callable[[str], bool]:
    """A VUnit pre_config hook: ``images`` seeded random images of ``net`` into input.txt
    and the reference's outputs for them into expected.txt, in the test's output path."""

    def hook(output_path: str) -> bool:
        out = Path(output_path)
        x = stimuli.random_images(net, images, seed)
        stimuli.write_words(out / "input.txt", stimuli.to_words(x))
        stimuli.write_words(out / "expected.txt", stimuli.to_words(reference_run(net, x)))
        return True

    return hook
