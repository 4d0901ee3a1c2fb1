"""The network testbench itself: passes on the reference, pinpoints a wrong word.

Runs sim/tb/pcnn_tb_net.vhd in GHDL (pocket_cnn.simulation.ghdl) on a small zoo model:
with the reference's words it must PASS and report every word; with one expected
word changed it must FAIL naming that image and word.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pocket_cnn import reference
from pocket_cnn.simulation import ghdl as ghdl_sim
from pocket_cnn.simulation import stimuli as sim_data
from pocket_cnn.zoo import build

pytestmark = pytest.mark.requires_tools("ghdl")
MODEL = "conv_3x1_1x1_max_2x2_colored_input"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, np.ndarray]:
    work = tmp_path_factory.mktemp("tbnet")
    ghdl_sim.prepare(build(MODEL), work, cache=tmp_path_factory.mktemp("ghdl_rtl"))
    x = sim_data.random_images(build(MODEL), 3, seed=5)
    return work, x, reference.run(build(MODEL), x)


def test_pass_with_stalls(setup: tuple[Path, np.ndarray, np.ndarray]) -> None:
    work, x, want = setup
    net = build(MODEL)
    res = ghdl_sim.run_prepared(net, work, x, want, stall_in=25, stall_out=25)
    assert res.passed, res.reason
    np.testing.assert_array_equal(res.outputs, want)
    assert len(res.cycles) == 3
    assert res.steady is not None and res.bound == net.input_words


def test_fail_names_the_word(setup: tuple[Path, np.ndarray, np.ndarray]) -> None:
    work, x, want = setup
    net = build(MODEL)
    words = sim_data.to_words(want)
    pos = net.output_words + 3  # image 1, word 3
    bad = words.copy()
    bad[pos] = bad[pos] + 1 if bad[pos] < 127 else bad[pos] - 1
    res = ghdl_sim.run_prepared(
        net, work, x, sim_data.from_words(bad, net.output_shape, 3), stem="bad"
    )
    assert not res.passed
    assert "image 1 word 3" in res.reason
    assert f"got {int(words[pos])}" in res.reason
    np.testing.assert_array_equal(res.outputs, want)
