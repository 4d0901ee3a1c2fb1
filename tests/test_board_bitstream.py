"""The iCEBreaker bitstream: ``fusesoc run --clean --target=icebreaker pocket_cnn`` from a
clean build directory (VHDL -> ghdl --synth inside the flow -> yosys -> nextpnr-ice40 ->
icepack) gives a .bin of the UP5K's size, with the YAML's pins placed.

Needs ghdl, yosys, nextpnr-ice40 and icepack (scripts/setup_synth.sh). Without them the
test is skipped -- except under CI (env CI set), where a missing tool is a failure.
Prints the build time, the utilisation and the fmax nextpnr reports (pytest -s).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from pocket_cnn.flow.ip import ROOT

BIN = Path(sys.executable).parent
TOOLS = ("ghdl", "yosys", "nextpnr-ice40", "icepack")
#: iCE40UP5K bitstream size in bytes (icepack, no comment block): 104090.
UP5K_BIN_BYTES = 104_090


def _missing() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None]


def _need_tools() -> None:
    missing = _missing()
    if not missing:
        return
    message = f"{', '.join(missing)} not on PATH; install with scripts/setup_synth.sh"
    if os.environ.get("CI"):
        pytest.fail(f"CI must build the bitstream: {message}")
    pytest.skip(message)


def test_icebreaker_bitstream(tmp_path: Path) -> None:
    _need_tools()
    conf = tmp_path / "fusesoc.conf"
    ignored = " ".join(str(ROOT / d) for d in ("examples", "build", ".venv"))
    conf.write_text(
        f"[main]\ncache_root = {tmp_path / 'cache'}\nbuild_root = {tmp_path / 'build'}\n"
        f"ignored_dirs = {ignored}\n"
    )
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("PYTHONPATH", None)  # the installed package provides edalize.tools.pcnn_ghdl_synth
    env.pop("FUSESOC_CORES", None)
    fusesoc = [str(BIN / "fusesoc"), "--config", str(conf)]
    add = ["library", "add", "--sync-type", "local", "pocket_cnn", str(ROOT)]
    subprocess.run([*fusesoc, *add], cwd=tmp_path, env=env, check=True, capture_output=True)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*fusesoc, "run", "--clean", "--target=icebreaker", "pocket_cnn"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    seconds = time.perf_counter() - t0
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    work = tmp_path / "build" / "pocket-cnn_cnn_pocket_cnn_0.1.0" / "icebreaker"
    bitstream = work / "pocket-cnn_cnn_pocket_cnn_0.1.0.bin"
    assert bitstream.is_file(), out[-2000:]
    data = bitstream.read_bytes()
    assert len(data) == UP5K_BIN_BYTES
    assert data.count(0) < len(data) * 0.99  # configured, not an empty frame dump

    raw = yaml.safe_load((ROOT / "boards" / "icebreaker.yaml").read_text())
    log = (work / "next.log").read_text()
    util = dict(re.findall(r"^Info:\s+(ICESTORM_\w+|SB_IO):\s+(\d+/\s*\d+)", log, re.MULTILINE))
    fmax = re.findall(r"Max frequency for clock\s+'([^']+)': ([\d.]+) MHz", log)
    assert fmax, "nextpnr reported no fmax"
    clk_fmax = float(fmax[-1][1])
    print(
        f"\nicebreaker: {seconds:.0f} s, {len(data)} bytes, "
        f"LC {util.get('ICESTORM_LC')}, RAM {util.get('ICESTORM_RAM')}, "
        f"DSP {util.get('ICESTORM_DSP')}, fmax {clk_fmax:.1f} MHz "
        f"(board clock {raw['clock']['freq_mhz']} MHz)"
    )
    assert clk_fmax >= raw["clock"]["freq_mhz"], "timing not met at the board clock"
