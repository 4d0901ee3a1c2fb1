"""``pocket-cnn reference``: run the bit-exact reference on images from a .npy file."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np

from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Network
from pocket_cnn.outfile import write_atomic


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the ``reference`` subcommand."""
    p = sub.add_parser(
        "reference", help="run the bit-exact integer reference of a model on input images"
    )
    p.add_argument("model", metavar="MODEL.onnx", help="quantized ONNX model")
    p.add_argument(
        "input",
        metavar="INPUT.npy",
        help="integer input words (N, C, H, W) or (C, H, W), uint8 or int8 as the model says",
    )
    p.add_argument("-o", "--output", required=True, metavar="OUT.npy", help="int8 output array")
    p.set_defaults(run=run)


def expected_input(net: Network) -> tuple[tuple[int, int, int], np.dtype]:
    """(C, H, W) and dtype of the model's input words."""
    return net.input_shape, np.dtype(np.int8 if net.input_signed else np.uint8)


def read_input(net: Network, path: str | Path) -> np.ndarray:
    """Load and check the input array: (N, C, H, W) (or (C, H, W)) of the model's dtype."""
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
    shape, dtype = expected_input(net)
    if x.ndim == 3:
        x = x[np.newaxis]
    if x.ndim != 4 or tuple(x.shape[1:]) != shape or x.shape[0] < 1 or x.dtype != dtype:
        c, h, w = shape
        raise ModelError(
            f"input has shape {tuple(x.shape)} and dtype {x.dtype}; the model expects "
            f"(N, {c}, {h}, {w}) {dtype} (or ({c}, {h}, {w}) for one image)",
            node=str(p),
        )
    return x


def run(args: argparse.Namespace) -> int:
    """Import, read, run the reference, write the int8 result atomically."""
    from pocket_cnn.onnx_import import load_model
    from pocket_cnn.reference import run as reference_run

    net = load_model(args.model)
    x = read_input(net, args.input)
    y = np.asarray(reference_run(net, x), dtype=np.int8)
    buf = io.BytesIO()
    np.save(buf, y, allow_pickle=False)
    write_atomic(args.output, buf.getvalue())
    return 0
