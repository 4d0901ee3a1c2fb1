"""The board top's UART protocol, as bytes (no framing).

The host sends the C*H*W input words of one image in stream order (channel fastest,
then column, then row), one byte each: uint8 as is, int8 as two's complement. The
board answers with exactly ``net.output_words`` result bytes (int8, two's complement)
in the same stream order, then one status byte: bit 7 the board's sticky error flag
(a UART RX error, a byte lost to a full FIFO, a network framing error), bits 6..0 the
results it has sent since its reset, modulo 128 (this one included). Then the next image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Network
from pocket_cnn.simulation.stimuli import to_words


def encode_image(net: Network, image: np.ndarray) -> bytes:
    """The bytes to send for one (C, H, W) image of the network's input dtype."""
    arr = np.asarray(image)
    if tuple(arr.shape) != tuple(net.input_shape):
        raise ModelError(f"image has shape {arr.shape}, expected {net.input_shape}")
    words = to_words(arr[np.newaxis])
    return bytes((words & 0xFF).astype(np.uint8).tolist())


def decode_result(net: Network, data: bytes) -> np.ndarray:
    """The result words (int64, stream order) of one image from its result bytes."""
    if len(data) != net.output_words:
        raise ModelError(f"expected {net.output_words} result bytes, got {len(data)}")
    return np.frombuffer(data, dtype=np.int8).astype(np.int64)


#: Bytes the board sends after each result (the status byte).
STATUS_BYTES = 1


@dataclass(frozen=True)
class BoardStatus:
    """The status byte after a result."""

    error: bool  # sticky error flag: UART RX error, lost byte or network framing error
    results: int  # results sent since the board's reset, modulo 128


def decode_status(data: bytes) -> BoardStatus:
    """The status byte (bit 7 error flag, bits 6..0 result count)."""
    if len(data) != STATUS_BYTES:
        raise ModelError(f"expected {STATUS_BYTES} status byte, got {len(data)}")
    return BoardStatus(error=bool(data[0] & 0x80), results=data[0] & 0x7F)
