"""``--parallel auto``: per PE the smallest parallelism that meets a throughput target,
within a device's multipliers and logic cells.

The target is clocks per image: ``clock / rate`` for a rate in images per second at
the board's clock, else the input port's bound (one word per clock, ``C*H*W``), which is
what full parallelism reaches. Per PE :func:`choose` takes the setting with the fewest
multipliers, then the fewest estimated cells (:mod:`pocket_cnn.ir.estimate`), then the
fewest clocks, whose clocks per image meet the target; the network is then clocked
(:mod:`pocket_cnn.ir.cycles`), and where blocks waiting on each other lose clocks the
PEs' budget is tightened until the steady state meets the target. With a device,
a setting that does not fit (estimated cells, or multipliers beyond the DSPs pushed
into cells) is relaxed to the fastest one that fits; a target that cannot be met at
all gives the fastest setting. Either way :attr:`AutoChoice.note` says so in one line.

With a device whose cells the register form misses (by the estimate), or where the
memory-window form (pcnn_pe_mem, :func:`mem_choice`) is faster within the device (or as
fast in fewer estimated cells), auto takes that form: per PE the fewest products
(par_in * par_out) meeting a clock budget, products in DSPs as far as the device has
them and the PEs with the fewest products in shift-and-add logic beyond that, and the
smallest budget (from the target up) whose setting fits the device's cells and block
RAMs (:func:`pocket_cnn.ir.estimate.estimate`).

Kernel-tap folding (par_k < K*K) is a candidate with :data:`FOLD_TAPS` (on: pcnn_conv
steps through ``ceil(K*K/PK)`` tap groups per input group).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pocket_cnn.ir.cycles import (
    MEM_K,
    MEM_LOGIC_K,
    CycleReport,
    Triple,
    conv_steps,
    cycle_report,
)
from pocket_cnn.ir.estimate import (
    ICE40_PRODUCTS_PER_DSP,
    Estimate,
    estimate,
    mem_geometry,
    pe_products,
    product_cells,
    product_kind,
)
from pocket_cnn.ir.network import Network

#: Let auto fold kernel taps (par_k < K*K): pcnn_conv folds them (tap groups).
FOLD_TAPS = True

#: Most products (par_in * par_out) of one memory-form PE that auto considers.
MEM_MAX_PRODUCTS = 32

#: Rounds of speeding up a PE when blocks waiting on each other lose clocks.
MAX_ROUNDS = 64


@dataclass(frozen=True)
class AutoTarget:
    """What ``auto`` aims at: ``rate`` images/s at ``clock_mhz`` (None: keep up with the
    input port) within ``cells`` logic cells and ``dsps`` DSPs (None: no device)."""

    rate: float | None = None
    clock_mhz: float | None = None
    cells: int | None = None
    dsps: int = 0
    device: str = ""
    #: block RAMs of the device (None: not counted)
    brams: int | None = None
    #: yosys maps products with a choice of weights into DSPs (not on iCE40)
    choice_dsp: bool = False
    #: logic cells for the memory-window form (None: ``cells``); its estimate is closer
    mem_cells: int | None = None
    #: iCE40: only the memory form's products are DSPs, two per block (8 x 8 mode)
    dsp_pairs: bool = False

    def estimate(self, net: Network, par: Sequence[Triple]) -> Estimate:
        """The resource estimate of ``net`` at ``par`` on this device."""
        return estimate(net, par, self.dsps, self.choice_dsp, self.dsp_pairs)

    @property
    def dsp_products(self) -> int:
        """Products per DSP block of the memory form."""
        return ICE40_PRODUCTS_PER_DSP if self.dsp_pairs else 1

    def cycles(self, net: Network) -> int:
        """Clocks per image to meet: clock / rate, else the input port's bound."""
        if self.rate is None or self.clock_mhz is None:
            return net.input_words
        return max(1, int(self.clock_mhz * 1e6 / self.rate))


@dataclass(frozen=True)
class AutoChoice:
    """The chosen setting, its clocked report and estimate, and a one-line note when
    the target was not met or the device forced a slower setting ("" otherwise)."""

    par: tuple[Triple, ...]
    report: CycleReport
    estimate: Estimate
    note: str = ""


def _dims(net: Network) -> list[tuple[int, int, int, int]]:
    """(ch_in, ch_out, K*K, windows per image) of every PE."""
    out = []
    for st in net.stages:
        _, ho, wo = st.conv_shape
        out.append((st.ch_in, st.ch_out, st.kernel**2, ho * wo))
    return out + [(f.n_in, f.n_out, 1, 1) for f in net.fc]


def _candidates(ch_in: int, ch_out: int, kk: int, windows: int) -> list[tuple[int, Triple]]:
    """(clocks per image, setting) of every useful setting of one PE, cheapest first:
    per count of steps only the smallest par_in / par_out / par_k reaching it."""
    pis = sorted({-(-ch_in // n) for n in range(1, ch_in + 1)})
    pos = sorted({-(-ch_out // n) for n in range(1, ch_out + 1)})
    pks = sorted({-(-kk // n) for n in range(1, kk + 1)}) if FOLD_TAPS else [kk]
    out = []
    for pi in pis:
        for po in pos:
            for pk in pks:
                par = (pi, po, pk)
                out.append((windows * conv_steps(ch_in, ch_out, kk, par), par))
    dims = (ch_in, ch_out, kk)

    def cells(par: Triple) -> float:
        return product_cells(product_kind(dims, par), pe_products(par), False)

    out.sort(key=lambda c: (pe_products(c[1]), cells(c[1]), c[0], c[1]))
    return out


def _pick(cs: list[tuple[int, Triple]], budget: int) -> tuple[int, Triple]:
    """The cheapest (clocks, setting) of one PE within ``budget`` clocks, else the fastest."""
    for c in cs:
        if c[0] <= budget:
            return c
    return min(cs, key=lambda c: (c[0], pe_products(c[1])))


def _per_pe(cands: list[list[tuple[int, Triple]]], budget: int) -> tuple[Triple, ...]:
    """Per PE the cheapest setting within ``budget`` clocks (the fastest if none is)."""
    return tuple(_pick(cs, budget)[1] for cs in cands)


def _meet(
    net: Network, cands: list[list[tuple[int, Triple]]], want: int
) -> tuple[tuple[Triple, ...], CycleReport]:
    """Per PE the cheapest setting within ``want``; while the clocked network misses it
    (blocks waiting on each other), the slowest PE not yet at its fastest gets a
    faster setting."""
    budgets = [want] * len(cands)
    picks = [_pick(cs, b) for cs, b in zip(cands, budgets, strict=True)]
    rep = cycle_report(net, [p for _, p in picks])
    for _ in range(MAX_ROUNDS):
        if rep.steady <= want:
            break
        slower = [(cyc, i) for i, (cyc, _) in enumerate(picks) if cyc > min(c[0] for c in cands[i])]
        if not slower:
            break
        _, i = max(slower)
        budgets[i] = picks[i][0] - 1
        picks[i] = _pick(cands[i], budgets[i])
        rep = cycle_report(net, [p for _, p in picks])
    if rep.steady <= want:
        # a PE sped up early may not have needed it once a later one was: back to the
        # cheapest setting of each that keeps the target
        for i, cs in enumerate(cands):
            for c in cs[: cs.index(picks[i])]:
                if c[0] > want:
                    continue
                trial = [p for _, p in picks]
                trial[i] = c[1]
                r = cycle_report(net, trial)
                if r.steady <= want:
                    picks[i], rep = c, r
                    break
    return tuple(p for _, p in picks), rep


def choose(net: Network, target: AutoTarget | None = None) -> AutoChoice:
    """The ``auto`` setting of ``net`` for ``target`` (default: keep up with the input)."""
    target = target or AutoTarget()
    want = target.cycles(net)
    cands = [_candidates(*d) for d in _dims(net)]

    def fits(par: tuple[Triple, ...]) -> bool:
        if target.cells is None:
            return True
        return target.estimate(net, par).cells <= target.cells

    par, rep = _meet(net, cands, want)
    note = ""
    if rep.steady > want:
        note = (
            f"auto: {want} clocks per image cannot be met (the fastest setting takes "
            f"{rep.steady}); using it"
        )
    if not fits(par):
        par, rep = _fastest_fitting(net, cands, want, fits)
        est = target.estimate(net, par)
        device = target.device or "device"
        note = (
            f"auto: {want} clocks per image does not fit the {device} (estimate); the "
            f"fastest setting that fits takes {rep.steady} clocks per image "
            f"({est.multipliers} multipliers, ~{est.cells} cells)"
            if fits(par)
            else f"auto: no setting fits the {device} by the estimate; using the smallest, "
            f"{rep.steady} clocks per image ({est.multipliers} multipliers, ~{est.cells} cells)"
        )
    if target.cells is not None and (note or rep.steady > want):
        mem = mem_choice(net, target, want)
        if mem is not None and (
            not fits(par)
            or mem[1].steady < rep.steady
            or (
                mem[1].steady == rep.steady
                and target.estimate(net, mem[0]).cells < target.estimate(net, par).cells
            )
        ):
            par, rep = mem
            est = target.estimate(net, par)
            note = (
                ""
                if rep.steady <= want
                else f"auto: {want} clocks per image does not fit the "
                f"{target.device or 'device'} (estimate); the memory-window form's fastest "
                f"setting that fits takes {rep.steady} clocks per image "
                f"({est.multipliers} multipliers, ~{est.cells} cells, {est.brams} block RAMs)"
            )
        elif mem is None and not fits(par):
            # nothing fits either form: the smaller of the two smallest settings
            small = mem_smallest(net, target)
            if small is not None:
                est = target.estimate(net, small)
                if est.cells < target.estimate(net, par).cells:
                    par, rep = small, cycle_report(net, small)
                    note = (
                        f"auto: no setting fits the {target.device or 'device'} by the "
                        f"estimate; using the smallest, the memory-window form's "
                        f"{rep.steady} clocks per image ({est.multipliers} multipliers, "
                        f"~{est.cells} cells, {est.brams} block RAMs)"
                    )
    return AutoChoice(par, rep, target.estimate(net, par), note)


def mem_smallest(net: Network, target: AutoTarget) -> tuple[Triple, ...] | None:
    """The memory-window form's smallest setting (one product per PE, in DSPs as far as
    the device has them), or None where the form cannot run the network."""
    cands = _mem_network_candidates(net)
    if cands is None:
        return None
    return _mem_assign(
        [cs[0] for cs in cands], target.dsps, _mem_dsp_base(net, target), target.dsp_products
    )


def _mem_network_candidates(net: Network) -> list[list[tuple[int, int, int]]] | None:
    """:func:`_mem_candidates` of every PE, or None where the form cannot run the
    network (a first FC over a map that is not square)."""
    for f in net.fc[:1]:
        if f.in_shape[1] != f.in_shape[2]:
            return None
    return [_mem_candidates(net, i) for i in range(len(net.stages) + len(net.fc))]


def _mem_dsp_base(net: Network, target: AutoTarget) -> int:
    """DSPs the memory-form network takes outside its PEs: the GAP's divider (none on
    iCE40, whose flow maps no product into a DSP)."""
    return 2 if net.gap is not None and not target.dsp_pairs else 0


def _mem_candidates(net: Network, i: int) -> list[tuple[int, int, int]]:
    """(clocks per image, par_in, par_out) of memory-form PE ``i``: per product count
    the fastest (of those as fast, the fewest output lanes: each has its accumulator
    and requantiser holding register), slowest first."""
    ci, co, _, _, k, _, _, pixels = mem_geometry(net, i)
    best: dict[int, tuple[int, int, int]] = {}
    for pi in range(1, ci + 1):
        for po in range(1, min(co, MEM_MAX_PRODUCTS // pi) + 1):
            cyc = pixels * -(-co // po) * k * k * -(-ci // pi)
            n = pi * po
            if n not in best or (cyc, po) < (best[n][0], best[n][2]):
                best[n] = (cyc, pi, po)
    return [best[n] for n in sorted(best)]


def _mem_pick(cands: list[tuple[int, int, int]], budget: int) -> tuple[int, int, int]:
    """The fewest products within ``budget`` clocks (the fastest if none is)."""
    for c in cands:
        if c[0] <= budget:
            return c
    return min(cands)


def _mem_assign(
    picks: list[tuple[int, int, int]], dsps: int, base: int, per: int = 1
) -> tuple[Triple, ...]:
    """Products in DSPs (``per`` to a block) while the device has them (after ``base``
    taken elsewhere), the PEs with the fewest products in logic beyond that."""
    logic: set[int] = set()
    order = sorted(range(len(picks)), key=lambda i: (picks[i][1] * picks[i][2], i))
    blocks = [-(-(p[1] * p[2]) // per) for p in picks]
    used = base + sum(blocks)
    for i in order:
        if used <= dsps:
            break
        logic.add(i)
        used -= blocks[i]
    return tuple((p[1], p[2], MEM_LOGIC_K if i in logic else MEM_K) for i, p in enumerate(picks))


def mem_choice(
    net: Network, target: AutoTarget, want: int
) -> tuple[tuple[Triple, ...], CycleReport] | None:
    """The memory-window form on every PE: the smallest clock budget from ``want`` up
    whose setting fits ``target``'s device (None: an FC that the form cannot run, or no
    device)."""
    cands = _mem_network_candidates(net)
    if target.cells is None or cands is None:
        return None
    base = _mem_dsp_base(net, target)
    budgets = sorted({want} | {c[0] for cs in cands for c in cs if c[0] >= want})

    def fits(par: tuple[Triple, ...]) -> bool:
        est = target.estimate(net, par)
        cells = target.mem_cells if target.mem_cells is not None else target.cells
        return est.cells <= (cells or 0) and (target.brams is None or est.brams <= target.brams)

    for b in budgets:
        picks = [_mem_pick(cs, b) for cs in cands]
        par = _mem_assign(picks, target.dsps, base, target.dsp_products)
        if fits(par):
            break
    else:
        return None
    report = cycle_report(net, par)
    # A PE that cannot meet the budget paces the network: the others need be no faster.
    pace = max(c[0] for c in picks)
    relaxed = _mem_assign(
        [_mem_pick(cs, pace) for cs in cands], target.dsps, base, target.dsp_products
    )
    if relaxed != par and fits(relaxed):
        slow = cycle_report(net, relaxed)
        if slow.steady <= report.steady:
            return relaxed, slow
    return par, report


def _fastest_fitting(
    net: Network,
    cands: list[list[tuple[int, Triple]]],
    budget: int,
    fits: Callable[[tuple[Triple, ...]], bool],
) -> tuple[tuple[Triple, ...], CycleReport]:
    """The smallest budget >= ``budget`` whose per-PE choice fits (binary search; the
    slowest setting, one product per PE, when nothing fits)."""
    slowest = max(c[-1][0] for c in [sorted(cs) for cs in cands])
    lo, hi = budget, max(budget, slowest)
    if not fits(_per_pe(cands, hi)):
        par = _per_pe(cands, hi)
        return par, cycle_report(net, par)
    while lo < hi:
        mid = (lo + hi) // 2
        if fits(_per_pe(cands, mid)):
            hi = mid
        else:
            lo = mid + 1
    par = _per_pe(cands, lo)
    return par, cycle_report(net, par)


def triples_text(par: Sequence[Triple], kks: Sequence[int]) -> str:
    """``PIN,POUT[,PK];...`` (PK only where it folds taps)."""
    return ";".join(
        f"{a},{b}" + (f",{k}" if k != kk else "") for (a, b, k), kk in zip(par, kks, strict=True)
    )
