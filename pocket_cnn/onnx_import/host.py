"""What the hardware leaves to the host: the ops after the network's integer part.

Models often end in float ops after their last DequantizeLinear (Softmax, a
HardSigmoid and a GlobalAveragePool the quantizer left in float, ...) or in an op the
hardware has no use for (Softmax also between Q/DQ, com.microsoft QLinearSoftmax).
The import stops before them: the hardware's output is the 8-bit tensor that feeds
them (the integers the final DequantizeLinear of the hardware part reads), and the
ops are recorded in ``Network.host_ops`` with ``Network.boundary``, the tensor the
host continues from. The chain up to there is imported as always.

The host part starts at the first node of the chain (the nodes that depend on the
graph input) that is

* an op only the host runs (:data:`HOST_ONLY`), or
* in the float tail (the nodes after the chain's last DequantizeLinear when no
  QuantizeLinear or quantized op follows it) and not one the import takes there as
  always: Identity, Flatten / Reshape / Squeeze (the data order does not change) and
  the float layers Conv / Gemm / MatMul (which keep their messages: they need a
  QuantizeLinear), nor any node after such a layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import onnx

from pocket_cnn.onnx_import.graph import GraphView, fail, label

MS_DOMAIN = "com.microsoft"

#: (domain, op) of ops the hardware never runs (they need the whole vector or floats).
HOST_ONLY = {
    ("", "Softmax"),
    ("", "LogSoftmax"),
    ("", "Hardmax"),
    ("", "ArgMax"),
    ("", "ArgMin"),
    ("", "TopK"),
    (MS_DOMAIN, "QLinearSoftmax"),
}
#: float-tail ops the import takes as it always does
_KEEP = {"DequantizeLinear", "Identity", "Flatten", "Reshape", "Squeeze"}
_LAYERS = {"Conv", "Gemm", "MatMul"}
_QLAYERS = {"QLinearConv", "QLinearMatMul", "QGemm"}


def _domain(node: onnx.NodeProto) -> str:
    return "" if node.domain in ("", "ai.onnx") else node.domain


def _quantized_out(node: onnx.NodeProto) -> bool:
    """Whether the node certainly makes an 8-bit tensor (QuantizeLinear, QLinear ops)."""
    op = node.op_type
    return op == "QuantizeLinear" or op.startswith("QLinear") or op in ("QGemm", "QAttention")


@dataclass
class HostPart:
    """The host's part of the graph: ``chain`` in order (listed to the user), and every
    node that only feeds it (``skip``: not imported)."""

    chain: list[onnx.NodeProto] = field(default_factory=list)
    skip: set[int] = field(default_factory=set)

    @property
    def first(self) -> onnx.NodeProto | None:
        return self.chain[0] if self.chain else None

    def __contains__(self, node: onnx.NodeProto) -> bool:
        return id(node) in self.skip


def _chain(view: GraphView, ordered: list[onnx.NodeProto], input_name: str) -> list[onnx.NodeProto]:
    """The nodes that depend on the graph input, in topological order."""
    reach = {input_name}
    out = []
    for node in ordered:
        if any(name in reach for name in node.input if name):
            out.append(node)
            reach.update(o for o in node.output if o)
    return out


def _float_tail(chain: list[onnx.NodeProto]) -> list[onnx.NodeProto]:
    """The chain nodes after its last DequantizeLinear, if no quantized tensor follows."""
    tail: list[onnx.NodeProto] = []
    for node in reversed(chain):
        if node.op_type == "DequantizeLinear":
            return tail
        if _quantized_out(node):
            return []
        tail.insert(0, node)
    return []


def host_part(view: GraphView, input_name: str) -> HostPart:
    """Find the host's part of the graph (empty when the hardware runs all of it)."""
    ordered = view.ordered_nodes()
    chain = _chain(view, ordered, input_name)
    cut = next((i for i, n in enumerate(chain) if (_domain(n), n.op_type) in HOST_ONLY), len(chain))
    tail = _float_tail(chain)
    for node in tail:
        if node.op_type in _LAYERS:
            break
        if node.op_type not in _KEEP:
            cut = min(cut, next(i for i, n in enumerate(chain) if n is node))
            break
    part = HostPart(chain=chain[cut:])
    later = next((n for n in part.chain if n.op_type in _LAYERS | _QLAYERS), None)
    if part.first is not None and later is not None:
        first = part.first
        raise fail(
            first,
            f"{first.op_type} comes before layer '{label(later)}' ({later.op_type}); only "
            "ops after the last layer can be left to the host: remove it or move it to "
            "the end",
        )
    part.skip = {id(n) for n in part.chain}
    # nodes off the chain that only feed the host part (a Constant, a DequantizeLinear
    # of an initializer, ...) are not imported either
    on_chain = {id(n) for n in chain}
    for node in reversed(ordered):
        if id(node) in on_chain:
            continue
        users = [u for o in node.output if o for u in view.used_by(o)]
        if users and all(id(u) in part.skip for u in users):
            part.skip.add(id(node))
    return part


def describe(host_ops: list[tuple[str, str]], boundary: str | None = None) -> str:
    """One line: what the host runs after the hardware (its QuantizeLinear and
    DequantizeLinear nodes counted, not listed) and from which tensor."""
    shown = [f"{op} '{name}'" for op, name in host_ops if op not in _QDQ]
    qdq = sum(op in _QDQ for op, _ in host_ops)
    text = "left to the host: " + ", ".join(shown or ["nothing"])
    if qdq:
        text += f" (with {qdq} QuantizeLinear/DequantizeLinear node{'s' if qdq > 1 else ''})"
    if boundary:
        text += f", from tensor '{boundary}'"
    return text


_QDQ = {"QuantizeLinear", "DequantizeLinear"}

__all__ = ["HOST_ONLY", "HostPart", "describe", "host_part"]
