"""``pocket-cnn ip-path``: the directory holding pocket_cnn.core, for ``fusesoc library add``."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``ip-path`` subcommand."""
    p = sub.add_parser(
        "ip-path",
        help="print the IP core's directory (for `fusesoc library add pocket_cnn DIR`)",
        description="Print the directory that holds pocket_cnn.core and the RTL: the checkout, "
        "or the copy installed with the package. Hand it to `fusesoc library add`.",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the directory."""
    from pocket_cnn.ip import ROOT

    print(ROOT)
    return 0
