"""The RTL requantiser (``pcnn_pkg.pcnn_requant_mult``) against the Python integer
emulation of onnxruntime (``pocket_cnn.ir.requant``), on adversarial accumulators.

A generated GHDL testbench reads (acc, m, s, exact, zp) vectors from a file, calls the
package function and writes its result; the expected values come from
:func:`requantize_exact` (exact mode: float32 of the accumulator, float32 of the
product, round half to even) and :func:`requantize_single` (one rounding). The vectors
put the scaled value on and next to ties at every bit position, push the accumulator
above 2**24 (where float32 rounds it) and into saturation, for 32- and 20-bit
accumulators (the narrow one takes the no-rounding path of ``pcnn_round_f32``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _support.pkg_tb import run_pkg_tb

from pocket_cnn.ir.requant import Mantissa, mantissa, requantize_exact, requantize_single

TB = """\
entity tb_requant is
end entity tb_requant;

architecture sim of tb_requant is
begin
  process
    file fin  : text open read_mode is "vectors.txt";
    file fout : text open write_mode is "results.txt";
    variable li, lo : line;
    variable acc, m, s, ex, zp : integer;
    variable y : signed(7 downto 0);
  begin
    while not endfile(fin) loop
      readline(fin, li);
      read(li, acc); read(li, m); read(li, s); read(li, ex); read(li, zp);
      y := pcnn_requant_mult(to_signed(acc, {width}), m, s, ex = 1, -128 - zp, 127 - zp, zp);
      write(lo, to_integer(y));
      writeline(fout, lo);
    end loop;
    wait;
  end process;
end architecture sim;
"""


def vectors(width: int, seed: int) -> tuple[np.ndarray, Mantissa]:
    """Accumulators and per-vector (m, s) for ``width``-bit accumulators."""
    rng = np.random.default_rng(seed)
    lim = (1 << (width - 1)) - 1
    accs: list[int] = []
    mults: list[float] = []
    for _ in range(60):
        # multipliers as a conv's: 1e-6 .. 0.5 (log-uniform), float32
        mult = float(np.float32(np.exp(rng.uniform(np.log(1e-6), np.log(0.5)))))
        for k in rng.integers(-130, 131, 6):
            centre = (int(k) + 0.5) / mult  # the scaled value on a tie
            for d in (-2, -1, 0, 1, 2):
                accs.append(int(np.clip(round(centre) + d, -lim, lim)))
                mults.append(mult)
        for a in rng.integers(-lim, lim + 1, 8):  # anywhere, mostly saturating or > 2**24
            accs.append(int(a))
            mults.append(mult)
    mant = mantissa(np.array(mults, np.float32))
    return np.array(accs, np.int64), mant


def run_tb(tmp_path: Path, width: int, acc: np.ndarray, mant: Mantissa, exact: bool, zp: int):
    lines = [
        f"{a} {m} {s} {int(exact)} {zp}"
        for a, m, s in zip(acc.tolist(), mant.m.tolist(), mant.s.tolist(), strict=True)
    ]
    return run_pkg_tb(tmp_path, TB.format(width=width), "tb_requant", lines)


@pytest.mark.requires_tools("ghdl")
@pytest.mark.parametrize("width", [32, 20])
@pytest.mark.parametrize("exact", [True, False])
def test_rtl_requant_equals_emulation(tmp_path: Path, width: int, exact: bool) -> None:
    acc, mant = vectors(width, seed=width)
    zp = -7 if exact else 12
    got = run_tb(tmp_path, width, acc, mant, exact, zp)
    fn = requantize_exact if exact else requantize_single
    want = np.array(
        [
            int(fn(np.array([a]), Mantissa(m=np.array([m]), s=np.array([s])), zp, -128, 127, 0)[0])
            for a, m, s in zip(acc.tolist(), mant.m.tolist(), mant.s.tolist(), strict=True)
        ]
    )
    assert got.shape == want.shape
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, [(int(acc[i]), int(got[i]), int(want[i])) for i in bad[:5]]
    # the vectors reach both clamps and values in between
    assert want.min() == -128 and want.max() == 127 and np.unique(want).size > 100
