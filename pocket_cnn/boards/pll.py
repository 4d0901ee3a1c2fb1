"""The board clock PLL: divider settings for a wanted design clock, and its Verilog.

A board YAML's ``clock.target_mhz`` asks for a design clock other than the oscillator's.
The PLL settings are searched here (every legal divider combination; the achieved
frequency closest to the target without exceeding it, so the design is never clocked
faster than asked) and written as a small Verilog module ``pcnn_pll_<board>`` with ports
``clk_in``, ``clk_out`` and ``locked``, which the generated VHDL board top instantiates
as a component (yosys links the two after ``ghdl --synth``).

Legal ranges (vendor data sheets; the same ones icepll and ecppll search):

* iCE40 ``SB_PLL40_PAD``, SIMPLE feedback: PFD = f_in / (DIVR+1) in 10..133 MHz,
  VCO = PFD * (DIVF+1) in 533..1066 MHz, f_out = VCO / 2**DIVQ (DIVQ 1..6) in
  16..275 MHz; FILTER_RANGE follows from the PFD. The oscillator must be on a PLL input
  pin (the iCEBreaker's pin 35 is).
* ECP5 ``EHXPLLL``, feedback from CLKOP: f_out = f_in * CLKFB_DIV / CLKI_DIV, PFD =
  f_in / CLKI_DIV >= 3.125 MHz, VCO = f_out * CLKOP_DIV in 400..800 MHz, f_out in
  3.125..400 MHz.
"""

from __future__ import annotations

from dataclasses import dataclass

from pocket_cnn.errors import ModelError

#: families with a generated PLL
FAMILIES = ("iCE40", "ECP5")


@dataclass(frozen=True)
class Pll:
    """A PLL setting: the family's primitive parameters and the clock it gives."""

    family: str
    in_mhz: float
    out_mhz: float  # achieved
    params: tuple[tuple[str, int], ...]

    @property
    def out_hz(self) -> int:
        return round(self.out_mhz * 1e6)


def _ice40_filter(pfd: float) -> int:
    for limit, value in ((17, 1), (26, 2), (44, 3), (66, 4), (101, 5)):
        if pfd < limit:
            return value
    return 6


def ice40_pll(in_mhz: float, target_mhz: float) -> Pll | None:
    """Best SB_PLL40 SIMPLE-feedback setting for ``target_mhz`` (None: none legal)."""
    best: tuple[float, int, int, int] | None = None
    for divr in range(16):
        pfd = in_mhz / (divr + 1)
        if not 10 <= pfd <= 133:
            continue
        for divf in range(128):
            vco = pfd * (divf + 1)
            if not 533 <= vco <= 1066:
                continue
            for divq in range(1, 7):
                out = vco / 2**divq
                fits = 16 <= out <= 275 and out <= target_mhz + 1e-9
                if fits and (best is None or out > best[0] + 1e-9):
                    best = (out, divr, divf, divq)
    if best is None:
        return None
    out, divr, divf, divq = best
    params = (
        ("DIVR", divr),
        ("DIVF", divf),
        ("DIVQ", divq),
        ("FILTER_RANGE", _ice40_filter(in_mhz / (divr + 1))),
    )
    return Pll("iCE40", in_mhz, out, params)


def ecp5_pll(in_mhz: float, target_mhz: float) -> Pll | None:
    """Best EHXPLLL setting (feedback from CLKOP) for ``target_mhz`` (None: none legal)."""
    best: tuple[float, int, int, int] | None = None
    for clki in range(1, 129):
        if in_mhz / clki < 3.125:
            break
        for clkfb in range(1, 81):
            out = in_mhz * clkfb / clki
            if not 3.125 <= out <= min(400.0, target_mhz + 1e-9):
                continue
            ops = [d for d in range(1, 129) if 400 <= out * d <= 800]
            if ops and (best is None or out > best[0] + 1e-9):
                best = (out, clki, clkfb, ops[0])
    if best is None:
        return None
    out, clki, clkfb, clkop = best
    params = (
        ("CLKI_DIV", clki),
        ("CLKFB_DIV", clkfb),
        ("CLKOP_DIV", clkop),
        ("CLKOP_CPHASE", clkop // 2),
    )
    return Pll("ECP5", in_mhz, out, params)


def plan_pll(family: str, in_mhz: float, target_mhz: float, where: str) -> Pll:
    """The PLL of ``family`` for ``target_mhz``; ModelError (naming ``where``, the YAML)
    for a family without a generated PLL or a target no setting reaches."""
    finder = {"ice40": ice40_pll, "ecp5": ecp5_pll}.get(family.lower())
    if finder is None:
        raise ModelError(
            f"clock.target_mhz: a PLL is generated for {' and '.join(FAMILIES)} boards only, "
            f"not {family}; remove target_mhz (the design runs on the oscillator)",
            node=where,
        )
    pll = finder(in_mhz, target_mhz)
    if pll is None:
        raise ModelError(
            f"clock.target_mhz: no {family} PLL setting reaches {target_mhz:g} MHz or less "
            f"from {in_mhz:g} MHz; choose a target within the PLL's output range",
            node=where,
        )
    return pll


def pll_verilog(module: str, pll: Pll) -> str:
    """Verilog text of module ``module`` (ports clk_in, clk_out, locked) for ``pll``."""
    p = dict(pll.params)
    head = (
        f"// {module}: {pll.in_mhz:g} MHz -> {pll.out_mhz:.4f} MHz ({pll.family} PLL),\n"
        "// written by pocket-cnn from the board YAML's clock.target_mhz.\n"
        f"module {module} (input clk_in, output clk_out, output locked);\n"
    )
    if pll.family == "iCE40":
        body = (
            "  SB_PLL40_PAD #(\n"
            '    .FEEDBACK_PATH("SIMPLE"),\n'
            '    .PLLOUT_SELECT("GENCLK"),\n'
            f"    .DIVR(4'd{p['DIVR']}),\n"
            f"    .DIVF(7'd{p['DIVF']}),\n"
            f"    .DIVQ(3'd{p['DIVQ']}),\n"
            f"    .FILTER_RANGE(3'd{p['FILTER_RANGE']})\n"
            "  ) u_pll (\n"
            "    .PACKAGEPIN(clk_in), .PLLOUTGLOBAL(clk_out), .LOCK(locked),\n"
            "    .RESETB(1'b1), .BYPASS(1'b0)\n"
            "  );\n"
        )
    else:
        body = (
            "  wire clkop;\n"
            f'  (* FREQUENCY_PIN_CLKI="{pll.in_mhz:g}" *)\n'
            f'  (* FREQUENCY_PIN_CLKOP="{pll.out_mhz:.4f}" *)\n'
            '  (* ICP_CURRENT="12" *) (* LPF_RESISTOR="8" *) (* MFG_ENABLE_FILTEROPAMP="1" *)\n'
            '  (* MFG_GMCREF_SEL="2" *)\n'
            "  EHXPLLL #(\n"
            '    .PLLRST_ENA("DISABLED"), .INTFB_WAKE("DISABLED"), .STDBY_ENABLE("DISABLED"),\n'
            '    .DPHASE_SOURCE("DISABLED"), .OUTDIVIDER_MUXA("DIVA"),\n'
            f'    .CLKI_DIV({p["CLKI_DIV"]}), .CLKOP_ENABLE("ENABLED"),\n'
            f"    .CLKOP_DIV({p['CLKOP_DIV']}), .CLKOP_CPHASE({p['CLKOP_CPHASE']}),"
            " .CLKOP_FPHASE(0),\n"
            f'    .FEEDBK_PATH("CLKOP"), .CLKFB_DIV({p["CLKFB_DIV"]})\n'
            "  ) u_pll (\n"
            "    .RST(1'b0), .STDBY(1'b0), .CLKI(clk_in), .CLKOP(clkop), .CLKFB(clkop),\n"
            "    .PHASESEL0(1'b0), .PHASESEL1(1'b0), .PHASEDIR(1'b1), .PHASESTEP(1'b1),\n"
            "    .PHASELOADREG(1'b1), .PLLWAKESYNC(1'b0), .ENCLKOP(1'b0), .LOCK(locked)\n"
            "  );\n"
            "  assign clk_out = clkop;\n"
        )
    return head + body + "endmodule\n"
