"""A small resource estimate of a network at a parallelism setting: multipliers, the
DSPs yosys asks for, and logic cells, for choosing a setting (``--parallel auto``)
that fits a device.

Multipliers: a PE at (par_in, par_out, par_k) has ``par_in * par_out * par_k`` products
per clock. What they cost depends on what pcnn_conv multiplies, three kinds:

- ``const``: one step per window, every weight a constant;
- ``wmux``: only output channels folded (par_in = Cin, all taps): the input byte is
  fixed per window, the weight a choice of constants;
- ``xmux``: input channels or taps folded: both operands change, a real multiplier.

yosys ``-dsp`` maps const and xmux products into DSPs (``dsp_const`` and ``dsp_xmux``
DSPs each, plus ``dsp_base`` for the rest of the network: the GAP's divider); when that
exceeds the device's DSPs, ``pocket-cnn synth`` (and the board flows' yosys) keeps every
multiplier in LUTs, and each product costs its ``lut_*`` cells, else its ``dsp_*_cells``.

Logic cells (the count ``pocket-cnn synth`` compares with the board's ``lut`` total:
iCE40 logic cells, one LUT4 + one FF each, placed by nextpnr, or yosys' LUTs + 0.65 of
its FFs where the design was not placed):

    cells = base + per PE (pe + window_bit * bits of its window(s): R*W*C*8 line
            buffer for rows of at most 64 bits, K*K*C*8 window register)
          + per product: lut_const | lut_wmux | lut_xmux   (multipliers in LUTs)
                         or 0 | 0 | dsp_xmux_cells          (multipliers in DSPs)

Every coefficient is in :data:`COEF`. Calibrated on 8 ``pocket-cnn synth`` runs of
conv_3x1_1x1_max_2x2 on the iCEBreaker (iCE40UP5K, 8 SB_MAC16), 2026-12-04:

    setting   measured cells (yosys DSPs)   estimate (DSPs)
    1,1;1,1   2711 placed (3)               2722 (4)
    1,2;1,1   2681 placed (3)               2722 (4)
    1,1;1,2   2769 placed (6)               2732 (6)   <- auto on the iCEBreaker
    1,1;1,4   6309 nextpnr (12 -> LUTs)     5912 (11)
    1,1;2,2   6132 nextpnr (12 -> LUTs)     5912 (11)
    1,2;1,4   ~7170 yosys (12 -> LUTs)      8072 (11)
    1,4;2,2   6726 nextpnr (49 -> LUTs)     6740 (56)
    full      ~8350 yosys (87 -> LUTs)      8356 (87)

A rough model of one network: on other networks (README "Performance" table) it is
off by up to about 3x (conv_3x3_2x2_1x1 at parallelism 1: 1765 cells, 3 DSPs measured,
6368 estimated as its 13 DSPs would not fit; conv_5x1_1x1_max_2x2 at 1: 9200 yosys
LUTs measured, 3058 estimated): yosys' DSP inference depends on more than the product
kinds counted here. To be re-calibrated when pcnn_conv or pcnn_window change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pocket_cnn.ir.network import Network

#: Coefficients of the estimate (see the module docstring).
COEF: dict[str, float] = {
    "base": 1400.0,  # cells: gather, serializer, status counters, GAP
    "pe": 420.0,  # cells per PE: window and conv control, requantiser
    "window_bit": 1.0,  # cells per line buffer / window register bit
    "lut_const": 83.0,  # cells per constant-weight product in LUTs
    "lut_wmux": 240.0,  # cells per product with a choice of weights, in LUTs
    "lut_xmux": 260.0,  # cells per real multiplier in LUTs
    "dsp_xmux_cells": 10.0,  # cells per real multiplier in a DSP (its share of the tree)
    "dsp_base": 2.0,  # DSPs yosys asks for outside the PEs (the GAP's divider)
    "dsp_const": 1.25,  # DSPs yosys asks for per constant-weight product
    "dsp_xmux": 2.25,  # DSPs yosys asks for per real multiplier
}


@dataclass(frozen=True)
class Estimate:
    """Estimated multipliers, DSPs yosys asks for and logic cells of a setting."""

    multipliers: int
    cells: int
    in_dsps: bool  # the DSPs yosys asks for fit the device: multipliers in DSPs
    dsps: int = 0


def pe_products(par: tuple[int, int, int]) -> int:
    """Multipliers of one PE at (par_in, par_out, par_k)."""
    return par[0] * par[1] * par[2]


def window_bits(ch: int, h: int, w: int, k: int, s: int, p: int) -> int:
    """Line buffer (rows of at most 64 bits; longer ones go to block RAM) and window
    register bits of one pcnn_window (the 1x1 pass-through: one pixel register)."""
    if k == 1 and s == 1 and p == 0:
        return ch * 8
    rows = k + 2 if s == 1 or p >= k else k + 1
    line = rows * w * ch * 8 if w * ch * 8 <= 64 else 0
    return line + k * k * ch * 8


def _pe_dims(net: Network, i: int) -> tuple[int, int, int]:
    if i >= len(net.stages):
        f = net.fc[i - len(net.stages)]
        return f.n_in, f.n_out, 1
    st = net.stages[i]
    return st.ch_in, st.ch_out, st.kernel**2


def pe_cells(net: Network, i: int) -> float:
    """Logic cells of PE ``i`` without its products."""
    if i >= len(net.stages):
        f = net.fc[i - len(net.stages)]
        return COEF["pe"] + COEF["window_bit"] * f.n_in * 8
    st = net.stages[i]
    c, h, w = st.in_shape
    bits = window_bits(c, h, w, st.kernel, st.stride, st.pad)
    if st.pool is not None:
        co, ho, wo = st.conv_shape
        bits += window_bits(co, ho, wo, st.pool.kernel, st.pool.stride, 0)
    return COEF["pe"] + COEF["window_bit"] * bits


def product_kind(dims: tuple[int, int, int], par: tuple[int, int, int]) -> str:
    """``const``, ``wmux`` or ``xmux`` (module docstring) for a PE of (Cin, Cout, K*K)."""
    ci, co, kk = dims
    if par[0] >= ci and par[2] >= kk:
        return "const" if par[1] >= co else "wmux"
    return "xmux"


def product_cells(kind: str, products: int, in_dsps: bool) -> float:
    """Logic cells of ``products`` products of one kind."""
    if in_dsps:
        return COEF["dsp_xmux_cells"] * products if kind == "xmux" else 0.0
    return COEF[f"lut_{kind}"] * products


def estimate(net: Network, par: Sequence[tuple[int, int, int]], dsps: int = 0) -> Estimate:
    """Multipliers, DSPs and logic cells of ``net`` at ``par`` on a device with ``dsps``
    DSPs (0: every multiplier in LUTs)."""
    kinds = [product_kind(_pe_dims(net, i), p) for i, p in enumerate(par)]
    prods = [pe_products(p) for p in par]
    want = COEF["dsp_base"] + sum(
        COEF[f"dsp_{k}"] * n for k, n in zip(kinds, prods, strict=True) if k != "wmux"
    )
    in_dsps = want <= dsps
    cells = COEF["base"] + sum(pe_cells(net, i) for i in range(len(par)))
    cells += sum(product_cells(k, n, in_dsps) for k, n in zip(kinds, prods, strict=True))
    return Estimate(sum(prods), round(cells), in_dsps, round(want))
