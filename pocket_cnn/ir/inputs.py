"""The one validator of network input images (arrays and .npy files).

The hardware takes integer words: ``(N, C, H, W)`` (or one ``(C, H, W)`` image) of
uint8 or int8, as the model's input QuantizeLinear says. Every entry point (the
reference, the simulator, the CLI, the FuseSoC flow) checks its input here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pocket_cnn.errors import ModelError
from pocket_cnn.ir.network import Network


def input_dtype(net: Network) -> np.dtype:
    """The dtype of the network's input words (int8 or uint8)."""
    return np.dtype(np.int8 if net.input_signed else np.uint8)


def check_input(
    net: Network, x: np.ndarray, source: str | None = None, single: bool = False
) -> np.ndarray:
    """``x`` as (N, C, H, W) if it fits the network (with ``single``, a (C, H, W) image
    is accepted too and gets N = 1).

    Anything else is a :class:`ModelError` naming ``source`` (a file) or the
    network's input and saying the shape and dtype the model expects.
    """
    arr = np.asarray(x)
    if single and arr.ndim == 3:
        arr = arr[np.newaxis]
    dtype = input_dtype(net)
    c, h, w = net.input_shape
    if arr.ndim != 4 or tuple(arr.shape[1:]) != (c, h, w) or arr.shape[0] < 1 or arr.dtype != dtype:
        raise ModelError(
            f"input has shape {tuple(np.shape(x))} and dtype {np.asarray(x).dtype}; the model "
            f"expects (N, {c}, {h}, {w}) {dtype} (or ({c}, {h}, {w}) for one image); "
            "reshape or convert the input",
            node=source or net.input_name,
        )
    return arr


def read_npy(path: str | Path) -> np.ndarray:
    """One array from a .npy file; a missing or unreadable file is a ModelError."""
    p = Path(path)
    if not p.is_file():
        raise ModelError("input file not found; check the path", node=str(p))
    try:
        x = np.load(p, allow_pickle=False)
    except Exception:
        raise ModelError(
            "is not a .npy array file; save the input with numpy.save", node=str(p)
        ) from None
    if not isinstance(x, np.ndarray):
        raise ModelError("is not a single .npy array (.npz?); save it with numpy.save", node=str(p))
    return x


def load_input(net: Network, path: str | Path) -> np.ndarray:
    """Load a .npy file of input words and check it (see :func:`check_input`)."""
    return check_input(net, read_npy(path), source=str(path), single=True)
