"""VHDL identifier checks for user-chosen names (the network top entity)."""

from __future__ import annotations

import re

from pocket_cnn.errors import ModelError

#: Basic identifier: a letter, then letters/digits, single underscores, no trailing one.
_IDENT = re.compile(r"^[A-Za-z](?:_?[A-Za-z0-9])*$")

#: VHDL-2008 reserved words (LRM 15.10); identifiers are case-insensitive.
_RESERVED_TEXT = """abs access after alias all and architecture array assert assume assume_guarantee
    attribute begin block body buffer bus case component configuration constant context
    cover default disconnect downto else elsif end entity exit fairness file for force
    function generate generic group guarded if impure in inertial inout is label library
    linkage literal loop map mod nand new next nor not null of on open or others out
    package parameter port postponed procedure process property protected pure range
    record register reject release rem report restrict restrict_guarantee return rol ror
    select sequence severity shared signal sla sll sra srl strong subtype then to
    transport type unaffected units until use variable vmode vprop vunit wait when while
    with xnor xor"""
RESERVED = frozenset(_RESERVED_TEXT.split())

#: Names taken in library pocket_cnn by the RTL and by standard libraries.
TAKEN_PREFIXES = ("pcnn_",)
TAKEN = frozenset({"pocket_cnn", "work", "std", "ieee"})


def check_top_name(top: str) -> str:
    """Return ``top`` if it is a usable entity name, else raise ModelError."""
    if not isinstance(top, str) or not _IDENT.match(top):
        raise ModelError(
            f"top entity name {top!r} is not a VHDL identifier; use letters, digits and "
            "single underscores, starting with a letter",
            node="top",
        )
    low = top.lower()
    if low in RESERVED or low in TAKEN:
        raise ModelError(f"top entity name {top!r} is a reserved word; choose another", node="top")
    if low.startswith(TAKEN_PREFIXES) and low != "pcnn_net":
        raise ModelError(
            f"top entity name {top!r} uses the prefix 'pcnn_' of the pocket_cnn RTL; "
            "choose another name (pcnn_net is fine)",
            node="top",
        )
    return top
