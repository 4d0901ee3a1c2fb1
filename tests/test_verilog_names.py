"""No signal, variable or constant of the RTL is named like a Verilog keyword.

``ghdl --synth --out=verilog`` keeps VHDL names as they are, so a signal called ``buf``
(a Verilog gate primitive) makes the netlist unreadable for yosys and Icarus. The
generated tops are checked too (the default model's).
"""

from __future__ import annotations

import re
from pathlib import Path

from pocket_cnn.emit import emit
from pocket_cnn.ip import rtl_sources
from pocket_cnn.zoo import build

#: IEEE 1800-2017 (SystemVerilog, a superset of Verilog-2005) keywords that are legal
#: VHDL identifiers
_KEYWORDS = """\
accept_on alias always always_comb always_ff always_latch assert assign assume
    automatic before bind bins binsof bit break buf bufif0 bufif1 byte case casex casez
    cell chandle checker class clocking cmos config const constraint context continue
    cover covergroup coverpoint cross deassign default defparam design disable dist do
    edge else end endcase endchecker endclass endclocking endconfig endfunction
    endgenerate endgroup endinterface endmodule endpackage endprimitive endprogram
    endproperty endspecify endsequence endtable endtask enum event eventually expect
    export extends extern final first_match for force foreach forever fork forkjoin
    function generate genvar global highz0 highz1 if iff ifnone ignore_bins illegal_bins
    implements implies import incdir include initial inout input inside instance int
    integer interconnect interface intersect join join_any join_none large let liblist
    library local localparam logic longint macromodule matches medium modport module
    nand negedge nettype new nexttime nmos nor noshowcancelled not notif0 notif1 null or
    output package packed parameter pmos posedge primitive priority program property
    protected pull0 pull1 pulldown pullup pulsestyle_ondetect pulsestyle_onevent pure
    rand randc randcase randsequence rcmos real realtime ref reg reject_on release
    repeat restrict return rnmos rpmos rtran rtranif0 rtranif1 s_always s_eventually
    s_nexttime s_until s_until_with scalared sequence shortint shortreal showcancelled
    signed small soft solve specify specparam static string strong strong0 strong1
    struct super supply0 supply1 sync_accept_on sync_reject_on table tagged task this
    throughout time timeprecision timeunit tran tranif0 tranif1 tri tri0 tri1 triand
    trior trireg type typedef union unique unique0 unsigned until until_with untyped use
    uwire var vectored virtual void wait wait_order wand weak weak0 weak1 while wildcard
    wire with within wor xnor xor"""
VERILOG_KEYWORDS = frozenset(_KEYWORDS.split())
DECL = re.compile(r"^\s*(?:signal|variable|constant)\s+([\w\s,]+?)\s*:", re.I | re.M)


def declared_names(text: str) -> set[str]:
    text = re.sub(r"--.*", "", text)
    return {n.strip().lower() for m in DECL.finditer(text) for n in m.group(1).split(",")}


def test_no_verilog_keyword_names(tmp_path: Path) -> None:
    files = [p for p in rtl_sources() if p.suffix == ".vhd"]
    files += [p for p in emit(build("conv_3x1_1x1_max_2x2"), tmp_path) if p.suffix == ".vhd"]
    clashes = {
        f"{p.name}: {n}" for p in files for n in declared_names(p.read_text()) & VERILOG_KEYWORDS
    }
    assert not clashes


def test_the_check_sees_a_clash() -> None:
    assert declared_names("  signal buf, x : std_logic;\n") & VERILOG_KEYWORDS == {"buf"}
