"""Send every image through a programmed board and compare with the reference."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from pocket_cnn.host.protocol import STATUS_BYTES, decode_result, decode_status, encode_image
from pocket_cnn.host.serial_link import SerialLink
from pocket_cnn.ir import Network
from pocket_cnn.reference import run as reference_run
from pocket_cnn.simulation.stimuli import from_words, to_words

#: Bytes per UART character (start bit, 8 data bits, stop bit).
BITS_PER_BYTE = 10


def default_timeout(net: Network, baud: int) -> float:
    """Seconds to wait for one image's results once its bytes are sent: 2 s plus
    twice the time the result bytes take on the line."""
    return 2.0 + 2.0 * net.output_words * BITS_PER_BYTE / baud


@dataclass
class BoardRun:
    """The board's outputs (layout of the reference), the reference, and the images that differ."""

    outputs: np.ndarray
    expected: np.ndarray
    mismatches: list[str] = field(default_factory=list)
    extra_bytes: int = 0
    #: what the status bytes said: the error flag set, a result count out of step
    status_problems: list[str] = field(default_factory=list)

    @property
    def bad_images(self) -> int:
        """How many images differ from the reference."""
        return len(self.mismatches)


def describe_mismatch(index: int, got: np.ndarray, want: np.ndarray) -> str | None:
    """One line for an image whose words (stream order) differ, else None."""
    diff = np.flatnonzero(got != want)
    if diff.size == 0:
        return None
    k = int(diff[0])
    return (
        f"image {index}: {diff.size} of {want.size} words differ "
        f"(first at word {k}: board {int(got[k])}, reference {int(want[k])})"
    )


def run_images(
    net: Network,
    x: np.ndarray,
    link: SerialLink,
    timeout: float,
    progress: Callable[[int], None] | None = None,
) -> BoardRun:
    """Send the (N, C, H, W) images ``x`` one by one, read each result, compare with
    the reference. A missing result raises :class:`BoardTimeout`."""
    expected = np.asarray(reference_run(net, x), dtype=np.int8)
    want_words = to_words(expected).reshape(x.shape[0], net.output_words)
    link.discard_input()
    words = np.zeros((x.shape[0], net.output_words), dtype=np.int64)
    mismatches: list[str] = []
    status_problems: list[str] = []
    first_count = 0
    flagged = False
    for i in range(x.shape[0]):
        link.send(encode_image(net, x[i]))
        words[i] = decode_result(net, link.receive(net.output_words, timeout, image=i))
        status = decode_status(link.receive(STATUS_BYTES, timeout, image=i))
        first_count = status.results if i == 0 else first_count
        if status.results != (first_count + i) % 128:
            status_problems.append(
                f"image {i}: the board counts {status.results} results, expected "
                f"{(first_count + i) % 128} (modulo 128): a result was lost or added"
            )
        if status.error and not flagged:
            flagged = True
            status_problems.append(
                f"image {i}: the board's error flag is set (UART error, lost byte or "
                "framing error since its reset)"
            )
        line = describe_mismatch(i, words[i], want_words[i])
        if line is not None:
            mismatches.append(line)
        if progress is not None:
            progress(i + 1)
    extra = link.pending(0.05)
    outputs = from_words(words.reshape(-1), net.output_shape, x.shape[0])
    if net.argmax:  # class indices: unsigned bytes
        outputs, expected = outputs.astype(np.uint8), expected.astype(np.uint8)
    return BoardRun(
        outputs=outputs,
        expected=expected,
        mismatches=mismatches,
        extra_bytes=extra,
        status_problems=status_problems,
    )
