"""Rough edges of the command line: pipes, Ctrl-C, version, zoo: models everywhere,
and bugs that must not pass for user errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pocket_cnn import __version__, reference, zoo
from pocket_cnn.cli import main as cli
from pocket_cnn.ip import core_version

CLI = [sys.executable, "-m", "pocket_cnn"]
#: The CLI as a terminal starts it, SIGINT at Python's default handler. A runner that
#: starts the tests in the background (``cmd &`` in a script, as CI does) hands SIGINT
#: down as ignored, and Python keeps an ignored SIGINT ignored: the Ctrl-C would be lost
#: (the simulation went on, 2026-12-06).
CLI_TERMINAL = [
    sys.executable,
    "-c",
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('pocket_cnn', run_name='__main__', alter_sys=True)",
]
MODEL = "conv_3x1_1x1_max_2x2"


def test_version_from_one_place(capsys: pytest.CaptureFixture[str]) -> None:
    assert core_version() == __version__  # the IP core's VLNV follows the package
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"pocket-cnn {__version__}"


def test_closed_pipe_is_not_an_error() -> None:
    """`pocket-cnn zoo --list | head -1`: no 'Broken pipe' message, exit 0."""
    proc = subprocess.Popen([*CLI, "zoo", "--list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert err == ""


def test_ctrl_c_in_simulate_is_one_line(tmp_path: Path) -> None:
    net = zoo.build("conv_2x_3x1_1x1_max_2x2_mt")
    np.save(tmp_path / "in.npy", zoo.net_input(net, 400, seed=1))
    proc = subprocess.Popen(
        [*CLI_TERMINAL, "simulate", "zoo:conv_2x_3x1_1x1_max_2x2_mt", "in.npy", "-o", "hw.npy"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    # Ctrl-C while the images are being simulated: after the first progress line (a
    # fixed sleep landed in different phases on a loaded machine)
    assert proc.stderr is not None
    first = ""
    while "/400" not in first:
        line = proc.stderr.readline()
        assert line, first  # the CLI ended before simulating
        first += line
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal sends it: to the whole group
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + first + err
    assert "Traceback" not in err
    assert err.strip().splitlines() == ["pocket-cnn: interrupted"]
    assert not (tmp_path / "hw.npy").exists()


def test_check_and_reference_take_zoo_models(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check", f"zoo:{MODEL}:3"]) == 0
    assert f"network '{MODEL}'" in capsys.readouterr().out
    net = zoo.build(MODEL, seed=3)
    x = zoo.net_input(net, 2, seed=5)
    np.save(tmp_path / "in.npy", x)
    out = tmp_path / "out.npy"
    assert cli.main(["reference", f"zoo:{MODEL}:3", str(tmp_path / "in.npy"), "-o", str(out)]) == 0
    assert np.array_equal(np.load(out), reference.run(net, x))


def test_a_bug_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Internal errors are not disguised as user errors (exit 2, one line)."""

    def broken(model: object, files_root: object = None) -> object:
        raise ValueError("internal inconsistency")

    monkeypatch.setattr("pocket_cnn.api.load", broken)
    monkeypatch.setattr("pocket_cnn.cli.cmd_check.load", broken, raising=False)
    with pytest.raises(ValueError, match="internal inconsistency"):
        cli.main(["check", f"zoo:{MODEL}"])
