"""Boards: ``boards/<name>.yaml`` -> a checked :class:`Board` (``spec``), its constraint
files (PCF, LPF, XDC, Quartus TCL + SDC: ``constraints``), its VHDL wrapper top
(``wrapper``) and the device options of every tool (``tool_options``). The FuseSoC
generator that writes them for the board targets is :mod:`pocket_cnn.fusesoc.board_gen`.
"""

from pocket_cnn.boards.constraints import write_constraints
from pocket_cnn.boards.spec import Board, board_file, load_board

__all__ = ["Board", "board_file", "load_board", "write_constraints"]
