"""``pocket-cnn run-board MODEL.onnx INPUT.npy --port DEV``: run images on a programmed board.

The board runs the UART board top (rtl/board/pcnn_board_uart.vhd) built for the same
model. Every image of INPUT.npy is sent, its result bytes read back; the results are
written like ``pocket-cnn reference`` writes them (-o) and compared with the
reference: exit 0 all match, 1 some differ, 2 bad input, a missing port or a timeout.
"""

from __future__ import annotations

import argparse
import io
import sys

import numpy as np

from pocket_cnn.atomic import write_atomic
from pocket_cnn.cli.argmax_option import add_argmax, apply_argmax
from pocket_cnn.errors import ModelError
from pocket_cnn.host import BoardTimeout, open_link, run_images
from pocket_cnn.host.progress import ProgressBar
from pocket_cnn.host.protocol import STATUS_BYTES
from pocket_cnn.host.run import default_timeout
from pocket_cnn.ir import Network
from pocket_cnn.ir.inputs import load_input
from pocket_cnn.ir.network import MAX_ARGMAX_CLASSES
from pocket_cnn.loader import load

#: Mismatch lines printed before "... and N more".
SHOW_MISMATCHES = 10


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``run-board`` subcommand."""
    p = sub.add_parser(
        "run-board",
        help="send images to a board programmed with the UART board top, compare the results",
        description="Send every image of INPUT.npy over a serial port to a board that runs "
        "the model's UART board top, read the results back and compare them with the "
        "reference. Exit 0 all match, 1 some differ, 2 bad input, no port or a timeout.",
    )
    p.add_argument("model", metavar="MODEL.onnx", help="quantized ONNX model (or zoo:NAME[:SEED])")
    p.add_argument("input", metavar="INPUT.npy", help="input words (N, C, H, W) or (C, H, W)")
    p.add_argument("--port", required=True, metavar="DEV", help="serial device, e.g. /dev/ttyUSB1")
    p.add_argument(
        "--baud", type=int, default=115200, help="baud rate (boards/*.yaml uart.baud; 115200)"
    )
    p.add_argument("-o", "--output", default=None, metavar="OUT.npy", help="int8 results (.npy)")
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help="seconds to wait for one image's results after sending it "
        "(default 2 s plus twice the results' time on the line)",
    )
    add_argmax(p)
    p.set_defaults(run=run)


def _argmax_hint(net: Network, err: BoardTimeout) -> ModelError:
    """``err``, told that the board answers like one built with argmax when the first
    image brought exactly the class byte(s) and the status byte."""
    if net.argmax or err.image != 0 or net.scores_shape[0] > MAX_ARGMAX_CLASSES:
        return err
    if err.got != net.with_argmax().output_words + STATUS_BYTES:
        return err
    return ModelError(
        f"{err} The board sent {err.got} bytes, as a board built with argmax does "
        "(class bytes and the status byte): add --argmax"
    )


def run(args: argparse.Namespace) -> int:
    """Run the subcommand: 0 all match the reference, 1 some differ (ModelError -> 2)."""
    net = apply_argmax(load(args.model), args)
    x = load_input(net, args.input)
    timeout = default_timeout(net, args.baud) if args.timeout is None else args.timeout
    if timeout <= 0:
        raise ModelError(f"must be > 0 seconds, got {timeout}", node="--timeout")
    bar = ProgressBar(x.shape[0])
    with open_link(args.port, args.baud) as link:
        try:
            result = run_images(net, x, link, timeout, progress=bar.update)
        except BoardTimeout as err:
            raise _argmax_hint(net, err) from err
        finally:
            bar.close()
    if args.output is not None:
        buf = io.BytesIO()
        np.save(buf, result.outputs, allow_pickle=False)
        write_atomic(args.output, buf.getvalue())
    if result.extra_bytes:
        print(
            f"pocket-cnn: warning: the board sent {result.extra_bytes} bytes more than "
            f"{net.output_words} + 1 per image; is it programmed with this model?",
            file=sys.stderr,
        )
    for line in result.status_problems[:SHOW_MISMATCHES]:
        print(f"pocket-cnn: warning: {line}", file=sys.stderr)
    n = x.shape[0]
    if net.argmax:  # the board answers with the class: one line per image
        for i, cls in enumerate(result.outputs.reshape(n, -1)):
            print(f"image {i}: class {' '.join(str(int(c)) for c in cls)}")
    wrote = f"; wrote {args.output}" if args.output is not None else ""
    if result.bad_images:
        for line in result.mismatches[:SHOW_MISMATCHES]:
            print(f"pocket-cnn: {line}", file=sys.stderr)
        more = result.bad_images - SHOW_MISMATCHES
        if more > 0:
            print(f"pocket-cnn: ... and {more} more", file=sys.stderr)
        print(
            f"pocket-cnn: {result.bad_images} of {n} images differ from the reference{wrote}",
            file=sys.stderr,
        )
        return 1
    print(f"{n} images match the reference on the board{wrote}")
    return 0
