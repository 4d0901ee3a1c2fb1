"""CAPI=2 cores for generated VHDL: the text, and the network's VHDL + core written as one.

:func:`core_text` describes generated files (paths relative to their folder), optionally
depending on the IP core; :func:`write_generated_core` is ``pocket-cnn generate``: the
network's VHDL plus ``<top>.core`` in a folder, all or nothing, for flows that do not
run FuseSoC generators.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from pocket_cnn.atomic import existing_ancestor
from pocket_cnn.emit import emit
from pocket_cnn.errors import ModelError
from pocket_cnn.ip import core_version
from pocket_cnn.ir import Network
from pocket_cnn.ir.parallel import PeParallel

#: VLNV of the IP core the generated code needs.
IP_VLNV = "pocket-cnn:cnn:pocket_cnn"
#: Library part of the VLNV of cores written by :func:`write_generated_core`.
GENERATED_LIBRARY = "pocket-cnn:generated"


def core_text(
    vlnv: str,
    rtl: list[Path],
    sim: list[Path],
    root: Path,
    depend: bool = False,
    description: str = "pocket-cnn generated network",
) -> str:
    """A CAPI=2 core for the generated files (paths relative to ``root``)."""
    filesets: dict[str, Any] = {
        "rtl": {
            "files": [str(p.relative_to(root)) for p in rtl],
            "file_type": "vhdlSource-2008",
            "logical_name": "pocket_cnn",
        }
    }
    if depend:
        filesets["rtl"]["depend"] = [f">={IP_VLNV}:{core_version()}"]
    names = ["rtl"]
    if sim:
        filesets["sim"] = {
            "files": [str(p.relative_to(root)) for p in sim],
            "file_type": "vhdlSource-2008",
            "logical_name": "pocket_cnn",
        }
        names.append("sim")
    data = {
        "name": vlnv,
        "description": description,
        "filesets": filesets,
        "targets": {"default": {"filesets": names}},
    }
    return "CAPI=2:\n" + yaml.safe_dump(data, sort_keys=False)


def write_generated_core(
    net: Network,
    outdir: str | Path,
    top: str = "pcnn_net",
    parallel: PeParallel | None = None,
    dsp: str = "infer",
) -> list[Path]:
    """Write the VHDL plus ``<top>.core`` (depending on the IP core) into ``outdir``, all or
    nothing; returns the paths written. ``parallel`` resolved by the caller (None: full),
    ``dsp`` the products' form (:func:`pocket_cnn.emit.emit`)."""
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise ModelError("output exists and is not a directory; give another path", node=str(out))
    with tempfile.TemporaryDirectory(dir=existing_ancestor(out), prefix=".pcnn-gen-") as tmp_name:
        tmp = Path(tmp_name)
        vhdl = emit(net, tmp, top, parallel, dsp=dsp)
        core = tmp / f"{top}.core"
        core.write_text(
            core_text(
                f"{GENERATED_LIBRARY}:{top}:0.1.0",
                vhdl,
                [],
                tmp,
                depend=True,
                description=f"pocket-cnn network {net.name} as entity {top}",
            )
        )
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for src in [*vhdl, core]:
            dst = out / src.relative_to(tmp)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(src), dst)
            written.append(dst)
    return written
