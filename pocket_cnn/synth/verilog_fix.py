"""Repair of a known GHDL 2.0 Verilog-backend bug in ``ghdl --synth --out=verilog`` netlists.

GHDL 2.0.0 (Debian 12's) writes constants that are neither all-zero nor short as VHDL bit
strings in double quotes, e.g. ``localparam [75:0] n2724_o = "0000001001...";``. In
Verilog a quoted literal is an ASCII string (8 bits per character, truncated to the
width), so every simulator and yosys read a different value than the VHDL means: the
weight and bias ROMs of a network come out wrong. Fixed upstream after 2.0 (GHDL issues
2002 and 2149). :func:`fix_bit_strings` rewrites each such literal as a sized binary
literal (``76'b0000001001...``); std_logic values map to Verilog bits (U/X/W/- -> x,
Z -> z, L -> 0, H -> 1). A netlist of a fixed GHDL has no such literal and stays as is.

GHDL also writes a port-only ``module NAME (...); endmodule`` for a component it has no
entity for (a black box, such as the board top's PLL, whose Verilog module comes from
another file): yosys then sees the module twice and stops ("Re-definition of module").
:func:`drop_black_box_stubs` removes those empty modules, so the real one is used (and a
black box nothing defines stays an error in yosys: an undefined module).

Command line (for flows that run shell steps): ``python -m pocket_cnn.synth.verilog_fix
NETLIST.v`` rewrites the file in place and prints how many literals it changed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

#: A double-quoted literal made of std_logic characters only: a bit vector, not text.
BIT_STRING = re.compile(r'"([01UXZWLH-]+)"')
_TO_VERILOG = str.maketrans("UXZWLH-", "xxzx01x")


def fix_bit_strings(text: str) -> tuple[str, int]:
    """``text`` with every quoted bit string as a sized binary literal, and their count."""

    def sized(match: re.Match[str]) -> str:
        bits = match.group(1)
        return f"{len(bits)}'b{bits.translate(_TO_VERILOG)}"

    return BIT_STRING.subn(sized, text)


#: A module with a port list and nothing else: GHDL's stub for a black-box component.
STUB = re.compile(r"^module (\w+)\n  \([^;]*\);\nendmodule\n\n?", re.MULTILINE)


def drop_black_box_stubs(text: str) -> tuple[str, list[str]]:
    """``text`` without GHDL's empty black-box modules, and their names."""
    names = STUB.findall(text)
    return STUB.sub("", text), names


def main(argv: list[str] | None = None) -> int:
    """Rewrite the netlists named on the command line in place."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m pocket_cnn.synth.verilog_fix NETLIST.v [...]", file=sys.stderr)
        return 2
    for name in args:
        path = Path(name)
        text = path.read_text()
        fixed, count = fix_bit_strings(text)
        fixed, stubs = drop_black_box_stubs(fixed)
        if fixed != text:
            path.write_text(fixed)
        print(f"pocket-cnn: {path}: {count} quoted bit-string constant(s) rewritten")
        if stubs:
            print(f"pocket-cnn: {path}: black-box stub module(s) dropped: {', '.join(stubs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
