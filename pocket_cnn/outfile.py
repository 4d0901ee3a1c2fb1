"""Atomic output files: write a temp file next to the target, then ``os.replace``.

A failed or interrupted command never leaves a half-written output behind.
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
    """Write ``data`` to ``path`` atomically; a missing directory is a :class:`ModelError`."""
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise ModelError("output directory does not exist; create it first", node=str(parent))
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
