"""The interface to the network testbench sim/tb/pcnn_tb_net.vhd, in one place.

Its generics (file paths, image count, stall probabilities, seed), the generated
VHDL that fixes them (package ``<top>_sim_pkg`` and wrapper ``pcnn_tb_run``, for
flows that drop generics), and the parsing of its report and result file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from jinja2 import Environment, PackageLoader, StrictUndefined

from pocket_cnn.sim_data import SimFiles

#: Entity name of the network testbench (library pocket_cnn).
TB_ENTITY = "pcnn_tb_net"
#: Entity name of the generated generic-free wrapper.
TB_RUN = "pcnn_tb_run"

_ENV = Environment(
    loader=PackageLoader("pocket_cnn", "templates"),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


def _vhdl_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def tb_generics(
    files: SimFiles, stall_in: int = 0, stall_out: int = 0, seed: int = 1
) -> dict[str, str | int]:
    """Generic values of pcnn_tb_net for one run (strings are file paths)."""
    return {
        "G_INPUT_FILE": str(files.input),
        "G_EXPECTED_FILE": str(files.expected),
        "G_RESULT_FILE": str(files.result),
        "G_IMAGES": files.images,
        "G_STALL_IN": stall_in,
        "G_STALL_OUT": stall_out,
        "G_SEED": seed,
    }


def write_sim_package(files: SimFiles, outdir: Path, top: str) -> Path:
    """Write ``<top>_sim_pkg.vhd`` naming the stimuli/expected files and the geometry."""
    path = outdir / f"{top}_sim_pkg.vhd"
    quoted = {k: str(getattr(files, k)).replace('"', '""') for k in ("input", "expected", "result")}
    view = {**files.__dict__, **quoted}
    path.write_text(_ENV.get_template("fusesoc_sim_pkg.vhd.j2").render(top=top, files=view))
    return path


def write_tb_run(
    files: SimFiles, outdir: Path, top: str, stall_in: int = 0, stall_out: int = 0, seed: int = 1
) -> Path:
    """Write the wrapper ``pcnn_tb_run`` instantiating pcnn_tb_net with fixed generics."""
    exprs = {
        "G_INPUT_FILE": "C_INPUT_FILE",
        "G_EXPECTED_FILE": "C_EXPECTED_FILE",
        "G_RESULT_FILE": "C_RESULT_FILE",
        "G_IMAGES": "C_IMAGES",
    }
    generics = [
        (name, exprs.get(name, _vhdl_string(v) if isinstance(v, str) else str(v)))
        for name, v in tb_generics(files, stall_in, stall_out, seed).items()
    ]
    path = outdir / f"{TB_RUN}.vhd"
    text = _ENV.get_template("fusesoc_tb_run.vhd.j2").render(
        top=top, tb=TB_ENTITY, entity=TB_RUN, generics=generics
    )
    path.write_text(text)
    return path


@dataclass(frozen=True)
class Report:
    """What the testbench printed."""

    passed: bool
    steady: float | None  # steady-state cycles per image, if reported


_PASS = re.compile(r"\bPASS\b")
_STEADY = re.compile(r"(\d+(?:\.\d+)?)\s*cycles per image", re.IGNORECASE)


def parse_report(log: str) -> Report:
    """PASS and the steady-state cycles per image from the testbench's output."""
    steady = None
    for match in _STEADY.finditer(log):
        steady = float(match.group(1))
    return Report(passed=bool(_PASS.search(log)), steady=steady)


def read_result(path: Path) -> tuple[np.ndarray, list[int]]:
    """Output words and per-image cycle counts from the testbench's result file."""
    words: list[int] = []
    cycles: list[int] = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "cycles" and len(parts) >= 2:
            cycles.append(int(parts[-1]))
        else:
            words.append(int(parts[0]))
    return np.asarray(words, dtype=np.int64), cycles
