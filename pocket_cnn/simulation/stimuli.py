"""Stimuli and expected words for the network testbench (sim/tb/pcnn_tb_net.vhd).

The testbench reads text files with one integer word per line, in the order of
the network's 8-bit stream ports: images back to back, within an image channel
fastest, then column, then row (NHWC flattened). Outputs after global average
pooling are C words per image. This module turns arrays into such files and back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Network


def to_words(x: np.ndarray) -> np.ndarray:
    """Flatten (N, C, H, W) or (N, C) integers into stream order (int64, 1-D)."""
    arr = np.asarray(x)
    if arr.ndim == 4:
        arr = arr.transpose(0, 2, 3, 1)
    return arr.astype(np.int64).reshape(-1)


def from_words(words: np.ndarray, shape: tuple[int, ...], count: int) -> np.ndarray:
    """Inverse of :func:`to_words`: ``count`` images of ``shape`` ((C,) or (C, H, W)) as int8."""
    flat = np.asarray(words, dtype=np.int64)
    per_image = int(np.prod(shape))
    if flat.size != count * per_image:
        raise ModelError(f"expected {count * per_image} output words, got {flat.size}")
    if len(shape) == 1:
        return flat.reshape(count, shape[0]).astype(np.int8)
    c, h, w = shape
    return flat.reshape(count, h, w, c).transpose(0, 3, 1, 2).astype(np.int8)


def write_words(path: Path, words: np.ndarray) -> None:
    """Write one integer per line."""
    text = "\n".join(str(int(v)) for v in np.asarray(words).reshape(-1))
    path.write_text(text + "\n" if text else "")


def read_words(path: Path) -> np.ndarray:
    """Read one integer per line (blank lines ignored)."""
    values = [int(line) for line in path.read_text().split()]
    return np.asarray(values, dtype=np.int64)


def random_images(net: Network, count: int, seed: int) -> np.ndarray:
    """``count`` seeded random input images (N, C, H, W) in the network's input dtype."""
    rng = np.random.default_rng(seed)
    shape = (count, *net.input_shape)
    if net.input_signed:
        return rng.integers(-128, 128, shape, dtype=np.int16).astype(np.int8)
    return rng.integers(0, 256, shape, dtype=np.int16).astype(np.uint8)


@dataclass(frozen=True)
class SimFiles:
    """Paths of one simulation's files and its geometry."""

    input: Path
    expected: Path
    result: Path
    images: int
    in_words: int  # words per image at the input port (also the cycle bound)
    out_words: int  # words per image at the output port


def write_sim_files(
    net: Network, x: np.ndarray, expected: np.ndarray, outdir: Path, stem: str = "pcnn"
) -> SimFiles:
    """Write input and expected word files for images ``x`` into ``outdir``."""
    outdir.mkdir(parents=True, exist_ok=True)
    files = SimFiles(
        input=outdir / f"{stem}_input.txt",
        expected=outdir / f"{stem}_expected.txt",
        result=outdir / f"{stem}_result.txt",
        images=int(x.shape[0]),
        in_words=net.input_words,
        out_words=net.output_words,
    )
    write_words(files.input, to_words(x))
    # the testbench reads every output word as int8: a uint8 output as its byte
    write_words(files.expected, to_words(np.asarray(expected).astype(np.int64).astype(np.int8)))
    return files
