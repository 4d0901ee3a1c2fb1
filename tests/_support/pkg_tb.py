"""Run a generated GHDL testbench of pcnn_pkg functions on a vector file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pocket_cnn.ip import rtl_sources
from pocket_cnn.tools import GHDL_FLAGS, call, find_tool

#: the context clause every such testbench starts with
CONTEXT = """\
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use std.textio.all;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

"""


def run_pkg_tb(tmp_path: Path, tb: str, top: str, lines: list[str]) -> np.ndarray:
    """Analyse pcnn_pkg and the testbench text ``tb`` (entity ``top`` and its
    architecture, after :data:`CONTEXT`; it reads ``vectors.txt`` and writes one integer
    a line to ``results.txt``) in ``tmp_path``, run it on ``lines`` and return the
    results."""
    ghdl = find_tool("ghdl")
    (tmp_path / "tb.vhd").write_text(CONTEXT + tb)
    (tmp_path / "vectors.txt").write_text("\n".join(lines) + "\n")
    pkg = next(p for p in rtl_sources() if p.name == "pcnn_pkg.vhd")
    call([ghdl, "-a", *GHDL_FLAGS, str(pkg)], tmp_path, "GHDL analysis", 300)
    flags = [f for f in GHDL_FLAGS if not f.startswith("--work")]
    call([ghdl, "-a", *flags, "tb.vhd"], tmp_path, "GHDL analysis", 300)
    call([ghdl, "--elab-run", *flags, top], tmp_path, "GHDL run", 300)
    return np.array([int(v) for v in (tmp_path / "results.txt").read_text().split()])
