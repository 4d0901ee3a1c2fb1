"""pcnn_window forms its check f2 ("the writer is past the column a merge would carry")
a clock ahead; after a row change that carried the merge it forms f2 only where the
first decision of the new row can look at it (``C_F2RC``: the new row's first column
``c_nx <= C_CLL + 1 - M`` reaches ``M = W + D``). This walks the window's reader
(pocket_cnn.ir.clock_model.Window, clock for clock equal to the RTL: tests/test_cycles.py)
over every small geometry with output stalls and checks that wherever such a first
decision takes the merge branch, ``C_F2RC`` holds, and that the case does occur (rows of
one or two pixels), so the condition is not vacuous.
"""

from __future__ import annotations

import itertools

from pocket_cnn.ir.clock_model import Window


def _f2rc(win: Window) -> bool:
    """rtl/pcnn_window.vhd's C_F2RC for this geometry."""
    m = win.w + win.d
    return win._real_chi(True) + 2 - m >= m


def _merge_after_row_change(win: Window, clocks: int) -> int:
    """Clocks where the first decision after a row change reads the merge branch."""
    hits = 0
    after = False
    for clk in range(clocks):
        c = win.sc + 1
        ri, (cnone, chi) = win.rinfo, win.cinfo
        merge = (
            not (ri.none or cnone)
            and win.sc != chi
            and c > win.w - 1
            and win.merge
            and c >= win.w + win.d
            and win.mgood
            and not win.ninfo.none
        )
        if after and merge:
            hits += 1
        oy = win.oy
        win.clock(True, clk % 3 != 1)
        after = win.oy != oy
    return hits


def test_f2_after_a_row_change_only_where_formed() -> None:
    seen: set[int] = set()
    sizes = range(1, 7)
    for h, w, k, s, p in itertools.product(sizes, sizes, range(1, 6), range(1, 4), range(3)):
        if s > k or h + 2 * p < k or w + 2 * p < k:
            continue  # windows that skip columns form every check the slow way
        win = Window(1, h, w, k, s, p)
        f2rc = _f2rc(win)
        if _merge_after_row_change(win, 12 * (h * w + 50)):
            assert f2rc, (h, w, k, s, p)
            seen.add(w)
    assert seen, "no geometry reads f2 right after a row change: the walk tests nothing"
