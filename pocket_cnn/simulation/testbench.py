"""The interface to the network testbench sim/tb/pcnn_tb_net.vhd, in one place.

Its generics (file paths, image count, stall probabilities, seed), the generated
VHDL that fixes them (package ``<top>_sim_pkg`` and wrapper ``pcnn_tb_run``, for
flows that drop generics), and the reading of its result file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pocket_cnn.hdl_text import render
from pocket_cnn.simulation.stimuli import SimFiles

#: Entity name of the network testbench (library pocket_cnn).
TB_ENTITY = "pcnn_tb_net"
#: Entity name of the generated generic-free wrapper.
TB_RUN = "pcnn_tb_run"
#: The templates, as :func:`pocket_cnn.hdl_text.render` names them.
TEMPLATES = "simulation/templates"


@dataclass
class TbResult:
    """What pcnn_tb_net wrote into its result file."""

    words: list[int] = field(default_factory=list)
    #: per image: (end cycle, cycles since the previous image end or the first input word)
    images: list[tuple[int, int]] = field(default_factory=list)
    #: last image-to-image cycle difference (None with fewer than 2 images)
    steady: int | None = None
    bound: int = 0
    passed: bool = False
    reason: str = ""


def _vhdl_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def tb_generics(
    files: SimFiles, stall_in: int = 0, stall_out: int = 0, seed: int = 1
) -> dict[str, str | int]:
    """Generic values of pcnn_tb_net for one run (strings are file paths)."""
    return {
        "G_IN_FILE": str(files.input),
        "G_EXP_FILE": str(files.expected),
        "G_RESULT_FILE": str(files.result),
        "G_IMAGES": files.images,
        "G_IN_WORDS": files.in_words,
        "G_OUT_WORDS": files.out_words,
        "G_STALL_IN": stall_in,
        "G_STALL_OUT": stall_out,
        "G_SEED": seed,
    }


def write_sim_package(files: SimFiles, outdir: Path, top: str) -> Path:
    """Write ``<top>_sim_pkg.vhd`` naming the stimuli/expected files and the geometry."""
    path = outdir / f"{top}_sim_pkg.vhd"
    quoted = {k: str(getattr(files, k)).replace('"', '""') for k in ("input", "expected")}
    # the result goes to the simulator's working directory, not next to the cached inputs
    quoted["result"] = files.result.name.replace('"', '""')
    view = {**files.__dict__, **quoted}
    path.write_text(render(f"{TEMPLATES}/fusesoc_sim_pkg.vhd.j2", top=top, files=view))
    return path


def write_tb_run(
    files: SimFiles, outdir: Path, top: str, stall_in: int = 0, stall_out: int = 0, seed: int = 1
) -> Path:
    """Write the wrapper ``pcnn_tb_run`` instantiating pcnn_tb_net with fixed generics."""
    exprs = {
        "G_IN_FILE": "C_INPUT_FILE",
        "G_EXP_FILE": "C_EXPECTED_FILE",
        "G_RESULT_FILE": "C_RESULT_FILE",
        "G_IMAGES": "C_IMAGES",
        "G_IN_WORDS": "C_IN_WORDS",
        "G_OUT_WORDS": "C_OUT_WORDS",
    }
    generics = [
        (name, exprs.get(name, _vhdl_string(v) if isinstance(v, str) else str(v)))
        for name, v in tb_generics(files, stall_in, stall_out, seed).items()
    ]
    path = outdir / f"{TB_RUN}.vhd"
    text = render(
        f"{TEMPLATES}/fusesoc_tb_run.vhd.j2",
        top=top,
        tb=TB_ENTITY,
        entity=TB_RUN,
        generics=generics,
    )
    path.write_text(text)
    return path


def read_result(path: Path) -> TbResult:
    """The testbench's result file (format: header of sim/tb/pcnn_tb_net.vhd)."""
    res = TbResult()
    for line in path.read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        key = parts[0]
        if key == "word":
            res.words.append(int(parts[1]))
        elif key == "image":
            res.images.append((int(parts[2]), int(parts[3])))
        elif key == "steady":
            steady = int(parts[1])
            res.steady = steady if steady >= 0 else None
            res.bound = int(parts[2])
        elif key == "status":
            res.passed = parts[1] == "PASS"
            res.reason = " ".join(parts[2:])
    return res
