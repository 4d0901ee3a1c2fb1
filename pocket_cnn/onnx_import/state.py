"""State of the ONNX import walk: what every tensor is, and the stages built so far.

Tensor kinds along the single chain from the graph input:

* :class:`FloatInput` - the float graph input (must go into QuantizeLinear),
* :class:`QInt` - an integer tensor with scale 2**-frac (int8 or, at the input, uint8),
* :class:`Deq` - DequantizeLinear of a :class:`QInt`, with exact float ops pending
  (Relu, LeakyRelu, MaxPool, GlobalAveragePool) that the next QuantizeLinear folds,
* :class:`Acc` - a float Conv result (accumulator at scale 2**-(fx+fw)) before its
  QuantizeLinear, possibly with Relu / MaxPool applied (both commute with rounding).

Constants are numpy arrays; DequantizeLinear of a constant gives a :class:`ConstQ`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx

from pocket_cnn.ir import Activation, ConvStage, GapStage, PoolSpec
from pocket_cnn.onnx_import.graph import GraphView, fail, input_at, label

Shape = tuple[int, int, int]

#: QInt producers that are not a conv stage.
FROM_INPUT = -1
FROM_GAP = -2


@dataclass(frozen=True)
class FloatInput:
    shape: Shape


@dataclass(frozen=True)
class QInt:
    frac: int
    signed: bool
    shape: Shape
    producer: int  # stage index, FROM_INPUT or FROM_GAP


@dataclass(frozen=True)
class PendingOp:
    """A float op between DequantizeLinear and QuantizeLinear."""

    kind: str  # "act", "pool" or "gap"
    node: onnx.NodeProto
    activation: Activation = Activation.NONE
    pool: PoolSpec | None = None


@dataclass(frozen=True)
class Deq:
    src: QInt
    shape: Shape
    pending: tuple[PendingOp, ...] = ()


@dataclass(frozen=True)
class Acc:
    stage: int
    frac: int
    shape: Shape


@dataclass(frozen=True)
class ConstQ:
    """DequantizeLinear of a constant: the integers with their scale and zero point."""

    values: np.ndarray
    scale: np.ndarray
    zero_point: np.ndarray | None
    node: onnx.NodeProto


Value = FloatInput | QInt | Deq | Acc


@dataclass
class StageDraft:
    """A conv stage under construction (frac_out known once quantised)."""

    name: str
    in_shape: Shape
    weights: np.ndarray
    bias: np.ndarray
    stride: int
    pad: int
    frac_in: int
    frac_w: int
    in_signed: bool
    frac_out: int | None = None
    activation: Activation = Activation.NONE
    pool: PoolSpec | None = None
    nodes: list[str] = field(default_factory=list)

    def freeze(self) -> ConvStage:
        assert self.frac_out is not None
        return ConvStage(
            name=self.name,
            in_shape=self.in_shape,
            weights=self.weights,
            bias=self.bias,
            stride=self.stride,
            pad=self.pad,
            frac_in=self.frac_in,
            frac_w=self.frac_w,
            frac_out=self.frac_out,
            in_signed=self.in_signed,
            activation=self.activation,
            pool=self.pool,
            nodes=list(self.nodes),
        )


@dataclass
class ImportState:
    """Everything the op handlers read and write."""

    view: GraphView
    values: dict[str, Value] = field(default_factory=dict)
    qconsts: dict[str, ConstQ] = field(default_factory=dict)
    stages: list[StageDraft] = field(default_factory=list)
    gap: GapStage | None = None
    input_q: QInt | None = None

    # ---- inputs of a node -------------------------------------------------
    def data(self, node: onnx.NodeProto, index: int = 0) -> Value:
        """The chain value at input ``index`` (must come from the graph input)."""
        name = input_at(node, index)
        if name is None or name not in self.values:
            raise fail(
                node,
                f"input {index} ('{name}') does not come from the graph input; "
                "only a single chain of layers from the one graph input is supported",
            )
        return self.values[name]

    def const(self, node: onnx.NodeProto, index: int, what: str) -> np.ndarray | None:
        """A constant input (initializer or Constant), or None when left out."""
        name = input_at(node, index)
        if name is None:
            return None
        if name in self.view.consts:
            return self.view.consts[name]
        raise fail(node, f"{what} '{name}' must be a constant initializer")

    def required_const(self, node: onnx.NodeProto, index: int, what: str) -> np.ndarray:
        """A constant input that must be there (a scale): missing -> ModelError."""
        value = self.const(node, index, what)
        if value is None:
            raise fail(
                node, f"input {index} ({what}) is missing; give it as a constant initializer"
            )
        return value

    def qconst(self, node: onnx.NodeProto, index: int, what: str) -> ConstQ | np.ndarray | None:
        """A constant input that may be DequantizeLinear(initializer) or a plain constant."""
        name = input_at(node, index)
        if name is None:
            return None
        if name in self.qconsts:
            return self.qconsts[name]
        return self.const(node, index, what)

    def set(self, node: onnx.NodeProto, value: Value) -> None:
        """Record the first output of ``node``; further outputs must be unused."""
        for extra in node.output[1:]:
            if extra and (list(self.view.used_by(extra)) or self._is_graph_output(extra)):
                raise fail(node, f"output '{extra}' is used; only the first output is supported")
        self.values[node.output[0]] = value

    def _is_graph_output(self, name: str) -> bool:
        return any(o.name == name for o in self.view.graph.output)

    # ---- stages -----------------------------------------------------------
    def stage_of(self, node: onnx.NodeProto, q: QInt, what: str) -> StageDraft:
        """The conv stage whose output ``q`` is, for attaching ``what`` to it."""
        if q.producer == FROM_INPUT:
            raise fail(
                node,
                f"{what} comes before any convolution; every layer must start with a Conv",
            )
        if q.producer == FROM_GAP:
            raise fail(
                node,
                f"{what} comes after GlobalAveragePool; GlobalAveragePool must be the last layer",
            )
        return self.stages[q.producer]

    def attach_activation(self, node: onnx.NodeProto, stage: StageDraft, act: Activation) -> None:
        if stage.activation is not Activation.NONE:
            raise fail(
                node,
                f"conv stage '{stage.name}' already has a {stage.activation.value} activation; "
                "use at most one activation per convolution",
            )
        stage.activation = act
        stage.nodes.append(label(node))

    def attach_pool(
        self, node: onnx.NodeProto, stage: StageDraft, pool: PoolSpec, shape: Shape
    ) -> Shape:
        """Attach a max-pool to ``stage``; returns the pooled shape."""
        if stage.pool is not None:
            raise fail(
                node,
                f"conv stage '{stage.name}' already has a MaxPool; "
                "use at most one MaxPool per convolution",
            )
        stage.pool = pool
        stage.nodes.append(label(node))
        return pooled_shape(node, shape, pool)

    def make_gap(self, node: onnx.NodeProto, q: QInt, frac_out: int) -> QInt:
        """Add the global average pool after stage output ``q``."""
        self.stage_of(node, q, "GlobalAveragePool")
        if q.producer != len(self.stages) - 1:  # pragma: no cover - chain guarantees it
            raise fail(node, "GlobalAveragePool must be the last layer")
        self.gap = GapStage(name=label(node), in_shape=q.shape, frac_in=q.frac, frac_out=frac_out)
        return QInt(frac=frac_out, signed=True, shape=(q.shape[0], 1, 1), producer=FROM_GAP)


def pooled_shape(node: onnx.NodeProto, shape: Shape, pool: PoolSpec) -> Shape:
    """Shape after a floor-mode max-pool; the map must hold at least one window."""
    c, h, w = shape
    k, s = pool.kernel, pool.stride
    if h < k or w < k:
        raise fail(
            node,
            f"input map {h}x{w} is smaller than the {k}x{k} pool window; "
            "use a smaller pool or a larger input",
        )
    return (c, (h - k) // s + 1, (w - k) // s + 1)
