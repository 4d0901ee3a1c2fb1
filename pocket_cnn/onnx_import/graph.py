"""Graph plumbing for the ONNX importer: constants, node order, attributes, names.

Nothing here knows about quantisation; it only turns an ``onnx.GraphProto`` into
facts the op handlers need, and raises :class:`ModelError` on broken graphs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from pocket_cnn.errors import ModelError

#: Element types accepted for the float graph input.
FLOAT_TYPES = {onnx.TensorProto.FLOAT}


def label(node: onnx.NodeProto) -> str:
    """The name used for ``node`` in messages and in the IR (its output if unnamed)."""
    if node.name:
        return node.name
    return node.output[0] if node.output else node.op_type


def fail(node: onnx.NodeProto, message: str) -> ModelError:
    """A :class:`ModelError` about ``node``."""
    return ModelError(message, node=label(node), op=node.op_type)


def attrs(node: onnx.NodeProto) -> dict[str, Any]:
    """The node's attributes as Python values (lists, ints, floats, strings as str)."""
    out: dict[str, Any] = {}
    for attr in node.attribute:
        value = helper.get_attribute_value(attr)
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        out[attr.name] = value
    return out


def input_at(node: onnx.NodeProto, index: int) -> str | None:
    """Name of input ``index``, or None when it is absent (optional input left out)."""
    if index < len(node.input) and node.input[index]:
        return node.input[index]
    return None


def constant_node_value(node: onnx.NodeProto) -> np.ndarray:
    """The tensor of an ONNX ``Constant`` node."""
    a = attrs(node)
    if "value" in a:
        return numpy_helper.to_array(a["value"])
    scalar_kinds = {
        "value_float": np.float32,
        "value_int": np.int64,
        "value_floats": np.float32,
        "value_ints": np.int64,
    }
    for key, dtype in scalar_kinds.items():
        if key in a:
            return np.asarray(a[key], dtype=dtype)
    raise fail(node, "Constant without a tensor value is not supported; store it as an initializer")


class GraphView:
    """Read-only view of a graph: initialiser values, node order and consumers."""

    def __init__(self, graph: onnx.GraphProto) -> None:
        self.graph = graph
        self.consts: dict[str, np.ndarray] = {}
        for init in graph.initializer:
            try:
                self.consts[init.name] = numpy_helper.to_array(init)
            except Exception as exc:  # external data missing, bad raw data, ...
                raise ModelError(
                    f"initializer cannot be read ({exc}); the file may be truncated",
                    node=init.name,
                ) from None
        init_names = set(self.consts)
        self.inputs = [v for v in graph.input if v.name not in init_names]
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        self.producer: dict[str, onnx.NodeProto] = {}
        for node in graph.node:
            self.producer.update((name, node) for name in node.output if name)
            for name in node.input:
                if name:
                    self.consumers.setdefault(name, []).append(node)

    def ordered_nodes(self) -> list[onnx.NodeProto]:
        """Nodes in a topological order (the file's order need not be one)."""
        available = set(self.consts) | {v.name for v in self.inputs}
        pending = list(self.graph.node)
        ordered: list[onnx.NodeProto] = []
        while pending:
            rest: list[onnx.NodeProto] = []
            for node in pending:
                if all(not n or n in available for n in node.input):
                    ordered.append(node)
                    available.update(o for o in node.output if o)
                else:
                    rest.append(node)
            if len(rest) == len(pending):
                node = rest[0]
                missing = next(n for n in node.input if n and n not in available)
                raise fail(
                    node,
                    f"input '{missing}' is produced by no node, initializer or graph input "
                    "(or by a cycle); the file may be truncated or broken",
                )
            pending = rest
        return ordered

    def used_by(self, name: str) -> Iterator[onnx.NodeProto]:
        """Nodes consuming tensor ``name``."""
        yield from self.consumers.get(name, [])
