"""Constraint files from a :class:`~pocket_cnn.boards.spec.Board`: the only place pins go.

PCF (iCE40, nextpnr), LPF (ECP5, nextpnr), XDC (Vivado), Quartus TCL pin assignments
plus an SDC clock. Port names are those of the generated wrapper top
(:mod:`pocket_cnn.boards.wrapper`): ``clk``, ``rst_btn``, ``uart_rx``, ``uart_tx``,
``leds[i]``.
"""

from __future__ import annotations

from pathlib import Path

from pocket_cnn.boards.spec import Board
from pocket_cnn.errors import ModelError

#: toolchain -> [(file suffix, FuseSoC file type)], in the order they are written.
FILE_TYPES: dict[str, list[tuple[str, str]]] = {
    "icestorm": [(".pcf", "PCF")],
    "trellis": [(".lpf", "LPF")],
    "vivado": [(".xdc", "xdc")],
    "quartus": [("_pins.tcl", "tclSource"), (".sdc", "SDC")],
}


def _header(board: Board, comment: str) -> str:
    return (
        f"{comment} {board.name}: written by pocket-cnn from {board.path.name}; "
        f"edit the YAML, not this file.\n"
    )


def _period_ns(board: Board) -> str:
    return f"{1e3 / (board.clock.osc_hz / 1e6):.3f}"


def pcf(board: Board) -> str:
    """nextpnr-ice40 PCF: one ``set_io`` per port, the clock's ``set_frequency``."""
    if board.reset.pull == "down":
        raise ModelError(
            "reset.pull: iCE40 I/Os have no pull-down; use up or none", str(board.path)
        )
    lines = [_header(board, "#").rstrip()]
    for port, pin in board.pins().items():
        pull = " -pullup yes" if port == "rst_btn" and board.reset.pull == "up" else ""
        lines.append(f"set_io -nowarn{pull} {port} {pin}")
    lines.append(f"set_frequency clk {board.clock.osc_hz / 1e6:g}")
    if board.clock.pll is not None:  # the PLL's output, the design clock
        lines.append(f"set_frequency clk_core {board.clock.hz / 1e6:g}")
    return "\n".join(lines) + "\n"


def lpf(board: Board) -> str:
    """nextpnr-ecp5 LPF: ``LOCATE`` + ``IOBUF`` per port, ``FREQUENCY`` of the clock."""
    io = f" IO_TYPE={board.io_standard}" if board.io_standard else ""
    lines = [_header(board, "#").rstrip()]
    for port, pin in board.pins().items():
        pull = ""
        if port == "rst_btn" and board.reset.pull is not None:
            pull = f" PULLMODE={board.reset.pull.upper()}"
        lines.append(f'LOCATE COMP "{port}" SITE "{pin}";')
        lines.append(f'IOBUF PORT "{port}"{pull}{io};')
    lines.append(f'FREQUENCY PORT "clk" {board.clock.osc_hz / 1e6:g} MHZ;')
    if board.clock.pll is not None:  # the PLL's output, the design clock
        lines.append(f'FREQUENCY NET "clk_core" {board.clock.hz / 1e6:g} MHZ;')
    return "\n".join(lines) + "\n"


def xdc(board: Board) -> str:
    """Vivado XDC: ``PACKAGE_PIN`` + ``IOSTANDARD`` per port, ``create_clock`` on clk."""
    lines = [_header(board, "#").rstrip()]
    for port, pin in board.pins().items():
        lines.append(
            f"set_property -dict {{ PACKAGE_PIN {pin} IOSTANDARD {board.io_standard} }} "
            f"[get_ports {{ {port} }}]"
        )
    if board.reset.pull is not None and board.reset.pull != "none":
        lines.append(f"set_property PULL{board.reset.pull.upper()} true [get_ports {{ rst_btn }}]")
    lines.append(f"create_clock -add -name clk -period {_period_ns(board)} [get_ports {{ clk }}]")
    return "\n".join(lines) + "\n"


def quartus_pins(board: Board) -> str:
    """Quartus TCL: ``set_location_assignment`` + ``IO_STANDARD`` per port."""
    lines = [_header(board, "#").rstrip()]
    for port, pin in board.pins().items():
        lines.append(f"set_location_assignment PIN_{pin} -to {port}")
        lines.append(f'set_instance_assignment -name IO_STANDARD "{board.io_standard}" -to {port}')
    if board.reset.pull == "up":
        lines.append("set_instance_assignment -name WEAK_PULL_UP_RESISTOR ON -to rst_btn")
    return "\n".join(lines) + "\n"


def sdc(board: Board) -> str:
    """Timing constraints for Quartus: the board clock."""
    return (
        _header(board, "#")
        + f"create_clock -name clk -period {_period_ns(board)} [get_ports {{clk}}]\n"
        + "derive_clock_uncertainty\n"
    )


_WRITERS = {".pcf": pcf, ".lpf": lpf, ".xdc": xdc, "_pins.tcl": quartus_pins, ".sdc": sdc}


def write_constraints(board: Board, outdir: Path) -> list[tuple[Path, str]]:
    """Write the board's constraint file(s) into ``outdir``: [(path, FuseSoC file type)]."""
    written = []
    for suffix, file_type in FILE_TYPES[board.toolchain]:
        path = outdir / f"{board.name}{suffix}"
        path.write_text(_WRITERS[suffix](board))
        written.append((path, file_type))
    return written
