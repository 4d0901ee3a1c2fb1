"""The per-board VHDL top ``pcnn_board_<name>``: fixes pcnn_board_uart's generics from the YAML.

A wrapper, rather than FuseSoC parameters, because Edalize flows drop VHDL generics for
some tools; the generics are then plain VHDL every tool reads the same way. Its ports
are the names the constraint files use: ``clk``, ``rst_btn``, ``uart_rx``, ``uart_tx``,
``leds(N-1 downto 0)`` (N = the YAML's LED count, 1 to 4).
"""

from __future__ import annotations

from pathlib import Path

from pocket_cnn.boards.pll import pll_verilog
from pocket_cnn.boards.spec import Board
from pocket_cnn.hdl_text import render

#: The wrapper's template, as :func:`pocket_cnn.hdl_text.render` names it.
TEMPLATE = "boards/templates/board_wrapper.vhd.j2"


def _active_level(active_low: bool) -> str:
    """VHDL literal of the level a pressed button / lit LED has."""
    return "'0'" if active_low else "'1'"


def wrapper_vhdl(board: Board, argmax: bool = False) -> str:
    """VHDL-2008 text of entity ``board.top`` (library of pcnn_board_uart); ``argmax``:
    the board answers with the class (pcnn_board_uart's G_ARGMAX, which needs a network
    generated with argmax)."""
    return render(
        TEMPLATE,
        top=board.top,
        board=board,
        yaml_name=board.path.name,
        leds=len(board.leds.pins),
        rst="low" if board.reset.active_low else "high",
        led="low" if board.leds.active_low else "high",
        rst_level=_active_level(board.reset.active_low),
        led_level=_active_level(board.leds.active_low),
        pll=board.clock.pll,
        pll_module=pll_module(board),
        argmax="true" if argmax else "false",
    )


def pll_module(board: Board) -> str:
    """Name of the board's PLL module (used only when the YAML asks for a PLL)."""
    return f"pcnn_pll_{board.name}"


def write_pll(board: Board, outdir: Path) -> Path | None:
    """Write ``<outdir>/pcnn_pll_<name>.v`` when the board has a PLL; returns its path."""
    if board.clock.pll is None:
        return None
    path = outdir / f"{pll_module(board)}.v"
    path.write_text(pll_verilog(pll_module(board), board.clock.pll))
    return path


def write_wrapper(board: Board, outdir: Path, argmax: bool = False) -> Path:
    """Write ``<outdir>/pcnn_board_<name>.vhd``; returns its path."""
    path = outdir / f"{board.top}.vhd"
    path.write_text(wrapper_vhdl(board, argmax))
    return path
