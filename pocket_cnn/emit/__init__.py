"""Hardware emission: IR -> VHDL (configuration package, network top, legacy wrapper)
from the Jinja2 templates in ``templates/``; GAP reciprocal constants proven exact."""

from pocket_cnn.emit.vhdl import emit

__all__ = ["emit"]
