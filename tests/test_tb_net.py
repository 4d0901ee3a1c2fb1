"""The network testbench itself: passes on the reference, pinpoints a wrong word.

Runs sim/tb/pcnn_tb_net.vhd in GHDL (pocket_cnn.vhdl.ghdl_run) on a small zoo model:
with the reference's words it must PASS and report every word; with one expected
word changed it must FAIL naming that image and word.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from pocket_cnn import reference, sim_data
from pocket_cnn.vhdl import emit
from pocket_cnn.vhdl.ghdl_run import compile_net, compile_rtl, run_tb
from pocket_cnn.zoo import build

pytestmark = pytest.mark.skipif(shutil.which("ghdl") is None, reason="ghdl not installed")
MODEL = "conv_3x1_1x1_max_2x2_colored_input"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, np.ndarray]:
    work = tmp_path_factory.mktemp("tbnet")
    net = build(MODEL)
    compile_rtl(work)
    compile_net(work, emit(net, work / "gen"))
    x = sim_data.random_images(net, 3, seed=5)
    sim_data.write_words(work / "in.txt", sim_data.to_words(x))
    return work, x, sim_data.to_words(reference.run(net, x))


def test_pass_with_stalls(setup: tuple[Path, np.ndarray, np.ndarray]) -> None:
    work, _, want = setup
    sim_data.write_words(work / "exp.txt", want)
    net = build(MODEL)
    res = run_tb(work, net, work / "in.txt", work / "exp.txt", 3, stall_in=25, stall_out=25)
    assert res.passed, res.reason
    assert res.words == [int(v) for v in want]
    assert len(res.images) == 3
    assert res.steady is not None and res.bound == net.input_words


def test_fail_names_the_word(setup: tuple[Path, np.ndarray, np.ndarray]) -> None:
    work, _, want = setup
    net = build(MODEL)
    bad = want.copy()
    pos = net.output_words + 3  # image 1, word 3
    bad[pos] = bad[pos] + 1 if bad[pos] < 127 else bad[pos] - 1
    sim_data.write_words(work / "bad.txt", bad)
    res = run_tb(work, net, work / "in.txt", work / "bad.txt", 3)
    assert not res.passed
    assert "image 1 word 3" in res.reason
    assert f"got {int(want[pos])}" in res.reason
