"""Run the network testbench (sim/tb/pcnn_tb_net.vhd) in GHDL without VUnit.

Compiles the RTL of pocket_cnn.core into library ``pocket_cnn`` and the generated
network plus the testbench into library ``net`` (both in one work directory),
then runs ``pcnn_tb_net`` with the stimuli/expected files as generics and parses
its result file. Used by the throughput benchmark and available to the CLI.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pocket_cnn.corefile import ROOT, rtl_sources
from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Network

TB_FILE = ROOT / "sim" / "tb" / "pcnn_tb_net.vhd"
TB_ENTITY = "pcnn_tb_net"
GHDL_FLAGS = ["--std=08", "-frelaxed"]


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


def parse_result(path: Path) -> TbResult:
    """Parse the testbench result file (format in the header of pcnn_tb_net.vhd)."""
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


def _ghdl(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("ghdl")
    if exe is None:
        raise ModelError("ghdl not found on PATH; install GHDL (scripts/setup.sh)", node="ghdl")
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, check=False)


def compile_rtl(workdir: Path) -> None:
    """Analyse the core's RTL into library pocket_cnn under ``workdir``."""
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    files = [str(p) for p in rtl_sources()]
    proc = _ghdl(["-a", *GHDL_FLAGS, "--work=pocket_cnn", f"--workdir={workdir}", *files], workdir)
    if proc.returncode != 0:
        raise RuntimeError(f"ghdl -a of the RTL failed:\n{proc.stdout}{proc.stderr}")


def compile_net(workdir: Path, generated: Sequence[Path], lib: str = "net") -> None:
    """Analyse the generated network files and the testbench into library ``lib``."""
    workdir = workdir.resolve()
    files = [str(Path(p).resolve()) for p in generated] + [str(TB_FILE)]
    proc = _ghdl(["-a", *GHDL_FLAGS, f"--work={lib}", f"--workdir={workdir}", *files], workdir)
    if proc.returncode != 0:
        raise RuntimeError(f"ghdl -a of the network failed:\n{proc.stdout}{proc.stderr}")


def run_tb(
    workdir: Path,
    net: Network,
    inputs: Path,
    expected: Path,
    images: int,
    lib: str = "net",
    stall_in: int = 0,
    stall_out: int = 0,
    seed: int = 1,
    result: Path | None = None,
) -> TbResult:
    """Elaborate and run pcnn_tb_net; return the parsed result (raises on a GHDL error)."""
    workdir = workdir.resolve()
    result = result or workdir / f"{lib}_result.txt"
    if result.exists():
        result.unlink()
    generics = {
        "G_IN_FILE": str(inputs.resolve()),
        "G_EXP_FILE": str(expected.resolve()),
        "G_RESULT_FILE": str(result.resolve()),
        "G_IMAGES": images,
        "G_IN_WORDS": net.input_words,
        "G_OUT_WORDS": net.output_words,
        "G_STALL_IN": stall_in,
        "G_STALL_OUT": stall_out,
        "G_SEED": seed,
    }
    gargs = [f"-g{k}={v}" for k, v in generics.items()]
    proc = _ghdl(
        [
            "--elab-run",
            *GHDL_FLAGS,
            f"--work={lib}",
            f"--workdir={workdir}",
            f"-P{workdir}",
            TB_ENTITY,
            *gargs,
        ],
        workdir,
    )
    if not result.exists():
        raise RuntimeError(f"pcnn_tb_net wrote no result:\n{proc.stdout}{proc.stderr}")
    res = parse_result(result)
    if proc.returncode != 0 and res.passed:
        raise RuntimeError(f"ghdl failed after PASS:\n{proc.stdout}{proc.stderr}")
    return res


def words_array(res: TbResult) -> np.ndarray:
    """The output words as int64."""
    return np.asarray(res.words, dtype=np.int64)
