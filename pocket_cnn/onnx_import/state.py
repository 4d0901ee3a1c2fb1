"""State of the ONNX import walk: what every tensor is, and the stages built so far.

Tensor kinds along the single chain from the graph input:

* :class:`FloatInput` - the float graph input (must go into QuantizeLinear),
* :class:`QInt` - an 8-bit integer tensor with its quantisation (:class:`QTensor`),
* :class:`Deq` - DequantizeLinear of a :class:`QInt`, with float ops pending
  (Relu, LeakyRelu, Clip, MaxPool, GlobalAveragePool) that the next QuantizeLinear
  folds (elementwise ones into a table),
* :class:`Acc` - a float Conv result (accumulator at scale x_scale * w_scale) before its
  QuantizeLinear, possibly with Relu / MaxPool applied (both commute with rounding),
* :class:`FcAcc` - a float Gemm / MatMul result (the last fully connected layer)
  before its QuantizeLinear, possibly with Relu applied.

Constants are numpy arrays; DequantizeLinear of a constant gives a :class:`ConstQ`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx

from pocket_cnn.ir import Activation, ConvStage, FcStage, GapStage, PoolSpec, QTensor
from pocket_cnn.ir.requant import conv_multiplier, gemm_multiplier
from pocket_cnn.onnx_import import tables
from pocket_cnn.onnx_import.graph import GraphView, fail, input_at, label

Shape = tuple[int, int, int]

#: QInt producers that are not a conv stage.
FROM_INPUT = -1
FROM_GAP = -2
#: QInt producer: the last fully connected layer (``ImportState.fcs[-1]``)
FROM_FC = -3


@dataclass(frozen=True)
class FloatInput:
    shape: Shape


@dataclass(frozen=True)
class QInt:
    q: QTensor
    shape: Shape
    producer: int  # stage index, FROM_INPUT, FROM_GAP or FROM_FC
    #: Flatten / Reshape to (N, C*H*W) applied: ``shape`` is still the (C, H, W) it came from
    flat: bool = False


@dataclass(frozen=True)
class PendingOp:
    """A float op between DequantizeLinear and QuantizeLinear."""

    kind: str  # "act", "pool" or "gap"
    node: onnx.NodeProto
    fn: tables.FloatFn | None = None  # "act": the float function
    pool: PoolSpec | None = None


@dataclass(frozen=True)
class Deq:
    src: QInt
    shape: Shape
    pending: tuple[PendingOp, ...] = ()


@dataclass(frozen=True)
class Acc:
    stage: int
    shape: Shape


@dataclass(frozen=True)
class ConstQ:
    """DequantizeLinear of a constant: the integers with their scale and zero point."""

    values: np.ndarray
    scale: np.ndarray
    zero_point: np.ndarray | None
    node: onnx.NodeProto


@dataclass(frozen=True)
class FcAcc:
    """A float Gemm / MatMul result of the last fully connected layer (QDQ form)."""

    shape: Shape


Value = FloatInput | QInt | Deq | Acc | FcAcc


@dataclass
class StageDraft:
    """A conv stage under construction (y_q known once quantised)."""

    name: str
    in_shape: Shape
    weights: np.ndarray
    bias: np.ndarray
    stride: int
    pad: int
    x_q: QTensor
    w_scale: np.ndarray
    y_q: QTensor | None = None
    activation: Activation = Activation.NONE
    table: np.ndarray | None = None
    act_q: QTensor | None = None
    pool: PoolSpec | None = None
    nodes: list[str] = field(default_factory=list)

    @property
    def out_q(self) -> QTensor:
        """Quantisation of the stage's output (after a table that changes it)."""
        assert self.y_q is not None
        return self.act_q or self.y_q

    def freeze(self) -> ConvStage:
        assert self.y_q is not None
        return ConvStage(
            name=self.name,
            in_shape=self.in_shape,
            weights=self.weights,
            bias=self.bias,
            stride=self.stride,
            pad=self.pad,
            x_q=self.x_q,
            w_scale=self.w_scale,
            y_q=self.y_q,
            activation=self.activation,
            pool=self.pool,
            nodes=list(self.nodes),
            table=self.table,
            act_q=self.act_q,
        )


@dataclass
class FcDraft:
    """A fully connected layer under construction (y_q and multiplier known once
    quantised; ``alpha`` of a Gemm enters the multiplier)."""

    name: str
    in_shape: Shape
    weights: np.ndarray
    bias: np.ndarray
    x_q: QTensor
    w_scale: np.ndarray
    #: "gemm" (QGemm's multiplier, with ``alpha``) or "matmul" (QLinearMatMul's)
    kind: str
    alpha: float = 1.0
    y_q: QTensor | None = None
    activation: Activation = Activation.NONE
    table: np.ndarray | None = None
    act_q: QTensor | None = None
    nodes: list[str] = field(default_factory=list)

    @property
    def out_q(self) -> QTensor:
        assert self.y_q is not None
        return self.act_q or self.y_q

    def freeze(self) -> FcStage:
        assert self.y_q is not None
        if self.kind == "gemm":
            mult = gemm_multiplier(self.alpha, self.x_q.scale, self.w_scale, self.y_q.scale)
        else:
            mult = conv_multiplier(self.x_q.scale, self.w_scale, self.y_q.scale)
        return FcStage(
            name=self.name,
            in_shape=self.in_shape,
            weights=self.weights,
            bias=self.bias,
            x_q=self.x_q,
            w_scale=self.w_scale,
            y_q=self.y_q,
            multiplier=mult,
            activation=self.activation,
            table=self.table,
            act_q=self.act_q,
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
    fcs: list[FcDraft] = field(default_factory=list)

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

    def source(self, node: onnx.NodeProto, index: int = 0) -> str:
        """Input ``index`` of ``node`` for messages: the tensor and the node that made it."""
        name = input_at(node, index)
        made_by = self.view.producer.get(name or "")
        return f"'{name}'" + (f" from node '{label(made_by)}'" if made_by is not None else "")

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
    def stage_of(self, node: onnx.NodeProto, q: QInt, what: str) -> StageDraft | FcDraft:
        """The conv stage (or fully connected layer) whose output ``q`` is, for
        attaching ``what`` to it."""
        if q.producer == FROM_INPUT:
            raise fail(
                node,
                f"{what} comes before any convolution; every layer must start with a Conv",
            )
        if q.producer == FROM_GAP:
            raise fail(
                node,
                f"{what} comes after GlobalAveragePool; only Flatten and fully connected "
                "layers (Gemm, MatMul) may follow GlobalAveragePool",
            )
        if q.producer == FROM_FC:
            return self.fcs[-1]
        return self.stages[q.producer]

    def attach_table(
        self,
        node: onnx.NodeProto,
        stage: StageDraft | FcDraft,
        table: np.ndarray,
        out_q: QTensor,
    ) -> None:
        """Follow the stage's output with ``table`` (from its current output type to
        ``out_q``), composed with the activation it has."""
        assert stage.y_q is not None
        cur = tables.activation_table(stage.activation, stage.y_q, stage.table)
        full = np.asarray(table, dtype=np.int64)[cur - stage.out_q.lo]
        stage.activation, stage.table = tables.simplest(full, stage.y_q, out_q)
        stage.act_q = None if out_q == stage.y_q else out_q
        stage.nodes.append(label(node))

    def attach_pool(
        self, node: onnx.NodeProto, stage: StageDraft | FcDraft, pool: PoolSpec, shape: Shape
    ) -> Shape:
        """Attach a max-pool to ``stage``; returns the pooled shape."""
        if isinstance(stage, FcDraft):
            raise fail(
                node,
                "MaxPool comes after a fully connected layer; "
                "only activations may follow a fully connected layer",
            )
        if stage.pool is not None:
            raise fail(
                node,
                f"conv stage '{stage.name}' already has a MaxPool; "
                "use at most one MaxPool per convolution",
            )
        stage.pool = pool
        stage.nodes.append(label(node))
        return pooled_shape(node, shape, pool)

    def make_gap(self, node: onnx.NodeProto, q: QInt, out_q: QTensor) -> QInt:
        """Add the global average pool after stage output ``q``."""
        if q.producer == FROM_FC:
            raise fail(
                node,
                "GlobalAveragePool comes after a fully connected layer; "
                "put GlobalAveragePool before the fully connected layers",
            )
        self.stage_of(node, q, "GlobalAveragePool")
        if q.producer != len(self.stages) - 1:  # pragma: no cover - chain guarantees it
            raise fail(node, "GlobalAveragePool must be the last layer")
        self.gap = GapStage(name=label(node), in_shape=q.shape, x_q=q.q, y_q=out_q)
        return QInt(q=out_q, shape=(q.shape[0], 1, 1), producer=FROM_GAP)


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
