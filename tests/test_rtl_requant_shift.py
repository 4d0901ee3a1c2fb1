"""The shift-mode requantiser of pcnn_conv (``pcnn_pkg.pcnn_requant_act_h``: the
accumulator already holds the rounding half, a tie clears the LSB) against the Python
reference (``rne_shift``, saturation, ``reference.integer.activate``).

A generated GHDL testbench reads (acc, shift, act) vectors, adds 2**(shift-1) to the
accumulator as pcnn_conv's bias ROM does and writes the function's result. The vectors
sit on and next to every tie at every shift, at the int8 bounds and their ties (127.5,
-128.5), and deep in saturation, for a narrow and a wide accumulator.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _support.pkg_tb import run_pkg_tb

from pocket_cnn.ir.network import Activation
from pocket_cnn.ir.numerics import rne_shift
from pocket_cnn.reference.integer import activate

TB = """\
entity tb_requant_h is
end entity tb_requant_h;

architecture sim of tb_requant_h is
begin
  process
    file fin  : text open read_mode is "vectors.txt";
    file fout : text open write_mode is "results.txt";
    variable li, lo   : line;
    variable acc, s, a : integer;
    variable act      : pcnn_act_t;
    variable y        : signed(7 downto 0);
  begin
    while not endfile(fin) loop
      readline(fin, li);
      read(li, acc); read(li, s); read(li, a);
      act := pcnn_act_t'val(a);
      y := pcnn_requant_act_h(to_signed(acc + 2 ** (s - 1), {width}), s, act);
      write(lo, to_integer(y));
      writeline(fout, lo);
    end loop;
    wait;
  end process;
end architecture sim;
"""

#: pcnn_act_t positions
ACTS = {Activation.NONE: 0, Activation.RELU: 1, Activation.LEAKY: 2}


def vectors(width: int, seed: int) -> list[tuple[int, int, Activation]]:
    """(acc, shift, act) with acc + 2**(shift-1) inside ``width`` signed bits."""
    rng = np.random.default_rng(seed)
    out: list[tuple[int, int, Activation]] = []
    for s in range(1, width - 7):
        lim = (1 << (width - 1)) - 1 - (1 << (s - 1))
        lo = -(1 << (width - 1))
        centres = [-129, -128, -127, -2, -1, 0, 1, 2, 126, 127, 128]
        centres += [int(k) for k in rng.integers(-128, 128, 6)]
        for act in ACTS:
            for k in centres:
                tie = (2 * k + 1) << (s - 1)  # (k + 0.5) * 2**s
                for d in (-2, -1, 0, 1, 2):
                    a = (k << s) + d if d in (-2, 2) else tie + d
                    out.append((int(np.clip(a, lo, lim)), s, act))
            for a in rng.integers(lo, lim + 1, 6):
                out.append((int(a), s, act))
            out.extend([(lo, s, act), (lim, s, act)])
    return out


def run_tb(tmp_path: Path, width: int, vecs: list[tuple[int, int, Activation]]) -> np.ndarray:
    lines = [f"{a} {s} {ACTS[act]}" for a, s, act in vecs]
    return run_pkg_tb(tmp_path, TB.format(width=width), "tb_requant_h", lines)


@pytest.mark.requires_tools("ghdl")
@pytest.mark.parametrize("width", [12, 22])
def test_rtl_requant_shift_equals_reference(tmp_path: Path, width: int) -> None:
    vecs = vectors(width, seed=width)
    got = run_tb(tmp_path, width, vecs)
    want = np.array(
        [
            int(activate(np.clip(rne_shift(np.array([a]), s), -128, 127), act)[0])
            for a, s, act in vecs
        ]
    )
    assert got.shape == want.shape
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, [(vecs[i], int(got[i]), int(want[i])) for i in bad[:5]]
    # ties were hit both ways, and both bounds
    assert want.min() == -128 and want.max() == 127
