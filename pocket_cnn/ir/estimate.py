"""A small resource estimate of a network at a parallelism setting: multipliers and
logic cells, for choosing a setting (``--parallel auto``) that fits a device.

Multipliers: a PE at (par_in, par_out, par_k) has ``par_in * par_out * par_k`` of them
(pcnn_conv's products per clock). At one step per window the weights are constants and
the products shifts and adds in LUTs; folded, they are real multipliers: yosys puts
them into DSPs when all the products (constant ones too: yosys maps those as well)
fit the device's DSPs, else every one into LUTs (``pocket-cnn synth`` falls back to
that).

Logic cells (the count ``pocket-cnn synth`` compares with the board's ``lut`` total:
iCE40 logic cells, one LUT4 + one FF each, placed by nextpnr or yosys' LUTs plus
unpaired FFs), a sum of terms with the coefficients of :data:`COEF`, one table:

    cells = base
          + per PE: pe + window_bit * (line buffer + window register bits of its
                    window(s): R*W*C*8 + K*K*C*8, R = K+2 row slots)
          + const_product * products of PEs at one step per window (constant weights)
          + per folded product: lut_mult when the multipliers exceed the DSPs, else
                    dsp_product (its register and adder-tree share)

``products`` = par_in*par_out*par_k. A rough model: yosys narrows multipliers by the
weights' values (small weights give narrow, cheap products), so a network of small
weights takes fewer cells than estimated; the estimate assumes full 8-bit weights.
Calibrated with ``pocket-cnn synth`` of conv_3x1_1x1_max_2x2 on the iCEBreaker
(iCE40UP5K, yosys -dsp with the flow's fall-back to LUTs, placed cells where nextpnr
placed the design, else yosys LUTs + 0.65 FFs), measured points (README "Parallelism"):

    setting    cells  estimate
    1,1;1,1     2711      4929   (3 SB_MAC16: small weights, narrow products)
    1,2;1,4    ~7170      7149   (no DSPs: 12 yosys multipliers > 8)
    1,4;2,2     6726      6720
    full       ~8350      8349

To be re-calibrated when pcnn_conv or pcnn_window change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pocket_cnn.ir.network import Network

#: Cells per term of the estimate (see the module docstring).
COEF: dict[str, float] = {
    "base": 1400.0,  # gather, serializer, status counters, GAP (its divide multiplier)
    "pe": 600.0,  # window and conv control, requantiser, per PE
    "window_bit": 1.0,  # line buffer and window register bits (flip-flops on iCE40)
    "const_product": 72.0,  # a product with a constant weight (shifts and adds)
    "lut_mult": 168.0,  # a folded 8x8 product in LUT4s (+ weight choice, tree share)
    "dsp_product": 40.0,  # a folded product in a DSP: its register and tree share
}


@dataclass(frozen=True)
class Estimate:
    """Estimated multipliers and logic cells of a network at a setting."""

    multipliers: int
    cells: int
    in_dsps: bool  # every multiplier in a DSP


def pe_products(par: tuple[int, int, int]) -> int:
    """Multipliers of one PE at (par_in, par_out, par_k)."""
    return par[0] * par[1] * par[2]


def window_bits(ch: int, h: int, w: int, k: int, s: int, p: int) -> int:
    """Line buffer and window register bits of one pcnn_window (0 for the 1x1
    pass-through register's)."""
    if k == 1 and s == 1 and p == 0:
        return ch * 8
    rows = k + 2 if s == 1 or p >= k else k + 1
    return (rows * w + k * k) * ch * 8


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


def pe_steps(net: Network, i: int, par: tuple[int, int, int]) -> int:
    """Clocks per window of PE ``i`` at ``par`` (1: constant weights)."""
    if i >= len(net.stages):
        f = net.fc[i - len(net.stages)]
        ci, co, kk = f.n_in, f.n_out, 1
    else:
        st = net.stages[i]
        ci, co, kk = st.ch_in, st.ch_out, st.kernel**2
    return -(-ci // par[0]) * -(-co // par[1]) * -(-kk // par[2])


def product_cells(par: tuple[int, int, int], steps: int, in_dsps: bool) -> float:
    """Logic cells of one PE's products."""
    prod = pe_products(par)
    if steps == 1:
        return COEF["const_product"] * prod
    return (COEF["dsp_product"] if in_dsps else COEF["lut_mult"]) * prod


def estimate(net: Network, par: Sequence[tuple[int, int, int]], dsps: int = 0) -> Estimate:
    """Multipliers and logic cells of ``net`` at ``par`` on a device with ``dsps`` DSPs."""
    steps = [pe_steps(net, i, p) for i, p in enumerate(par)]
    mults = sum(pe_products(p) for p in par)
    in_dsps = mults <= dsps  # yosys maps constant-weight products into DSPs too
    cells = COEF["base"] + sum(pe_cells(net, i) for i in range(len(par)))
    cells += sum(product_cells(p, n, in_dsps) for p, n in zip(par, steps, strict=True))
    return Estimate(mults, round(cells), in_dsps)
