"""The edalize yosys flow's Tcl shape, for tests of the ``pcnn_ghdl_synth`` plugin's Tcl:
``synth`` is a procedure of edalize's synth command, the plugin's Tcl is sourced among
the files before the netlist is read, then ``synth $top``; and the cell counts of the
result."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from pocket_cnn.tools import find_tool


def cell_types(json_path: Path, module: str) -> dict[str, int]:
    """Cell type -> count in ``module`` of a yosys JSON netlist."""
    cells = json.loads(json_path.read_text())["modules"][module]["cells"]
    out: dict[str, int] = {}
    for c in cells.values():
        out[c["type"]] = out.get(c["type"], 0) + 1
    return out


def run_flow(
    workdir: Path, src: Path, top: str, synth: str, plugin_tcl: str, defer: bool = False
) -> dict[str, int]:
    """Run ``src`` through the flow's shape with ``synth`` as edalize's synth command and
    ``plugin_tcl`` sourced first (``defer``: read as edalize does, deferred); the cell
    counts of ``top``."""
    plugin = workdir / "plugin.tcl"
    plugin.write_text(plugin_tcl)
    out = workdir / "flow_out.json"
    script = workdir / "flow.tcl"
    read = f"read_verilog {{{src}}}"
    if defer:
        read = f"verilog_defaults -add -defer\n{read}\nverilog_defaults -clear"
    script.write_text(
        "yosys -import\n"
        f"proc synth {{top}} {{\n{synth} -top $top\n}}\n"
        f"proc read_files {{}} {{\nsource {{{plugin}}}\n{read}\n}}\n"
        "read_files\n"
        f"synth {top}\n"
        f"write_json {{{out}}}\n"
    )
    subprocess.run(
        [find_tool("yosys"), "-q", "-c", str(script)],
        cwd=workdir,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return cell_types(out, top)
