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
DSPs each, plus ``dsp_base`` for the rest of the network: the GAP's divider), and on
families other than iCE40 (``choice_dsp``) the wmux products too (``dsp_wmux`` each:
``synth_ecp5`` put conv_3x2_1x1_max_2x1's 13 wmux products at ``1,1;4,1`` into 12
MULT18X18D, ``synth_ice40`` none into SB_MAC16, 2026-12-05); when that
exceeds the device's DSPs, ``pocket-cnn synth`` (and the board flows' yosys) keeps every
multiplier in LUTs, and each product costs its ``lut_*`` cells, else its ``dsp_*_cells``.

Logic cells (the count ``pocket-cnn synth`` compares with the board's ``lut`` total:
iCE40 logic cells, one LUT4 + one FF each, placed by nextpnr, or yosys' LUTs + 0.65 of
its FFs where the design was not placed):

    cells = base + per PE (pe + window_bit * bits of its window(s): R*W*C*8 line
            buffer for rows of at most 64 bits, K*K*C*8 window register; + window
            per register window)
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

The memory-window form (pcnn_pe_mem, ``par_k`` <= 0 in a PE's triple): no window
registers; per PE ``mem_pe`` cells plus its output pixel and pool line bits, each
product one DSP (``par_k`` = 0, ``dsp_mem_cells`` cells) or shift-and-add logic
(``par_k`` = -1, ``lut_mem`` cells); block RAM: its ring (R rows x pow2(W) x
pow2(ceil(Cin/PI)) words of PI bytes) and weight ROM (words of PI*PO bytes, in block RAM
by :mod:`pocket_cnn.ir.wrom`'s rule). Calibrated on lenet_mnist8 ``1,2m;2,3m;1,1ml`` on
the iCEBreaker (2026-12-05): 5,139 cells placed (estimate 5,150), 23 SB_RAM40_4K
(estimate 23), 8 DSPs.

Every PE in the memory form with its products in logic (what auto picked on iCE40 before
the memory form's products became SB_MAC16 blocks there, two per block: ``pair_dsps``;
the calibration also serves networks all in the memory form with some PEs in the
blocks, each such product ``dsp_mem_cells``) has a calibration of its own (``logic_*``): least
squares over 10 ``pocket-cnn synth --board icebreaker`` runs (cells placed by nextpnr,
2026-12-05), then the overlapping max-pools' register windows (``logic_pool_win*``) from
the first ``bench_boards.py --all --start auto --boards icebreaker`` run with it, which
they had missed by up to 42 %. Over those 24 placed designs the estimate is within -8 /
+14 % of the placed cells (+: over), for example:

    model, setting                                      placed  estimate
    lenet_mnist8 1,2ml;2,3ml;1,1ml                       4,197     4,160
    lenet_mnist8 1,2ml;8,1ml;1,1ml                       4,566     4,448
    conv_2x_3x1_1x1_max_2x2_padding 1,1ml;4,1ml;1,1ml;1,1ml
                                                         4,753     4,372
    conv_2x1_1x1_max_3x2 1,4ml;2,3ml                     4,485     5,116
    conv_3x1_1x1_max_3x1 1,4ml;4,1ml                     4,971     4,736
    conv_3x1_1x1_max_2x2 1,1ml;1,1ml                     1,607     1,739
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pocket_cnn.ir.clock_model import pass_window
from pocket_cnn.ir.cycles import pool_fused
from pocket_cnn.ir.network import ConvStage, FcStage, Network
from pocket_cnn.ir.rq_serial import Requant, m_bits, pool_in_pe, requant_mode, rq_digit

#: Coefficients of the estimate (see the module docstring).
COEF: dict[str, float] = {
    "base": 1400.0,  # cells: gather, serializer, status counters, GAP
    "pe": 420.0,  # cells per PE: window and conv control, requantiser
    "window_bit": 1.0,  # cells per line buffer / window register bit
    # cells per register window (a pcnn_window that is not the 1x1 pass-through) beyond
    # its bits: its reader's checks formed a clock ahead (2026-12-06: the window test net
    # 1,404 -> 1,567 iCE40 LUTs with the max-pool line's skid slice and data register)
    "window": 150.0,
    "lut_const": 83.0,  # cells per constant-weight product in LUTs
    "lut_wmux": 240.0,  # cells per product with a choice of weights, in LUTs
    "lut_xmux": 260.0,  # cells per real multiplier in LUTs
    "dsp_xmux_cells": 10.0,  # cells per real multiplier in a DSP (its share of the tree)
    "dsp_base": 2.0,  # DSPs yosys asks for outside the PEs (the GAP's divider)
    "dsp_const": 1.25,  # DSPs yosys asks for per constant-weight product
    "dsp_xmux": 2.25,  # DSPs yosys asks for per real multiplier
    "dsp_wmux": 1.0,  # DSPs per product with a choice of weights (choice_dsp families)
    # DSPs per output lane of a register-form PE with a general (mult/exact)
    # requantiser, choice_dsp families: the digits small CNN at 1,4,3;1,16,3;1,2 took 178
    # MULT18X18D for 62 products and 22 such lanes (ECP5, 2026-12-05)
    "dsp_rq_lane": 2.0,
    "mem_pe": 580.0,  # cells per memory-form PE: counters, address, accumulators, requant
    "mem_bit": 1.0,  # cells per output pixel / pool line bit of a memory-form PE
    "dsp_mem_cells": 10.0,  # cells per memory-form product in a DSP
    "lut_mem": 250.0,  # cells per memory-form product in logic (shift-and-add)
    "mem_bram_margin": 2.0,  # SB_RAM40_4K beyond the rings and ROMs (measured)
    "rq_serial": 160.0,  # cells of a serial requantiser: product, rounding, clamp
    "rq_digit_bit": 25.0,  # cells per digit bit of its shift-and-add multiplier
    "rq_hold_bit": 2.0,  # cells per bit of its holding bank (register and load mux)
    "rq_exact": 200.0,  # cells of its float32 rounding of the product (exact mode)
    "rq_lane": 600.0,  # cells of one general requantiser per output lane (no DSP)
    # cells a max-pool in the serial requantiser saves against a pcnn_maxpool_line
    # beyond its line bits ("mem_pe" was calibrated on PEs followed by one)
    "mem_pool_line": 580.0,
    # every PE in the memory form with its products in logic (the iCE40 flow; module
    # text): the whole network's fixed part, cells per PE (as mem_pe), per product (as
    # lut_mem) and per max-pool run in the serial requantiser (it costs, not saves)
    "logic_base": 0.0,
    "logic_pe": 490.0,
    "logic_mem": 190.0,
    "logic_pool": 83.0,
    # an overlapping max-pool (stride < kernel) after a memory-form PE: its register
    # window costs this much beyond its bits, plus so much per bit
    "logic_pool_win": 700.0,
    "logic_pool_win_bit": 4.0,
}


#: Products per iCE40 SB_MAC16 in the memory form (pcnn_mul_ice40: the 8 x 8 mode).
ICE40_PRODUCTS_PER_DSP = 2


@dataclass(frozen=True)
class Estimate:
    """Estimated multipliers, DSPs yosys asks for and logic cells of a setting."""

    multipliers: int
    cells: int
    in_dsps: bool  # the DSPs yosys asks for fit the device: multipliers in DSPs
    dsps: int = 0
    #: block RAMs (SB_RAM40_4K) of the memory-form PEs (0 without one)
    brams: int = 0


def pe_products(par: tuple[int, int, int]) -> int:
    """Multipliers of one PE at (par_in, par_out, par_k)."""
    return par[0] * par[1] * par[2]


def window_bits(ch: int, h: int, w: int, k: int, s: int, p: int) -> int:
    """Line buffer (rows of at most 64 bits; longer ones go to block RAM) and window
    register bits of one pcnn_window (the 1x1 pass-through: one pixel register)."""
    if pass_window(k, s, p):
        return ch * 8
    rows = k + 2 if s == 1 or p >= k else k + 1
    line = rows * w * ch * 8 if w * ch * 8 <= 64 else 0
    return line + k * k * ch * 8


def maxpool_skid_bits(ch: int) -> int:
    """pcnn_maxpool's output skid slice (one pixel and last) and its slot count."""
    return ch * 8 + 4


def _pe_stage(net: Network, i: int) -> ConvStage | FcStage:
    """The conv stage or FC layer of PE ``i``."""
    n = len(net.stages)
    return net.stages[i] if i < n else net.fc[i - n]


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
    windows = int(not pass_window(st.kernel, st.stride, st.pad))
    if st.pool is not None:
        co, ho, wo = st.conv_shape
        bits += window_bits(co, ho, wo, st.pool.kernel, st.pool.stride, 0)
        if st.pool.stride < st.pool.kernel:
            windows += 1
            bits += maxpool_skid_bits(co)
    return COEF["pe"] + COEF["window_bit"] * bits + COEF["window"] * windows


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


def mem_geometry(net: Network, i: int) -> tuple[int, int, int, int, int, int, int, int]:
    """(Cin, Cout, H, W, K, S, P, output pixels) of PE ``i`` in the memory form (an FC
    straight after a conv map: a K = H = W conv over it; else over one pixel)."""
    n = len(net.stages)
    if i < n:
        st = net.stages[i]
        c, h, w = st.in_shape
        _, ho, wo = st.conv_shape
        return c, st.ch_out, h, w, st.kernel, st.stride, st.pad, ho * wo
    f = net.fc[i - n]
    _, oh, ow = net.stages[-1].out_shape
    if i == n and net.gap is None and oh * ow > 1:
        c, h, w = f.in_shape
        return c, f.n_out, h, w, h, 1, 0, 1
    return f.n_in, f.n_out, 1, 1, 1, 1, 0, 1


def mem_pe_cells(net: Network, i: int, fused: bool = False, logic: bool = False) -> float:
    """Logic cells of memory-form PE ``i`` without its products (``fused``: its max-pool
    runs in the serial requantiser, line memory in block RAM; ``logic``: the calibration
    of networks all in the memory form with products in logic)."""
    bits = _pe_dims(net, i)[1] * 8
    extra = 0.0
    if i < len(net.stages) and net.stages[i].pool is not None:
        st = net.stages[i]
        assert st.pool is not None
        co, ho, wo = st.conv_shape
        pk, ps = st.pool.kernel, st.pool.stride
        if ps >= pk and fused:  # no pcnn_maxpool_line: line memory in block RAM
            extra = COEF["logic_pool"] if logic else -COEF["mem_pool_line"]
        elif ps >= pk:  # pcnn_maxpool_line: one row of pooled maxima
            bits += (wo // ps) * co * 8
        else:
            pool_bits = window_bits(co, ho, wo, pk, ps, 0)
            bits += pool_bits + maxpool_skid_bits(co)
            if logic:  # an overlapping max-pool's register window (pcnn_maxpool)
                extra = COEF["logic_pool_win"] + COEF["logic_pool_win_bit"] * pool_bits
    return COEF["logic_pe" if logic else "mem_pe"] + COEF["mem_bit"] * bits + extra


def mem_rq_cells(net: Network, i: int, par: tuple[int, int, int]) -> float:
    """Logic cells of memory-form PE ``i``'s general (mult/exact) requantisation: the
    serial requantiser, or one requantiser per lane (:mod:`pocket_cnn.ir.rq_serial`)."""
    st = _pe_stage(net, i)
    mode = requant_mode(st)
    ci, co, _, _, k, _, _, _ = mem_geometry(net, i)
    pi, po = min(par[0], ci), min(par[1], co)
    r = rq_digit(mode, m_bits(st), po, k * k * -(-ci // pi), pool_in_pe(st))
    if r == 0:
        return 0.0 if mode is Requant.SHIFT else COEF["rq_lane"] * po
    cells = COEF["rq_serial"] + COEF["rq_hold_bit"] * po * (st.acc_bits + 1)
    if mode is Requant.EXACT:
        cells += COEF["rq_exact"]
    return cells + (0.0 if mode is Requant.SHIFT else COEF["rq_digit_bit"] * r)


def mem_pe_brams(net: Network, i: int, par: tuple[int, int, int]) -> int:
    """SB_RAM40_4K of memory-form PE ``i``: its ring of rows and its weight ROM."""
    # imported here: wrom sits beside this module in ir/
    from pocket_cnn.ir.wrom import blocks, wrom_in_bram

    ci, co, _, w, k, s, _, _ = mem_geometry(net, i)
    pi, po = min(par[0], ci), min(par[1], co)
    nig = -(-ci // pi)
    pow2 = lambda v: 1 << max(0, (v - 1).bit_length())  # noqa: E731
    ring = blocks(pow2(k + s) * pow2(w) * pow2(nig), pi * 8)
    words, bits = -(-co // po) * k * k * nig, pi * po * 8
    return ring + (blocks(words, bits) if wrom_in_bram(words, bits) else 0)


def _rq_lanes(net: Network, i: int, par: tuple[int, int, int]) -> int:
    """Output lanes of register-form PE ``i`` with a general (mult/exact) requantiser."""
    if requant_mode(_pe_stage(net, i)) is Requant.SHIFT:
        return 0
    return min(par[1], _pe_dims(net, i)[1])


def estimate(
    net: Network,
    par: Sequence[tuple[int, int, int]],
    dsps: int = 0,
    choice_dsp: bool = False,
    pair_dsps: bool = False,
) -> Estimate:
    """Multipliers, DSPs and logic cells of ``net`` at ``par`` on a device with ``dsps``
    DSPs (0: every multiplier in LUTs) whose yosys flow maps products with a choice of
    weights into DSPs too (``choice_dsp``: not iCE40); ``par_k`` <= 0: the memory form
    (module text). ``pair_dsps`` (iCE40): yosys maps no product into a DSP, only the
    memory form's products not in logic are DSPs, two per block (pcnn_mul_ice40)."""
    mem = [p[2] <= 0 for p in par]
    kinds = [
        "mem" if m else product_kind(_pe_dims(net, i), p)
        for i, (p, m) in enumerate(zip(par, mem, strict=True))
    ]
    prods = [p[0] * p[1] if m else pe_products(p) for p, m in zip(par, mem, strict=True)]
    if pair_dsps:
        want = float(
            sum(
                -(-n // ICE40_PRODUCTS_PER_DSP)
                for p, n, m in zip(par, prods, mem, strict=True)
                if m and p[2] == 0
            )
        )
    else:
        base_dsp = COEF["dsp_base"] if net.gap is not None or not any(mem) else 0.0
        in_dsp_kinds = ("const", "xmux", "wmux") if choice_dsp else ("const", "xmux")
        want = base_dsp + sum(
            COEF[f"dsp_{k}"] * n for k, n in zip(kinds, prods, strict=True) if k in in_dsp_kinds
        )
        want += sum(n for p, n, m in zip(par, prods, mem, strict=True) if m and p[2] == 0)
    if choice_dsp:
        want += COEF["dsp_rq_lane"] * sum(
            _rq_lanes(net, i, p) for i, (p, m) in enumerate(zip(par, mem, strict=True)) if not m
        )
    # (iCE40: some products are DSPs, and they fit)
    in_dsps = (0 < want <= dsps) if pair_dsps else want <= dsps
    # the register form's products in DSPs (never on iCE40)
    reg_dsps = in_dsps and not pair_dsps
    # every PE in the memory form, every product in logic: its own calibration (iCE40:
    # every PE in the memory form, the products in DSPs beside it)
    logic = all(m for m in mem) and (pair_dsps or not in_dsps or all(p[2] < 0 for p in par))
    cells = COEF["logic_base" if logic else "base"]
    brams = 0.0
    for i, (p, k, n, m) in enumerate(zip(par, kinds, prods, mem, strict=True)):
        if not m:
            cells += pe_cells(net, i) + product_cells(k, n, reg_dsps)
            continue
        fused = i < len(net.stages) and pool_fused(net, i, p)
        cells += mem_pe_cells(net, i, fused, logic) + mem_rq_cells(net, i, p)
        in_dsp = in_dsps and p[2] == 0
        per = "dsp_mem_cells" if in_dsp else ("logic_mem" if logic else "lut_mem")
        cells += n * COEF[per]
        brams += mem_pe_brams(net, i, p)
    if any(mem):
        brams += COEF["mem_bram_margin"]
    return Estimate(sum(prods), round(cells), in_dsps, round(want), round(brams))
