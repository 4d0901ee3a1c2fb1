"""``pocket-cnn quantize``: post-training quantisation of a float ONNX CNN into the QDQ
form the hardware takes (pocket_cnn.quantizer), with a per-layer report."""

from __future__ import annotations

import argparse

from pocket_cnn.atomic import write_atomic
from pocket_cnn.ir.inputs import read_npy
from pocket_cnn.onnx_import import read_onnx


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``quantize`` subcommand."""
    p = sub.add_parser(
        "quantize",
        help="quantize a float ONNX CNN for the hardware (onnxruntime's quantizer)",
        description=(
            "Post-training quantisation with onnxruntime's quant_pre_process (folds "
            "BatchNormalization) and quantize_static: int8 weights, activations uint8 "
            "(default) or int8, QDQ form. --scales pow2: int8 symmetric activations, "
            "per-tensor weights, every scale rounded up to a power of two (the range is "
            "kept): shift-only hardware, no multipliers. Prints a per-layer report: "
            "scales, saturation on the calibration set, error against the float model."
        ),
    )
    p.add_argument("model", metavar="FLOAT.onnx", help="float ONNX model (as exported)")
    p.add_argument(
        "--calibration",
        required=True,
        metavar="X.npy",
        help="float32 calibration inputs (N, C, H, W), preprocessed as for inference",
    )
    p.add_argument("-o", "--output", required=True, metavar="Q.onnx", help="quantized model")
    p.add_argument("--scales", choices=["float", "pow2"], default="float")
    p.add_argument("--per-channel", action="store_true", help="per-channel weight scales")
    p.add_argument(
        "--activations", choices=["uint8", "int8"], default="uint8", help="activation type"
    )
    p.add_argument("--method", choices=["minmax", "entropy", "percentile"], default="minmax")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Quantize, check, write atomically, print the report."""
    from pocket_cnn.quantizer import QuantOptions, quant_report, quantize_float

    model = read_onnx(args.model)
    calib = read_npy(args.calibration)
    opts = QuantOptions(args.scales, args.per_channel, args.activations, args.method)
    quantized = quantize_float(model, calib, opts)
    print(quant_report(model, quantized, calib.astype("float32")).text())
    write_atomic(args.output, quantized.SerializeToString())
    print(f"wrote {args.output}")
    return 0
