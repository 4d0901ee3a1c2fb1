"""Boards: every boards/*.yaml has a target in pocket_cnn.core and every board target a
YAML; bad YAML gives one clear line naming the file and the key; the constraint files
written from a YAML hold exactly its pins (read from the raw YAML, not from the loader);
no hand-kept constraint file exists in the repository; the generated wrapper tops pass
``ghdl --synth``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pocket_cnn import emit_vhdl
from pocket_cnn.boards.constraints import FILE_TYPES, write_constraints
from pocket_cnn.boards.spec import load_board
from pocket_cnn.boards.wrapper import write_wrapper
from pocket_cnn.errors import ModelError
from pocket_cnn.fusesoc.board_gen import generate
from pocket_cnn.fusesoc.board_gen import main as gen_main
from pocket_cnn.ip import ROOT, fileset
from pocket_cnn.synth.pipeline import family_of
from pocket_cnn.synth.pnr import nextpnr_args
from pocket_cnn.synth.yosys import FAMILIES
from pocket_cnn.tools import GHDL_FLAGS
from pocket_cnn.zoo import build

BOARDS = sorted(p.stem for p in (ROOT / "boards").glob("*.yaml"))
CORE: dict[str, Any] = yaml.safe_load((ROOT / "pocket_cnn.core").read_text())
#: toolchain -> (key in the target, value) that selects it in pocket_cnn.core
SELECTS = {
    "icestorm": ("flow", "icestorm"),
    "trellis": ("flow", "trellis"),
    "vivado": ("flow", "vivado"),
    "quartus": ("default_tool", "quartus"),
}


def _raw(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "boards" / f"{name}.yaml").read_text())
    return data


def _board_param(target: dict[str, Any]) -> str | None:
    """The ``board`` parameter a target passes to the pcnn_board generate instance."""
    for entry in target.get("generate", []):
        if isinstance(entry, dict) and "pcnn_board" in entry:
            return str(entry["pcnn_board"]["board"])
    return None


def _board_targets() -> dict[str, str]:
    """target name -> board parameter, for every target that runs the board generator."""
    out = {}
    for name, target in CORE["targets"].items():
        board = _board_param(target or {})
        if board is not None:
            out[name] = board
    return out


def test_the_four_boards_exist() -> None:
    assert {"icebreaker", "ulx3s", "arty_a7_35", "de10_nano"} <= set(BOARDS)


def test_every_yaml_has_a_target_and_every_target_a_yaml() -> None:
    targets = _board_targets()
    assert sorted(targets) == BOARDS, "one target per boards/*.yaml, named like the file"
    for name, board in targets.items():
        assert board == name, f"target {name} generates board {board}"


@pytest.mark.parametrize("name", BOARDS)
def test_target_matches_yaml(name: str) -> None:
    raw = _raw(name)
    target = CORE["targets"][name]
    key, value = SELECTS[raw["toolchain"]]
    assert target[key] == value
    assert target["toplevel"].split(".")[-1] == f"pcnn_board_{name}"
    assert {"rtl", "board"} <= set(target["filesets"])
    names = [e if isinstance(e, str) else next(iter(e)) for e in target["generate"]]
    assert names == ["pcnn_board_net", "pcnn_board"]
    if raw["toolchain"] in ("icestorm", "trellis"):
        assert target["flow_options"]["frontends"] == ["pcnn_ghdl_synth"]


@pytest.mark.parametrize("name", BOARDS)
def test_yaml_loads(name: str) -> None:
    board = load_board(ROOT / "boards" / f"{name}.yaml")
    raw = _raw(name)
    assert board.device == raw["device"]
    assert board.clock.osc_hz == round(raw["clock"]["freq_mhz"] * 1e6)
    target = raw["clock"].get("target_mhz")
    if target is None:
        assert board.clock.hz == board.clock.osc_hz and board.clock.pll is None
    else:  # the PLL's frequency: at most the target, within 15 %
        assert 0.85 * target * 1e6 <= board.clock.hz <= target * 1e6
    assert board.uart.baud == raw["uart"]["baud"]
    assert all(v > 0 for v in vars(board.resources).values())


def _mutate(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        data = data[key]
    if value is _DELETE:
        del data[last]
    else:
        data[last] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        ("clock.freq_mhz", "fast", "clock.freq_mhz: must be a number > 0"),
        ("clock.freq_mhz", -12, "clock.freq_mhz: must be a number > 0"),
        ("clock.pin", _DELETE, "clock.pin: must be a non-empty string"),
        ("clock.target_mhz", 5, "clock.target_mhz: no iCE40 PLL setting reaches 5 MHz"),
        ("uart.baud", 115200.5, "uart.baud: must be an integer"),
        ("uart.tx", "9 10", "uart.tx: '9 10' is not a package pin name"),
        ("reset.active_low", "yes", "reset.active_low: must be true or false"),
        ("reset.pull", "sideways", "reset.pull: must be one of up, down, none"),
        ("leds.pins", [], "leds.pins: must be a list of 1 to 4 pins"),
        ("leds.pins", ["1", "2", "3", "4", "5"], "leds.pins: must be a list of 1 to 4 pins"),
        ("toolchain", "ise", "toolchain: 'ise' is not one of"),
        ("toolchain", "trellis", "toolchain: trellis builds lattice/ecp5"),
        ("resources.dsp", -1, "resources.dsp: must be an integer >= 0"),
        ("resources", _DELETE, "resources: must be a mapping"),
        ("speed_grade", _DELETE, "speed_grade: missing"),
        ("name", "other", "name: 'other' must be the file name 'icebreaker'"),
        ("colour", "red", "colour: unknown key"),
        ("uart.rx", "10", "pin 10 is assigned to more than one port"),
    ],
)
def test_bad_yaml_names_file_and_key(tmp_path: Path, path: str, value: Any, words: str) -> None:
    data = _raw("icebreaker")
    _mutate(data, path, value)
    bad = tmp_path / "icebreaker.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(ModelError) as err:
        load_board(bad)
    text = str(err.value)
    assert "\n" not in text
    assert str(bad) in text
    assert words in text, text


def test_vendor_board_needs_io_standard(tmp_path: Path) -> None:
    data = _raw("arty_a7_35")
    data["io_standard"] = None
    bad = tmp_path / "arty_a7_35.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(ModelError, match="io_standard: vivado needs the I/O standard"):
        load_board(bad)


def test_unreadable_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "icebreaker.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ModelError, match="not valid YAML") as err:
        load_board(bad)
    assert "\n" not in str(err.value)


def _expected_pins(name: str) -> dict[str, str]:
    """Port -> pin straight from the raw YAML."""
    raw = _raw(name)
    pins = {
        "clk": str(raw["clock"]["pin"]),
        "rst_btn": str(raw["reset"]["pin"]),
        "uart_rx": str(raw["uart"]["rx"]),
        "uart_tx": str(raw["uart"]["tx"]),
    }
    pins |= {f"leds[{i}]": str(p) for i, p in enumerate(raw["leds"]["pins"])}
    return pins


#: constraint syntax -> regex of one pin assignment (groups: port, pin)
_ASSIGN = {
    ".pcf": r"^set_io\b.*?\s(\S+)\s+(\S+)$",
    ".lpf": r'^LOCATE COMP "([^"]+)" SITE "([^"]+)";$',
    ".xdc": r"^set_property -dict \{ PACKAGE_PIN (\S+) .*\[get_ports \{ (\S+) \}\]$",
    "_pins.tcl": r"^set_location_assignment PIN_(\S+) -to (\S+)$",
}


def _assignments(path: Path, suffix: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        m = re.match(_ASSIGN[suffix], line)
        if m:
            a, b = m.groups()
            port, pin = (b, a) if suffix in (".xdc", "_pins.tcl") else (a, b)
            assert port not in found, f"{path.name}: {port} assigned twice"
            found[port] = pin
    return found


@pytest.mark.parametrize("name", BOARDS)
def test_constraints_hold_exactly_the_yaml_pins(tmp_path: Path, name: str) -> None:
    raw = _raw(name)
    board = load_board(ROOT / "boards" / f"{name}.yaml")
    written = write_constraints(board, tmp_path)
    assert [t for _, t in written] == [t for _, t in FILE_TYPES[raw["toolchain"]]]
    suffixes = [s for s, _ in FILE_TYPES[raw["toolchain"]]]
    pin_files = [(p, s) for (p, _), s in zip(written, suffixes, strict=True) if s in _ASSIGN]
    assert len(pin_files) == 1
    path, suffix = pin_files[0]
    assert _assignments(path, suffix) == _expected_pins(name)
    text = "".join(p.read_text() for p, _ in written)
    mhz = raw["clock"]["freq_mhz"]
    clock = {
        "icestorm": f"set_frequency clk {mhz:g}",
        "trellis": f'FREQUENCY PORT "clk" {mhz:g} MHZ;',
        "vivado": f"-period {1e3 / mhz:.3f} [get_ports {{ clk }}]",
        "quartus": f"create_clock -name clk -period {1e3 / mhz:.3f} [get_ports {{clk}}]",
    }[raw["toolchain"]]
    assert clock in text
    if raw.get("io_standard"):
        assert raw["io_standard"] in text


def test_no_hand_kept_constraint_files() -> None:
    """Pins live in boards/*.yaml only: no constraint file is tracked by git."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    proc = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    suffixes = (".pcf", ".lpf", ".xdc", ".sdc", ".qsf", ".ucf", ".cst")
    kept = [f for f in proc.stdout.splitlines() if f.lower().endswith(suffixes)]
    assert kept == [], f"hand-kept constraint files: {kept}"


def _input_yml(folder: Path, params: dict[str, Any]) -> Path:
    yml = folder / "pcnn_board_input.yml"
    data = {
        "files_root": str(ROOT),
        "gapi": "1.0",
        "vlnv": "a:b:c-pcnn_board:0",
        "parameters": params,
    }
    yml.write_text(yaml.safe_dump(data))
    return yml


@pytest.mark.parametrize("name", BOARDS)
def test_generator_core(tmp_path: Path, name: str) -> None:
    raw = _raw(name)
    written = generate(_input_yml(tmp_path, {"board": name}), tmp_path)
    core = yaml.safe_load((tmp_path / f"pcnn_board_{name}.core").read_text())
    assert core["name"] == "a:b:c-pcnn_board:0"
    assert all(p.is_file() for p in written)
    types = {next(iter(f.values()))["file_type"] for f in core["filesets"]["constraints"]["files"]}
    assert types == {t for _, t in FILE_TYPES[raw["toolchain"]]}
    assert core["filesets"]["board_top"]["logical_name"] == "pocket_cnn"
    default = core["targets"]["default"]
    if raw["toolchain"] == "icestorm":
        assert default["flow_options"]["nextpnr_options"][:1] == ["--up5k"]
    elif raw["toolchain"] == "trellis":
        assert default["flow_options"]["nextpnr_options"][:1] == ["--85k"]
        launcher = default["flow_options"]["flow_make_options"][0].split("=", 1)[1]
        assert Path(launcher).is_file()
    elif raw["toolchain"] == "vivado":
        assert default["flow_options"]["part"] == "xc7a35ticsg324-1L"
    else:
        assert default["tools"]["quartus"] == {"family": "Cyclone V", "device": "5CSEBA6U23I7"}


@pytest.mark.parametrize("name", BOARDS)
def test_one_route_to_nextpnr_flags(tmp_path: Path, name: str) -> None:
    """The FuseSoC board target (generated core) and ``pocket-cnn synth`` (the nextpnr
    command line) give nextpnr the same device flags; boards without nextpnr get none."""
    generate(_input_yml(tmp_path, {"board": name}), tmp_path)
    core = yaml.safe_load((tmp_path / f"pcnn_board_{name}.core").read_text())
    fusesoc = core["targets"]["default"].get("flow_options", {}).get("nextpnr_options")
    board = load_board(ROOT / "boards" / f"{name}.yaml")
    if board.toolchain not in FAMILIES:
        assert fusesoc is None
        with pytest.raises(ModelError, match="vendor tools"):
            family_of(board)
        return
    synth = nextpnr_args(board, family_of(board), "net.json", "report.json")
    assert fusesoc, "no nextpnr options in the board core"
    assert synth[: len(fusesoc)] == fusesoc
    assert synth[len(fusesoc)] == "--json", "device flags missing from the synth route"
    raw = _raw(name)
    if raw.get("speed_grade") is not None and board.toolchain == "trellis":
        assert fusesoc[-2:] == ["--speed", str(raw["speed_grade"])]


@pytest.mark.parametrize(
    "name", [b for b in BOARDS if load_board(ROOT / "boards" / f"{b}.yaml").toolchain in FAMILIES]
)
def test_one_yosys_command(name: str) -> None:
    """The board target in pocket_cnn.core gives yosys the options ``pocket-cnn synth``
    uses (pocket_cnn.synth.yosys), so both build the same netlist."""
    board = load_board(ROOT / "boards" / f"{name}.yaml")
    target = CORE["targets"][name]
    core = target.get("flow_options", {}).get("yosys_synth_options", [])
    assert FAMILIES[board.toolchain].synth.split()[1:] == core


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"board": "nosuch"}, "'nosuch': no such board in"),
        ({}, "needs the parameter board: NAME"),
        ({"board": "icebreaker", "pll": 1}, "unknown generator parameter(s) pll"),
        ({"board": "icebreaker", "argmax": "yes"}, "'argmax': must be true or false"),
    ],
)
def test_generator_bad_params(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], params: dict[str, Any], words: str
) -> None:
    yml = _input_yml(tmp_path, params)
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        assert gen_main([str(yml)]) == 2
    finally:
        os.chdir(cwd)
    err = capsys.readouterr().err.strip()
    assert err.startswith("pocket-cnn: error:") and "\n" not in err
    assert words in err
    if params.get("board") == "nosuch":
        assert "icebreaker" in err  # lists the known boards


@pytest.mark.requires_tools("ghdl")
def test_wrappers_synthesise(tmp_path: Path) -> None:
    """Every board's wrapper top + the UART top + a network pass ghdl --synth --std=08."""
    net = emit_vhdl(build("conv_3x1_1x1_max_2x2"), tmp_path / "net")
    lib = tmp_path / "lib"
    lib.mkdir()
    flags = [*GHDL_FLAGS, f"--workdir={lib}"]
    wrappers = [write_wrapper(load_board(ROOT / "boards" / f"{n}.yaml"), tmp_path) for n in BOARDS]
    sources = [*fileset("rtl"), *net, *fileset("board"), *wrappers]
    proc = subprocess.run(
        ["ghdl", "-a", *flags, *map(str, sources)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    for name in BOARDS:
        cmd = ["ghdl", "--synth", *flags, "--no-formal", "--out=verilog", f"pcnn_board_{name}"]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
        assert f"module pcnn_board_{name}" in proc.stdout


@pytest.mark.requires_tools("ghdl")
@pytest.mark.parametrize("net_argmax", [True, False])
def test_generator_argmax(tmp_path: Path, net_argmax: bool) -> None:
    """Board generator parameter ``argmax: true``: the wrapper sets G_ARGMAX; with a
    network generated with argmax the top synthesises, with one without argmax the board
    top's guard stops ghdl --synth with a message that says what to do."""
    gen = tmp_path / "gen"
    gen.mkdir()
    generate(_input_yml(gen, {"board": "icebreaker", "argmax": True}), gen)
    wrapper = gen / "pcnn_board_icebreaker.vhd"
    assert re.search(r"G_ARGMAX\s*=>\s*true", wrapper.read_text())
    net = emit_vhdl(build("conv_3x1_1x1_max_2x2").with_argmax(net_argmax), tmp_path / "net")
    lib = tmp_path / "lib"
    lib.mkdir()
    flags = [*GHDL_FLAGS, f"--workdir={lib}"]
    sources = [*fileset("rtl"), *net, *fileset("board"), wrapper]
    proc = subprocess.run(
        ["ghdl", "-a", *flags, *map(str, sources)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    cmd = ["ghdl", "--synth", *flags, "--no-formal", "--out=verilog", "pcnn_board_icebreaker"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if net_argmax:
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "module pcnn_board_icebreaker" in proc.stdout
    else:
        assert proc.returncode != 0
        assert "G_ARGMAX needs a network generated with argmax: true" in proc.stderr
