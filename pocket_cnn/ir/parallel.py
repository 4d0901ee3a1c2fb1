"""The parallelism setting: input and output channels a PE computes per clock.

One parser for every front end (CLI ``--parallel``, the FuseSoC generator's
``parallel`` parameter, the API): ``full`` (or None) means every channel at once;
otherwise one ``(par_in, par_out)`` pair per PE, given as ``"PIN,POUT;PIN,POUT"``
or as a list of pairs. :func:`resolve_parallel` checks the setting against a network
once, in the front end; the layers below (emit, simulation, synthesis) take the
:class:`PeParallel` it returns and pass it on unchanged.

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
from pocket_cnn.ir.network import Network

#: Parsed setting: None = full parallelism, else (par_in, par_out) per PE.
Parallel = Sequence[tuple[int, int]] | None


@dataclass(frozen=True)
class PeParallel:
    """(par_in, par_out) per PE, checked against a network by :func:`resolve_parallel`."""

    pairs: tuple[tuple[int, int], ...]
    full: bool = False  # given as 'full': every channel of every PE at once

    def __str__(self) -> str:
        """``full`` or ``PIN,POUT;PIN,POUT;...``, as the CLI takes it."""
        return "full" if self.full else ";".join(f"{a},{b}" for a, b in self.pairs)


def parse_parallel(value: Any) -> list[tuple[int, int]] | None:
    """``None``/``"full"`` -> full parallelism, else a list of (par_in, par_out) per PE."""
    if value is None or value == "full":
        return None
    if isinstance(value, str):
        text = value.strip()
        if text == "full":
            return None
        try:
            pairs = [p.split(",") for p in text.split(";") if p.strip()]
            return [(int(a), int(b)) for a, b in pairs]
        except ValueError as err:
            raise ModelError(
                f"'{value}' is not 'full' nor 'PIN,POUT;PIN,POUT;...' (one pair per PE)",
                node="parallel",
            ) from err
    if isinstance(value, list | tuple) and all(
        isinstance(p, list | tuple)
        and len(p) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in p)
        for p in value
    ):
        return [(int(p[0]), int(p[1])) for p in value]
    raise ModelError(
        f"{value!r} is not 'full' nor a list of [par_in, par_out] per PE", node="parallel"
    )


def resolve_parallel(net: Network, parallel: Any) -> PeParallel:
    """The setting (anything :func:`parse_parallel` takes, or an already resolved
    :class:`PeParallel`, returned as is) checked against ``net``. Bad values -> ModelError."""
    if isinstance(parallel, PeParallel):
        _check_count(net, len(parallel.pairs))
        return parallel
    parsed = parse_parallel(parallel)
    if parsed is None:
        bound = net.input_words
        full = [(st.ch_in, st.ch_out) for st in net.stages]
        full += [fc_default(f.n_in, f.n_out, bound) for f in net.fc]
        return PeParallel(tuple(full), full=True)
    pairs = list(parsed)
    _check_count(net, len(pairs))
    out: list[tuple[int, int]] = []
    for (name, ch_in, ch_out), pair in zip(pe_dims(net), pairs, strict=True):
        try:
            p_in, p_out = (int(v) for v in pair)
        except (TypeError, ValueError):
            raise ModelError(
                f"parallel entry {pair!r} for PE '{name}' is not a pair of integers",
                node="parallel",
            ) from None
        if not (1 <= p_in <= ch_in and 1 <= p_out <= ch_out):
            raise ModelError(
                f"parallel ({p_in}, {p_out}) for PE '{name}' must be within "
                f"1..{ch_in} input and 1..{ch_out} output channels",
                node="parallel",
            )
        out.append((p_in, p_out))
    return PeParallel(tuple(out))


def pe_dims(net: Network) -> list[tuple[str, int, int]]:
    """(name, ch_in, ch_out) of every PE: the conv stages, then the FC layers."""
    dims = [(st.name, st.ch_in, st.ch_out) for st in net.stages]
    return dims + [(f.name, f.n_in, f.n_out) for f in net.fc]


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
            f"parallel lists {count} (par_in, par_out) pairs but the network has "
            f"{n} PEs ({len(net.fc)} of them fully connected); give one pair per PE",
            node="parallel",
        )
