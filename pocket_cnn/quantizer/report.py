"""What a quantisation did, per layer output and at the model output.

For every activation tensor the QDQ model quantizes (each QuantizeLinear of a computed
tensor ``T``): its scale, zero point and type; the share of calibration values at the
ends of the integer range (saturation); and the error against the float model: the
mean of ``|DQ(Q(T)) - T_float|`` over the calibration set, relative to the range of
``T_float``, where ``T_float`` is the same tensor in onnxruntime's pre-processed float
model (BatchNormalization folded, the tensors the quantizer reads). At the model
output: the mean and largest absolute error against the float model, also relative to
the float output's range.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from pocket_cnn.reference.oracle import session


@dataclass(frozen=True)
class LayerRow:
    """One quantized tensor."""

    tensor: str
    scale: float
    zero_point: int
    dtype: str
    saturation: float  # share of values at the type's ends
    rel_error: float | None  # mean |quantized - float| / float range (None: no float twin)


@dataclass(frozen=True)
class QuantReport:
    """The per-layer rows and the output error against the float model."""

    rows: list[LayerRow]
    out_mean_error: float
    out_max_error: float
    out_range: float

    def text(self) -> str:
        head = f"{'tensor':40s} {'scale':>12s} {'zp':>5s} {'type':>5s} {'sat %':>7s} {'err %':>7s}"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            err = "-" if r.rel_error is None else f"{100 * r.rel_error:.2f}"
            lines.append(
                f"{r.tensor[:40]:40s} {r.scale:12.6g} {r.zero_point:5d} {r.dtype:>5s} "
                f"{100 * r.saturation:7.2f} {err:>7s}"
            )
        rel = self.out_mean_error / self.out_range if self.out_range > 0 else 0.0
        lines.append(
            f"output error against float: mean {self.out_mean_error:.4g}, max "
            f"{self.out_max_error:.4g} (float output range {self.out_range:.4g}; mean "
            f"{100 * rel:.2f} % of it)"
        )
        return "\n".join(lines)


def _with_outputs(model: onnx.ModelProto, names: dict[str, int]) -> onnx.ModelProto:
    """A copy of ``model`` that also outputs the tensors ``names`` (name -> elem type)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    for name, elem in names.items():
        if name not in have:
            m.graph.output.append(helper.make_tensor_value_info(name, elem, None))
    return m


def _run(model: onnx.ModelProto, x: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    """Values of ``names`` for every image of ``x`` (batch 1 each), stacked."""
    sess: Any = session(model)
    feed = model.graph.input[0].name
    runs = [sess.run(names, {feed: x[i : i + 1]}) for i in range(len(x))]
    return {n: np.stack([r[k] for r in runs]) for k, n in enumerate(names)}


def quant_report(
    float_model: onnx.ModelProto, quantized: onnx.ModelProto, calib: np.ndarray
) -> QuantReport:
    """The report of ``quantized`` (QDQ) against ``float_model`` on ``calib``."""
    from pocket_cnn.zoo.ort_quantize import preprocess

    pre = preprocess(float_model)
    inits = {t.name: t for t in quantized.graph.initializer}
    q_nodes = [
        n
        for n in quantized.graph.node
        if n.op_type == "QuantizeLinear" and n.input[0] not in inits and n.input[0]
    ]
    float_names = {o for n in pre.graph.node for o in n.output} | {pre.graph.input[0].name}
    out_name = quantized.graph.output[0].name
    wanted: dict[str, int] = {}
    for n in q_nodes:
        zp_type = numpy_helper.to_array(inits[n.input[2]]).dtype
        wanted[n.output[0]] = helper.np_dtype_to_tensor_dtype(zp_type)
    q_vals = _run(_with_outputs(quantized, wanted), calib, [*wanted, out_name])
    twins = [n.input[0] for n in q_nodes if n.input[0] in float_names]
    f_out = pre.graph.output[0].name
    f_vals = _run(
        _with_outputs(pre, dict.fromkeys(twins, onnx.TensorProto.FLOAT)), calib, [*twins, f_out]
    )
    rows = []
    for n in q_nodes:
        scale = float(numpy_helper.to_array(inits[n.input[1]]).reshape(-1)[0])
        zp_arr = numpy_helper.to_array(inits[n.input[2]])
        zp = int(zp_arr.reshape(-1)[0])
        info = np.iinfo(zp_arr.dtype)
        ints = q_vals[n.output[0]].astype(np.int64)
        sat = float(np.mean((ints == info.min) | (ints == info.max)))
        err = None
        if n.input[0] in f_vals:
            real = f_vals[n.input[0]].astype(np.float64)
            deq = (ints - zp) * scale
            span = float(real.max() - real.min())
            err = float(np.mean(np.abs(deq - real))) / span if span > 0 else 0.0
        rows.append(LayerRow(n.input[0], scale, zp, str(zp_arr.dtype), sat, err))
    diff = np.abs(q_vals[out_name].astype(np.float64) - f_vals[f_out].astype(np.float64))
    span = float(f_vals[f_out].max() - f_vals[f_out].min())
    return QuantReport(rows, float(diff.mean()), float(diff.max()), span)
