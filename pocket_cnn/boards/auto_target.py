"""What ``--parallel auto`` aims at on a board: its clock, multipliers, block RAMs and
logic cells less what the board top around the network takes."""

from __future__ import annotations

from pocket_cnn.boards.spec import Board
from pocket_cnn.errors import ModelError
from pocket_cnn.ir.auto_parallel import AutoTarget

#: logic cells auto leaves free for the board top around the network (UART, FIFOs,
#: status, PLL): about 300 measured on the iCEBreaker, plus the estimate's noise
BOARD_TOP_CELLS = 400

#: most logic cells (by the estimate) auto fills on a big device. The estimate is
#: calibrated on UP5K-sized designs and misjudges big register-form ones (zoo
#: lenet_mnist8 at 1,1,13;1,2,25;1,1 on the ECP5: 8,556 estimated, 12,714 LUT4 + 13,958 FF
#: from yosys, and nextpnr-ecp5 over 10 minutes): auto stays in the range where it holds
#: and synthesis takes minutes; an explicit --parallel may go further
AUTO_MAX_CELLS = 6_000

#: share of the device's logic cells (less the board top) auto fills by the estimate: the
#: estimate was low by up to 10 % on the iCE40 with every multiplier in LUTs
#: (conv_3x2_1x1_max_2x1 at 1,2,3;1,3: 5,332 cells placed on the UP5K, 2026-12-05)
AUTO_FILL = 0.85

#: the same for the memory-window form with its products in logic, whose estimate has a
#: calibration of its own (pocket_cnn.ir.estimate: within -8 / +14 % of 24 placed
#: designs): an estimate at the limit placed 8 % over still leaves the board top its cells
AUTO_FILL_MEM = 0.92


def auto_target(board: Board | None, rate: float | None) -> AutoTarget:
    """What ``auto`` aims at on ``board`` (None: no device) at ``rate`` images/s."""
    if rate is not None and not rate > 0:
        raise ModelError(f"must be > 0 images per second, got {rate:g}", node="--rate")
    if board is None:
        if rate is not None:
            raise ModelError("needs --board (its clock sets the clocks per image)", node="--rate")
        return AutoTarget()
    cells = int((board.resources.lut - BOARD_TOP_CELLS) * AUTO_FILL)
    mem_cells = int((board.resources.lut - BOARD_TOP_CELLS) * AUTO_FILL_MEM)
    capped = cells > AUTO_MAX_CELLS
    return AutoTarget(
        rate=rate,
        clock_mhz=board.clock.hz / 1e6,
        cells=min(cells, AUTO_MAX_CELLS),
        mem_cells=min(mem_cells, AUTO_MAX_CELLS),
        # iCE40: the flow maps no multiplier into a DSP (pocket_cnn.synth.yosys: no -dsp);
        # the memory form's products not in logic are SB_MAC16s, two per block
        dsps=board.resources.dsp,
        device=f"{board.device} (auto's cap: {AUTO_MAX_CELLS:,} cells)" if capped else board.device,
        brams=board.resources.bram,
        choice_dsp=board.family != "iCE40",
        dsp_pairs=board.family == "iCE40",
    )
