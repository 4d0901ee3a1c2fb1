"""Where the IP core lives, its file lists and the build root (pocket_cnn.core is the one
build description).

In a checkout (editable install) the IP is the checkout itself: ``pocket_cnn.core``
at its root next to ``rtl/``, ``sim/tb/`` and ``generators/``. An installed wheel
carries the same files as package data in ``pocket_cnn/_ip`` (setup.py copies every
file the core names). :data:`ROOT` is whichever holds ``pocket_cnn.core``; it is the
directory to give ``fusesoc library add`` (``pocket-cnn ip-path`` prints it).
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

CORE_NAME = "pocket_cnn.core"
#: The Python package directory.
PACKAGE = Path(__file__).resolve().parent
#: The IP as package data of an installed wheel.
BUNDLED = PACKAGE / "_ip"


def _find_root() -> Path:
    for candidate in (BUNDLED, PACKAGE.parent):
        if (candidate / CORE_NAME).is_file():
            return candidate
    raise RuntimeError(  # a broken installation, not a user error
        f"pocket-cnn: {CORE_NAME} is neither in {BUNDLED} nor in {PACKAGE.parent}; "
        "reinstall pocket-cnn"
    )


#: The IP core's directory (checkout or installed copy).
ROOT = _find_root()
CORE_FILE = ROOT / CORE_NAME
#: True when running from a checkout (the IP is the source tree).
IN_CHECKOUT = PACKAGE.parent == ROOT


def build_root() -> Path:
    """Where generated files and caches go: ``build/`` of a checkout, else a user cache."""
    if IN_CHECKOUT:
        return ROOT / "build"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pocket-cnn"


def fileset(name: str, core: Path = CORE_FILE) -> list[Path]:
    """Absolute paths of the files of fileset ``name`` in ``core``, in core order."""
    data = yaml.safe_load(core.read_text())
    files = data["filesets"][name]["files"]
    paths: list[Path] = []
    for entry in files:
        rel = next(iter(entry)) if isinstance(entry, dict) else entry
        paths.append(core.parent / rel)
    return paths


def rtl_sources() -> list[Path]:
    """The synthesisable VHDL of library pocket_cnn."""
    return fileset("rtl")


def core_version(core: Path = CORE_FILE) -> str:
    """The version part of the core's VLNV (kept equal to ``pocket_cnn.__version__``)."""
    data = yaml.safe_load(core.read_text())
    return str(data["name"]).rsplit(":", 1)[-1]
