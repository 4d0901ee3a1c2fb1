"""The ``pocket-cnn synth`` report as text: resources against the device, fmax, time."""

from __future__ import annotations

import statistics

from pocket_cnn.synth.pipeline import SynthReport
from pocket_cnn.synth.resources import NAMES, Usage, percent

#: What the LUT row counts once placed, per family.
PLACED_LUT = {"ice40": "LC", "ecp5": "LUT4"}


def _cell(v: int | None) -> str:
    return "-" if v is None else str(v)


def resource_rows(rep: SynthReport) -> list[tuple[str, ...]]:
    """(resource, yosys, placed, device, %) per resource; % of placed, else of yosys."""
    totals = rep.board.resources
    syn = rep.synthesised or Usage(None, None, None, None)
    placed = rep.placed or Usage(None, None, None, None)
    rows: list[tuple[str, ...]] = []
    for key, label in NAMES.items():
        if key == "lut":
            label = f"LUT ({PLACED_LUT[rep.family]} placed)"
        total = getattr(totals, key)
        used = placed.get(key) if placed.get(key) is not None else syn.get(key)
        rows.append(
            (label, _cell(syn.get(key)), _cell(placed.get(key)), str(total), percent(used, total))
        )
    return rows


def _grid(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    out = []
    for r in (head, *rows):
        pairs = enumerate(zip(r, widths, strict=True))
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in pairs]
        out.append("  ".join(cells).rstrip())
    out.insert(1, "  ".join("-" * w for w in widths))
    return out


def timing_lines(rep: SynthReport) -> list[str]:
    """fmax against the board clock and the critical path's ends."""
    clk = rep.board.clock.hz / 1e6
    pnr = rep.pnr
    if pnr is None or not pnr.fits:
        return [f"fmax: not routed (board clock {clk:g} MHz)"]
    if pnr.fmax_mhz is None:
        return [f"fmax: nextpnr reported none (board clock {clk:g} MHz)"]
    verdict = "meets it" if rep.meets_clock else "FAILS it"
    lines = [f"fmax: {pnr.fmax_mhz:.2f} MHz against the board clock {clk:g} MHz: {verdict}"]
    if len(rep.seed_fmax) > 1:
        lines.append(f"placer seeds: {seed_summary(rep.seed_fmax)}; seed {pnr.seed} kept")
    if pnr.path_from or pnr.path_to:
        lines.append(f"critical path: from {pnr.path_from or '?'} to {pnr.path_to or '?'}")
    return lines


def seed_summary(seed_fmax: dict[int, float | None]) -> str:
    """Every seed's fmax and their median, e.g. ``1: 143.3, 2: 156.8, ... MHz, median``."""
    got = sorted(f for f in seed_fmax.values() if f is not None)
    each = ", ".join(f"{s}: {'-' if f is None else f'{f:.1f}'}" for s, f in seed_fmax.items())
    med = f"; median {statistics.median(got):.1f} MHz" if got else ""
    return f"{each} MHz{med}"


def text(rep: SynthReport) -> str:
    """The whole report."""
    b = rep.board
    head = (
        f"network '{rep.network}' (parallel {rep.parallel}) on {b.name}: "
        f"{b.device} {b.package}, {b.toolchain}"
    )
    grid = _grid(("resource", "yosys", "placed", "device", "used"), resource_rows(rep))
    times = ", ".join(f"{k} {v:.1f} s" for k, v in rep.seconds.items())
    total = sum(rep.seconds.values())
    lines = [head, "", *grid, "", *timing_lines(rep), f"time: {times} (total {total:.1f} s)"]
    lines += [f"note: {n}" for n in rep.notes]
    if not rep.fits:
        lines.append("")
        lines.append(f"does not fit the {b.device}:")
        lines += [f"  {o}" for o in rep.overflow]
    return "\n".join(lines)
