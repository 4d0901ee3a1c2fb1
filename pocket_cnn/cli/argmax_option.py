"""The ``--argmax`` option of generate, simulate, synth and run-board: the network ends
with the class index (pcnn_argmax), one byte per output pixel (per image after an FC or
a GAP), the index of the largest output channel, the first of equal maxima."""

from __future__ import annotations

import argparse

from pocket_cnn.ir import Network

HELP = (
    "end the network with the class index: one byte per image (per pixel of a map), "
    "the index of the largest output channel (ties: the lowest), as ONNX ArgMax"
)


def add_argmax(p: argparse.ArgumentParser) -> None:
    """Register ``--argmax`` on a subcommand's parser."""
    p.add_argument("--argmax", action="store_true", help=HELP)


def apply_argmax(net: Network, args: argparse.Namespace) -> Network:
    """``net`` ending with the class index when ``--argmax`` was given, else ``net``."""
    return net.with_argmax() if getattr(args, "argmax", False) else net
