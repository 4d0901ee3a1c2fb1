"""Resource counts of a synthesised network against the device totals of a board YAML.

One :class:`Usage` per source: yosys' cell counts after ``synth_<family>``, and the
cells nextpnr placed. :func:`overflows` names every resource that exceeds the device.
"""

from __future__ import annotations

from dataclasses import dataclass

from pocket_cnn.boards.spec import Resources

#: Resource keys in table order, with the words the report uses.
NAMES = {"lut": "LUT", "ff": "FF", "bram": "BRAM", "dsp": "DSP"}


@dataclass(frozen=True)
class Usage:
    """Used LUTs (iCE40: logic cells once placed), FFs, block RAMs and DSPs; None = unknown."""

    lut: int | None
    ff: int | None
    bram: int | None
    dsp: int | None

    def get(self, key: str) -> int | None:
        """The count of resource ``key`` (one of :data:`NAMES`)."""
        value: int | None = getattr(self, key)
        return value


@dataclass(frozen=True)
class Overflow:
    """One resource the design needs more of than the device has."""

    key: str
    used: int
    total: int

    def text(self, what: str) -> str:
        """``DSP: 15 used, 8 on the device (7 over, 188 %)``; ``what`` names the source."""
        pct = 100.0 * self.used / self.total if self.total else float("inf")
        return (
            f"{NAMES[self.key]}: {self.used} {what}, {self.total} on the device "
            f"({self.used - self.total} over, {pct:.0f} %)"
        )


def overflows(usage: Usage, totals: Resources) -> list[Overflow]:
    """The resources of ``usage`` above the device totals, in table order."""
    out: list[Overflow] = []
    for key in NAMES:
        used, total = usage.get(key), getattr(totals, key)
        if used is not None and used > total:
            out.append(Overflow(key, used, total))
    return out


def percent(used: int | None, total: int) -> str:
    """``23.4 %`` of the device, or ``-``."""
    if used is None or total <= 0:
        return "-"
    return f"{100.0 * used / total:.1f} %"
