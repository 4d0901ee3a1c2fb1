"""Hand-written ONNX graphs and network comparison, shared by the import tests.

``GraphBuilder`` writes a chain of layers as ONNX nodes and records the IR they mean, so
a test's expected network comes from its own layer description; ``assert_same`` compares
two networks field by field. Used by tests/test_import.py, tests/test_bad_input.py and
tests/test_cli.py.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from pocket_cnn.ir import Activation, ConvStage, FcStage, GapStage, Network, PoolSpec, QTensor

#: Domain of onnxruntime's contrib operators (QLinearLeakyRelu, QLinearGlobalAveragePool).
MS = "com.microsoft"


def scale(frac: int) -> np.ndarray:
    """A float32 scalar scale 2**-frac (shape [] as onnxruntime's quantizer writes)."""
    return np.array(2.0**-frac, np.float32)


class GraphBuilder:
    """Writes a chain of layers as ONNX nodes and records the IR they mean.

    Every node gets an explicit name and every Q/DQ its own scale and zero-point
    initialisers (as onnxruntime's quantizer does), so bad-input tests can change
    one of them. ``form`` per layer: "qdq" or "qop"; forms can be mixed freely.
    """

    def __init__(
        self,
        shape: tuple[int, int, int] = (1, 6, 6),
        in_frac: int = 7,
        in_signed: bool = False,
        batch: int | str = 1,
        name: str = "net",
        seed: int = 0,
    ) -> None:
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.batch = batch
        self.in_shape = shape
        self.in_frac = in_frac
        self.in_signed = in_signed
        self.stages: list[ConvStage] = []
        self.gap_stage: GapStage | None = None
        dtype = np.int8 if in_signed else np.uint8
        self.x = self.q("input", "input_QuantizeLinear", in_frac, dtype)
        self.frac, self.dtype, self.shape = in_frac, dtype, shape

    # ---- low level ---------------------------------------------------------
    def const(self, name: str, arr: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def add(self, op: str, inputs: list[str], name: str, domain: str | None = None, **at) -> str:
        out = f"{name}_output_0"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, domain=domain, **at))
        return out

    def q(self, x: str, name: str, frac: int, dtype: type = np.int8) -> str:
        ins = [x, self.const(f"{name}_scale", scale(frac)), self.const(f"{name}_zp", dtype(0))]
        return self.add("QuantizeLinear", ins, name)

    def dq(self, x: str, name: str, frac: int, dtype: type = np.int8) -> str:
        ins = [x, self.const(f"{name}_scale", scale(frac)), self.const(f"{name}_zp", dtype(0))]
        return self.add("DequantizeLinear", ins, name)

    # ---- layers --------------------------------------------------------------
    def conv(
        self,
        name: str,
        cout: int,
        k: int = 3,
        stride: int = 1,
        pad: int = 0,
        frac_w: int = 6,
        frac_out: int = 4,
        form: str = "qdq",
        act: Activation = Activation.NONE,
        per_channel_w: bool = False,
    ) -> GraphBuilder:
        """A conv stage; with ``act`` RELU in the QDQ form the Relu sits between Conv and Q."""
        c = self.shape[0]
        weights = self.rng.integers(-128, 128, (cout, c, k, k)).astype(np.int8)
        bias = self.rng.integers(-3000, 3000, cout).astype(np.int32)
        attrs = {"kernel_shape": [k, k], "strides": [stride, stride], "pads": [pad] * 4}
        frac_b = self.frac + frac_w
        if form == "qdq":
            xf = self.dq(self.x, f"{name}_input_DequantizeLinear", self.frac, self.dtype)
            w_scale = np.full(cout, 2.0**-frac_w, np.float32) if per_channel_w else scale(frac_w)
            wq = self.const(f"{name}.weight_quantized", weights)
            wf = self.add(
                "DequantizeLinear",
                [
                    wq,
                    self.const(f"{name}.weight_scale", w_scale),
                    self.const(f"{name}.weight_zero_point", np.zeros(w_scale.shape, np.int8)),
                ],
                f"{name}.weight_DequantizeLinear",
                axis=0,
            )
            bq = self.const(f"{name}.bias_quantized", bias)
            bf = self.add(
                "DequantizeLinear",
                [bq, self.const(f"{name}.bias_quantized_scale", scale(frac_b))],
                f"{name}.bias_DequantizeLinear",
            )
            y = self.add("Conv", [xf, wf, bf], name, **attrs)
            if act == Activation.RELU:
                y = self.add("Relu", [y], f"{name}_relu")
            self.x = self.q(y, f"{name}_output_QuantizeLinear", frac_out)
        else:
            ins = [
                self.x,
                self.const(f"{name}_x_scale", scale(self.frac)),
                self.const(f"{name}_x_zp", self.dtype(0)),
                self.const(f"{name}_w", weights),
                self.const(f"{name}_w_scale", scale(frac_w)),
                self.const(f"{name}_w_zp", np.int8(0)),
                self.const(f"{name}_y_scale", scale(frac_out)),
                self.const(f"{name}_y_zp", np.int8(0)),
                self.const(f"{name}_b", bias),
            ]
            self.x = self.add("QLinearConv", ins, name, **attrs)
            if act == Activation.RELU:
                self.x = self.add("Relu", [self.x], f"{name}_relu")
        stage = ConvStage.pow2(
            name=name,
            in_shape=self.shape,
            weights=weights,
            bias=bias,
            stride=stride,
            pad=pad,
            frac_in=self.frac,
            frac_w=frac_w,
            frac_out=frac_out,
            in_signed=self.dtype == np.int8,
            activation=act,
        )
        self.stages.append(stage)
        self.frac, self.dtype, self.shape = frac_out, np.int8, stage.out_shape
        return self

    def relu(self, name: str, form: str = "qdq") -> GraphBuilder:
        return self._act(name, form, Activation.RELU)

    def leaky(self, name: str, form: str = "qdq", alpha: float = 0.125) -> GraphBuilder:
        return self._act(name, form, Activation.LEAKY, alpha)

    def _act(self, name: str, form: str, act: Activation, alpha: float = 0.125) -> GraphBuilder:
        op = "Relu" if act == Activation.RELU else "LeakyRelu"
        at = {} if act == Activation.RELU else {"alpha": alpha}
        if form == "qdq":
            xf = self.dq(self.x, f"{name}_input_DequantizeLinear", self.frac, self.dtype)
            y = self.add(op, [xf], name, **at)
            self.x = self.q(y, f"{name}_output_QuantizeLinear", self.frac)
        elif act == Activation.RELU:
            self.x = self.add("Relu", [self.x], name)
        else:
            s, z = (
                self.const(f"{name}_scale", scale(self.frac)),
                self.const(f"{name}_zp", np.int8(0)),
            )
            self.x = self.add("QLinearLeakyRelu", [self.x, s, z, s, z], name, domain=MS, **at)
        if self.stages:
            self.stages[-1].activation = act
        return self

    def pool(self, name: str, k: int = 2, s: int = 2, form: str = "qdq", **extra) -> GraphBuilder:
        attrs = {"kernel_shape": [k, k], "strides": [s, s], **extra}
        if form == "qdq":
            xf = self.dq(self.x, f"{name}_input_DequantizeLinear", self.frac, self.dtype)
            y = self.add("MaxPool", [xf], name, **attrs)
            self.x = self.q(y, f"{name}_output_QuantizeLinear", self.frac)
        else:
            self.x = self.add("MaxPool", [self.x], name, **attrs)
        if self.stages:
            self.stages[-1].pool = PoolSpec(k, s)
            self.shape = self.stages[-1].out_shape
        return self

    def gap(self, name: str, frac_out: int = 5, form: str = "qdq") -> GraphBuilder:
        if form == "qdq":
            xf = self.dq(self.x, f"{name}_input_DequantizeLinear", self.frac, self.dtype)
            y = self.add("GlobalAveragePool", [xf], name)
            self.x = self.q(y, f"{name}_output_QuantizeLinear", frac_out)
        else:
            ins = [
                self.x,
                self.const(f"{name}_x_scale", scale(self.frac)),
                self.const(f"{name}_x_zp", np.int8(0)),
                self.const(f"{name}_y_scale", scale(frac_out)),
                self.const(f"{name}_y_zp", np.int8(0)),
            ]
            self.x = self.add("QLinearGlobalAveragePool", ins, name, domain=MS, channels_last=0)
        self.gap_stage = GapStage.pow2(name, self.shape, self.frac, frac_out)
        self.frac, self.shape = frac_out, (self.shape[0], 1, 1)
        return self

    # ---- results -------------------------------------------------------------
    def model(self, shuffle: bool = False) -> onnx.ModelProto:
        """The ONNX model (``shuffle``: nodes in reverse file order, still a valid graph)."""
        nodes = list(self.nodes)
        out_ins = [self.x, "output_scale", "output_zp"]
        nodes.append(
            helper.make_node(
                "DequantizeLinear", out_ins, ["output"], name="output_DequantizeLinear"
            )
        )
        inits = [
            *self.inits,
            numpy_helper.from_array(scale(self.frac), "output_scale"),
            numpy_helper.from_array(np.int8(0), "output_zp"),
        ]
        if shuffle:
            nodes.reverse()
        c, h, w = self.in_shape
        out_shape = [self.batch, *self.shape]
        graph = helper.make_graph(
            nodes,
            self.name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, [self.batch, c, h, w])],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, out_shape)],
            inits,
        )
        opsets = [helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)]
        model = helper.make_model(graph, opset_imports=opsets, producer_name="onnx.quantize")
        model.ir_version = 8
        return model

    def network(self) -> Network:
        """The IR the model means."""
        return Network(
            name=self.name,
            input_shape=self.in_shape,
            input_q=QTensor.pow2(self.in_frac, self.in_signed),
            stages=self.stages,
            gap=self.gap_stage,
            input_name="input",
            output_name="output",
        )


def stage_diff(
    want: ConvStage | FcStage, got: ConvStage | FcStage, names: bool = True
) -> list[str]:
    """Fields that differ (arrays: dtype, shape and values); ``nodes`` is import detail."""
    bad: list[str] = []
    for f in dataclasses.fields(want):
        if f.name == "nodes" or (f.name == "name" and not names):
            continue
        a, b = getattr(want, f.name), getattr(got, f.name)
        if isinstance(a, np.ndarray):
            if not (a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)):
                bad.append(f.name)
        elif a != b:
            bad.append(f"{f.name}: {a!r} != {b!r}")
    return bad


def assert_same(want: Network, got: Network, stage_names: bool = True) -> None:
    """``got`` equals ``want`` field by field (stage and GAP names optional, see above)."""
    for f in dataclasses.fields(Network):
        a, b = getattr(want, f.name), getattr(got, f.name)
        if f.name == "gap" and a is not None and b is not None and not stage_names:
            b = dataclasses.replace(b, name=a.name)
        if f.name not in ("stages", "fc"):
            assert b == a, f.name
    for kind in ("stages", "fc"):
        want_list, got_list = getattr(want, kind), getattr(got, kind)
        assert len(got_list) == len(want_list), kind
        for a, b in zip(want_list, got_list, strict=True):
            assert stage_diff(a, b, stage_names) == [], a.name
