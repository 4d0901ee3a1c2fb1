"""VUnit test suites; each module defines ``add_tests(vu, rtl_lib)``."""

from __future__ import annotations

from pathlib import Path

#: Folder of the testbenches.
TB = Path(__file__).resolve().parents[1] / "tb"
#: Shared testbench files (package, stream source, stream sink), in compile order; every
#: library holding a testbench that uses them gets its own copy.
TB_COMMON = tuple(str(TB / f"pcnn_tb_{name}.vhd") for name in ("pkg", "source", "sink"))
