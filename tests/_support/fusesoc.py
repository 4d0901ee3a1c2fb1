"""FuseSoC as a user runs it, in isolation: a fusesoc.conf of its own under one folder
(cache and build trees there too), libraries added with ``fusesoc library add``, the venv's
bin first on PATH (the generators' python3 and the YoWASP tools are looked up there)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from pocket_cnn.ip import ROOT

from .tools import BIN

#: Folders of the checkout FuseSoC must not scan for cores.
IGNORED = ("examples", "build", ".venv")


class FuseSoC:
    """A private FuseSoC setup under ``base``, with ``library`` (default: the checkout)
    added as library ``pocket_cnn``. Call it with FuseSoC's arguments. ``env`` replaces
    the environment FuseSoC runs in (default: this one, the venv's bin first on PATH)."""

    def __init__(self, base: Path, library: Path = ROOT, env: dict[str, str] | None = None) -> None:
        base.mkdir(parents=True, exist_ok=True)
        self.base = base
        self.build = base / "build"
        self.conf = base / "fusesoc.conf"
        ignored = " ".join(str(ROOT / d) for d in IGNORED)
        self.conf.write_text(
            f"[main]\ncache_root = {base / 'cache'}\nbuild_root = {self.build}\n"
            f"ignored_dirs = {ignored}\n"
        )
        path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
        self.env = dict(env) if env is not None else {**os.environ, "PATH": path}
        # the installed package (not the checkout on PYTHONPATH) provides the edalize plugin
        self.env.pop("PYTHONPATH", None)
        self.env.pop("FUSESOC_CORES", None)
        self.library_add("pocket_cnn", library)

    def __call__(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "fusesoc"), "--config", str(self.conf), *args],
            cwd=self.base,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def library_add(self, name: str, path: Path) -> None:
        """``fusesoc library add`` of a local folder; fails the test if FuseSoC refuses."""
        proc = self("library", "add", "--sync-type", "local", name, str(path))
        assert proc.returncode == 0, proc.stdout + proc.stderr
