"""Vivado and Quartus projects: ``fusesoc run --setup --target=<board> pocket_cnn``.

FuseSoC runs as a user runs it (tests/_support/fusesoc.py): a fusesoc.conf in tmp_path
(cache and build trees there), the checkout added with ``fusesoc library add``, the venv's
bin first on PATH.
The vendor tools are not installable here, so only the written project files are
checked: part / family / device, every VHDL source with its library pocket_cnn, the
top, the constraint files and the clock -- all against boards/<board>.yaml and the
filesets of pocket_cnn.core.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import yaml
from _support.fusesoc import FuseSoC

from pocket_cnn.ip import ROOT, fileset

VLNV_DIR = "pocket-cnn_cnn_pocket_cnn_0.1.0"


def _raw(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "boards" / f"{name}.yaml").read_text())
    return data


def _setup(tmp_path: Path, target: str) -> Path:
    fs = FuseSoC(tmp_path)
    proc = fs("run", "--clean", "--setup", f"--target={target}", "pocket_cnn")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    work = next((tmp_path / "build" / VLNV_DIR).glob(f"{target}*"))
    assert (work / "Makefile").is_file()
    return work


def _expected_sources(top: str) -> set[str]:
    """File names of every VHDL source the board project must read."""
    core = {p.name for p in [*fileset("rtl"), *fileset("board")]}
    return core | {"pcnn_net.vhd", "pcnn_net_pkg.vhd", f"{top}.vhd"}


def _pins_in(text: str, pattern: str) -> dict[str, str]:
    return {port: pin for pin, port in re.findall(pattern, text, re.MULTILINE)}


def _yaml_pins(raw: dict[str, Any]) -> dict[str, str]:
    pins = {"clk": raw["clock"]["pin"], "rst_btn": raw["reset"]["pin"]}
    pins |= {"uart_rx": raw["uart"]["rx"], "uart_tx": raw["uart"]["tx"]}
    pins |= {f"leds[{i}]": p for i, p in enumerate(raw["leds"]["pins"])}
    return {k: str(v) for k, v in pins.items()}


def test_vivado_project(tmp_path: Path) -> None:
    raw = _raw("arty_a7_35")
    work = _setup(tmp_path, "arty_a7_35")
    tcl = (work / f"{VLNV_DIR}.tcl").read_text()
    part = f"{raw['device']}{raw['package']}-{raw['speed_grade']}"
    assert part == "xc7a35ticsg324-1L"
    assert f"set_property part {part} [current_project]" in tcl
    reads = re.findall(r"^read_vhdl (.*)\{(\S+)\}$", tcl, re.MULTILINE)
    assert reads, tcl
    assert all(opts.split() == ["-vhdl2008", "-library", "pocket_cnn"] for opts, _ in reads)
    top = "pcnn_board_arty_a7_35"
    assert {Path(f).name for _, f in reads} >= _expected_sources(top)
    assert all((work / f).is_file() for _, f in reads)
    assert f"set_property top {top} [current_fileset]" in tcl
    xdcs = re.findall(r"^read_xdc \{(\S+)\}$", tcl, re.MULTILINE)
    assert [Path(x).name for x in xdcs] == ["arty_a7_35.xdc"]
    xdc = (work / xdcs[0]).read_text()
    assert _pins_in(xdc, r"PACKAGE_PIN (\S+) .*\[get_ports \{ (\S+) \}\]$") == _yaml_pins(raw)
    period = 1e3 / raw["clock"]["freq_mhz"]
    assert f"create_clock -add -name clk -period {period:.3f} [get_ports {{ clk }}]" in xdc
    assert raw["io_standard"] in xdc


def test_quartus_project(tmp_path: Path) -> None:
    raw = _raw("de10_nano")
    work = _setup(tmp_path, "de10_nano")
    tcl = next(work.glob("*.tcl")).read_text()
    assert f'set_global_assignment -name FAMILY "{raw["family"]}"' in tcl
    assert f"set_global_assignment -name DEVICE {raw['device']}" in tcl
    top = "pcnn_board_de10_nano"
    assert f"set_global_assignment -name TOP_LEVEL_ENTITY {top}" in tcl
    files = re.findall(r"^set_global_assignment -name VHDL_FILE (.*)$", tcl, re.MULTILINE)
    assert files
    assert all(f.split()[:2] == ["-library", "pocket_cnn"] for f in files)
    names = {Path(f.split()[2]).name for f in files}
    assert names >= _expected_sources(top)
    assert all((work / f.split()[2]).is_file() for f in files)
    sourced = re.findall(r"^source (\S+)$", tcl, re.MULTILINE)
    assert [Path(s).name for s in sourced] == ["de10_nano_pins.tcl"]
    pins = (work / sourced[0]).read_text()
    assert _pins_in(pins, r"^set_location_assignment PIN_(\S+) -to (\S+)$") == _yaml_pins(raw)
    assert f'-name IO_STANDARD "{raw["io_standard"]}" -to clk' in pins
    sdcs = re.findall(r"^set_global_assignment -name SDC_FILE (\S+)$", tcl, re.MULTILINE)
    assert [Path(s).name for s in sdcs] == ["de10_nano.sdc"]
    sdc = (work / sdcs[0]).read_text()
    period = 1e3 / raw["clock"]["freq_mhz"]
    assert f"create_clock -name clk -period {period:.3f} [get_ports {{clk}}]" in sdc


def test_setup_sees_a_yaml_edit(tmp_path: Path) -> None:
    """The board generator is not cached: after a YAML edit the next setup has the new clock."""
    ip = tmp_path / "ip"
    for part in ("rtl", "generators", "boards", "scripts"):
        shutil.copytree(ROOT / part, ip / part)
    shutil.copy(ROOT / "pocket_cnn.core", ip)
    fs = FuseSoC(tmp_path / "fs", library=ip)
    yml = ip / "boards" / "arty_a7_35.yaml"
    periods = []
    for mhz in (100, 50):
        yml.write_text(re.sub(r"freq_mhz: \d+", f"freq_mhz: {mhz}", yml.read_text()))
        proc = fs("run", "--setup", "--target=arty_a7_35", "pocket_cnn")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        xdc = next((tmp_path / "fs" / "build").rglob("arty_a7_35.xdc")).read_text()
        periods += re.findall(r"-period (\S+)", xdc)
    assert periods == ["10.000", "20.000"]
