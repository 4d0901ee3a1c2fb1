"""The parallelism setting: input channels, output channels and kernel taps a PE
computes per clock.

One parser for every front end (CLI ``--parallel``, the FuseSoC generator's
``parallel`` parameter, the API): ``full`` (or None) means every channel at once;
otherwise one ``(par_in, par_out[, par_k])`` entry per PE, given as
``"PIN,POUT[,PK];PIN,POUT[,PK]"`` or as a list of pairs or triples. ``par_k`` is the
number of the K*K kernel taps multiplied per clock (default K*K, all of them); a conv
PE takes ``ceil(ch_in/par_in) * ceil(ch_out/par_out) * ceil(K*K/par_k)`` clocks per
window and has ``par_in * par_out * par_k`` multipliers. :func:`resolve_parallel`
checks the setting against a network once, in the front end; the layers below (emit,
simulation, synthesis) take the :class:`PeParallel` it returns and pass it on unchanged.

Fully connected layers are PEs too (a 1x1 conv over a 1x1 map, ``ch_in = Nin``,
``ch_out = Nout``), listed after the conv PEs. One image costs such a PE
``ceil(Nin/par_in) * ceil(Nout/par_out)`` cycles (measured, tests/test_hw_fc.py);
``full`` gives it the fewest multipliers ``par_in * par_out`` whose cycles stay
within the input port's bound H*W*C (:func:`fc_default`), not every product at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pocket_cnn.errors import ModelError
from pocket_cnn.ir.auto_parallel import AutoTarget, choose
from pocket_cnn.ir.cycles import MEM_K, MEM_LOGIC_K
from pocket_cnn.ir.network import Network

#: Parsed setting: None = full parallelism, "auto", else (par_in, par_out[, par_k]) per PE.
Parallel = Sequence[tuple[int, ...]] | str | None

#: The setting of every front end (CLI, API, FuseSoC generator) when none is given.
DEFAULT = "auto"


@dataclass(frozen=True)
class PeParallel:
    """(par_in, par_out) per PE and the kernel taps per clock of every PE, checked
    against a network by :func:`resolve_parallel`."""

    pairs: tuple[tuple[int, int], ...]
    full: bool = False  # given as 'full': every channel of every PE at once
    #: (par_k, K*K) per PE: taps per clock of the K*K; () = every PE takes all its taps
    taps: tuple[tuple[int, int], ...] = ()
    #: chosen by ``auto`` (:mod:`pocket_cnn.ir.auto_parallel`)
    auto: bool = False
    #: ``auto``'s one-line note when it missed its target or the device forced a slower
    #: setting ("" otherwise); front ends print it
    note: str = ""
    #: per PE: the memory-window form (``rtl/pcnn_pe_mem.vhd``, marker ``m`` after an
    #: entry, e.g. ``"1,2m;2,4m;1,1m"``); () = every PE in the register form
    mem: tuple[bool, ...] = ()
    #: per PE in the memory form: its products as shift-and-add logic, no DSP (marker
    #: ``l`` after the ``m``: ``"1,1ml"``); () = none
    mul_logic: tuple[bool, ...] = ()

    def is_mul_logic(self, i: int) -> bool:
        """PE ``i`` (memory form) multiplies in logic, not in DSPs."""
        return bool(self.mul_logic) and self.mul_logic[i]

    def _mem_k(self, i: int) -> int:
        return MEM_LOGIC_K if self.is_mul_logic(i) else MEM_K

    def is_mem(self, i: int) -> bool:
        """PE ``i`` runs in the memory-window form."""
        return bool(self.mem) and self.mem[i]

    def par_k(self, i: int, kk: int) -> int:
        """Kernel taps per clock of PE ``i``, whose kernel has ``kk`` taps."""
        return self.taps[i][0] if self.taps else kk

    def triples(self, net: Network) -> list[tuple[int, int, int]]:
        """(par_in, par_out, par_k) of every PE of ``net`` (the cycle model's input;
        par_k = :data:`pocket_cnn.ir.cycles.MEM_K` for the memory-window form)."""
        return [
            (a, b, self._mem_k(i) if self.is_mem(i) else self.par_k(i, kk))
            for i, ((a, b), (_, _, _, kk)) in enumerate(zip(self.pairs, pe_dims(net), strict=True))
        ]

    def __str__(self) -> str:
        """``full`` or ``PIN,POUT[,PK];...``, as the CLI takes it (PK where folded)."""
        if self.full:
            return "full"
        taps = self.taps or tuple((1, 1) for _ in self.pairs)
        return ";".join(
            f"{a},{b}"
            + (f",{k}" if k != kk else "")
            + ("m" if self.is_mem(i) else "")
            + ("l" if self.is_mul_logic(i) else "")
            for i, ((a, b), (k, kk)) in enumerate(zip(self.pairs, taps, strict=True))
        )


def parse_parallel(value: Any) -> list[tuple[int, ...]] | str | None:
    """``None``/``"full"`` -> full parallelism (None), ``"auto"`` -> ``"auto"``, else a
    list of (par_in, par_out[, par_k]) per PE; an entry ending in ``m`` (text) asks for
    the memory-window form: its tuple carries a last element -1 (:func:`split_mem`)."""
    if value is None or value == "full":
        return None
    if isinstance(value, str):
        text = value.strip()
        if text == "full":
            return None
        if text == "auto":
            return "auto"
        try:
            entries = [_entry(p) for p in text.split(";") if p.strip()]
            if any(len(split_mem(e)[0]) not in (2, 3) for e in entries):
                raise ValueError
            return entries
        except ValueError as err:
            raise ModelError(
                f"'{value}' is not 'auto', 'full' nor 'PIN,POUT[,PK][m];PIN,POUT[,PK][m];...' "
                "(one entry per PE; m: the memory-window form)",
                node="parallel",
            ) from err
    if isinstance(value, list | tuple) and all(
        isinstance(p, list | tuple)
        and len(split_mem(tuple(p))[0]) in (2, 3)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in p)
        for p in value
    ):
        return [tuple(int(v) for v in p) for p in value]
    raise ModelError(
        f"{value!r} is not 'auto', 'full' nor a list of [par_in, par_out(, par_k)] per PE",
        node="parallel",
    )


#: the last element of a parsed entry that marks the memory-window form (MEM_LOGIC:
#: with its products in logic)
MEM = -1
MEM_LOGIC = -2


def _entry(text: str) -> tuple[int, ...]:
    t = text.strip()
    for suffix, mark in (("ml", MEM_LOGIC), ("m", MEM)):
        if t.endswith(suffix):
            return (*(int(v) for v in t.removesuffix(suffix).split(",")), mark)
    return tuple(int(v) for v in t.split(","))


def split_mem(entry: tuple[int, ...]) -> tuple[tuple[int, ...], bool]:
    """A parsed entry without its memory-form marker, and whether it had one."""
    if entry and entry[-1] in (MEM, MEM_LOGIC):
        return entry[:-1], True
    return entry, False


def resolve_parallel(net: Network, parallel: Any, target: AutoTarget | None = None) -> PeParallel:
    """The setting (anything :func:`parse_parallel` takes, or an already resolved
    :class:`PeParallel`, returned as is) checked against ``net``; ``auto`` is chosen
    for ``target`` (default: keep up with the input port, no device limit). Bad values
    -> ModelError."""
    if isinstance(parallel, PeParallel):
        _check_count(net, len(parallel.pairs))
        return parallel
    parsed = parse_parallel(parallel)
    if parsed == "auto":
        return auto_parallel(net, target)
    if parsed is None:
        bound = net.input_words
        full = [(st.ch_in, st.ch_out) for st in net.stages]
        full += [fc_default(f.n_in, f.n_out, bound) for f in net.fc]
        return PeParallel(tuple(full), full=True)
    assert not isinstance(parsed, str)
    _check_count(net, len(parsed))
    out: list[tuple[int, int]] = []
    taps: list[tuple[int, int]] = []
    mems: list[bool] = []
    logic: list[bool] = []
    for i, ((name, ch_in, ch_out, kk), marked) in enumerate(zip(pe_dims(net), parsed, strict=True)):
        entry, mem = split_mem(marked)
        if mem:
            check_mem_form(net, i)
        mems.append(mem)
        logic.append(mem and marked[-1] == MEM_LOGIC)
        p_in, p_out = entry[0], entry[1]
        p_k = entry[2] if len(entry) > 2 else kk
        if not (1 <= p_in <= ch_in and 1 <= p_out <= ch_out):
            raise ModelError(
                f"parallel ({p_in}, {p_out}) for PE '{name}' must be within "
                f"1..{ch_in} input and 1..{ch_out} output channels",
                node="parallel",
            )
        if not 1 <= p_k <= kk:
            raise ModelError(
                f"parallel taps per clock {p_k} for PE '{name}' must be within 1..{kk} "
                "(its kernel's K*K)",
                node="parallel",
            )
        out.append((p_in, p_out))
        taps.append((p_k, kk))
    folded = any(k != kk for k, kk in taps)
    return PeParallel(
        tuple(out),
        taps=tuple(taps) if folded else (),
        mem=tuple(mems) if any(mems) else (),
        mul_logic=tuple(logic) if any(logic) else (),
    )


def check_mem_form(net: Network, i: int) -> None:
    """PE ``i`` can run in the memory-window form (else ModelError): an FC reads a
    square map (it runs as a K = H = W conv) and follows a conv stage or another FC."""
    n_conv = len(net.stages)
    if i < n_conv:
        return
    f = net.fc[i - n_conv]
    _, h, w = f.in_shape
    if h != w:
        raise ModelError(
            f"the memory-window form runs an FC as a square conv over its {h}x{w} input "
            "map; pool the map to a square first or drop the 'm' of this PE",
            node=f.name,
        )


def auto_parallel(net: Network, target: AutoTarget | None = None) -> PeParallel:
    """The ``auto`` setting of ``net`` (:func:`pocket_cnn.ir.auto_parallel.choose`)."""
    choice = choose(net, target)
    dims = pe_dims(net)
    pairs = tuple((a, b) for a, b, _ in choice.par)
    taps = tuple(
        (k if k > MEM_K else kk, kk)
        for (_, _, k), (_, _, _, kk) in zip(choice.par, dims, strict=True)
    )
    folded = any(k != kk for k, kk in taps)
    mem = tuple(k <= MEM_K for _, _, k in choice.par)
    logic = tuple(k == MEM_LOGIC_K for _, _, k in choice.par)
    return PeParallel(
        pairs,
        taps=taps if folded else (),
        auto=True,
        note=choice.note,
        mem=mem if any(mem) else (),
        mul_logic=logic if any(logic) else (),
    )


def pe_dims(net: Network) -> list[tuple[str, int, int, int]]:
    """(name, ch_in, ch_out, K*K) of every PE: the conv stages, then the FC layers."""
    dims = [(st.name, st.ch_in, st.ch_out, st.kernel * st.kernel) for st in net.stages]
    return dims + [(f.name, f.n_in, f.n_out, 1) for f in net.fc]


def fc_cycles(n_in: int, n_out: int, pair: tuple[int, int]) -> int:
    """Cycles per image of an FC PE at ``pair`` = (par_in, par_out)."""
    return -(-n_in // pair[0]) * -(-n_out // pair[1])


def fc_default(n_in: int, n_out: int, bound: int) -> tuple[int, int]:
    """The FC's ``full`` setting: fewest multipliers ``par_in * par_out`` with at most
    ``bound`` cycles per image (ties: fewer cycles, then the smaller par_in)."""
    best: tuple[int, int, int, int] | None = None
    for p_in in range(1, n_in + 1):
        steps = -(-n_in // p_in)
        if steps > bound:
            continue
        p_out = -(-n_out // max(1, bound // steps))
        p_out = min(max(p_out, 1), n_out)
        cyc = fc_cycles(n_in, n_out, (p_in, p_out))
        key = (p_in * p_out, cyc, p_in, p_out)
        if cyc <= bound and (best is None or key < best):
            best = key
    return (n_in, n_out) if best is None else (best[2], best[3])


def _check_count(net: Network, count: int) -> None:
    n = len(net.stages) + len(net.fc)
    if count != n:
        raise ModelError(
            f"parallel lists {count} (par_in, par_out[, par_k]) entries but the network "
            f"has {n} PEs ({len(net.fc)} of them fully connected); give one per PE",
            node="parallel",
        )
