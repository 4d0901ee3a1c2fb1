"""A text progress bar on stderr: images done / total and images per second.

On a terminal the bar is redrawn in place; otherwise (a log file, a pipe) one line
is written per tenth of the work, so logs stay short.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """``update(done)`` after each image; ``close()`` ends the line."""

    def __init__(self, total: int, label: str = "images", stream: TextIO | None = None) -> None:
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()
        self.start = time.monotonic()
        self.last_tenth = -1

    def text(self, done: int) -> str:
        """The bar for ``done`` images."""
        width = 30
        fill = width * done // max(self.total, 1)
        rate = done / max(time.monotonic() - self.start, 1e-9)
        bar = "#" * fill + "-" * (width - fill)
        return f"[{bar}] {done}/{self.total} {self.label}, {rate:.1f} {self.label}/s"

    def update(self, done: int) -> None:
        """Show that ``done`` of ``total`` are finished."""
        if self.tty:
            self.stream.write("\r" + self.text(done))
        else:
            tenth = 10 * done // max(self.total, 1)
            if tenth == self.last_tenth:
                return
            self.last_tenth = tenth
            self.stream.write(self.text(done) + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Finish the bar's line (terminal only)."""
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
