"""The generated VHDL in GHDL equals the Python reference bit for bit.

Every zoo model and >= 30 seeded random networks covering every layer option run
through pocket_cnn.simulation.ghdl (the network testbench sim/tb/pcnn_tb_net.vhd), some
with random input gaps and output backpressure. The RTL is analysed once per
session (worker); each model analyses only its generated files. Also the
`pocket-cnn simulate` command: output file, progress, cycles, errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest

from pocket_cnn import zoo
from pocket_cnn.cli.main import main as cli_main
from pocket_cnn.ir import KERNELS, PADS, POOL_KERNELS, POOL_STRIDES, STRIDES, Activation, Network
from pocket_cnn.reference import run
from pocket_cnn.simulation import ghdl as ghdl_sim
from pocket_cnn.simulation.stimuli import random_images

pytestmark = pytest.mark.requires_tools("ghdl")

N_RANDOM = 32


def features(net: Network) -> set[tuple[str, object]]:
    """The layer options a network uses."""
    out: set[tuple[str, object]] = {
        ("input_signed", net.input_signed),
        ("gap", net.gap is not None),
        ("layers", len(net.stages)),
    }
    for st in net.stages:
        out |= {("kernel", st.kernel), ("stride", st.stride), ("pad", st.pad)}
        out |= {("act", st.activation), ("shift_positive", st.shift > 0)}
        out.add(("pool", None if st.pool is None else (st.pool.kernel, st.pool.stride)))
    return out


def all_features() -> set[tuple[str, object]]:
    """Every option the IR offers (and random_network draws)."""
    want: set[tuple[str, object]] = {("input_signed", b) for b in (False, True)}
    want |= {("gap", b) for b in (False, True)} | {("shift_positive", b) for b in (False, True)}
    want |= {("kernel", k) for k in KERNELS} | {("stride", s) for s in STRIDES}
    # tables (any 8-bit function) have no hardware yet: the random nets are power-of-two
    acts = {a for a in Activation if a is not Activation.TABLE}
    want |= {("pad", p) for p in PADS} | {("act", a) for a in acts}
    want |= {("pool", (k, s)) for k in POOL_KERNELS for s in POOL_STRIDES} | {("pool", None)}
    want |= {("layers", n) for n in (1, 2, 3, 4)}
    return want


def covering_seeds(base: int = N_RANDOM, limit: int = 2000) -> list[int]:
    """Seeds 0..base-1, plus the first further seeds adding an option not yet covered."""
    seeds = list(range(base))
    seen: set[tuple[str, object]] = set()
    for s in seeds:
        seen |= features(zoo.random_network(s))
    missing = all_features() - seen
    for s in range(base, limit):
        if not missing:
            break
        new = features(zoo.random_network(s)) & missing
        if new:
            seeds.append(s)
            missing -= new
    return seeds


SEEDS = covering_seeds()


@pytest.fixture(scope="session")
def rtl_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One analysed RTL library per test session (per xdist worker)."""
    cache = tmp_path_factory.mktemp("ghdl_rtl")
    ghdl_sim.rtl_library(cache)
    return cache


def check_bit_exact(
    net: Network, workdir: Path, cache: Path, images: int, stalls: Iterable[int] = (0, 0)
) -> ghdl_sim.SimResult:
    stall_in, stall_out = stalls
    x = random_images(net, images, seed=7)
    expected = run(net, x)
    ghdl_sim.prepare(net, workdir, cache=cache)
    res = ghdl_sim.run_prepared(net, workdir, x, expected, stall_in, stall_out, seed=3)
    assert res.outputs.dtype == np.int8
    assert res.outputs.shape == expected.shape
    np.testing.assert_array_equal(res.outputs, expected)
    assert res.passed, res.reason
    assert len(res.cycles) == images
    return res


def test_random_seeds_cover_every_option() -> None:
    covered: set[tuple[str, object]] = set()
    for s in SEEDS:
        covered |= features(zoo.random_network(s))
    assert all_features() - covered == set()
    assert len(SEEDS) >= 30


@pytest.mark.parametrize("name", sorted(zoo.ZOO))
def test_zoo_model_bit_exact(name: str, tmp_path: Path, rtl_cache: Path) -> None:
    index = sorted(zoo.ZOO).index(name)
    stalls = (25, 25) if index % 2 else (0, 0)
    res = check_bit_exact(zoo.build(name), tmp_path, rtl_cache, images=3, stalls=stalls)
    assert res.steady is not None and res.steady >= res.bound


@pytest.mark.parametrize("seed", SEEDS)
def test_random_network_bit_exact(seed: int, tmp_path: Path, rtl_cache: Path) -> None:
    stalls = (30, 20) if seed % 3 == 0 else (0, 0)
    check_bit_exact(zoo.random_network(seed), tmp_path, rtl_cache, images=2, stalls=stalls)


def test_mismatch_is_reported(tmp_path: Path, rtl_cache: Path) -> None:
    """The check can fail: a wrong expected word gives passed=False and the first mismatch."""
    net = zoo.build("conv_3x1_1x1_max_2x2")
    x = random_images(net, 2, seed=1)
    wrong = run(net, x).copy()
    wrong[1, 3] = wrong[1, 3] + 1 if wrong[1, 3] < 127 else 0
    ghdl_sim.prepare(net, tmp_path, cache=rtl_cache)
    res = ghdl_sim.run_prepared(net, tmp_path, x, wrong)
    assert not res.passed
    assert "mismatch at image 1 word 3" in res.reason
    np.testing.assert_array_equal(res.outputs, run(net, x))


def test_first_mismatch_names_image_word_values_cycle(tmp_path: Path, rtl_cache: Path) -> None:
    """Over chunks: the message names the image among all images, the word, the expected
    and the got value and the cycle the word left the core."""
    net = zoo.build("conv_3x1_1x1_max_2x2")
    x = random_images(net, 4, seed=3)
    want = run(net, x)
    wrong = want.copy()
    wrong[3, 5] = wrong[3, 5] + 1 if wrong[3, 5] < 127 else 0
    ghdl_sim.prepare(net, tmp_path, cache=rtl_cache)
    parts = [
        ghdl_sim.run_prepared(net, tmp_path, x[i : i + 2], wrong[i : i + 2], stem=f"c{i}")
        for i in (0, 2)
    ]
    sim = ghdl_sim.SimRun(np.concatenate([p.outputs for p in parts]), wrong, parts)
    assert sim.bad_images == 1
    msg = sim.first_mismatch()
    got, exp = int(want[3, 5].reshape(-1)[0]), int(wrong[3, 5].reshape(-1)[0])
    assert msg.startswith(f"image 3 word 5: expected {exp}, got {got} (left the core at cycle ")
    cycle = int(msg.split("cycle ")[1].split()[0])
    # image 1 of its run: after the first result, before two images' worth of input + latency
    assert net.input_words < cycle < 20 * net.input_words


def test_cli_simulate_wave(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--wave writes a waveform GTKWave opens (VCD here: the network's ports are in it)."""
    model = _zoo_onnx(tmp_path, "conv_3x1_1x1_max_2x2")
    net = zoo.build("conv_3x1_1x1_max_2x2")
    np.save(tmp_path / "in.npy", random_images(net, 3, seed=4))
    wave = tmp_path / "w" / "run.vcd"
    args = ["simulate", str(model), str(tmp_path / "in.npy"), "-o", str(tmp_path / "o.npy")]
    assert cli_main([*args, "--chunk", "1", "--wave", str(wave)]) == 0
    text = wave.read_text()
    assert "$enddefinitions" in text and "s_axis_tvalid" in text and "m_axis_tdata" in text
    assert cli_main([*args, "--wave", str(tmp_path / "run.txt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("pocket-cnn: error:") and ".ghw, .vcd or .fst" in err


def _zoo_onnx(folder: Path, name: str) -> Path:
    path = folder / f"{name}.onnx"
    assert cli_main(["zoo", name, "-o", str(path)]) == 0
    return path


def test_cli_simulate_chunks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _zoo_onnx(tmp_path, "conv_3x1_1x1_max_2x2_leaky_relu")
    net = zoo.build("conv_3x1_1x1_max_2x2_leaky_relu")
    x = random_images(net, 5, seed=11)
    np.save(tmp_path / "in.npy", x)
    out = tmp_path / "out.npy"
    args = ["simulate", str(model), str(tmp_path / "in.npy"), "-o", str(out), "--chunk", "2"]
    assert cli_main(args) == 0
    captured = capsys.readouterr()
    assert "simulated 5/5 images" in captured.err
    assert f"bound {net.input_words}" in captured.out
    y = np.load(out)
    assert y.dtype == np.int8
    np.testing.assert_array_equal(y, run(net, x))
    # the same layout as `pocket-cnn reference`
    ref = tmp_path / "ref.npy"
    assert cli_main(["reference", str(model), str(tmp_path / "in.npy"), "-o", str(ref)]) == 0
    np.testing.assert_array_equal(y, np.load(ref))


def test_cli_simulate_partial_parallel(tmp_path: Path) -> None:
    model = _zoo_onnx(tmp_path, "conv_3x1_1x1_max_2x2")
    net = zoo.build("conv_3x1_1x1_max_2x2")
    x = random_images(net, 3, seed=2)
    np.save(tmp_path / "in.npy", x)
    out = tmp_path / "out.npy"
    args = ["simulate", str(model), str(tmp_path / "in.npy"), "-o", str(out)]
    assert cli_main([*args, "--parallel", "1,1;2,4", "--stall-in", "20", "--stall-out", "20"]) == 0
    np.testing.assert_array_equal(np.load(out), run(net, x))


def test_cli_simulate_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _zoo_onnx(tmp_path, "conv_3x1_1x1_max_2x2")
    np.save(tmp_path / "in.npy", np.zeros((2, 1, 6, 6), dtype=np.int8))  # model wants uint8
    out = tmp_path / "out.npy"
    assert cli_main(["simulate", str(model), str(tmp_path / "in.npy"), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("pocket-cnn: error:") and "\n" not in err and "uint8" in err
    assert not out.exists()


def test_cli_simulate_without_ghdl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _zoo_onnx(tmp_path, "conv_3x1_1x1_max_2x2")
    np.save(tmp_path / "in.npy", np.zeros((1, 1, 6, 6), dtype=np.uint8))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "out.npy"
    assert cli_main(["simulate", str(model), str(tmp_path / "in.npy"), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("pocket-cnn: error:") and "\n" not in err and "GHDL" in err
    assert not out.exists()
