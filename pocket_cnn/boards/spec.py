"""Board descriptions: load and check ``boards/<name>.yaml`` into a typed :class:`Board`.

The YAML is the one source of a board's device, pins and clock (schema in
boards/README.md). Every problem raises :class:`~pocket_cnn.errors.ModelError` naming
the file and the key, e.g. ``'boards/x.yaml': clock.freq_mhz: must be a number > 0``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pocket_cnn.boards.pll import Pll, plan_pll
from pocket_cnn.errors import ModelError
from pocket_cnn.ip import ROOT

#: toolchain -> (vendor, family) it builds for.
TOOLCHAINS: dict[str, tuple[str, str]] = {
    "icestorm": ("lattice", "ice40"),
    "trellis": ("lattice", "ecp5"),
    "vivado": ("xilinx", "artix7"),
    "quartus": ("intel", "cyclonev"),
}
#: Toolchains whose constraint files need an I/O standard per pin.
NEEDS_IO_STANDARD = frozenset({"vivado", "quartus"})
PULLS = ("up", "down", "none")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PIN = re.compile(r"^[A-Za-z0-9_]+$")
_KEYS = {
    "name",
    "description",
    "vendor",
    "family",
    "device",
    "package",
    "speed_grade",
    "toolchain",
    "clock",
    "uart",
    "reset",
    "leds",
    "io_standard",
    "resources",
}


@dataclass(frozen=True)
class Clock:
    """The board oscillator; ``target_mhz`` set when a PLL should make the design clock
    (``pll``: its setting, :mod:`pocket_cnn.boards.pll`)."""

    pin: str
    freq_mhz: float
    target_mhz: float | None = None
    pll: Pll | None = None

    @property
    def hz(self) -> int:
        """Frequency of the clock the design runs on (the PLL's output), in Hz."""
        return self.pll.out_hz if self.pll is not None else self.osc_hz

    @property
    def osc_hz(self) -> int:
        """Frequency of the oscillator at the clock pin, in Hz."""
        return round(self.freq_mhz * 1e6)


@dataclass(frozen=True)
class Uart:
    """UART pins seen from the FPGA (``rx`` is an input) and the baud rate."""

    rx: str
    tx: str
    baud: int


@dataclass(frozen=True)
class Reset:
    """Reset button pin, its polarity and an optional pull (``up``/``down``/``none``)."""

    pin: str
    active_low: bool
    pull: str | None = None


@dataclass(frozen=True)
class Leds:
    """LED pins, ``leds(0)`` first (1 to 4), and whether a lit LED is driven low."""

    pins: tuple[str, ...]
    active_low: bool


@dataclass(frozen=True)
class Resources:
    """Device totals: LUTs (or logic cells), flip-flops, block RAMs, DSPs/multipliers."""

    lut: int
    ff: int
    bram: int
    dsp: int


@dataclass(frozen=True)
class Board:
    """One board, as checked from its YAML file (``path``)."""

    name: str
    description: str
    vendor: str
    family: str
    device: str
    package: str
    speed_grade: str | None
    toolchain: str
    clock: Clock
    uart: Uart
    reset: Reset
    leds: Leds
    io_standard: str | None
    resources: Resources
    path: Path

    @property
    def top(self) -> str:
        """Entity name of the board's generated VHDL wrapper top."""
        return f"pcnn_board_{self.name}"

    def pins(self) -> dict[str, str]:
        """Top-level port -> package pin, as the constraint files assign them."""
        out = {"clk": self.clock.pin, "rst_btn": self.reset.pin}
        out |= {"uart_rx": self.uart.rx, "uart_tx": self.uart.tx}
        out |= {f"leds[{i}]": pin for i, pin in enumerate(self.leds.pins)}
        return out


class _Reader:
    """Typed access to the YAML mapping; errors name the file and the dotted key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, message: str) -> ModelError:
        return ModelError(f"{key}: {message}", node=str(self.path))

    def section(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key)
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a mapping, got {value!r}")
        return value

    def text(self, data: dict[str, Any], key: str, where: str = "") -> str:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
            raise self.fail(where + key, f"must be a non-empty string, got {value!r}")
        return str(value)

    def optional_text(self, data: dict[str, Any], key: str, where: str = "") -> str | None:
        if data.get(key) is None:
            return None
        return self.text(data, key, where)

    def pin(self, data: dict[str, Any], key: str, where: str) -> str:
        value = self.text(data, key, where)
        if not _PIN.match(value):
            raise self.fail(where + key, f"'{value}' is not a package pin name (letters, digits)")
        return value

    def number(self, data: dict[str, Any], key: str, where: str, optional: bool = False) -> Any:
        value = data.get(key)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.fail(where + key, f"must be a number > 0, got {value!r}")
        return value

    def count(self, data: dict[str, Any], key: str, where: str) -> int:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(where + key, f"must be an integer >= 0, got {value!r}")
        return value

    def flag(self, data: dict[str, Any], key: str, where: str) -> bool:
        value = data.get(key)
        if not isinstance(value, bool):
            raise self.fail(where + key, f"must be true or false, got {value!r}")
        return value


def _squash(text: str) -> str:
    """``Cyclone V`` -> ``cyclonev``, ``Artix-7`` -> ``artix7``: family names compared."""
    return text.lower().replace(" ", "").replace("-", "")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as err:
        raise ModelError(f"cannot read the board file ({err.strerror})", node=str(path)) from err
    except yaml.YAMLError as err:
        raise ModelError(f"not valid YAML: {err}".replace("\n", " "), node=str(path)) from err
    if not isinstance(data, dict):
        raise ModelError("a board file must be a YAML mapping (see boards/README.md)", str(path))
    return data


def _clock(r: _Reader, data: dict[str, Any]) -> Clock:
    c = r.section(data, "clock")
    freq = float(r.number(c, "freq_mhz", "clock."))
    target = r.number(c, "target_mhz", "clock.", optional=True)
    pll = None
    if target is not None and target != freq:
        pll = plan_pll(str(data.get("family", "")), freq, float(target), str(r.path))
    return Clock(pin=r.pin(c, "pin", "clock."), freq_mhz=freq, target_mhz=target, pll=pll)


def _uart(r: _Reader, data: dict[str, Any]) -> Uart:
    u = r.section(data, "uart")
    baud = r.number(u, "baud", "uart.")
    if not isinstance(baud, int):
        raise r.fail("uart.baud", f"must be an integer, got {baud!r}")
    return Uart(rx=r.pin(u, "rx", "uart."), tx=r.pin(u, "tx", "uart."), baud=baud)


def _reset(r: _Reader, data: dict[str, Any]) -> Reset:
    s = r.section(data, "reset")
    pull = r.optional_text(s, "pull", "reset.")
    if pull is not None and pull not in PULLS:
        raise r.fail("reset.pull", f"must be one of {', '.join(PULLS)}, got {pull!r}")
    return Reset(
        pin=r.pin(s, "pin", "reset."), active_low=r.flag(s, "active_low", "reset."), pull=pull
    )


def _leds(r: _Reader, data: dict[str, Any]) -> Leds:
    s = r.section(data, "leds")
    pins = s.get("pins")
    if not isinstance(pins, list) or not 1 <= len(pins) <= 4:
        raise r.fail("leds.pins", f"must be a list of 1 to 4 pins, got {pins!r}")
    names = tuple(r.pin({"pin": p}, "pin", f"leds.pins[{i}].") for i, p in enumerate(pins))
    return Leds(pins=names, active_low=r.flag(s, "active_low", "leds."))


def _resources(r: _Reader, data: dict[str, Any]) -> Resources:
    s = r.section(data, "resources")
    return Resources(**{k: r.count(s, k, "resources.") for k in ("lut", "ff", "bram", "dsp")})


def load_board(path: Path) -> Board:
    """Load and check one board YAML file; problems -> ModelError naming file and key."""
    r = _Reader(path)
    data = _read_yaml(path)
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise r.fail(unknown[0], f"unknown key; known: {', '.join(sorted(_KEYS))}")
    name = r.text(data, "name")
    if not _NAME.match(name) or name != path.stem:
        raise r.fail("name", f"'{name}' must be the file name '{path.stem}' (a-z, 0-9, _)")
    toolchain = r.text(data, "toolchain")
    if toolchain not in TOOLCHAINS:
        raise r.fail("toolchain", f"'{toolchain}' is not one of {', '.join(TOOLCHAINS)}")
    vendor, family = r.text(data, "vendor"), r.text(data, "family")
    if (vendor.lower(), _squash(family)) != TOOLCHAINS[toolchain]:
        want = "/".join(TOOLCHAINS[toolchain])
        raise r.fail("toolchain", f"{toolchain} builds {want}, not {vendor}/{family}")
    io_standard = r.optional_text(data, "io_standard")
    if io_standard is None and toolchain in NEEDS_IO_STANDARD:
        raise r.fail("io_standard", f"{toolchain} needs the I/O standard of the pins")
    if "speed_grade" not in data:
        raise r.fail("speed_grade", "missing (write speed_grade: null if the part has none)")
    board = Board(
        name=name,
        description=r.text(data, "description"),
        vendor=vendor,
        family=family,
        device=r.text(data, "device"),
        package=r.text(data, "package"),
        speed_grade=r.optional_text(data, "speed_grade"),
        toolchain=toolchain,
        clock=_clock(r, data),
        uart=_uart(r, data),
        reset=_reset(r, data),
        leds=_leds(r, data),
        io_standard=io_standard,
        resources=_resources(r, data),
        path=path,
    )
    pins = list(board.pins().values())
    twice = sorted({p for p in pins if pins.count(p) > 1})
    if twice:
        raise r.fail("pins", f"pin {twice[0]} is assigned to more than one port")
    return board


def board_file(boards_dir: Path, name: str) -> Path:
    """``boards_dir/<name>.yaml``; an unknown name -> ModelError listing the known ones."""
    path = boards_dir / f"{name}.yaml"
    if not _NAME.match(name) or not path.is_file():
        known = ", ".join(sorted(p.stem for p in boards_dir.glob("*.yaml"))) or "none"
        raise ModelError(f"no such board in {boards_dir}; known: {known}", node=name)
    return path


def find_board(spec: str, boards_dir: Path | None = None) -> Board:
    """A board by name (``boards/<name>.yaml`` of the IP) or from a YAML file path."""
    if spec.endswith((".yaml", ".yml")) or "/" in spec:
        path = Path(spec)
        if not path.is_file():
            raise ModelError("board file not found; check the path", node=spec)
        return load_board(path)
    if boards_dir is None:
        boards_dir = ROOT / "boards"
    return load_board(board_file(boards_dir, spec))
