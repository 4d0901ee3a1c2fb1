"""What ``--parallel auto`` aims at on a board: its clock, multipliers, block RAMs and
logic cells less what the board top around the network takes."""

from __future__ import annotations

from pocket_cnn.boards.spec import Board
from pocket_cnn.errors import ModelError
from pocket_cnn.ir.auto_parallel import AutoTarget

#: logic cells auto leaves free for the board top around the network (UART, FIFOs,
#: status, PLL): about 300 measured on the iCEBreaker, plus the estimate's noise
BOARD_TOP_CELLS = 400


def auto_target(board: Board | None, rate: float | None) -> AutoTarget:
    """What ``auto`` aims at on ``board`` (None: no device) at ``rate`` images/s."""
    if rate is not None and not rate > 0:
        raise ModelError(f"must be > 0 images per second, got {rate:g}", node="--rate")
    if board is None:
        if rate is not None:
            raise ModelError("needs --board (its clock sets the clocks per image)", node="--rate")
        return AutoTarget()
    return AutoTarget(
        rate=rate,
        clock_mhz=board.clock.hz / 1e6,
        cells=board.resources.lut - BOARD_TOP_CELLS,
        dsps=board.resources.dsp,
        device=board.device,
        brams=board.resources.bram,
    )
