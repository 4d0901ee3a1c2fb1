"""The ``pocket-cnn`` command line: a thin layer over the library.

Each subcommand lives in its own module (``pocket_cnn.cli.cmd_*``) with
``add_parser(sub)``, which adds the subparser and sets ``run=<function(args) -> int>``
as its default. To add a subcommand, write the module and list it in ``COMMANDS``.
Bad user input (:class:`ModelError`, or an OS error such as a permission problem)
prints one line ``pocket-cnn: error: ...`` on stderr and exits 2, without a
traceback; any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from pocket_cnn._version import __version__
from pocket_cnn.errors import ModelError

PROG = "pocket-cnn"

#: Subcommand modules, in help order.
COMMANDS: tuple[str, ...] = (
    "pocket_cnn.cli.cmd_zoo",
    "pocket_cnn.cli.cmd_check",
    "pocket_cnn.cli.cmd_quantize",
    "pocket_cnn.cli.cmd_reference",
    "pocket_cnn.cli.cmd_generate",
    "pocket_cnn.cli.cmd_simulate",
    "pocket_cnn.cli.cmd_synth",
    "pocket_cnn.cli.cmd_run_board",
    "pocket_cnn.cli.cmd_ip_path",
)

#: Exceptions that mean bad user input or environment (exit 2, one line). Anything
#: else is a bug in pocket-cnn and keeps its traceback.
USER_ERRORS = (ModelError, OSError)


def build_parser(commands: Sequence[str] = COMMANDS) -> argparse.ArgumentParser:
    """The argument parser with every subcommand of ``commands`` registered."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Small quantized CNNs from ONNX to a streaming VHDL pipeline.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in commands:
        importlib.import_module(name).add_parser(sub)
    return parser


def error_line(exc: BaseException) -> str:
    """The one-line error message for ``exc``."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{PROG}: error: {text}"


def _quiet_stdout() -> None:
    """After a broken pipe: send the rest of stdout to /dev/null (no second error at exit)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    0 ok, 1 a simulation or board whose results differ from the reference or a design
    that does not fit the device (synth), 2 bad input, a tool failure or usage,
    130 interrupted (Ctrl-C). A closed stdout (``pocket-cnn zoo --list | head``) is not
    an error.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse: --help/--version (0) or a usage error (2)
        return stop.code if isinstance(stop.code, int) else 2
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        code = int(run(args) or 0)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as exc:
        print(error_line(exc), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
