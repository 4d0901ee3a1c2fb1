"""The network as one Verilog netlist: emit the VHDL, ``ghdl -a``, ``ghdl --synth``.

The one place that turns a network into the netlist the open-source flows and the
netlist simulation use. The RTL comes from the ``rtl`` fileset of pocket_cnn.core, the
network's own files from :func:`pocket_cnn.emit.emit`; both are analysed into library
``pocket_cnn`` in ``<workdir>/ghdl`` and the top is converted with
``ghdl --synth --std=08 -frelaxed --no-formal --work=pocket_cnn --out=verilog TOP``
(``--no-formal``: assertions would become ``$fatal``, which yosys rejects). GHDL 2.0 writes
wide constants as quoted strings, which Verilog reads as ASCII: they are rewritten as
binary literals (:mod:`pocket_cnn.synth.verilog_fix`) and the count noted in the log. The
tools' output goes to ``ghdl_analyse.log`` and ``ghdl_synth.log`` in ``workdir``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from pocket_cnn.atomic import write_atomic
from pocket_cnn.emit import emit
from pocket_cnn.errors import ModelError
from pocket_cnn.ip import rtl_sources
from pocket_cnn.ir import Network
from pocket_cnn.ir.parallel import PeParallel
from pocket_cnn.synth.verilog_fix import drop_black_box_stubs, fix_bit_strings, fix_cell_strings
from pocket_cnn.tools import GHDL_FLAGS, call, find_tool

SYNTH_FLAGS = ["--no-formal", "--out=verilog"]
ANALYSE_LOG = "ghdl_analyse.log"
SYNTH_LOG = "ghdl_synth.log"
#: GHDL 2.0's Verilog for the clock edge of a memory write port: a constant, never written.
DROPPED_EDGE = re.compile(r"= 1'b[01]; // (?:posedge|negedge)")
#: Seconds each GHDL step may take by default.
DEFAULT_TIMEOUT = 1200.0


def synth_netlist(
    net: Network,
    workdir: str | Path,
    top: str = "pcnn_net",
    parallel: PeParallel | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    dsp: str = "infer",
    repair: bool = True,
) -> Path:
    """Write ``net`` as the Verilog netlist ``<workdir>/<top>.v`` and return its path.

    ``parallel`` resolved by the caller (None: full); ``timeout`` in seconds per GHDL
    step. A failing or hanging GHDL raises ModelError with the tool's first telling line.
    ``repair=False`` keeps GHDL's quoted-string constants (to show the bug; never for use).
    ``dsp``: the products' form (:data:`pocket_cnn.emit.vhdl.DSP_FORMS`; ``ecp5`` for
    the ECP5 flow only).
    """
    exe = find_tool("ghdl")
    work = Path(workdir).resolve()
    lib = work / "ghdl"
    if lib.exists():
        shutil.rmtree(lib)  # a stale library index would hide a removed unit
    lib.mkdir(parents=True)
    generated = emit(net, work / "vhdl", top=top, parallel=parallel, dsp=dsp)
    sources = [str(p.resolve()) for p in [*rtl_sources(), *generated]]
    flags = [*GHDL_FLAGS, f"--workdir={lib}"]
    call([exe, "-a", *flags, *sources], work, "GHDL analysis", timeout, work / ANALYSE_LOG)
    text = call(
        [exe, "--synth", *flags, *SYNTH_FLAGS, top],
        work,
        f"ghdl --synth of {top}",
        timeout,
        work / SYNTH_LOG,
    )
    if not re.search(rf"^module\s+{re.escape(top)}\b", text, re.MULTILINE | re.IGNORECASE):
        raise ModelError(
            f"ghdl --synth wrote no module {top} (log {work / SYNTH_LOG})", node="ghdl"
        )
    text, fixed = fix_bit_strings(text) if repair else (text, 0)
    # the ECP5 product blocks (pcnn_mul_ecp5): their text parameters, and no stub module
    # of them (yosys' ecp5 library has the cell)
    text, _ = fix_cell_strings(text)
    text, _ = drop_black_box_stubs(text)
    if fixed:
        with (work / SYNTH_LOG).open("a") as log:
            log.write(
                f"pocket-cnn warning: {fixed} constant(s) written by GHDL as quoted strings "
                "(read as ASCII by Verilog tools) rewritten as binary literals\n"
            )
    return write_atomic(work / f"{top}.v", text.encode())


def netlist_notes(netlist: Path) -> list[str]:
    """Warnings of the GHDL synthesis next to ``netlist`` and constructs yosys rejects."""
    notes: list[str] = []
    log = netlist.parent / SYNTH_LOG
    if log.is_file():
        notes += [
            ln.strip()
            for ln in log.read_text().splitlines()
            if "warning" in ln.lower() or "latch" in ln.lower()
        ]
    text = netlist.read_text()
    if re.search(r"(?<![0-9])0'b", text):
        notes.append("zero-width constant 0'b in the Verilog netlist (yosys rejects it)")
    if "$fatal" in text:
        notes.append("$fatal in the Verilog netlist (yosys rejects it)")
    if DROPPED_EDGE.search(text):
        notes.append(
            "clock edge written as constant 0 in the Verilog netlist: GHDL 2.0 drops the write "
            "port of an array assigned at a variable index (use constant indices in the RTL)"
        )
    return notes
