"""What onnxruntime's quantizer writes for the float nets (issue 12).

Quantizes every net of ``pocket_cnn.zoo.float_nets.FLOAT_NETS`` under every setting of
``pocket_cnn.zoo.ort_quantize.MATRIX`` and prints one block per model and setting:

- ``ops``: the node sequence in compact form. ``Q``/``DQ`` are QuantizeLinear and
  DequantizeLinear (``DQ(w)``, ``DQ(b)``: of an int8 weight or an int32 bias
  initializer, listed once as a count); ``DQ>Conv>Q`` a float op between a DQ and Q;
  ``MaxPool[u8]`` an op on 8-bit tensors; ``ms:`` marks com.microsoft ops.
- ``act``: the distinct activation (scale, zero point) pairs and their type.
- ``w``: weight type, per-channel or not (and the DQ axis), weight zero points and
  range, bias type; ``addconst``: the constant operand of an Add (a bias Add kept as
  an Add), quantized like an activation; ``cweight``: a weight computed from an
  initializer (``const:Reshape``), quantized at run time like an activation.
- ``relu``: how many Relu/Clip of the float model are gone in the quantized one.
- ``run``: whether the quantized model runs in onnxruntime (ORT_DISABLE_ALL) on the
  calibration data, and its largest error against the float model relative to the
  float output's range.

Then a summary per form: every op pattern with the settings and models it appears in,
and every failure. Usage: ``python scripts/probe_quantized.py [--models a,b]
[--settings i,j] [--n 16]``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

from pocket_cnn.zoo.float_nets import FLOAT_NETS, calibration
from pocket_cnn.zoo.ort_quantize import MATRIX, Setting, quantize_setting

MS = "com.microsoft"
EIGHT_BIT = {onnx.TensorProto.UINT8: "u8", onnx.TensorProto.INT8: "s8"}
#: (tensor, scale, zero point) input positions of the QLinear ops' quantized operands
TRIPLES: dict[str, list[tuple[int, int, int]]] = {
    "QLinearConv": [(0, 1, 2), (3, 4, 5), (-1, 6, 7)],
    "QLinearMatMul": [(0, 1, 2), (3, 4, 5), (-1, 6, 7)],
    "QGemm": [(0, 1, 2), (3, 4, 5), (-1, 7, 8)],
    "QLinearAdd": [(0, 1, 2), (3, 4, 5), (-1, 6, 7)],
    "QLinearMul": [(0, 1, 2), (3, 4, 5), (-1, 6, 7)],
    "QuantizeLinear": [(-1, 1, 2)],
    "DequantizeLinear": [(0, 1, 2)],
}
UNARY_QLINEAR = [(0, 1, 2), (-1, 3, 4)]  # QLinearGlobalAveragePool, QLinearLeakyRelu, ...


@dataclass
class Report:
    """What one quantized model holds."""

    ops: list[str] = field(default_factory=list)
    weight_dq: int = 0
    bias_dq: int = 0
    act: set[tuple[str, float, int]] = field(default_factory=set)
    consts: set[tuple[str, str, float, int]] = field(default_factory=set)
    w_types: set[str] = field(default_factory=set)
    w_axes: set[int] = field(default_factory=set)
    w_range: tuple[int, int] = (0, 0)
    w_zps: set[int] = field(default_factory=set)
    per_channel: set[bool] = field(default_factory=set)
    bias_types: set[str] = field(default_factory=set)
    relu_removed: int = 0
    run: str = ""


def _op(node: onnx.NodeProto) -> str:
    return f"ms:{node.op_type}" if node.domain == MS else node.op_type


def _arrays(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def _dtype_name(a: np.ndarray) -> str:
    return {"uint8": "u8", "int8": "s8", "int32": "s32"}.get(str(a.dtype), str(a.dtype))


def _eight_bit(model: onnx.ModelProto, inits: dict[str, np.ndarray]) -> dict[str, str]:
    """Tensor name -> "u8"/"s8" for the 8-bit tensors, propagated in graph order."""
    kinds = {n: _dtype_name(a) for n, a in inits.items() if a.dtype in (np.uint8, np.int8)}
    for node in model.graph.node:
        if node.op_type == "DequantizeLinear":
            continue
        if node.op_type == "QuantizeLinear" or node.op_type.startswith("QLinear"):
            zp = node.input[2] if node.op_type == "QuantizeLinear" else node.input[-1]
            if node.op_type == "QLinearConv" or node.op_type == "QLinearMatMul":
                zp = node.input[7]
            kinds[node.output[0]] = _dtype_name(inits[zp]) if zp in inits else "?"
        elif node.op_type == "QGemm":
            kinds[node.output[0]] = _dtype_name(inits[node.input[8]])
        elif node.input and node.input[0] in kinds:
            kinds[node.output[0]] = kinds[node.input[0]]
    return kinds


def _token(
    node: onnx.NodeProto,
    producers: dict[str, str],
    consumers: dict[str, list[str]],
    kinds: dict[str, str],
    inits: dict[str, np.ndarray],
) -> str:
    """Compact name of one compute node (Q/DQ are handled by the caller)."""
    x = node.input[0] if node.input else ""
    if x in inits:
        return f"const:{_op(node)}" + (
            ">Q" if "QuantizeLinear" in consumers[node.output[0]] else ""
        )
    if x in kinds:
        return f"{_op(node)}[{kinds[x]}]"
    before = "DQ>" if producers.get(x) == "DequantizeLinear" else ""
    outs = consumers.get(node.output[0], [])
    after = ">Q" if outs and all(o == "QuantizeLinear" for o in outs) else ""
    return f"{before}{_op(node)}{after}"


def _sequence(model: onnx.ModelProto, inits: dict[str, np.ndarray], rep: Report) -> None:
    producers = {o: n.op_type for n in model.graph.node for o in n.output}
    consumers: dict[str, list[str]] = defaultdict(list)
    for n in model.graph.node:
        for i in n.input:
            consumers[i].append(n.op_type)
    kinds = _eight_bit(model, inits)
    for node in model.graph.node:
        if node.op_type == "DequantizeLinear" and node.input[0] in inits:
            is_bias = inits[node.input[0]].dtype == np.int32
            rep.bias_dq += is_bias
            rep.weight_dq += not is_bias
        elif node.op_type == "QuantizeLinear":
            if node.input[0] not in producers:
                rep.ops.append("Q(input)")
        elif node.op_type == "DequantizeLinear":
            outs = consumers.get(node.output[0], [])
            if not outs or node.output[0] in {o.name for o in model.graph.output}:
                rep.ops.append("DQ(output)")
        else:
            rep.ops.append(_token(node, producers, consumers, kinds, inits))


def _triples(node: onnx.NodeProto) -> list[tuple[int, int, int]]:
    if node.op_type in TRIPLES:
        return TRIPLES[node.op_type]
    if node.op_type.startswith("QLinear"):
        return UNARY_QLINEAR
    return []


def _constants(model: onnx.ModelProto, inits: dict[str, np.ndarray]) -> set[str]:
    """Initializers and tensors computed from initializers only (e.g. a weight Reshape)."""
    const = set(inits)
    for node in model.graph.node:
        if node.input and all(i in const for i in node.input if i):
            const.update(node.output)
    return const


def _role(
    node: onnx.NodeProto,
    tensor: str,
    inits: dict[str, np.ndarray],
    const: set[str],
    consumers: dict[str, list[str]],
) -> str:
    """act, weight, bias, addconst (constant operand of an Add) or cweight (a computed
    constant quantized like an activation, e.g. the output of a Reshape of a weight)."""
    if tensor not in const:
        return "act"
    if tensor not in inits:
        return "cweight"
    if inits[tensor].dtype == np.int32:
        return "bias"
    users = consumers.get(node.output[0], []) if node.op_type == "DequantizeLinear" else []
    if node.op_type in ("QLinearAdd", "QLinearMul") or (users and set(users) <= {"Add", "Mul"}):
        return "addconst"
    return "weight"


def _weight(
    rep: Report, node: onnx.NodeProto, w: np.ndarray, scale: np.ndarray, zp: np.ndarray
) -> None:
    rep.w_types.add(_dtype_name(w))
    rep.per_channel.add(scale.size > 1)
    rep.w_zps.update(int(v) for v in zp.ravel())
    rep.w_range = (min(rep.w_range[0], int(w.min())), max(rep.w_range[1], int(w.max())))
    for a in node.attribute:
        if a.name == "axis" and scale.size > 1:
            rep.w_axes.add(int(a.i))


def _params(model: onnx.ModelProto, inits: dict[str, np.ndarray], rep: Report) -> None:
    const = _constants(model, inits)
    consumers: dict[str, list[str]] = defaultdict(list)
    for n in model.graph.node:
        for i in n.input:
            consumers[i].append(n.op_type)
    for node in model.graph.node:
        for t, s, z in _triples(node):
            if s >= len(node.input) or node.input[s] not in inits:
                continue
            scale, zp = inits[node.input[s]], inits[node.input[z]]
            tensor = node.input[t] if t >= 0 else node.output[0]
            role = _role(node, tensor, inits, const, consumers)
            entry = (_dtype_name(zp), float(scale.ravel()[0]), int(zp.ravel()[0]))
            if role == "weight":
                _weight(rep, node, inits[tensor], scale, zp)
            elif role == "bias":
                rep.bias_types.add("s32")
            elif role in ("addconst", "cweight"):
                rep.consts.add((role, *entry))
            else:
                rep.act.add(entry)
        if node.op_type in ("QLinearConv", "QGemm") and len(node.input) > 8:
            b = node.input[8] if node.op_type == "QLinearConv" else node.input[6]
            if b in inits:
                rep.bias_types.add(_dtype_name(inits[b]))


def _count(model: onnx.ModelProto, ops: tuple[str, ...]) -> int:
    return sum(n.op_type in ops for n in model.graph.node)


def _run(model: onnx.ModelProto, x: np.ndarray, ref: list[np.ndarray]) -> str:
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    try:
        sess = ort.InferenceSession(model.SerializeToString(), so, ["CPUExecutionProvider"])
        ys = [sess.run(None, {"input": x[i : i + 1]})[0] for i in range(len(x))]
    except Exception as e:  # onnxruntime raises its own exception types
        return f"FAIL {type(e).__name__}: {str(e).splitlines()[0][:160]}"
    f = np.stack(ref)
    err = float(np.max(np.abs(np.stack(ys) - f)) / max(float(np.ptp(f)), 1e-9))
    return f"ok, err {err:.3f} of range"


def _float_outputs(model: onnx.ModelProto, x: np.ndarray) -> list[np.ndarray]:
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return [sess.run(None, {"input": x[i : i + 1]})[0] for i in range(len(x))]


def probe(name: str, setting: Setting, n: int) -> Report:
    fmodel = FLOAT_NETS[name](0)
    x = calibration(fmodel, n, 1)
    q = quantize_setting(fmodel, x, setting)
    inits = _arrays(q)
    rep = Report()
    _sequence(q, inits, rep)
    _params(q, inits, rep)
    relus = ("Relu", "Clip")
    rep.relu_removed = _count(fmodel, relus) - _count(q, relus)
    rep.run = _run(q, x, _float_outputs(fmodel, x))
    return rep


def _fmt_act(act: set[tuple[str, float, int]]) -> str:
    types = sorted({a[0] for a in act})
    zps = sorted({a[2] for a in act})
    scales = sorted({a[1] for a in act})
    pow2 = sum(float(np.log2(s)).is_integer() for s in scales)
    shown = ", ".join(f"{s:.4g}" for s in scales)
    return f"{'/'.join(types)} zp {zps}; {len(scales)} scales ({pow2} pow2): {shown}"


def _fmt(rep: Report) -> list[str]:
    pc = "per-channel" if rep.per_channel == {True} else "per-tensor"
    if len(rep.per_channel) > 1:
        pc = "mixed per-channel/per-tensor"
    w = f"{'/'.join(sorted(rep.w_types))} {pc} zp {sorted(rep.w_zps)} range {list(rep.w_range)}"
    if rep.w_axes:
        w += f" DQ axis {sorted(rep.w_axes)}"
    w += f"; bias {'/'.join(sorted(rep.bias_types)) or '-'}"
    if rep.weight_dq or rep.bias_dq:
        w += f"; DQ(w) x{rep.weight_dq}, DQ(b) x{rep.bias_dq}"
    return [
        "  ops:  " + " ".join(rep.ops),
        "  act:  " + _fmt_act(rep.act),
        "  w:    " + w,
        *[f"  {c[0]}: {c[1]} scale {c[2]:.4g} zp {c[3]}" for c in sorted(rep.consts)],
        f"  relu: {rep.relu_removed} removed",
        "  run:  " + rep.run,
    ]


def _pick(text: str | None, every: list[str]) -> list[str]:
    return every if not text else [every[int(t)] if t.isdigit() else t for t in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", help="comma-separated model names (default: all)")
    ap.add_argument("--settings", help="comma-separated MATRIX indices (default: all)")
    ap.add_argument("--n", type=int, default=16, help="calibration images (default 16)")
    args = ap.parse_args(argv)
    logging.getLogger().setLevel(logging.ERROR)  # the quantizer's advice on formats
    names = _pick(args.models, list(FLOAT_NETS))
    idx = [int(i) for i in _pick(args.settings, [str(i) for i in range(len(MATRIX))])]
    patterns: dict[tuple[str, str], set[str]] = defaultdict(set)
    failures: list[str] = []
    for name in names:
        for i in idx:
            s = MATRIX[i]
            print(f"{name} | {i}: {s.name}")
            try:
                rep = probe(name, s, args.n)
            except Exception as e:  # the quantizer's own errors are findings
                tb = traceback.extract_tb(e.__traceback__)[-1]
                msg = f"quantize FAIL {type(e).__name__}: {e} ({tb.filename}:{tb.lineno})"
                print("  " + msg)
                failures.append(f"{name} {s.name}: {msg}")
                continue
            print("\n".join(_fmt(rep)))
            if not rep.run.startswith("ok"):
                failures.append(f"{name} {s.name}: run {rep.run}")
            for tok in set(rep.ops):
                patterns[(s.form, tok)].add(f"{i}")
                patterns[(s.form, tok)].add(name)
    _summary(patterns, failures)
    return 1 if failures else 0


def _summary(patterns: dict[tuple[str, str], set[str]], failures: list[str]) -> None:
    print("\n== op patterns per form (settings by MATRIX index; models)")
    for (form, tok), where in sorted(patterns.items()):
        sets = sorted(w for w in where if w.isdigit())
        models = sorted(w for w in where if not w.isdigit())
        print(f"{form:9} {tok:32} settings {','.join(sets):16} models {', '.join(models)}")
    print(f"\n== failures: {len(failures)}")
    for f in failures:
        print("  " + f)


if __name__ == "__main__":
    sys.exit(main())
