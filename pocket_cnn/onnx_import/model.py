"""ONNX -> IR: QOperator, QDQ or any mix of the two, every hardware limit checked.

The graph must be one chain from one float graph input (through QuantizeLinear) to
one graph output (DequantizeLinear of the last int8 tensor). Nodes are visited in
topological order and dispatched to one handler per op (``HANDLERS``); handlers
track what every tensor is (see :mod:`pocket_cnn.onnx_import.state`) and build the
stages. Anything unsupported raises :class:`ModelError` naming node, op and fix.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import onnx

from pocket_cnn.errors import ModelError
from pocket_cnn.ir import MAX_CHANNELS, Network
from pocket_cnn.onnx_import import add as import_add
from pocket_cnn.onnx_import import conv as import_conv
from pocket_cnn.onnx_import import fc as import_fc
from pocket_cnn.onnx_import import host as import_host
from pocket_cnn.onnx_import import layers as import_layers
from pocket_cnn.onnx_import import qdq as import_qdq
from pocket_cnn.onnx_import.graph import FLOAT_TYPES, GraphView, fail, label
from pocket_cnn.onnx_import.state import (
    FROM_INPUT,
    Acc,
    Deq,
    FcAcc,
    FloatInput,
    ImportState,
    QInt,
)

Handler = Callable[[onnx.NodeProto, ImportState], None]

MS_DOMAIN = "com.microsoft"

#: (domain, op_type) -> handler. The default domain is "".
HANDLERS: dict[tuple[str, str], Handler] = {
    ("", "QuantizeLinear"): import_qdq.quantize,
    ("", "DequantizeLinear"): import_qdq.dequantize,
    ("", "Identity"): import_qdq.identity,
    ("", "Constant"): import_qdq.constant,
    ("", "Conv"): import_conv.conv,
    ("", "QLinearConv"): import_conv.qlinear_conv,
    ("", "Relu"): import_layers.relu,
    ("", "LeakyRelu"): import_layers.leaky_relu,
    ("", "Clip"): import_layers.clip,
    ("", "Sigmoid"): import_layers.sigmoid,
    ("", "Tanh"): import_layers.tanh,
    ("", "HardSigmoid"): import_layers.hard_sigmoid,
    ("", "Add"): import_add.add,
    ("", "MaxPool"): import_layers.max_pool,
    ("", "GlobalAveragePool"): import_layers.global_average_pool,
    ("", "Flatten"): import_fc.flatten,
    ("", "Squeeze"): import_fc.flatten,
    ("", "Reshape"): import_fc.flatten,
    ("", "Gemm"): import_fc.gemm,
    ("", "MatMul"): import_fc.matmul,
    ("", "QLinearMatMul"): import_fc.qlinear_matmul,
    (MS_DOMAIN, "QGemm"): import_fc.qgemm,
    (MS_DOMAIN, "QLinearLeakyRelu"): import_layers.qlinear_leaky_relu,
    (MS_DOMAIN, "QLinearSigmoid"): import_layers.qlinear_sigmoid,
    (MS_DOMAIN, "QLinearAdd"): import_add.qlinear_add,
    (MS_DOMAIN, "QLinearGlobalAveragePool"): import_layers.qlinear_global_average_pool,
    # onnxruntime also registers these contrib ops in the com.microsoft domain
    (MS_DOMAIN, "QuantizeLinear"): import_qdq.quantize,
    (MS_DOMAIN, "DequantizeLinear"): import_qdq.dequantize,
}

#: ops with a handler only to refuse them with advice (not listed as supported)
REFUSED = {"QLinearAdd"}
SUPPORTED = ", ".join(sorted({op for _, op in HANDLERS} - REFUSED))


def load_model(path: str | Path) -> Network:
    """Read an ONNX file and import it; file problems raise :class:`ModelError`."""
    return from_onnx(read_onnx(path))


def read_onnx(path: str | Path) -> onnx.ModelProto:
    """Read an ONNX file; a missing, unreadable or non-ONNX file is a ModelError."""
    p = Path(path)
    if not p.exists():
        raise ModelError("file not found; check the path", node=str(p))
    if not p.is_file():
        raise ModelError("is not a file; give an .onnx model file", node=str(p))
    try:
        model = onnx.load(str(p))
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelError(
            f"cannot be read as ONNX ({reason}); the file is truncated or not an ONNX model",
            node=str(p),
        ) from None
    if model.ir_version <= 0 or not model.HasField("graph"):
        raise ModelError(
            "is not an ONNX model (no IR version or graph); export the model to ONNX first",
            node=str(p),
        )
    return model


def _graph_input(view: GraphView) -> tuple[str, tuple[int, int, int]]:
    """Name and (C, H, W) of the one float graph input."""
    if len(view.inputs) != 1:
        names = ", ".join(v.name for v in view.inputs) or "none"
        raise ModelError(f"the graph has {len(view.inputs)} inputs ({names}); use exactly one")
    inp = view.inputs[0]
    ttype = inp.type.tensor_type
    if not inp.type.HasField("tensor_type") or ttype.elem_type not in FLOAT_TYPES:
        raise ModelError(
            "graph input must be a float tensor feeding QuantizeLinear "
            "(the hardware input words are its quantized values)",
            node=inp.name,
        )
    if not ttype.HasField("shape") or len(ttype.shape.dim) != 4:
        raise ModelError("graph input must have a 4-D shape (N, C, H, W)", node=inp.name)
    sizes: list[int] = []
    for dim, what in zip(ttype.shape.dim[1:], ("channel count", "height", "width"), strict=True):
        if not dim.HasField("dim_value") or dim.dim_value <= 0:
            param = f" ('{dim.dim_param}')" if dim.dim_param else ""
            raise ModelError(
                f"{what} is dynamic{param}; export the model with a fixed {what}",
                node=inp.name,
            )
        sizes.append(int(dim.dim_value))
    if sizes[0] > MAX_CHANNELS:
        raise ModelError(
            f"{sizes[0]} input channels exceed the limit of {MAX_CHANNELS}; "
            f"use at most {MAX_CHANNELS}",
            node=inp.name,
        )
    return inp.name, (sizes[0], sizes[1], sizes[2])


def _check_single_use(
    view: GraphView, node: onnx.NodeProto, name: str, host: import_host.HostPart
) -> None:
    users = list(view.used_by(name))
    if len(users) > 1 and not all(u in host for u in users):
        names = ", ".join(f"'{label(u)}'" for u in users)
        raise fail(
            node,
            f"output '{name}' feeds {len(users)} nodes ({names}); "
            "only a single chain of layers is supported",
        )


def _dispatch(node: onnx.NodeProto, st: ImportState) -> None:
    domain = "" if node.domain in ("", "ai.onnx") else node.domain
    handler = HANDLERS.get((domain, node.op_type))
    if handler is None:
        where = f" (domain {node.domain})" if domain else ""
        raise fail(
            node,
            f"operator {node.op_type}{where} is not supported; supported operators: {SUPPORTED}",
        )
    handler(node, st)


def _output_value(st: ImportState, graph: onnx.GraphProto) -> QInt:
    """The int8 tensor the graph output dequantizes."""
    if len(graph.output) != 1:
        raise ModelError(f"the graph has {len(graph.output)} outputs; use exactly one")
    name = graph.output[0].name
    value = st.values.get(name)
    if value is None:
        raise ModelError("graph output does not come from the graph input", node=name)
    if isinstance(value, Acc):
        raise ModelError(
            "graph output is a float Conv result; add QuantizeLinear -> DequantizeLinear "
            "after the last Conv",
            node=name,
        )
    if isinstance(value, FcAcc):
        raise ModelError(
            "graph output is a float Gemm / MatMul result; add QuantizeLinear -> "
            "DequantizeLinear after the last fully connected layer",
            node=name,
        )
    if isinstance(value, FloatInput):
        raise ModelError("the graph has no layers; add at least one Conv", node=name)
    if isinstance(value, Deq):
        if value.pending:
            last = value.pending[-1].node
            raise fail(last, "the graph ends in a float op; add QuantizeLinear -> DequantizeLinear")
        value = value.src
    if value.producer == FROM_INPUT:
        raise ModelError("the graph has no convolution; add at least one Conv", node=name)
    return value


def _host_boundary(st: ImportState, first: onnx.NodeProto) -> tuple[list[onnx.NodeProto], str]:
    """Where the host takes over before node ``first``: the float ops pending since the
    last DequantizeLinear (the host runs them too) and the tensor the host reads (an
    8-bit tensor, or the float DequantizeLinear of one)."""
    name = next((n for n in first.input if n in st.values), None)
    value = st.values.get(name) if name is not None else None
    what = f"{first.op_type} (left to the host)"
    if isinstance(value, Acc | FcAcc):
        raise fail(
            first,
            f"{what} reads a float Conv / Gemm result; add QuantizeLinear -> "
            "DequantizeLinear before it (the hardware's output is 8-bit)",
        )
    if not isinstance(value, QInt | Deq):
        raise fail(first, f"{what} reads the network input; add at least one Conv before it")
    pending: list[onnx.NodeProto] = []
    src = value
    if isinstance(value, Deq):
        pending = [p.node for p in value.pending]
        if pending:
            name = pending[0].input[0]
        src = value.src
    assert name is not None and isinstance(src, QInt)
    if src.producer == FROM_INPUT:
        raise fail(first, f"{what} comes before any convolution; add at least one Conv")
    return pending, name


def from_onnx(model: onnx.ModelProto) -> Network:
    """Import an in-memory ONNX model into the IR."""
    graph = model.graph
    if len(graph.node) == 0:
        raise ModelError(
            "the graph is empty (no nodes); export a model with at least one Conv",
            node=graph.name or "graph",
        )
    view = GraphView(graph)
    input_name, input_shape = _graph_input(view)
    st = ImportState(view=view)
    st.values[input_name] = FloatInput(input_shape)
    users = list(view.used_by(input_name))
    if len(users) != 1 or users[0].op_type != "QuantizeLinear":
        raise ModelError(
            "graph input must feed exactly one QuantizeLinear node (the input quantizer)",
            node=input_name,
        )
    host = import_host.host_part(view, input_name)
    for node in view.ordered_nodes():
        if node in host:
            continue
        _dispatch(node, st)
        if node.output and node.output[0] in st.values:
            _check_single_use(view, node, node.output[0], host)
    host_ops: list[tuple[str, str]] = []
    boundary = None
    if host.first is None:
        _output_value(st, graph)
    else:
        pending, boundary = _host_boundary(st, host.first)
        host_ops = [(n.op_type, label(n)) for n in [*pending, *host.chain]]
    assert st.input_q is not None
    assert all(d.y_q is not None for d in st.stages)
    assert all(d.y_q is not None for d in st.fcs)
    return Network(
        name=graph.name or "network",
        input_shape=input_shape,
        input_q=st.input_q.q,
        stages=[d.freeze() for d in st.stages],
        gap=st.gap,
        input_name=input_name,
        output_name=graph.output[0].name,
        fc=[d.freeze() for d in st.fcs],
        host_ops=host_ops,
        boundary=boundary,
    )


__all__ = ["HANDLERS", "from_onnx", "load_model"]
