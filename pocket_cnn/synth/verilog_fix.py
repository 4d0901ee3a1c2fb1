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

GHDL 2.0 writes the string generics of a black box as bit vectors, 8 bits per
character (``.REG_OUTPUT_CLK(32'b0100...)`` for ``"CLK0"``); a vendor cell reads its
parameter as text, so nextpnr would see a number. :func:`fix_cell_strings` turns those
of the vendor cells in :data:`STRING_CELLS` (pcnn_mul_ecp5's MULT18X18D) back into
Verilog strings.

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


#: Vendor cells instantiated as black boxes whose parameters are all text.
STRING_CELLS = ("MULT18X18D",)
#: A black-box instance's parameter list: ``CELL #(`` ... ``)`` before the instance name.
_CELL_PARAMS = re.compile(r"^(\s*)(" + "|".join(STRING_CELLS) + r") #\((.*?)\)\n", re.M | re.S)
#: One parameter of a bit-vector value.
_BIT_PARAM = re.compile(r"\.(\w+)\((\d+)'b([01]+)\)")


def _as_text(match: re.Match[str]) -> str:
    width, bits = int(match.group(2)), match.group(3)
    if width % 8 or len(bits) != width:
        return match.group(0)
    chars = [chr(int(bits[i : i + 8], 2)) for i in range(0, width, 8)]
    text = "".join(chars)
    if not all(c.isalnum() or c == "_" for c in text):
        return match.group(0)
    return f'.{match.group(1)}("{text}")'


def fix_cell_strings(text: str) -> tuple[str, int]:
    """``text`` with the bit-vector parameters of :data:`STRING_CELLS` instances as
    Verilog strings, and the count of instances changed."""
    count = 0

    def params(match: re.Match[str]) -> str:
        nonlocal count
        body = _BIT_PARAM.sub(_as_text, match.group(3))
        count += body != match.group(3)
        return f"{match.group(1)}{match.group(2)} #({body})\n"

    return _CELL_PARAMS.sub(params, text), count


#: A module with a port list and nothing else: GHDL's stub for a black-box component.
STUB = re.compile(
    r"^module (\w+)\n(?:  #\(parameter[^;()]*\)\n)?  \([^;]*\);\nendmodule\n\n?", re.MULTILINE
)


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
        fixed, cells = fix_cell_strings(fixed)
        fixed, stubs = drop_black_box_stubs(fixed)
        if fixed != text:
            path.write_text(fixed)
        print(f"pocket-cnn: {path}: {count} quoted bit-string constant(s) rewritten")
        if cells:
            print(f"pocket-cnn: {path}: string parameters of {cells} vendor cell(s) restored")
        if stubs:
            print(f"pocket-cnn: {path}: black-box stub module(s) dropped: {', '.join(stubs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
