"""The board top's UART protocol, as bytes (no framing).

The host sends the C*H*W input words of one image in stream order (channel fastest,
then column, then row), one byte each: uint8 as is, int8 as two's complement. The
board answers with exactly ``net.output_words`` result bytes (int8, two's complement)
in the same stream order. Then the next image.
"""

from __future__ import annotations

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
