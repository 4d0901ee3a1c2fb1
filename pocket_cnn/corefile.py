"""Read the source lists from pocket_cnn.core: the one build description."""

from __future__ import annotations

from pathlib import Path

import yaml

#: Repository root (the package is installed editable from the checkout).
ROOT = Path(__file__).resolve().parents[1]
CORE_FILE = ROOT / "pocket_cnn.core"


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
