"""The parallelism setting: input and output channels a PE computes per clock.

One parser for every front end (CLI ``--parallel``, the FuseSoC generator's
``parallel`` parameter, the API): ``full`` (or None) means every channel at once;
otherwise one ``(par_in, par_out)`` pair per PE, given as ``"PIN,POUT;PIN,POUT"``
or as a list of pairs. :func:`resolve_parallel` checks the setting against a network
once, in the front end; the layers below (emit, simulation, synthesis) take the
:class:`PeParallel` it returns and pass it on unchanged.
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
        return PeParallel(tuple((st.ch_in, st.ch_out) for st in net.stages), full=True)
    pairs = list(parsed)
    _check_count(net, len(pairs))
    out: list[tuple[int, int]] = []
    for st, pair in zip(net.stages, pairs, strict=True):
        try:
            p_in, p_out = (int(v) for v in pair)
        except (TypeError, ValueError):
            raise ModelError(
                f"parallel entry {pair!r} for PE '{st.name}' is not a pair of integers",
                node="parallel",
            ) from None
        if not (1 <= p_in <= st.ch_in and 1 <= p_out <= st.ch_out):
            raise ModelError(
                f"parallel ({p_in}, {p_out}) for PE '{st.name}' must be within "
                f"1..{st.ch_in} input and 1..{st.ch_out} output channels",
                node="parallel",
            )
        out.append((p_in, p_out))
    return PeParallel(tuple(out))


def _check_count(net: Network, count: int) -> None:
    if count != len(net.stages):
        raise ModelError(
            f"parallel lists {count} (par_in, par_out) pairs but the network has "
            f"{len(net.stages)} PEs; give one pair per PE",
            node="parallel",
        )
