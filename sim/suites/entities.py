"""VUnit suite of the compute-core entities: pcnn_window, pcnn_conv, pcnn_maxpool, pcnn_pe.

Each test is a VUnit configuration of an entity testbench (sim/tb/pcnn_tb_*.vhd). A
pre_config hook draws seeded stimuli and writes them, with the expected outputs, into the
test's output_path: windows come from numpy padding/slicing, everything arithmetic from
pocket_cnn.reference. Random input gaps and output backpressure (with long pauses) run on
every functional test; throughput tests run without stalls and check the rate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from pocket_cnn import reference
from pocket_cnn.ir import Activation, ConvStage, PoolSpec, conv_out

from . import TB, TB_COMMON

C = TypeVar("C")

LIBRARY = "pcnn_tb_entities"
#: the entity testbenches, pcnn_tb_<name>.vhd
ENTITIES = ("window", "conv", "maxpool", "pe")
ACT_CODE = {Activation.NONE: 0, Activation.RELU: 1, Activation.LEAKY: 2}


def _write_ints(path: Path, values: np.ndarray, per_line: int) -> None:
    """Write integers, ``per_line`` per line (one beat per line keeps files readable)."""
    flat = np.asarray(values, dtype=np.int64).ravel()
    lines = [
        " ".join(str(int(v)) for v in flat[i : i + per_line]) for i in range(0, flat.size, per_line)
    ]
    path.write_text("\n".join(lines) + "\n")


def _signed8(values: np.ndarray) -> np.ndarray:
    """Bytes as the testbench reads them back: two's complement int8."""
    return ((np.asarray(values, dtype=np.int64) + 128) % 256) - 128


def _pixels(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> stream order: pixel raster order, channel fastest."""
    return np.ascontiguousarray(np.asarray(x).transpose(0, 2, 3, 1))


def _windows(x: np.ndarray, kernel: int, stride: int, pad: int, pad_byte: int = 0) -> np.ndarray:
    """(N, C, H, W) -> (N*Ho*Wo, K*K, C) windows in raster order of (oy, ox), padded with
    ``pad_byte``."""
    n, c, h, w = x.shape
    xp = np.pad(
        np.asarray(x, dtype=np.int64),
        ((0, 0), (0, 0), (pad, pad), (pad, pad)),
        constant_values=pad_byte,
    )
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
    pad_byte: int = 0  # value of a padded byte (-128..255, a zero point)


def _window_pre_config(case: WindowCase, output_path: str) -> bool:
    out = Path(output_path)
    rng = np.random.default_rng(case.seed)
    x = _input(rng, (case.images, case.channels, case.height, case.width), signed=False)
    _write_ints(out / "in.txt", _pixels(x), case.channels)
    win = _windows(x, case.kernel, case.stride, case.pad, case.pad_byte)
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
    "k5_s1_p2_1x1_image": WindowCase(1, 1, 1, 5, 1, 2, images=4),
    "k1_s3_p0_leftovers": WindowCase(2, 8, 7, 1, 3, 0),
    "k2_s3_p0_leftovers": WindowCase(1, 9, 10, 2, 3, 0),
    "k5_s3_p1_wide": WindowCase(1, 5, 12, 5, 3, 1),
    "k3_s2_p0_long_stalls": WindowCase(2, 6, 6, 3, 2, 0, stall_in=60, stall_out=70, seed=5),
    # short rows (read at a registered address): a fast writer behind a slow sink
    "k3_s1_p1_short_rows_slow_sink": WindowCase(1, 6, 5, 3, 1, 1, stall_in=5, stall_out=85),
    "k2_s1_p0_short_rows_slow_sink": WindowCase(1, 5, 4, 2, 1, 0, stall_in=5, stall_out=85),
    "k5_s1_p2_short_rows_slow_sink": WindowCase(1, 7, 6, 5, 1, 2, stall_in=5, stall_out=85),
    "rate_k3_s1_p0": WindowCase(2, 6, 7, 3, 1, 0, stall_in=0, stall_out=0, no_stall=True),
    "rate_k3_s1_p1": WindowCase(2, 6, 7, 3, 1, 1, stall_in=0, stall_out=0, no_stall=True),
    "rate_k5_s1_p2": WindowCase(1, 7, 6, 5, 1, 2, stall_in=0, stall_out=0, no_stall=True),
    "rate_k2_s2_p1": WindowCase(1, 6, 6, 2, 2, 1, stall_in=0, stall_out=0, no_stall=True),
}


def _no_leftover(h: int, k: int, s: int, p: int) -> int:
    """The smallest height >= h whose last padded row is in the last window row."""
    while (h + 2 * p - k) % s:
        h += 1
    return h


def _matrix_cases() -> dict[str, WindowCase]:
    """Every kernel / stride / pad the RTL supports, each on seeded image sizes (a wide and
    a narrow image, so rows both longer and shorter than the kernel) with a seeded pad byte
    (a zero point), random gaps and backpressure; and, where an image has no more windows
    than pixels, the rate without stalls (one input pixel per clock, back to back)."""
    rng = np.random.default_rng(13)
    cases: dict[str, WindowCase] = {}
    for k in (1, 2, 3, 5):
        for s in (1, 2, 3):
            for p in (0, 1, 2):
                lo = max(1, k - 2 * p)  # the padded image holds at least one window
                pad_byte = int(rng.integers(-128, 256))
                # heights without unused last rows (the sink would finish before the source)
                h = _no_leftover(int(rng.integers(lo, lo + 6)), k, s, p)
                w = int(rng.integers(max(lo, 5), lo + 9))
                name, hn = (
                    f"all_k{k}_s{s}_p{p}",
                    _no_leftover(int(rng.integers(lo, lo + 4)), k, s, p),
                )
                seed = k * 9 + s * 3 + p
                cases[name] = WindowCase(2, h, w, k, s, p, pad_byte=pad_byte, seed=seed)
                cases[f"{name}_narrow"] = WindowCase(1, hn, lo, k, s, p, 4, pad_byte=pad_byte)
                h, w = _no_leftover(2 * k + 3, k, s, p), 2 * k + 4
                if conv_out(h, k, s, p) * conv_out(w, k, s, p) <= h * w and (k, s, p) != (1, 1, 0):
                    cases[f"rate_all_k{k}_s{s}_p{p}"] = WindowCase(
                        1, h, w, k, s, p, 4, 0, 0, no_stall=True, pad_byte=pad_byte
                    )
    return cases


WINDOW_CASES.update(_matrix_cases())


def _window_generics(case: WindowCase) -> dict[str, object]:
    return {
        "G_CHANNELS": case.channels,
        "G_HEIGHT": case.height,
        "G_WIDTH": case.width,
        "G_KERNEL": case.kernel,
        "G_STRIDE": case.stride,
        "G_PAD": case.pad,
        "G_PAD_BYTE": case.pad_byte,
        "G_STALL_IN": case.stall_in,
        "G_STALL_OUT": case.stall_out,
        "G_NO_STALL": case.no_stall,
        "G_SEED": case.seed,
    }


# ---------------------------------------------------------------- conv / PE stages
@dataclass(frozen=True)
class StageCase:
    """One PE configuration (also used for pcnn_conv on K x K single-window images)."""

    ch_in: int
    ch_out: int
    kernel: int
    shift: int
    act: Activation = Activation.NONE
    in_signed: bool = True
    par_in: int = 0  # 0 = full parallelism
    par_out: int = 0
    par_k: int = 0  # kernel taps per clock, 0 = all K*K
    wrom_bram: bool = False  # folded weights read as a block RAM
    mem_form: bool = False  # memory-window form (pcnn_pe_mem), PE bench only
    mul_logic: bool = False  # memory form: products as shift-and-add logic
    height: int = 0  # 0 = pcnn_conv bench (images are single K x K windows)
    width: int = 0
    stride: int = 1
    pad: int = 0
    pool: tuple[int, int] | None = None
    images: int = 3
    wmax: int = 127
    xmax: int = 255
    bmax: int = 2000
    stall_in: int = 25
    stall_out: int = 25
    rate: bool = False  # no stalls, check the rate
    acc_bits: int = 0  # forced accumulator width (0 = the stage's own, never narrower)
    bias0: int | None = None  # bias of output channel 0 instead of a random one
    seed: int = 1


#: case-name prefix of the cases that must run pcnn_conv's wide (> 31 bit) signed-vector MAC
WIDE_PREFIX = "acc_wide"
#: widest accumulator pcnn_conv still computes with VHDL integers
INT_MAC_BITS = 31


def _stage(case: StageCase) -> ConvStage:
    """The seeded IR stage of a case (frac_in 0, frac_w 7, frac_out from the shift)."""
    rng = np.random.default_rng(1000 + case.seed)
    k = case.kernel
    weights = rng.integers(-case.wmax, case.wmax + 1, size=(case.ch_out, case.ch_in, k, k))
    bias = rng.integers(-case.bmax, case.bmax + 1, size=case.ch_out)
    if case.bias0 is not None:
        bias[0] = case.bias0
    h, w = (case.height, case.width) if case.height else (k, k)
    return ConvStage.pow2(
        name="pe",
        in_shape=(case.ch_in, h, w),
        weights=weights.astype(np.int8),
        bias=bias.astype(np.int32),
        stride=case.stride,
        pad=case.pad,
        frac_in=0,
        frac_w=7,
        frac_out=7 - case.shift,
        in_signed=case.in_signed,
        activation=case.act,
        pool=PoolSpec(*case.pool) if case.pool else None,
    )


def _stage_input(case: StageCase, stage: ConvStage) -> np.ndarray:
    """Seeded input images (N, C, H, W), uniform over the type range limited by ``xmax``."""
    rng = np.random.default_rng(case.seed)
    n = case.images if case.height else case.images * 6
    lo, hi = (-min(case.xmax, 128), min(case.xmax, 127)) if case.in_signed else (0, case.xmax)
    return rng.integers(lo, hi + 1, size=(n, *stage.in_shape), dtype=np.int64)


def _stage_pre_config(case: StageCase, output_path: str) -> bool:
    out = Path(output_path)
    stage = _stage(case)
    x = _stage_input(case, stage)
    y = reference.conv_stage(stage, x)
    k = stage.kernel
    _write_ints(out / "weights.txt", stage.weights, k * k)
    _write_ints(out / "bias.txt", stage.bias, 1)
    if case.height:  # PE: pixels in, pixels out
        _write_ints(out / "in.txt", _pixels(x), stage.ch_in)
    else:  # conv: one K x K image = one window (element ky*K+kx, channel fastest)
        _write_ints(out / "in.txt", _windows(x, k, 1, 0), k * k * stage.ch_in)
    _write_ints(out / "expected.txt", _pixels(y), stage.ch_out)
    return True


def _par(case: StageCase) -> tuple[int, int]:
    return (case.par_in or case.ch_in, case.par_out or case.ch_out)


def _clocks(case: StageCase) -> int:
    """Clocks per window: ceil(Ci/Pi) * ceil(Co/Po) * ceil(K*K/Pk)."""
    par_in, par_out = _par(case)
    kk = case.kernel * case.kernel
    return -(-case.ch_in // par_in) * -(-case.ch_out // par_out) * -(-kk // (case.par_k or kk))


def _stage_generics(case: StageCase) -> dict[str, object]:
    stage = _stage(case)
    par_in, par_out = _par(case)
    gen: dict[str, object] = {
        "G_CH_IN": case.ch_in,
        "G_CH_OUT": case.ch_out,
        "G_KERNEL": case.kernel,
        "G_SHIFT": case.shift,
        "G_ACT": ACT_CODE[case.act],
        "G_IN_SIGNED": case.in_signed,
        "G_PAR_IN": par_in,
        "G_PAR_OUT": par_out,
        "G_PAR_K": case.par_k,
        "G_WROM_BRAM": case.wrom_bram,
        "G_ACC_BITS": max(stage.acc_bits, case.acc_bits),
        "G_STALL_IN": 0 if case.rate else case.stall_in,
        "G_STALL_OUT": 0 if case.rate else case.stall_out,
        "G_SEED": case.seed,
    }
    if not case.height:
        gen["G_PER_IMG"] = 6
        gen["G_NO_STALL"] = case.rate and _clocks(case) == 1
        if case.rate:  # the measured clocks per window must be exactly these
            gen["G_CLOCKS"] = _clocks(case)
        return gen
    if case.mem_form:
        gen.update(G_MEM_FORM=True, G_MUL_LOGIC=case.mul_logic)
    gen.update(
        G_HEIGHT=case.height,
        G_WIDTH=case.width,
        G_STRIDE=case.stride,
        G_PAD=case.pad,
        G_POOL_KERNEL=case.pool[0] if case.pool else 0,
        G_POOL_STRIDE=case.pool[1] if case.pool else 1,
    )
    if case.rate:
        # one input pixel per clock, one window per ceil(Ci/Pi)*ceil(Co/Po)*ceil(KK/Pk) clocks
        _, ho, wo = stage.conv_shape
        clocks = _clocks(case)
        gen["G_CLOCKS"] = clocks
        gen["G_MAX_CYCLES"] = int(1.10 * max(case.height * case.width, ho * wo * clocks))
    return gen


L, R, N = Activation.LEAKY, Activation.RELU, Activation.NONE

CONV_CASES: dict[str, StageCase] = {
    "k3_full_none_sat": StageCase(2, 3, 3, shift=8),
    "k3_full_relu": StageCase(2, 3, 3, shift=10, act=R, seed=2),
    "k3_full_leaky": StageCase(2, 3, 3, shift=9, act=L, seed=3),
    "k1_uint8_leaky": StageCase(3, 2, 1, shift=8, act=L, in_signed=False, seed=4),
    "k2_par1_relu": StageCase(3, 4, 2, shift=9, act=R, par_in=1, par_out=1, seed=5),
    "k5_partial": StageCase(3, 5, 5, shift=10, act=L, par_in=2, par_out=2, seed=6),
    "k3_par_in_only": StageCase(4, 2, 3, shift=10, par_in=1, seed=7),
    "k3_par_out_only": StageCase(2, 5, 3, shift=9, act=L, par_out=2, seed=8),
    "shift_one_ties": StageCase(2, 3, 1, shift=1, act=L, wmax=3, xmax=40, bmax=20, seed=14),
    "shift_zero": StageCase(2, 3, 1, shift=0, wmax=3, xmax=20, bmax=20, seed=9),
    "shift_negative": StageCase(2, 3, 1, shift=-2, act=L, wmax=2, xmax=8, bmax=8, seed=10),
    "shift_negative_uint8": StageCase(
        1, 2, 2, shift=-1, in_signed=False, wmax=1, xmax=30, bmax=10, seed=11
    ),
    "long_stalls": StageCase(2, 2, 3, shift=9, stall_in=60, stall_out=70, seed=12),
    "rate_full": StageCase(3, 4, 3, shift=9, act=R, rate=True, seed=13),
    # int32 biases near the limit: the stage itself needs a 33-bit accumulator
    f"{WIDE_PREFIX}_big_bias": StageCase(2, 3, 3, shift=24, act=L, bmax=2**31 - 1, seed=15),
    # one huge bias (channel 0 saturates), the other channels computed as usual
    f"{WIDE_PREFIX}_one_big_bias": StageCase(2, 3, 3, shift=9, act=L, bias0=-(2**31) + 7, seed=18),
    # a wider accumulator than needed is still exact: the wide path on ordinary data
    f"{WIDE_PREFIX}_forced_partial": StageCase(
        3, 4, 3, shift=9, act=R, par_in=2, par_out=3, acc_bits=40, seed=16
    ),
    f"{WIDE_PREFIX}_rate": StageCase(3, 4, 3, shift=9, rate=True, acc_bits=34, seed=17),
    # kernel-tap folding (par_k < K*K), weights in logic or read as block RAM
    "k3_par_out_only_bram": StageCase(2, 5, 3, shift=9, par_out=2, wrom_bram=True, seed=39),
    # more than 8 output groups: the bias word registered one stage ahead
    "og10_taps3_k3_bram": StageCase(
        2, 10, 3, shift=9, act=R, par_in=1, par_out=1, par_k=3, wrom_bram=True, seed=51
    ),
    "og10_taps5_k3_tree": StageCase(2, 10, 3, shift=9, par_in=1, par_out=1, par_k=5, seed=52),
    "og9_k1_one_step": StageCase(3, 9, 1, shift=8, act=L, par_out=1, seed=53),
    "og10_taps1_k3_no_tree": StageCase(1, 10, 3, shift=9, par_out=1, par_k=1, seed=54),
    "taps1_k3_par1": StageCase(2, 3, 3, shift=9, act=R, par_in=1, par_out=1, par_k=1, seed=40),
    "taps2_k3_bram": StageCase(
        3, 5, 3, shift=10, act=L, par_in=2, par_out=2, par_k=2, wrom_bram=True, seed=41
    ),
    "taps4_k5_bram": StageCase(
        3, 4, 5, shift=10, act=R, par_in=2, par_out=3, par_k=4, wrom_bram=True, seed=42
    ),
    "taps3_k2_uint8": StageCase(
        2, 2, 2, shift=8, in_signed=False, par_in=2, par_out=1, par_k=3, seed=43
    ),
    "taps5_k3_full_channels": StageCase(2, 3, 3, shift=9, act=L, par_k=5, seed=44),
    "taps1_k1_bram": StageCase(
        4, 3, 1, shift=7, par_in=1, par_out=1, par_k=1, wrom_bram=True, seed=45
    ),
    "taps2_k3_long_stalls_bram": StageCase(
        2, 2, 3, shift=9, par_in=1, par_k=2, wrom_bram=True, stall_in=60, stall_out=70, seed=46
    ),
    "rate_taps4_k3_bram": StageCase(
        2, 3, 3, shift=9, act=R, par_in=1, par_out=2, par_k=4, wrom_bram=True, rate=True, seed=47
    ),
    "rate_taps5_k3_logic": StageCase(
        3, 2, 3, shift=9, par_in=2, par_out=1, par_k=5, rate=True, seed=48
    ),
    "rate_folded_k3_channels": StageCase(3, 4, 3, shift=9, par_in=2, par_out=3, rate=True, seed=49),
    f"{WIDE_PREFIX}_taps2_bram": StageCase(
        3, 4, 3, shift=9, act=R, par_in=2, par_out=3, par_k=2, wrom_bram=True, acc_bits=40, seed=50
    ),
}

PE_CASES: dict[str, StageCase] = {
    "k3_p1_relu_pool2": StageCase(
        2, 3, 3, shift=9, act=R, height=6, width=5, pad=1, pool=(2, 2), seed=21
    ),
    "k3_s2_p1_leaky": StageCase(
        2, 2, 3, shift=9, act=L, height=7, width=6, stride=2, pad=1, seed=22
    ),
    "k5_p2_uint8_pool3_s1": StageCase(
        1, 2, 5, shift=9, act=R, in_signed=False, height=6, width=6, pad=2, pool=(3, 1), seed=23
    ),
    "k2_s1_par1_pool3_s3": StageCase(
        2, 3, 2, shift=8, height=7, width=7, par_in=1, par_out=1, pool=(3, 3), seed=24
    ),
    "k1_partial_pool2_s1": StageCase(
        4, 4, 1, shift=7, act=L, height=4, width=5, par_in=2, par_out=3, pool=(2, 1), seed=25
    ),
    "k3_s3_p2_neg_shift": StageCase(
        1, 2, 3, shift=-1, height=8, width=7, stride=3, pad=2, wmax=2, xmax=10, bmax=5, seed=26
    ),
    "rate_full_k3_p1_pool2": StageCase(
        2, 3, 3, shift=9, act=R, height=8, width=8, pad=1, pool=(2, 2), rate=True, seed=27
    ),
    "rate_full_k5_p2": StageCase(
        1, 2, 5, shift=9, act=L, height=7, width=6, pad=2, rate=True, seed=28
    ),
    "rate_folded_k3_p1": StageCase(
        2, 2, 3, shift=9, height=6, width=6, pad=1, par_in=1, par_out=1, rate=True, seed=29
    ),
    # pcnn_maxpool_line (windows that do not overlap): stride gaps and leftover rows and
    # columns, a line of more than 64 bits (registered read, written and read at the
    # same address in one clock when Wo = 1), the rate
    "k1_pool2_s3_leftovers": StageCase(
        2, 3, 1, shift=7, height=9, width=10, pool=(2, 3), images=4, seed=31
    ),
    "k1_pool3_s3_leftovers": StageCase(
        2, 2, 1, shift=7, act=R, height=8, width=7, pool=(3, 3), images=4, seed=32
    ),
    "k1_pool2_long_line": StageCase(
        2, 4, 1, shift=7, height=6, width=11, pool=(2, 2), images=4, seed=33
    ),
    "k1_pool2_long_line_wo1": StageCase(
        2, 12, 1, shift=7, height=5, width=2, pool=(2, 2), images=4, seed=34
    ),
    "rate_full_k1_pool2_long_line": StageCase(
        2, 4, 1, shift=7, height=6, width=10, pool=(2, 2), rate=True, seed=35
    ),
    f"{WIDE_PREFIX}_k3_p1_leaky_pool2": StageCase(
        2, 3, 3, shift=9, act=L, height=6, width=5, pad=1, pool=(2, 2), acc_bits=36, seed=30
    ),
    # kernel-tap folding
    "taps2_k3_p1_relu_pool2_bram": StageCase(
        2,
        3,
        3,
        shift=9,
        act=R,
        height=6,
        width=5,
        pad=1,
        pool=(2, 2),
        par_in=1,
        par_out=2,
        par_k=2,
        wrom_bram=True,
        seed=31,
    ),
    "taps7_k5_p2_uint8": StageCase(
        1,
        2,
        5,
        shift=9,
        act=R,
        in_signed=False,
        height=6,
        width=6,
        pad=2,
        par_out=1,
        par_k=7,
        seed=32,
    ),
    "taps1_k3_s2_p1_leaky_bram": StageCase(
        2,
        2,
        3,
        shift=9,
        act=L,
        height=7,
        width=6,
        stride=2,
        pad=1,
        par_in=2,
        par_out=1,
        par_k=1,
        wrom_bram=True,
        seed=33,
    ),
    "taps1_k1_partial_pool2_s1": StageCase(
        4,
        4,
        1,
        shift=7,
        act=L,
        height=4,
        width=5,
        par_in=2,
        par_out=3,
        par_k=1,
        pool=(2, 1),
        seed=34,
    ),
    "rate_taps3_k3_p1_bram": StageCase(
        2,
        2,
        3,
        shift=9,
        height=6,
        width=6,
        pad=1,
        par_in=1,
        par_out=1,
        par_k=3,
        wrom_bram=True,
        rate=True,
        seed=35,
    ),
    "rate_taps1_k3_pool2": StageCase(
        1,
        2,
        3,
        shift=9,
        act=R,
        height=8,
        width=8,
        pad=1,
        pool=(2, 2),
        par_out=1,
        par_k=1,
        rate=True,
        seed=36,
    ),
    # memory-window form (pcnn_pe_mem): padding, strides, pools, stalls, logic products
    "mem_k5_p2_relu_pool2": StageCase(
        3,
        4,
        5,
        shift=10,
        act=R,
        height=9,
        width=7,
        pad=2,
        pool=(2, 2),
        par_in=2,
        par_out=3,
        mem_form=True,
        stall_in=30,
        stall_out=40,
        seed=60,
    ),
    "mem_k3_s2_p1_leaky_uint8": StageCase(
        2,
        3,
        3,
        shift=9,
        act=L,
        in_signed=False,
        height=7,
        width=8,
        stride=2,
        pad=1,
        par_in=1,
        par_out=1,
        mem_form=True,
        mul_logic=True,
        stall_out=50,
        seed=61,
    ),
    "mem_k1_s3_pool3_s1": StageCase(
        5,
        2,
        1,
        shift=7,
        height=8,
        width=6,
        stride=3,
        pool=(2, 1),
        par_in=2,
        par_out=2,
        mem_form=True,
        stall_in=20,
        seed=62,
    ),
    "mem_k4_valid_fc": StageCase(
        4, 3, 4, shift=10, height=4, width=4, par_in=3, par_out=2, mem_form=True, seed=63
    ),
}


# ---------------------------------------------------------------- maxpool
@dataclass(frozen=True)
class PoolCase:
    """One pcnn_maxpool configuration."""

    channels: int
    kernel: int
    windows: int = 30
    stall_in: int = 25
    stall_out: int = 25
    seed: int = 1


def _pool_pre_config(case: PoolCase, output_path: str) -> bool:
    out = Path(output_path)
    rng = np.random.default_rng(case.seed)
    k = case.kernel
    x = rng.integers(-128, 128, size=(case.windows, case.channels, k, k)).astype(np.int8)
    y = reference.maxpool(x, k, k)
    _write_ints(out / "in.txt", _windows(x, k, 1, 0), k * k * case.channels)
    _write_ints(out / "expected.txt", _pixels(y), case.channels)
    return True


def _pool_generics(case: PoolCase) -> dict[str, object]:
    return {
        "G_CHANNELS": case.channels,
        "G_KERNEL": case.kernel,
        "G_PER_IMG": 5,
        "G_STALL_IN": case.stall_in,
        "G_STALL_OUT": case.stall_out,
        "G_SEED": case.seed,
    }


POOL_CASES: dict[str, PoolCase] = {
    "k2": PoolCase(3, 2),
    "k3": PoolCase(2, 3, seed=2),
    "k3_long_stalls": PoolCase(1, 3, stall_in=60, stall_out=70, seed=3),
    "k2_rate": PoolCase(2, 2, stall_in=0, stall_out=0, seed=4),
}


# ---------------------------------------------------------------- helpers
def _add_configs(
    tb: Any,
    cases: Mapping[str, C],
    generics: Callable[[C], dict[str, object]],
    pre_config: Callable[[C, str], bool],
) -> None:
    for name, case in cases.items():
        tb.add_config(name=name, generics=generics(case), pre_config=partial(pre_config, case))


def _check_wide(cases: dict[str, StageCase]) -> None:
    """The wide-accumulator cases must really select pcnn_conv's signed-vector MAC."""
    for name, case in cases.items():
        bits = _stage_generics(case)["G_ACC_BITS"]
        if name.startswith(WIDE_PREFIX) and not (isinstance(bits, int) and bits > INT_MAC_BITS):
            raise ValueError(f"case {name}: accumulator {bits} bits does not test the wide MAC")


def add_tests(vu: Any, rtl_lib: Any) -> None:
    """Add the entity testbenches and their configurations to ``vu``."""
    del rtl_lib
    _check_wide(CONV_CASES)
    _check_wide(PE_CASES)  # the testbenches reference library pocket_cnn by name
    lib = vu.add_library(LIBRARY)
    lib.add_source_files([*TB_COMMON, *(str(TB / f"pcnn_{n}_tb.vhd") for n in ENTITIES)])
    _add_configs(
        lib.test_bench("pcnn_window_tb"), WINDOW_CASES, _window_generics, _window_pre_config
    )
    _add_configs(lib.test_bench("pcnn_conv_tb"), CONV_CASES, _stage_generics, _stage_pre_config)
    _add_configs(lib.test_bench("pcnn_maxpool_tb"), POOL_CASES, _pool_generics, _pool_pre_config)
    _add_configs(lib.test_bench("pcnn_pe_tb"), PE_CASES, _stage_generics, _stage_pre_config)
