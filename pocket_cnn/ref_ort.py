"""Run an exported network in onnxruntime and return the integer words (the test oracle).

onnxruntime is a development dependency, imported only when this is used.
"""

from __future__ import annotations

import numpy as np
import onnx

from pocket_cnn.ir import Network


def to_float(net: Network, x: np.ndarray) -> np.ndarray:
    """Integer input words -> the float graph input (exact: x * 2**-input_frac)."""
    return (np.asarray(x).astype(np.float64) * 2.0**-net.input_frac).astype(np.float32)


def session(model: onnx.ModelProto, optimize: bool = True) -> object:
    """A CPU inference session for ``model`` (graph optimisations on or off)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    if not optimize:
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(
        model.SerializeToString(), sess_options=opts, providers=["CPUExecutionProvider"]
    )


def run_ort(
    net: Network, model: onnx.ModelProto, x: np.ndarray, optimize: bool = True
) -> np.ndarray:
    """Output words of ``model`` for input words ``x``, shaped like ``reference.run``.

    The float output (DequantizeLinear) is divided by its scale 2**-output_frac,
    which is exact; the result is checked to be integral and returned as int64.
    """
    sess = session(model, optimize)
    (out,) = sess.run(None, {net.input_name: to_float(net, x)})  # type: ignore[attr-defined]
    words = np.asarray(out, np.float64) * 2.0**net.output_frac
    ints = np.rint(words)
    if not np.array_equal(ints, words):
        raise AssertionError("onnxruntime output is not a whole number of LSBs")
    ints = ints.astype(np.int64)
    if net.gap is not None:
        ints = ints.reshape(ints.shape[0], -1)
    return ints
