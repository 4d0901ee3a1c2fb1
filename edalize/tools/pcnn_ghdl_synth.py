"""Edalize tool plugin ``pcnn_ghdl_synth``: VHDL -> one Verilog netlist by ``ghdl --synth``.

Shipped by pocket-cnn (``edalize`` is a namespace package, so this module joins
``edalize.tools`` when the pocket-cnn checkout or distribution is on ``sys.path``).
A flow takes it as a frontend, e.g. ``flow: icestorm`` with
``flow_options: {frontends: [pcnn_ghdl_synth]}``: the VHDL files of the EDAM are
imported per library (``logical_name``) with ``ghdl -i`` (order-independent), the
top is converted with ``ghdl --synth --out=verilog`` into ``<top>_synth.v`` (constants
repaired by ``python3 -m pocket_cnn.synth.verilog_fix``, see there) and that file goes
on to yosys as ``verilogSource`` (after a small ``tclSource`` that sets
``verilog_defaults -add -nolatches``, see below); every other file passes through.

When the flow's yosys step is ``synth_ice40`` (edalize's ``synth`` procedure, icestorm),
that Tcl file also splits it at ``map_ffs`` around the ``dfflegalize`` of
:func:`pocket_cnn.synth.yosys.ice40_ff_legalize`, as ``pocket-cnn synth`` does: clock
enables and sync resets shared by a few flip-flops go into the LUTs, so the iCE40's
logic tiles (one enable and one set/reset per 8 cells) are not spent on control sets of
one or two flip-flops each. The FuseSoC builds of full UP5Ks place with it.
Before that (any family) it marks pcnn_pe_mem's ring memories as free of read-write
collisions (:data:`pocket_cnn.synth.yosys.NO_RW_CHECK`), as ``pocket-cnn synth`` does.
The netlist depends on every VHDL file, so an RTL edit rebuilds it.

Tool options (flow options of the same name):

- ``ghdl_options``: extra options for ``ghdl -i`` and ``ghdl --synth`` (default
  ``-frelaxed``); ``--std=08`` is used unless an option names another standard;
- ``ghdl_synth_options``: extra options for ``ghdl --synth`` only (``--no-formal``
  is always given: yosys rejects the ``$fatal`` that assertions become).

Generics of the EDAM (``paramtype: generic``) become ``-gNAME=VALUE``.
"""

from __future__ import annotations

from typing import Any

from edalize.tools.edatool import Edatool
from edalize.utils import EdaCommands

from pocket_cnn.synth.yosys import ICE40_SPLIT, NO_RW_CHECK, ice40_ff_legalize

_VHDL = ("vhdlSource", "vhdlSource-87", "vhdlSource-93", "vhdlSource-2008")
_WORKDIR = "ghdl_synth"
#: Sourced by yosys before it reads the netlist (a tclSource file in the EDAM).
_YOSYS_TCL = "pcnn_ghdl_synth_yosys.tcl"
# ghdl --synth writes a VHDL case over an enumeration as a Verilog case without a
# default branch (the unused codes of the state register). yosys would build latches
# (logic loops, which nextpnr rejects) for those unreachable codes; -nolatches makes
# them don't-care instead. ghdl itself refuses real latches (unless --latches), so no
# latch the VHDL asks for is lost.
_YOSYS_TCL_TEXT = f"""\
# written by the pcnn_ghdl_synth edalize plugin: unreachable case codes of the ghdl
# netlist are don't-care, not latches
verilog_defaults -add -nolatches
# edalize's synth procedure runs after the netlist is read (deferred: hierarchy builds
# the modules). The wrapper first marks pcnn_pe_mem's ring memories as free of
# read-write collisions (see pocket_cnn/synth/yosys.py); when edalize's procedure is one
# synth_ice40 command (iCE40), it runs that in two parts around a dfflegalize that keeps
# clock enables and sync resets of a few flip-flops in LUTs (control sets), else it
# calls edalize's procedure as it is
if {{[llength [info procs synth]] && ![llength [info procs pcnn_edalize_synth]]}} {{
    rename synth pcnn_edalize_synth
    proc synth {{top}} {{
        hierarchy -top $top
        {NO_RW_CHECK}
        set command [string trim [info body pcnn_edalize_synth]]
        if {{[string match "synth_ice40 *" $command]
             && [llength [split $command "\\n;"]] == 1}} {{
            eval "$command -run :{ICE40_SPLIT}"
            {ice40_ff_legalize("{}")}
            eval "$command -run {ICE40_SPLIT}:"
        }} else {{
            pcnn_edalize_synth $top
        }}
    }}
}}
"""


class Pcnn_ghdl_synth(Edatool):
    """ghdl --synth frontend: VHDL files in, one Verilog netlist out.

    Edalize finds the class as ``<module name>.capitalize()``, hence the name.
    """

    description = "VHDL to a Verilog netlist with ghdl --synth (pocket-cnn)"

    TOOL_OPTIONS = {  # noqa: RUF012 -- edalize's class attribute
        "ghdl_options": {
            "type": "str",
            "desc": "Options for ghdl -i and ghdl --synth (default -frelaxed)",
            "list": True,
        },
        "ghdl_synth_options": {
            "type": "str",
            "desc": "Extra options for ghdl --synth",
            "list": True,
        },
    }

    def _top(self, libraries: dict[str, list[str]]) -> tuple[str, str]:
        """(library, unit) of the toplevel: ``lib.unit``, or ``unit`` when one library."""
        parts = str(self.toplevel).split(".")
        if len(parts) == 2:
            return parts[0], parts[1]
        if len(parts) == 1 and len(libraries) == 1:
            return next(iter(libraries)), parts[0]
        raise RuntimeError(
            f"pcnn_ghdl_synth: toplevel '{self.toplevel}' must be LIBRARY.UNIT when the "
            f"VHDL files are in several libraries ({', '.join(sorted(libraries))})"
        )

    def setup(self, edam: dict[str, Any]) -> None:
        super().setup(edam)
        options = list(self.tool_options.get("ghdl_options", ["-frelaxed"]))
        if not any(o.startswith("--std=") for o in options):
            options.insert(0, "--std=08")
        synth_options = list(self.tool_options.get("ghdl_synth_options", []))

        libraries: dict[str, list[str]] = {}
        passed: list[dict[str, Any]] = []
        for f in self.files:
            if f.get("file_type") in _VHDL:
                libraries.setdefault(f.get("logical_name") or "work", []).append(f["name"])
            else:
                passed.append(f)
        if not libraries:
            raise RuntimeError("pcnn_ghdl_synth: no VHDL files in the EDAM")
        top_lib, top_unit = self._top(libraries)
        netlist = f"{top_unit}_synth.v"

        paths = [f"-P{_WORKDIR}/{lib}" for lib in libraries]
        commands = EdaCommands()
        imports: list[list[str]] = []
        for lib, files in libraries.items():
            work = [f"--work={lib}", f"--workdir={_WORKDIR}/{lib}"]
            imports.append(["mkdir", "-p", f"{_WORKDIR}/{lib}"])
            imports.append(["ghdl", "-i", *options, *work, *files])
        generics = [f"-g{k}={self._param_value_str(v)}" for k, v in self.generic.items()]
        top_work = [f"--work={top_lib}", f"--workdir={_WORKDIR}/{top_lib}"]
        synth = [
            "ghdl",
            "--synth",
            *options,
            *top_work,
            *paths,
            "--no-formal",
            *synth_options,
            "--out=verilog",
            *generics,
            top_unit,
            ">",
            f"{netlist}.tmp",
        ]
        # a clean import every time (ghdl -i keeps stale units), an atomic write at the end
        # analyse in dependency order (-m), else --synth finds package bodies "outdated"
        make = ["ghdl", "-m", *options, *top_work, *paths, top_unit]
        # GHDL 2.0 writes some constants (the weights) as quoted strings that Verilog reads
        # as ASCII: pocket_cnn.synth.verilog_fix rewrites them as sized binary literals
        repair = ["python3", "-m", "pocket_cnn.synth.verilog_fix", f"{netlist}.tmp"]
        steps = [
            ["rm", "-rf", _WORKDIR],
            *imports,
            make,
            synth,
            repair,
            ["mv", f"{netlist}.tmp", netlist],
        ]
        vhdl_files = [name for files in libraries.values() for name in files]
        commands.add(steps, [netlist], vhdl_files)
        commands.set_default_target(netlist)
        self.commands = commands

        self.edam = edam.copy()
        yosys_tcl = {"name": _YOSYS_TCL, "file_type": "tclSource"}
        netlist_file = {"name": netlist, "file_type": "verilogSource"}
        self.edam["files"] = [*passed, yosys_tcl, netlist_file]
        self.edam["toplevel"] = top_unit

    def write_config_files(self) -> None:
        self.update_config_file(_YOSYS_TCL, _YOSYS_TCL_TEXT)
