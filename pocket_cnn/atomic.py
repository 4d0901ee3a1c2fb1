"""Atomic output files: write a temp file next to the target, then ``os.replace``.

A failed or interrupted command never leaves a half-written output behind; the
output's directory is created only when the output is written.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from pocket_cnn.errors import ModelError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, creating missing parent directories."""
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise ModelError("output directory is a file; give another path", node=str(parent))
    parent.mkdir(parents=True, exist_ok=True)
    if target.is_dir():
        raise ModelError("output path is a directory; give a file name", node=str(target))
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def existing_ancestor(path: str | Path) -> Path:
    """The nearest existing directory at or above ``path`` (for temporary siblings)."""
    cur = Path(path).resolve()
    while not cur.is_dir():
        if cur.exists():
            raise ModelError("is a file, not a directory; give another path", node=str(cur))
        cur = cur.parent
    return cur
