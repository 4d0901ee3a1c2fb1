"""A small resource estimate of a network at a parallelism setting: multipliers and
logic cells, for choosing a setting (``--parallel auto``) that fits a device.

Multipliers: a PE at (par_in, par_out, par_k) has ``par_in * par_out * par_k`` of them
(pcnn_conv's products per clock). yosys puts every multiplier into a DSP when they all
fit the device's DSPs, else every one into LUTs (``pocket-cnn synth`` falls back to
that): :func:`estimate` adds ``COEF["lut_mult"]`` cells per multiplier in the second case.

Logic cells (the placed count ``pocket-cnn synth`` compares with the board's ``lut``
total; iCE40 logic cells, one LUT4 + one FF each), a sum of terms with the
coefficients of :data:`COEF`, one table:

    cells = base
          + per PE: pe + window_byte * (K*K*Cin) + out_byte * Cout
                    + product * products + folded * products * ceil(log2(steps))
          + lut_mult * multipliers (when they do not all fit the DSPs)

``products`` = par_in*par_out*par_k, ``steps`` = clocks per window (1 at full
parallelism, where the weights are constants). Calibrated with ``pocket-cnn synth`` on
the iCEBreaker (iCE40UP5K, yosys -dsp, nextpnr placed cells) for the default zoo model
and conv_2x_3x1_1x1_max_2x2 (README "Parallelism"); to be re-calibrated when pcnn_conv
or pcnn_window change (tests/test_auto_parallel.py holds the measured points).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pocket_cnn.ir.network import Network

#: Cells per term of the estimate (see the module docstring).
COEF: dict[str, float] = {
    "base": 300.0,  # gather, serializer, status counters, GAP
    "pe": 250.0,  # window and conv control per PE
    "window_byte": 12.0,  # window register + padding mask + slot choice, per byte
    "out_byte": 10.0,  # output assembly and requantiser per output channel
    "product": 20.0,  # adder tree and accumulator per product
    "folded": 8.0,  # weight choice per product and log2(steps) when folded
    "lut_mult": 70.0,  # an 8x8 multiplier in LUT4s
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


def pe_cells(ch_in: int, ch_out: int, kk: int, par: tuple[int, int, int]) -> float:
    """Logic cells of one PE (without multipliers in LUTs)."""
    pi, po, pk = par
    steps = -(-ch_in // pi) * -(-ch_out // po) * -(-kk // pk)
    prod = pe_products(par)
    cells = COEF["pe"] + COEF["window_byte"] * kk * ch_in + COEF["out_byte"] * ch_out
    cells += COEF["product"] * prod
    if steps > 1:
        cells += COEF["folded"] * prod * math.ceil(math.log2(steps))
    return cells


def estimate(net: Network, par: Sequence[tuple[int, int, int]], dsps: int = 0) -> Estimate:
    """Multipliers and logic cells of ``net`` at ``par`` on a device with ``dsps`` DSPs."""
    dims = [(st.ch_in, st.ch_out, st.kernel**2) for st in net.stages]
    dims += [(f.n_in, f.n_out, 1) for f in net.fc]
    mults = sum(pe_products(p) for p in par)
    cells = COEF["base"] + sum(pe_cells(*d, p) for d, p in zip(dims, par, strict=True))
    in_dsps = mults <= dsps
    if not in_dsps:
        cells += COEF["lut_mult"] * mults
    return Estimate(mults, round(cells), in_dsps)
