"""The FuseSoC generator ``pocket_cnn_gen`` (run by generators/pocket_cnn_gen.py).

FuseSoC runs the generator with one argument, the path of ``<instance>_input.yml``
(keys ``files_root``, ``gapi``, ``parameters``, ``vlnv``), in the output directory.
Parameters (see README "Use from FuseSoC"):

- ``model``: ONNX file, relative to the calling core (``files_root``) or absolute;
- ``zoo``: instead of ``model``, a zoo model name (``NAME`` or ``NAME:SEED``);
- ``top``: entity name of the network top (default ``pcnn_net``);
- ``parallel``: ``auto`` (default: per PE the fewest multipliers that keep up with the
  input port, or ``rate``), ``full`` or a list of ``[par_in, par_out(, par_k)]`` per PE;
- ``board``: a board name (``boards/NAME.yaml`` next to the calling core, else the
  IP's): ``auto`` stays within its device and ``rate`` is at its clock; on an ECP5 board
  the products are ECP5 blocks with their own registers (``pcnn_mul_ecp5``; with
  ``testbench`` the block's simulation model is written too), on an iCE40 board the
  logic form (a folded conv's products as two registered half products);
- ``rate``: with ``auto`` and ``board``, images per second to reach;
- ``argmax``: ``true`` ends the network with the class index (pcnn_argmax): one byte per
  image (per pixel of a map), the index of the largest output channel (default false);
- ``testbench``: also write seeded stimuli, the reference's expected outputs, a VHDL
  package ``<top>_sim_pkg`` naming them and, for top ``pcnn_net``, a copy of the
  network testbench sim/tb/pcnn_tb_net.vhd and its generic-free wrapper ``pcnn_tb_run``;
- ``images``, ``seed``, ``stall_in``, ``stall_out``, ``tb_seed``: the testbench's image
  count, image seed and random stall probabilities (percent) and their seed.

The generator writes the VHDL of the network plus a ``CAPI=2`` core describing it.
Bad input exits with code 2 and the CLI's one-line message on stderr.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pocket_cnn.boards.auto_target import auto_target
from pocket_cnn.boards.spec import Board, find_board, load_board
from pocket_cnn.emit import emit
from pocket_cnn.errors import ModelError
from pocket_cnn.fusesoc import gapi
from pocket_cnn.fusesoc.board_gen import BOARDS_DIR
from pocket_cnn.fusesoc.capi import core_text
from pocket_cnn.ip import fileset
from pocket_cnn.ir import Network
from pocket_cnn.ir.auto_parallel import AutoTarget
from pocket_cnn.ir.parallel import parse_parallel, resolve_parallel
from pocket_cnn.loader import load
from pocket_cnn.reference import run
from pocket_cnn.simulation.stimuli import SimFiles, random_images, write_sim_files
from pocket_cnn.simulation.testbench import write_sim_package, write_tb_run
from pocket_cnn.synth.yosys import FAMILIES

#: Top entity the shared network testbench instantiates.
TB_TOP = "pcnn_net"

_KNOWN = {
    "model",
    "zoo",
    "top",
    "parallel",
    "board",
    "rate",
    "argmax",
    "testbench",
    "images",
    "seed",
    "stall_in",
    "stall_out",
    "tb_seed",
}


@dataclass(frozen=True)
class GenParams:
    """Validated generator parameters."""

    model: str | None = None
    zoo: str | None = None
    top: str = TB_TOP
    parallel: list[tuple[int, ...]] | str | None = "auto"
    board: str | None = None
    rate: float | None = None
    argmax: bool = False
    testbench: bool = False
    images: int = 4
    seed: int = 0
    stall_in: int = 0
    stall_out: int = 0
    tb_seed: int = 1


def _int_param(params: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ModelError(f"must be an integer in {lo}..{hi}, got {value!r}", node=key)
    return value


def parse_params(params: dict[str, Any] | None) -> GenParams:
    """Check the generator parameters; unknown or malformed ones -> ModelError."""
    params = dict(params or {})
    unknown = sorted(set(params) - _KNOWN)
    if unknown:
        raise ModelError(
            f"unknown generator parameter(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(_KNOWN))}",
            node="pocket_cnn_gen",
        )
    model, zoo = params.get("model"), params.get("zoo")
    if (model is None) == (zoo is None):
        raise ModelError(
            "give exactly one of 'model' (ONNX path relative to the core) or 'zoo' (zoo name)",
            node="pocket_cnn_gen",
        )
    top = params.get("top", TB_TOP)
    if not isinstance(top, str):
        raise ModelError(f"must be a VHDL identifier, got {top!r}", node="top")
    board = params.get("board")
    if board is not None and not isinstance(board, str):
        raise ModelError(f"must be a board name (boards/NAME.yaml), got {board!r}", node="board")
    rate = params.get("rate")
    if rate is not None and (
        isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0
    ):
        raise ModelError(f"must be a number of images per second > 0, got {rate!r}", node="rate")
    testbench = params.get("testbench", False)
    if not isinstance(testbench, bool):
        raise ModelError(f"must be true or false, got {testbench!r}", node="testbench")
    argmax = params.get("argmax", False)
    if not isinstance(argmax, bool):
        raise ModelError(f"must be true or false, got {argmax!r}", node="argmax")
    return GenParams(
        model=None if model is None else str(model),
        zoo=None if zoo is None else str(zoo),
        top=top,
        parallel=parse_parallel(params.get("parallel", "auto")),
        board=board,
        rate=None if rate is None else float(rate),
        argmax=argmax,
        testbench=testbench,
        images=_int_param(params, "images", 4, 1, 100000),
        seed=_int_param(params, "seed", 0, 0, 2**31 - 1),
        stall_in=_int_param(params, "stall_in", 0, 0, 99),
        stall_out=_int_param(params, "stall_out", 0, 0, 99),
        tb_seed=_int_param(params, "tb_seed", 1, 1, 2**31 - 1),
    )


def _board(p: GenParams, files_root: Path) -> Board | None:
    """The board named by ``board`` (the calling core's boards/NAME.yaml, else the IP's)."""
    if p.board is None:
        return None
    local = files_root / BOARDS_DIR / f"{p.board}.yaml"
    return load_board(local) if local.is_file() else find_board(p.board)


def _target(p: GenParams, board: Board | None) -> AutoTarget:
    """What ``parallel: auto`` aims at: the board's device and clock, ``rate``."""
    if board is None:
        if p.rate is not None:
            raise ModelError("needs the parameter board (its clock)", node="rate")
        return AutoTarget()
    # the one mapping board -> target, shared with ``check`` / ``synth --board``: the
    # device's logic cells, DSPs and block RAMs and the clock
    return auto_target(board, p.rate)


def _dsp(board: Board | None) -> str:
    """The products' form for the board's open-source flow (ECP5: blocks with their own
    registers, iCE40: logic, as ``pocket-cnn synth`` emits them); inferred without a
    board."""
    family = FAMILIES.get(board.toolchain) if board is not None else None
    return family.dsp_form if family is not None else "infer"


def write_testbench(net: Network, outdir: Path, p: GenParams) -> tuple[SimFiles, list[Path]]:
    """Stimuli, expected words, the sim package and (top pcnn_net) the testbench + wrapper."""
    x = random_images(net, p.images, p.seed)
    files = write_sim_files(net, x, run(net, x), outdir, stem=p.top)
    vhdl = [write_sim_package(files, outdir, p.top)]
    if p.top == TB_TOP:
        # a copy of the network testbench, so user cores need only the IP's default target
        for src in fileset("tb"):
            vhdl.append(outdir / src.name)
            shutil.copyfile(src, vhdl[-1])
        vhdl.append(
            write_tb_run(
                files,
                outdir,
                top=p.top,
                stall_in=p.stall_in,
                stall_out=p.stall_out,
                seed=p.tb_seed,
            )
        )
    return files, vhdl


def generate(input_yml: Path, outdir: Path) -> list[Path]:
    """Run the generator for one FuseSoC input file; returns the files written."""
    data = gapi.read_input(input_yml)
    params = parse_params(data.get("parameters"))
    files_root = Path(data.get("files_root") or ".")
    model = f"zoo:{params.zoo}" if params.zoo is not None else str(params.model)
    net = load(model, files_root)
    if params.argmax:
        net = net.with_argmax()
    board = _board(params, files_root)
    par = resolve_parallel(net, params.parallel, _target(params, board))
    if par.note:
        print(f"pocket_cnn_gen.py: {par.note}", file=sys.stderr)
    on = f" on {params.board}" if params.board is not None else ""
    print(f"pocket_cnn_gen.py: parallelism{on}: {par}", file=sys.stderr)
    dsp = _dsp(board)
    rtl = emit(net, outdir, params.top, par, dsp=dsp)
    sim: list[Path] = []
    if params.testbench:
        _, sim = write_testbench(net, outdir, params)
        if dsp == "ecp5":  # the vendor cells' models, for a GHDL run of this network
            for src in fileset("sim_models"):
                sim.insert(0, outdir / src.name)
                shutil.copyfile(src, sim[0])
    core = outdir / f"{params.top}_gen.core"
    core.write_text(core_text(str(data["vlnv"]), rtl, sim, outdir))
    return [*rtl, *sim, core]


def main(argv: list[str] | None = None) -> int:
    """Entry point of generators/pocket_cnn_gen.py: exit 0, or 2 with one line on stderr."""
    return gapi.run(generate, "pocket_cnn_gen.py", argv, "generated")
