"""A real package: the wheel, installed into a fresh venv outside the checkout, does
everything a user needs, and its IP copy is a complete FuseSoC library.

The wheel is built from the checkout (no build isolation: setuptools and pyyaml come
from the dev venv); the fresh venv gets the wheel and its declared dependencies from
the package index (or pip's cache). FuseSoC itself is the dev venv's, with the fresh
venv first on PATH, so the generator runs on the installed copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from _support.fusesoc import FuseSoC

from pocket_cnn import __version__, reference, zoo
from pocket_cnn.ip import ROOT, fileset

MODEL = "conv_3x1_1x1_max_2x2"
pytestmark = pytest.mark.requires_tools("ghdl")


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> str:
    proc = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, f"{' '.join(args)}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


#: Not part of a source tree (setuptools' own build/ would land in the checkout otherwise).
SKIP = shutil.ignore_patterns(
    ".git", ".venv", "build", "vunit_out", "*.egg-info", "__pycache__", ".*_cache"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src") / "pocket-cnn"
    shutil.copytree(ROOT, src, ignore=SKIP)
    out = tmp_path_factory.mktemp("dist")
    env = {**os.environ}
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(src),
        ],
        src,
        env,
    )
    (path,) = out.glob("pocket_cnn-*.whl")
    return path


def test_wheel_carries_the_ip(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert f"pocket_cnn-{__version__}.dist-info/METADATA" in names
    assert "pocket_cnn/_ip/pocket_cnn.core" in names
    assert "pocket_cnn/_ip/generators/pocket_cnn_gen.py" in names
    for name in ("rtl", "tb"):
        for src in fileset(name):
            assert f"pocket_cnn/_ip/{src.relative_to(ROOT).as_posix()}" in names
    for name in ("board",):
        for src in fileset(name):
            assert f"pocket_cnn/_ip/{src.relative_to(ROOT).as_posix()}" in names
    assert "pocket_cnn/_ip/generators/pocket_cnn_board_gen.py" in names
    assert "pocket_cnn/_ip/boards/icebreaker.yaml" in names
    assert "pocket_cnn/_ip/scripts/pcnn_launcher.sh" in names
    assert "edalize/tools/pcnn_ghdl_synth.py" in names  # the Edalize plugin
    templates = sorted((ROOT / "pocket_cnn").glob("*/templates/*.j2"))
    assert len(templates) >= 7  # emit, simulation, synth and the board wrapper
    for src in templates:  # every template pocket_cnn.hdl_text renders
        assert src.relative_to(ROOT).as_posix() in names


def test_installed_wheel_outside_checkout(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, {**os.environ})
    vbin = venv / "bin"
    env = {
        **os.environ,
        "PATH": f"{vbin}{os.pathsep}{os.environ.get('PATH', '')}",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "VIRTUAL_ENV": str(venv),
    }
    env.pop("PYTHONPATH", None)
    _run([str(vbin / "pip"), "install", "-q", str(wheel)], tmp_path, env)
    work = tmp_path / "work"
    work.mkdir()
    cli = str(vbin / "pocket-cnn")

    assert _run([cli, "--version"], work, env).strip() == f"pocket-cnn {__version__}"
    _run([cli, "zoo", MODEL, "-o", "m.onnx"], work, env)
    assert MODEL in _run([cli, "check", "m.onnx"], work, env)
    net = zoo.build(MODEL, seed=0)
    x = np.random.default_rng(3).integers(0, 256, (3, *net.input_shape)).astype(np.uint8)
    np.save(work / "in.npy", x)
    _run([cli, "reference", "m.onnx", "in.npy", "-o", "ref.npy"], work, env)
    want = reference.run(net, x)
    assert np.array_equal(np.load(work / "ref.npy"), want)
    _run([cli, "generate", "m.onnx", "-o", "gen"], work, env)
    assert (work / "gen" / "pcnn_net.vhd").is_file() and (work / "gen" / "pcnn_net.core").is_file()
    out = _run([cli, "simulate", "m.onnx", "in.npy", "-o", "hw.npy"], work, env)
    assert "bit-exact" in out
    assert np.array_equal(np.load(work / "hw.npy"), want)

    ip = Path(_run([cli, "ip-path"], work, env).strip())
    assert ip.is_relative_to(venv) and (ip / "pocket_cnn.core").is_file()
    # the installed board generator renders the wrapper top from the wheel's template
    board = tmp_path / "board"
    board.mkdir()
    gen_input = {"files_root": str(ip), "gapi": "1.0", "vlnv": "a:b:c:0"}
    (board / "in.yml").write_text(yaml.safe_dump({**gen_input, "parameters": {"board": "ulx3s"}}))
    board_gen = ip / "generators" / "pocket_cnn_board_gen.py"
    _run([str(vbin / "python3"), str(board_gen), "in.yml"], board, env)
    assert "entity pcnn_board_ulx3s is" in (board / "pcnn_board_ulx3s.vhd").read_text()
    # the dev venv's FuseSoC with the fresh venv first on PATH: the generator runs the wheel
    fusesoc = FuseSoC(tmp_path / "fs", library=ip, env=env)
    proc = fusesoc("run", "--target=sim", "pocket_cnn", timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "pcnn_tb_net: PASS" in proc.stdout + proc.stderr
