"""Build hook: put the FuseSoC IP core into wheels as package data (pocket_cnn/_ip).

The files come from pocket_cnn.core itself (every fileset file, every generator
script) plus the board descriptions, so the core stays the one build description.
An editable install needs nothing: there the checkout is the IP (pocket_cnn.ip).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
CORE = "pocket_cnn.core"
#: Files the core does not name but the installed IP needs.
EXTRA_GLOBS = ("boards/*.yaml", "scripts/pcnn_launcher.sh", "LICENSE")


def ip_files() -> list[str]:
    """Paths (relative to the checkout) of the core and everything it names."""
    data = yaml.safe_load((HERE / CORE).read_text())
    files = {CORE}
    for fileset in (data.get("filesets") or {}).values():
        for entry in fileset.get("files") or []:
            files.add(next(iter(entry)) if isinstance(entry, dict) else str(entry))
    for gen in (data.get("generators") or {}).values():
        files.add(str(gen["command"]))
    for pattern in EXTRA_GLOBS:
        files.update(str(p.relative_to(HERE)) for p in HERE.glob(pattern))
    missing = sorted(f for f in files if not (HERE / f).is_file())
    if missing:
        raise SystemExit(f"setup.py: files named by {CORE} are missing: {', '.join(missing)}")
    return sorted(files)


class BuildPyWithIp(build_py):
    """build_py that also copies the IP core into ``pocket_cnn/_ip`` of the build."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "pocket_cnn" / "_ip"
        shutil.rmtree(target, ignore_errors=True)
        for rel in ip_files():
            dst = target / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(HERE / rel, dst)  # keeps the launcher script executable


setup(cmdclass={"build_py": BuildPyWithIp})
