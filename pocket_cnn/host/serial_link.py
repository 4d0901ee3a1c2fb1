"""A serial port (pyserial) with exact-length reads against a deadline.

:class:`BoardTimeout` is a :class:`ModelError` (one error line, exit 2) whose text
says which image, how many of the expected bytes came and after how long.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

from pocket_cnn.errors import ModelError


class BoardTimeout(ModelError):
    """The board did not send all result bytes of an image in time."""

    def __init__(self, image: int, got: int, want: int, seconds: float) -> None:
        self.image, self.got, self.want, self.seconds = image, got, want, seconds
        super().__init__(
            f"image {image}: got {got} of {want} result bytes after {seconds:.1f} s; "
            "is the board programmed with this model, at this baud rate?"
        )


class SerialLink:
    """A byte link to the board: ``send`` everything, ``receive`` exactly n bytes."""

    def __init__(self, port: Any) -> None:
        self.port = port  # a serial.Serial (or anything with read/write/flush)

    def send(self, data: bytes) -> None:
        """Write all of ``data`` and wait until it has left the host."""
        self.port.write(data)
        self.port.flush()

    def receive(self, n: int, timeout: float, image: int) -> bytes:
        """Exactly ``n`` bytes, or :class:`BoardTimeout` after ``timeout`` seconds."""
        buf = bytearray()
        start = time.monotonic()
        deadline = start + timeout
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BoardTimeout(image, len(buf), n, time.monotonic() - start)
            self.port.timeout = min(left, 0.1)
            buf += self.port.read(n - len(buf))
        return bytes(buf)

    def pending(self, wait: float) -> int:
        """Bytes that arrive within ``wait`` seconds (and are thrown away)."""
        self.port.timeout = wait
        return len(self.port.read(1 << 16))

    def discard_input(self) -> None:
        """Drop bytes the board sent before we started (a previous run)."""
        self.port.reset_input_buffer()

    def close(self) -> None:
        """Close the port."""
        self.port.close()

    def __enter__(self) -> SerialLink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_link(device: str, baud: int) -> SerialLink:
    """Open ``device`` at ``baud`` 8N1 without flow control; failures -> ModelError."""
    try:
        import serial
    except ImportError:  # pragma: no cover - a dependency of pocket-cnn
        raise ModelError("pyserial is not installed; pip install pyserial") from None
    if baud <= 0:
        raise ModelError(f"must be > 0, got {baud}", node="--baud")
    try:
        port = serial.Serial(device, baudrate=baud, bytesize=8, parity="N", stopbits=1, timeout=0.1)
    except (serial.SerialException, ValueError, OSError) as err:
        text = " ".join(str(err).split())
        raise ModelError(
            f"cannot open the serial port ({text}); check --port (e.g. /dev/ttyUSB1)",
            node=device,
        ) from None
    return SerialLink(port)
