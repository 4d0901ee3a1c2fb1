"""The ``pocket-cnn`` command line: a thin layer over the library.

Each subcommand lives in its own module (``pocket_cnn.cmd_*``) with
``add_parser(sub)``, which adds the subparser and sets ``run=<function(args) -> int>``
as its default. To add a subcommand, write the module and list it in ``COMMANDS``.
Bad user input (:class:`ModelError`, missing files, bad values) prints one line
``pocket-cnn: error: ...`` on stderr and exits 2, without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pocket_cnn.errors import ModelError

PROG = "pocket-cnn"

#: Subcommand modules, in help order.
COMMANDS: tuple[str, ...] = (
    "pocket_cnn.cmd_zoo",
    "pocket_cnn.cmd_check",
    "pocket_cnn.cmd_reference",
    "pocket_cnn.cmd_generate",
    "pocket_cnn.cmd_simulate",
)

#: Exceptions that mean bad user input (exit 2), not a bug.
USER_ERRORS = (ModelError, FileNotFoundError, ValueError, OSError)


def build_parser(commands: Sequence[str] = COMMANDS) -> argparse.ArgumentParser:
    """The argument parser with every subcommand of ``commands`` registered."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Small quantized CNNs from ONNX to a streaming VHDL pipeline.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in commands:
        importlib.import_module(name).add_parser(sub)
    return parser


def error_line(exc: BaseException) -> str:
    """The one-line error message for ``exc``."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{PROG}: error: {text}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 2 bad input or usage)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse: --help (0) or a usage error (2)
        return stop.code if isinstance(stop.code, int) else 2
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(run(args) or 0)
    except USER_ERRORS as exc:
        print(error_line(exc), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
