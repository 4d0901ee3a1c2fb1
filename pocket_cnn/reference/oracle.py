"""onnxruntime as the independent oracle, with exact ONNX semantics (the one helper).

The oracle runs every graph with onnxruntime's graph optimisations OFF
(``ORT_DISABLE_ALL``): each node then runs as written, and with power-of-two
scales every QuantizeLinear / QLinearConv step is exact (docs/numerics.md).
With optimisations on, onnxruntime fuses DequantizeLinear -> Conv -> QuantizeLinear
into a uint8 x int8 QLinearConv whose AVX2 kernel (CPUs without VNNI) saturates
16-bit pair sums: that path is not exact on every CPU, so nothing compares against it.
:func:`fused_session` exists only for the test that keeps this reason visible.

onnxruntime is a development dependency, imported only when this is used.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx

from pocket_cnn.ir import Network


def to_float(net: Network, x: np.ndarray) -> np.ndarray:
    """Integer input words -> the float graph input: DequantizeLinear of the input
    quantisation, ``f32((x - zp) * scale)``; the input QuantizeLinear gives ``x`` back
    exactly (|x - zp| <= 255, so the float32 error is far below half an LSB)."""
    q = net.input_q
    diff = (np.asarray(x).astype(np.int64) - q.zero_point).astype(np.float32)
    return (diff * np.float32(q.scale)).astype(np.float32)


def _session(model: onnx.ModelProto, level: Any, optimized_path: str | None = None) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = level
    if optimized_path is not None:
        opts.optimized_model_filepath = optimized_path
    return ort.InferenceSession(
        model.SerializeToString(), sess_options=opts, providers=["CPUExecutionProvider"]
    )


def session(model: onnx.ModelProto) -> Any:
    """The oracle's CPU session: graph optimisations off, one thread."""
    import onnxruntime as ort

    return _session(model, ort.GraphOptimizationLevel.ORT_DISABLE_ALL)


def fused_session(model: onnx.ModelProto, optimized_path: str | None = None) -> Any:
    """A session with every graph optimisation on (NOT exact on every CPU; see module doc).

    ``optimized_path``: where onnxruntime writes the rewritten graph, to inspect it.
    """
    import onnxruntime as ort

    return _session(model, ort.GraphOptimizationLevel.ORT_ENABLE_ALL, optimized_path)


def words(net: Network, sess: Any, x: np.ndarray) -> np.ndarray:
    """Output words of session ``sess`` for input words ``x``, shaped like ``reference.run``.

    The float output is ``f32((q - zp) * scale)`` (the final DequantizeLinear): ``q``
    is recovered by dividing by the scale and rounding, and checked to give that float
    output back bit for bit; returned as int64.
    """
    if net.argmax:  # numpy's argmax of onnxruntime's scores (first of equal maxima)
        scores = words(net.with_argmax(False), sess, x)
        return np.argmax(scores, axis=1, keepdims=True).astype(np.int64)
    out = sess.run(None, {net.input_name: to_float(net, x)})[0]
    if out.dtype in (np.int8, np.uint8):  # the hardware's output itself (host ops follow)
        ints8 = np.asarray(out).astype(np.int64)
        return ints8.reshape(ints8.shape[0], *net.output_shape)
    q = net.output_q
    got = np.asarray(out, np.float32)
    ints = np.rint(got.astype(np.float64) / float(np.float32(q.scale))).astype(np.int64)
    back = (ints.astype(np.float32) * np.float32(q.scale)).astype(np.float32)
    if not np.array_equal(back, got):
        raise AssertionError("onnxruntime output is not a whole number of LSBs")
    result = ints + q.zero_point
    return result.reshape(result.shape[0], *net.output_shape)


def hardware_model(net: Network, model: onnx.ModelProto) -> onnx.ModelProto:
    """``model`` with the hardware's output as its graph output: a copy whose output is
    ``net.boundary`` when the host runs ops after the hardware (``net.host_ops``),
    else ``model`` itself."""
    if not net.host_ops or net.boundary is None:
        return model
    cut = onnx.ModelProto()
    cut.CopyFrom(model)
    del cut.graph.output[:]
    cut.graph.output.append(onnx.ValueInfoProto(name=net.boundary))  # type from the graph
    return cut


def run_ort(net: Network, model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    """The oracle: output words of ``model`` (the ONNX form of ``net``) for input words ``x``
    (with host ops: of the tensor the hardware gives, ``net.boundary``)."""
    return words(net, session(hardware_model(net, model)), x)
