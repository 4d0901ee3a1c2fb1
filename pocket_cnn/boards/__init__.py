"""Boards: ``boards/<name>.yaml`` -> a checked :class:`Board`, its constraint files
(PCF, LPF, XDC, Quartus TCL + SDC), its VHDL wrapper top and the FuseSoC generator
``pocket_cnn_board_gen`` that writes them for the per-board targets of pocket_cnn.core.
"""

from pocket_cnn.boards.constraints import write_constraints
from pocket_cnn.boards.spec import Board, board_file, load_board

__all__ = ["Board", "board_file", "load_board", "write_constraints"]
