"""VUnit run script for every VHDL testbench (GHDL).

The RTL file list comes from pocket_cnn.core (fileset ``rtl``), never from a
second list. Test suites live in ``sim/suites/*.py``; each module has
``add_tests(vu, rtl_lib) -> None`` and adds its own testbench library and tests.
Generated stimuli go to each test's output_path (a pre_config hook).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from vunit import VUnit

SIM = Path(__file__).resolve().parent
sys.path.insert(0, str(SIM))

from pocket_cnn.ip import rtl_sources  # noqa: E402


def main() -> None:
    vu = VUnit.from_argv(compile_builtins=False)
    vu.add_vhdl_builtins()
    rtl_lib = vu.add_library("pocket_cnn")
    rtl_lib.add_source_files([str(p) for p in rtl_sources()])
    import suites

    for info in sorted(pkgutil.iter_modules(suites.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"suites.{info.name}")
        module.add_tests(vu, rtl_lib)
    vu.set_compile_option("ghdl.a_flags", ["-frelaxed"])
    vu.set_sim_option("ghdl.elab_flags", ["-frelaxed"])
    vu.set_sim_option("ghdl.sim_flags", ["--ieee-asserts=disable-at-0"])
    vu.main()


if __name__ == "__main__":
    main()
