"""The FuseSoC generator ``pocket_cnn_board_gen`` (run by generators/pocket_cnn_board_gen.py).

FuseSoC runs it per board target with the parameter ``board: <name>`` (and optionally
``argmax: true``: the board answers with the class index; the network generator then
needs ``argmax: true`` too, which the board top checks when it is elaborated); it reads
``<files_root>/boards/<name>.yaml`` and writes, in the working directory:

- the board's constraint file(s) (:mod:`pocket_cnn.boards.constraints`),
- the VHDL wrapper top ``pcnn_board_<name>`` (:mod:`pocket_cnn.boards.wrapper`) and,
  when the YAML sets ``clock.target_mhz``, its PLL ``pcnn_pll_<name>.v``
  (:mod:`pocket_cnn.boards.pll`),
- a CAPI=2 core whose ``default`` target lists them and carries the device options
  (:mod:`pocket_cnn.boards.tool_options`), which FuseSoC merges into the calling target.

The generator is declared without a cache (it takes well under a second), so an edit
of the board YAML is always seen. Bad input exits 2 with one line on stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pocket_cnn.boards.constraints import write_constraints
from pocket_cnn.boards.spec import Board, board_file, load_board
from pocket_cnn.boards.tool_options import target_options
from pocket_cnn.boards.wrapper import write_pll, write_wrapper
from pocket_cnn.errors import ModelError
from pocket_cnn.fusesoc import gapi

#: Folder of the board YAML files, relative to the core that declares the generator.
BOARDS_DIR = "boards"
#: file types of the board top's HDL (the wrapper, and the PLL's Verilog if any)
HDL_TYPES = ("vhdlSource-2008", "verilogSource")
#: the generator's parameters
KNOWN = ("argmax", "board")


def _params(data: dict[str, Any], input_yml: Path) -> dict[str, Any]:
    params = data.get("parameters") or {}
    if not isinstance(params, dict):
        raise ModelError("parameters must be a mapping", node=str(input_yml))
    unknown = sorted(set(params) - set(KNOWN))
    if unknown:
        raise ModelError(
            f"unknown generator parameter(s) {', '.join(unknown)}; known: {', '.join(KNOWN)}",
            node="pocket_cnn_board_gen",
        )
    return params


def _argmax_param(params: dict[str, Any]) -> bool:
    argmax = params.get("argmax", False)
    if not isinstance(argmax, bool):
        raise ModelError(
            f"must be true or false (the network generator needs the same), got {argmax!r}",
            node="argmax",
        )
    return argmax


def _board_param(params: dict[str, Any]) -> str:
    name = params.get("board")
    if not isinstance(name, str):
        raise ModelError(
            f"needs the parameter board: NAME (a file boards/NAME.yaml), got {name!r}",
            node="pocket_cnn_board_gen",
        )
    return name


def board_core(
    vlnv: str, board: Board, files: list[tuple[Path, str]], root: Path, files_root: Path
) -> str:
    """The CAPI=2 core text for the generated files (paths relative to ``root``);
    ``files_root`` is the folder of the calling core (for the launcher script)."""
    hdl = [(p, t) for p, t in files if t in HDL_TYPES]
    constraints = [(p, t) for p, t in files if t not in HDL_TYPES]
    target: dict[str, Any] = {"filesets": ["board_top", "constraints"]}
    target |= target_options(board, files_root)
    data = {
        "name": vlnv,
        "description": f"pocket-cnn board {board.name}: {board.description}",
        "filesets": {
            "board_top": {
                "files": [{str(p.relative_to(root)): {"file_type": t}} for p, t in hdl],
                "logical_name": "pocket_cnn",
            },
            "constraints": {
                "files": [{str(p.relative_to(root)): {"file_type": t}} for p, t in constraints]
            },
        },
        "targets": {"default": target},
    }
    return "CAPI=2:\n" + yaml.safe_dump(data, sort_keys=False)


def generate(input_yml: Path, outdir: Path) -> list[Path]:
    """Run the generator for one FuseSoC input file; returns the files written."""
    data = gapi.read_input(input_yml)
    files_root = Path(data.get("files_root") or ".")
    params = _params(data, input_yml)
    argmax = _argmax_param(params)
    board = load_board(board_file(files_root / BOARDS_DIR, _board_param(params)))
    files = [(write_wrapper(board, outdir, argmax), "vhdlSource-2008")]
    pll = write_pll(board, outdir)
    if pll is not None:
        files.append((pll, "verilogSource"))
    files += write_constraints(board, outdir)
    core = outdir / f"{board.top}.core"
    core.write_text(board_core(str(data["vlnv"]), board, files, outdir, files_root))
    return [p for p, _ in files] + [core]


def main(argv: list[str] | None = None) -> int:
    """Entry point of generators/pocket_cnn_board_gen.py: exit 0, or 2 with one line on stderr."""
    return gapi.run(generate, "pocket_cnn_board_gen.py", argv, "board files")
