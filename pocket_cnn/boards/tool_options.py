"""Tool options that follow from a board's device: nextpnr flags, Vivado part, Quartus device.

The one route from a board YAML to every tool: :func:`nextpnr_device` gives the nextpnr
device flags both to the FuseSoC board targets (:func:`target_options`, which go into
the generated board core's ``default`` target and so into the EDAM of the calling
target) and to ``pocket-cnn synth`` (:mod:`pocket_cnn.synth.pnr`). The device is named
once: in the board YAML.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pocket_cnn.boards.spec import Board
from pocket_cnn.errors import ModelError

#: Script edalize puts in front of every command (maps ECP5 tools to YoWASP builds).
LAUNCHER = Path("scripts") / "pcnn_launcher.sh"
#: iCE40 part -> nextpnr-ice40 device flag: ``iCE40UP5K`` -> ``--up5k``.
_ICE40 = re.compile(r"iCE40(LP|HX|UP|U)(\d+K)", re.IGNORECASE)
#: ECP5 part -> nextpnr-ecp5 device flag: ``LFE5U-85F`` -> ``--85k``, ``LFE5UM-45F`` ->
#: ``--um-45k``.
_ECP5 = re.compile(r"LFE5(U|UM|UM5G)-(12|25|45|85)F", re.IGNORECASE)


def _fail(board: Board, key: str, message: str) -> ModelError:
    return ModelError(f"{key}: {message}", node=str(board.path))


def nextpnr_ice40(board: Board) -> list[str]:
    """``--up5k --package sg48`` from device ``iCE40UP5K`` and package ``SG48``."""
    match = _ICE40.fullmatch(board.device)
    if not match:
        raise _fail(board, "device", f"'{board.device}' is not an iCE40 part such as iCE40UP5K")
    device = f"--{match.group(1)}{match.group(2)}".lower()
    return [device, "--package", board.package.lower()]


def nextpnr_ecp5(board: Board) -> list[str]:
    """``--85k --package CABGA381 --speed 6`` from ``LFE5U-85F``, ``CABGA381``, grade 6."""
    match = _ECP5.fullmatch(board.device)
    if not match:
        raise _fail(board, "device", f"'{board.device}' is not an ECP5 part such as LFE5U-85F")
    kind = {"U": "", "UM": "um-", "UM5G": "um5g-"}[match.group(1).upper()]
    flags = [f"--{kind}{match.group(2)}k", "--package", board.package.upper()]
    if board.speed_grade is not None:
        flags += ["--speed", board.speed_grade]
    return flags


#: Toolchain -> its nextpnr device flags.
_NEXTPNR = {"icestorm": nextpnr_ice40, "trellis": nextpnr_ecp5}


def nextpnr_device(board: Board) -> list[str]:
    """The nextpnr device flags of the board (part, package, speed grade); boards whose
    toolchain has no nextpnr -> ModelError naming the file."""
    flags = _NEXTPNR.get(board.toolchain)
    if flags is None:
        raise _fail(board, "toolchain", f"{board.toolchain} does not place with nextpnr")
    return flags(board)


def vivado_part(board: Board) -> str:
    """The Vivado part name ``xc7a35ticsg324-1L``: device ``xc7a35ti`` (Vivado's DEVICE
    property), package ``csg324``, speed grade ``1L``."""
    if board.speed_grade is None:
        raise _fail(board, "speed_grade", "Vivado part names need a speed grade, e.g. 1L")
    return f"{board.device}{board.package}-{board.speed_grade}"


def target_options(board: Board, files_root: Path) -> dict[str, Any]:
    """The ``default`` target entries (flow_options / tools) for the board's toolchain."""
    if board.toolchain == "icestorm":
        return {"flow_options": {"nextpnr_options": nextpnr_device(board)}}
    if board.toolchain == "trellis":
        launcher = f"EDALIZE_LAUNCHER={(files_root / LAUNCHER).resolve()}"
        return {
            "flow_options": {
                "nextpnr_options": nextpnr_device(board),
                "flow_make_options": [launcher],
            }
        }
    if board.toolchain == "vivado":
        return {"flow_options": {"part": vivado_part(board)}}
    return {"tools": {"quartus": {"family": board.family, "device": board.device}}}
