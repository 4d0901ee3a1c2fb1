"""The one way HDL text is written: one Jinja2 environment, one set of settings.

Templates live next to the code that fills them (``emit/templates``,
``simulation/templates``, ``synth/templates``, ``boards/templates``) and are named by
their path inside the package, e.g. ``render("emit/templates/net_top.vhd.j2", ...)``.
Settings: a missing variable is an error (StrictUndefined), block tags take their own
line with them (``trim_blocks`` + ``lstrip_blocks``), the template's final newline is
kept, nothing is escaped (VHDL and Verilog, not HTML).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

#: The package directory: template names are paths below it.
PACKAGE = Path(__file__).resolve().parent


@cache
def environment() -> jinja2.Environment:
    """The shared environment (created once)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PACKAGE)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(template: str, **context: Any) -> str:
    """The text of ``template`` (a path below the package) filled with ``context``."""
    return environment().get_template(template).render(**context)
