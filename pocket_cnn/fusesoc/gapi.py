"""FuseSoC's generator interface (GAPI 1.0), shared by every generator of the core.

FuseSoC runs ``python3 <generator>.py <instance>_input.yml`` in the output directory;
the YAML holds ``files_root`` (the calling core's directory), ``gapi``, ``parameters``
and ``vlnv``. :func:`read_input` checks it, :func:`run` is the scripts' ``main``: it
calls the generator's ``generate(input_yml, outdir) -> files`` and turns bad input
into one line on stderr and exit code 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from pocket_cnn.errors import ModelError

Generate = Callable[[Path, Path], list[Path]]


def read_input(input_yml: Path) -> dict[str, Any]:
    """The generator input file as a mapping with at least ``vlnv``."""
    try:
        data = yaml.safe_load(input_yml.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ModelError(f"cannot read generator input: {err}", node=str(input_yml)) from err
    if not isinstance(data, dict) or "vlnv" not in data:
        raise ModelError("not a FuseSoC generator input file", node=str(input_yml))
    return data


def run(generate: Generate, script: str, argv: list[str] | None, done: str) -> int:
    """A generator script's entry point: exit 0 (printing ``done`` and the file count), or
    2 with one line on stderr for bad input."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(f"usage: {script} INPUT.yml (run by FuseSoC)", file=sys.stderr)
        return 2
    try:
        written = generate(Path(args[0]), Path.cwd())
    except (ModelError, OSError) as err:
        print(f"pocket-cnn: error: {err}", file=sys.stderr)
        return 2
    print(f"pocket-cnn: {done}: {', '.join(p.name for p in written)}")
    return 0
