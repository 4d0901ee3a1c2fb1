"""VUnit suite of the compute-core entities: pcnn_window, pcnn_conv, pcnn_maxpool, pcnn_pe.

Each test is a VUnit configuration of an entity testbench (sim/tb/pcnn_tb_*.vhd). A
pre_config hook draws seeded stimuli and writes them, with the expected outputs, into the
test's output_path: windows come from numpy padding/slicing, everything arithmetic from
pocket_cnn.reference. Random input gaps and output backpressure (with long pauses) run on
every functional test; throughput tests run without stalls and check the rate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np

from pocket_cnn import reference
from pocket_cnn.ir import Activation, ConvStage, PoolSpec, conv_out

TB = Path(__file__).resolve().parents[1] / "tb"
LIBRARY = "pcnn_tb_entities"
ACT_CODE = {Activation.NONE: 0, Activation.RELU: 1, Activation.LEAKY: 2}


def _write_ints(path: Path, values: np.ndarray, per_line: int) -> None:
    """Write integers, ``per_line`` per line (one beat per line keeps files readable)."""
    flat = np.asarray(values, dtype=np.int64).ravel()
    lines = [" ".join(str(int(v)) for v in flat[i : i + per_line]) for i in range(0, flat.size, per_line)]
    path.write_text("\n".join(lines) + "\n")


def _signed8(values: np.ndarray) -> np.ndarray:
    """Bytes as the testbench reads them back: two's complement int8."""
    return ((np.asarray(values, dtype=np.int64) + 128) % 256) - 128


def _pixels(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> stream order: pixel raster order, channel fastest."""
    return np.ascontiguousarray(np.asarray(x).transpose(0, 2, 3, 1))


def _windows(x: np.ndarray, kernel: int, stride: int, pad: int) -> np.ndarray:
    """(N, C, H, W) -> (N*Ho*Wo, K*K, C) zero-padded windows in raster order of (oy, ox)."""
    n, c, h, w = x.shape
    xp = np.pad(np.asarray(x, dtype=np.int64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = conv_out(h, kernel, stride, pad), conv_out(w, kernel, stride, pad)
    out = np.empty((n, ho, wo, kernel * kernel, c), dtype=np.int64)
    for oy in range(ho):
        for ox in range(wo):
            win = xp[:, :, oy * stride : oy * stride + kernel, ox * stride : ox * stride + kernel]
            out[:, oy, ox] = win.reshape(n, c, kernel * kernel).transpose(0, 2, 1)
    return out.reshape(n * ho * wo, kernel * kernel, c)


def _input(rng: np.random.Generator, shape: tuple[int, ...], signed: bool) -> np.ndarray:
    """Random input bytes over the whole range (int8 or uint8)."""
    lo, hi = (-128, 128) if signed else (0, 256)
    return rng.integers(lo, hi, size=shape, dtype=np.int64)


# ---------------------------------------------------------------- window
@dataclass(frozen=True)
class WindowCase:
    """One pcnn_window configuration."""

    channels: int
    height: int
    width: int
    kernel: int
    stride: int
    pad: int
    images: int = 3
    stall_in: int = 25
    stall_out: int = 25
    no_stall: bool = False
    seed: int = 1


def _window_pre_config(case: WindowCase, output_path: str) -> bool:
    out = Path(output_path)
    rng = np.random.default_rng(case.seed)
    x = _input(rng, (case.images, case.channels, case.height, case.width), signed=False)
    _write_ints(out / "in.txt", _pixels(x), case.channels)
    win = _windows(x, case.kernel, case.stride, case.pad)
    _write_ints(out / "expected.txt", _signed8(win), case.kernel * case.kernel * case.channels)
    return True


WINDOW_CASES: dict[str, WindowCase] = {
    "k3_s1_p1": WindowCase(2, 5, 6, 3, 1, 1),
    "k3_s1_p0": WindowCase(1, 5, 4, 3, 1, 0),
    "k3_s2_p1": WindowCase(2, 7, 6, 3, 2, 1),
    "k3_s3_p2": WindowCase(1, 8, 7, 3, 3, 2),
    "k5_s1_p2": WindowCase(1, 6, 7, 5, 1, 2),
    "k5_s2_p0": WindowCase(2, 9, 8, 5, 2, 0),
    "k2_s1_p0": WindowCase(3, 4, 5, 2, 1, 0),
    "k2_s2_p1": WindowCase(1, 5, 6, 2, 2, 1),
    "k2_s3_p2": WindowCase(1, 7, 5, 2, 3, 2),
    "k1_s1_p0": WindowCase(2, 3, 4, 1, 1, 0),
    "k1_s2_p1": WindowCase(1, 5, 5, 1, 2, 1),
    "k1_s1_p2": WindowCase(1, 3, 2, 1, 1, 2),
    "k3_s1_p1_1x1_image": WindowCase(1, 1, 1, 3, 1, 1, images=4),
    "k5_s1_p2_tall": WindowCase(1, 9, 2, 5, 1, 2),
    "k3_s2_p0_long_stalls": WindowCase(2, 6, 6, 3, 2, 0, stall_in=60, stall_out=70, seed=5),
    "rate_k3_s1_p0": WindowCase(2, 6, 7, 3, 1, 0, stall_in=0, stall_out=0, no_stall=True),
    "rate_k3_s1_p1": WindowCase(2, 6, 7, 3, 1, 1, stall_in=0, stall_out=0, no_stall=True),
    "rate_k5_s1_p2": WindowCase(1, 7, 6, 5, 1, 2, stall_in=0, stall_out=0, no_stall=True),
    "rate_k2_s2_p1": WindowCase(1, 6, 6, 2, 2, 1, stall_in=0, stall_out=0, no_stall=True),
}


def _window_generics(case: WindowCase) -> dict[str, object]:
    return {
        "G_CHANNELS": case.channels,
        "G_HEIGHT": case.height,
        "G_WIDTH": case.width,
        "G_KERNEL": case.kernel,
        "G_STRIDE": case.stride,
        "G_PAD": case.pad,
        "G_STALL_IN": case.stall_in,
        "G_STALL_OUT": case.stall_out,
        "G_NO_STALL": case.no_stall,
        "G_SEED": case.seed,
    }


# ---------------------------------------------------------------- helpers
def _add_configs(
    tb: object,
    cases: dict[str, object],
    generics: Callable[[object], dict[str, object]],
    pre_config: Callable[[object, str], bool],
) -> None:
    for name, case in cases.items():
        tb.add_config(  # type: ignore[attr-defined]
            name=name, generics=generics(case), pre_config=partial(pre_config, case)
        )


def add_tests(vu: object, rtl_lib: object) -> None:
    """Add the entity testbenches and their configurations to ``vu``."""
    del rtl_lib  # the testbenches reference library pocket_cnn by name
    lib = vu.add_library(LIBRARY)  # type: ignore[attr-defined]
    lib.add_source_files([str(TB / "pcnn_tb_pkg.vhd"), str(TB / "pcnn_tb_window.vhd")])
    _add_configs(lib.test_bench("pcnn_tb_window"), WINDOW_CASES, _window_generics,
                 _window_pre_config)


__all__ = ["add_tests", "replace", "ConvStage", "PoolSpec", "reference", "ACT_CODE"]
