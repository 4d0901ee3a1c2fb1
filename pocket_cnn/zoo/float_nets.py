"""Small FLOAT ONNX CNNs, the raw material for onnxruntime's quantizer (issue 12).

Every builder takes a seed and returns the same model for the same seed: float32
weights drawn He-style (normal, std ``sqrt(2 / fan_in)``, so activations keep their
size through ReLU layers), small float32 biases, opset 17, one input ``"input"`` of
shape ``(1, C, H, W)`` and one output ``"output"``. The value range of the input the
net expects (``[0, 1]`` like MNIST pixels, ``[-1, 1]`` or ``[-0.5, 2]`` like
normalised images) is stored in the model's metadata; ``calibration`` draws from it.

``FLOAT_NETS`` maps each name to its builder; ``SHAPES`` documents its input and
output shapes. The layers of each net are in its builder's docstring and in the
model's ``doc_string``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

__all__ = ["FLOAT_NETS", "INPUT_RANGE_KEY", "OPSET", "SHAPES", "calibration", "input_range"]

OPSET = 17
IR_VERSION = 8
INPUT_RANGE_KEY = "pocket_cnn.input_range"
BIAS_STD = 0.05

Shape = tuple[int, ...]


class _Net:
    """Writes a float graph layer by layer, tracking the current tensor and its shape."""

    def __init__(self, name: str, chw: tuple[int, int, int], seed: int, rng_in: str) -> None:
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.input_shape: Shape = (1, *chw)
        self.input_range = rng_in
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.x = "input"
        self.shape: Shape = self.input_shape
        self.layers: list[str] = []

    # -- plumbing ---------------------------------------------------------------------
    def _const(self, tag: str, arr: np.ndarray) -> str:
        name = f"{tag}_{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def _emit(self, op: str, inputs: list[str], shape: Shape, desc: str, **attrs: Any) -> None:
        out = f"{op.lower()}_{len(self.nodes)}"
        self.nodes.append(
            helper.make_node(op, inputs, [out], name=f"{op}_{len(self.nodes)}", **attrs)
        )
        self.x, self.shape = out, shape
        self.layers.append(desc)

    def _side(self, op: str, inputs: list[str], desc: str) -> str:
        """A node off the activation path (e.g. a Reshape of an initializer)."""
        out = f"{op.lower()}_{len(self.nodes)}"
        self.nodes.append(helper.make_node(op, inputs, [out], name=f"{op}_{len(self.nodes)}"))
        self.layers.append(desc)
        return out

    def _weights(self, shape: Shape, fan_in: int) -> np.ndarray:
        std = np.sqrt(2.0 / fan_in)
        return (self.rng.standard_normal(shape) * std).astype(np.float32)

    def _bias(self, n: int) -> np.ndarray:
        return (self.rng.standard_normal(n) * BIAS_STD).astype(np.float32)

    # -- convolution and pooling ------------------------------------------------------
    def conv(
        self,
        ch: int,
        k: int,
        stride: int = 1,
        pad: int = 0,
        *,
        bias: bool = True,
        auto_pad: str | None = None,
        add_bias: bool = False,
    ) -> _Net:
        """Conv k x k; ``bias=False`` writes none, ``add_bias`` writes it as a later Add."""
        _, c, h, w = self.shape
        wt = self._const("conv_w", self._weights((ch, c, k, k), c * k * k))
        inputs = [self.x, wt]
        if bias and not add_bias:
            inputs.append(self._const("conv_b", self._bias(ch)))
        attrs: dict[str, Any] = {"kernel_shape": [k, k], "strides": [stride, stride]}
        if auto_pad is None:
            attrs["pads"] = [pad] * 4
            oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
            desc = f"Conv {k}x{k}/{stride} pad {pad} -> {ch}"
        else:
            attrs["auto_pad"] = auto_pad
            oh, ow = -(-h // stride), -(-w // stride)
            desc = f"Conv {k}x{k}/{stride} {auto_pad} -> {ch}"
        if not bias:
            desc += " (no bias)"
        self._emit("Conv", inputs, (1, ch, oh, ow), desc, **attrs)
        if add_bias:
            b = self._const("add_b", self._bias(ch).reshape(1, ch, 1, 1))
            self._emit("Add", [self.x, b], self.shape, "Add bias (1,C,1,1)")
        return self

    def batchnorm(self) -> _Net:
        """BatchNormalization (inference form) with drawn statistics, as PyTorch exports
        it after a conv; onnxruntime's pre-processing folds it into the conv."""
        c = self.shape[1]
        scale = self._const("bn_scale", self.rng.uniform(0.5, 1.5, c).astype(np.float32))
        bias = self._const("bn_bias", (self.rng.standard_normal(c) * 0.1).astype(np.float32))
        mean = self._const("bn_mean", (self.rng.standard_normal(c) * 0.2).astype(np.float32))
        var = self._const("bn_var", self.rng.uniform(0.5, 2.0, c).astype(np.float32))
        self._emit(
            "BatchNormalization",
            [self.x, scale, bias, mean, var],
            self.shape,
            "BatchNormalization",
            epsilon=1e-5,
        )
        return self

    def maxpool(self, k: int, stride: int) -> _Net:
        _, c, h, w = self.shape
        shape = (1, c, (h - k) // stride + 1, (w - k) // stride + 1)
        attrs = {"kernel_shape": [k, k], "strides": [stride, stride]}
        self._emit("MaxPool", [self.x], shape, f"MaxPool {k}/{stride}", **attrs)
        return self

    def gap(self) -> _Net:
        self._emit("GlobalAveragePool", [self.x], (*self.shape[:2], 1, 1), "GlobalAveragePool")
        return self

    # -- activations ------------------------------------------------------------------
    def act(self, op: str, **attrs: Any) -> _Net:
        """Elementwise activation: Relu, LeakyRelu, Sigmoid, Tanh, HardSigmoid, Softmax."""
        extra = "".join(f" {k}={v}" for k, v in attrs.items())
        self._emit(op, [self.x], self.shape, f"{op}{extra}", **attrs)
        return self

    def relu(self) -> _Net:
        return self.act("Relu")

    def clip(self, lo: float, hi: float) -> _Net:
        bounds = [self._const(t, np.array(v, np.float32)) for t, v in (("lo", lo), ("hi", hi))]
        self._emit("Clip", [self.x, *bounds], self.shape, f"Clip({lo}, {hi})")
        return self

    # -- fully connected --------------------------------------------------------------
    def flatten(self) -> _Net:
        self._emit("Flatten", [self.x], (1, int(np.prod(self.shape[1:]))), "Flatten")
        return self

    def reshape(self) -> _Net:
        """Reshape to (1, -1) with a constant shape initializer."""
        shape = self._const("shape", np.array([1, -1], np.int64))
        self._emit("Reshape", [self.x, shape], (1, int(np.prod(self.shape[1:]))), "Reshape (1,-1)")
        return self

    def gemm(self, n: int, *, trans_b: bool = False) -> _Net:
        k = self.shape[1]
        wshape = (n, k) if trans_b else (k, n)
        wt = self._const("fc_w", self._weights(wshape, k))
        b = self._const("fc_b", self._bias(n))
        desc = f"Gemm {n}" + (" transB" if trans_b else "")
        self._emit("Gemm", [self.x, wt, b], (1, n), desc, transB=int(trans_b))
        return self

    def matmul_add(self, n: int, *, weight_from: Shape | None = None) -> _Net:
        """MatMul (K, n) + Add (1, n); ``weight_from``: a Reshape of an initializer."""
        k = self.shape[1]
        w = self._weights((k, n), k)
        if weight_from is None:
            wt = self._const("mm_w", w)
        else:
            raw = self._const("mm_w_raw", w.reshape(weight_from))
            shape = self._const("mm_w_shape", np.array([k, n], np.int64))
            wt = self._side("Reshape", [raw, shape], f"Reshape weight {weight_from} -> ({k},{n})")
        self._emit("MatMul", [self.x, wt], (1, n), f"MatMul {n}")
        b = self._const("mm_b", self._bias(n).reshape(1, n))
        self._emit("Add", [self.x, b], (1, n), "Add bias (1,n)")
        return self

    # -- the model --------------------------------------------------------------------
    def model(self) -> onnx.ModelProto:
        self.nodes[-1].output[0] = "output"
        graph = helper.make_graph(
            self.nodes,
            self.name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(self.input_shape))],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, list(self.shape))],
            self.inits,
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="pocket_cnn.zoo.float_nets",
            doc_string=" -> ".join(self.layers),
        )
        model.ir_version = IR_VERSION
        helper.set_model_props(model, {INPUT_RANGE_KEY: self.input_range})
        onnx.checker.check_model(model)
        return model


# -- the models ------------------------------------------------------------------------
U01, S11, ASYM = "0,1", "-1,1", "-0.5,2"


def zoo_conv3_max2(seed: int) -> onnx.ModelProto:
    """The zoo's base net: Conv 3x3 -> 4, Relu, MaxPool 2/2, Conv 1x1 -> 8, Relu, GAP."""
    n = _Net("zoo_conv3_max2", (1, 6, 6), seed, U01)
    return n.conv(4, 3).relu().maxpool(2, 2).conv(8, 1).relu().gap().model()


def zoo_leaky(seed: int) -> onnx.ModelProto:
    """3 channels, Conv 3x3 pad 1 -> 8, LeakyRelu 0.125, MaxPool 2/2, Conv 1x1, LeakyRelu, GAP."""
    n = _Net("zoo_leaky", (3, 8, 8), seed, S11)
    n.conv(8, 3, pad=1).act("LeakyRelu", alpha=0.125).maxpool(2, 2)
    return n.conv(8, 1).act("LeakyRelu", alpha=0.125).gap().model()


def zoo_no_relu(seed: int) -> onnx.ModelProto:
    """No activation: Conv 3x3 -> 4, MaxPool 3/1, Conv 1x1 -> 8, GAP (input in [-0.5, 2])."""
    n = _Net("zoo_no_relu", (1, 7, 7), seed, ASYM)
    return n.conv(4, 3).maxpool(3, 1).conv(8, 1).gap().model()


def zoo_conv2_max3s2(seed: int) -> onnx.ModelProto:
    """Conv 2x2 -> 4, Relu, MaxPool 3/2, Conv 1x1 -> 8, Relu, GAP."""
    n = _Net("zoo_conv2_max3s2", (1, 8, 8), seed, U01)
    return n.conv(4, 2).relu().maxpool(3, 2).conv(8, 1).relu().gap().model()


def zoo_conv5_pad2(seed: int) -> onnx.ModelProto:
    """Padded 5x5: Conv 5x5 pad 2 -> 8, Relu, MaxPool 2/2, Conv 3x3 pad 1 -> 8, Relu,
    MaxPool 3/3, Conv 1x1 -> 8, Relu, GAP."""
    n = _Net("zoo_conv5_pad2", (1, 12, 12), seed, S11)
    n.conv(8, 5, pad=2).relu().maxpool(2, 2).conv(8, 3, pad=1).relu().maxpool(3, 3)
    return n.conv(8, 1).relu().gap().model()


def zoo_stride2(seed: int) -> onnx.ModelProto:
    """Conv 3x3 stride 2 pad 1 -> 4, Relu, MaxPool 2/1, Conv 1x1 -> 8, Relu, GAP."""
    n = _Net("zoo_stride2", (1, 9, 9), seed, U01)
    return n.conv(4, 3, 2, 1).relu().maxpool(2, 1).conv(8, 1).relu().gap().model()


def zoo_stride3(seed: int) -> onnx.ModelProto:
    """Conv 3x3 stride 3 -> 4, Relu, Conv 2x2 stride 2 -> 6, Relu, Conv 1x1 -> 8, GAP."""
    n = _Net("zoo_stride3", (1, 12, 12), seed, ASYM)
    return n.conv(4, 3, 3).relu().conv(6, 2, 2).relu().conv(8, 1).gap().model()


def gap_fc(seed: int) -> onnx.ModelProto:
    """GAP head: Conv 3x3 pad 1 -> 8, Relu, MaxPool 2/2, Conv 3x3 -> 16, Relu, GAP,
    Flatten, Gemm 10."""
    n = _Net("gap_fc", (3, 8, 8), seed, S11)
    n.conv(8, 3, pad=1).relu().maxpool(2, 2).conv(16, 3).relu()
    return n.gap().flatten().gemm(10).model()


def fc1(seed: int) -> onnx.ModelProto:
    """One FC layer: Conv 3x3 -> 8, Relu, MaxPool 2/2, Flatten (72), Gemm 10."""
    n = _Net("fc1", (1, 8, 8), seed, U01)
    return n.conv(8, 3).relu().maxpool(2, 2).flatten().gemm(10).model()


def fc3(seed: int) -> onnx.ModelProto:
    """Three FC layers: Conv 3x3 -> 8, Relu, MaxPool 2/2, Conv 3x3 pad 1 -> 16, Relu,
    MaxPool 2/2, Reshape (1,-1) (64), Gemm 120, Relu, Gemm 84, Relu, Gemm 10."""
    n = _Net("fc3", (1, 12, 12), seed, U01)
    n.conv(8, 3).relu().maxpool(2, 2).conv(16, 3, pad=1).relu().maxpool(2, 2).reshape()
    return n.gemm(120).relu().gemm(84).relu().gemm(10).model()


def mnist_same(seed: int) -> onnx.ModelProto:
    """MNIST-like (as the ONNX model zoo's mnist): Conv 5x5 SAME_UPPER -> 8, Add bias,
    Relu, MaxPool 2/2, Conv 5x5 SAME_UPPER -> 16, Add bias, Relu, MaxPool 3/3,
    Reshape (1,-1) (256), MatMul 10 (weight: Reshape of a (16,4,4,10) initializer), Add."""
    n = _Net("mnist_same", (1, 28, 28), seed, U01)
    n.conv(8, 5, auto_pad="SAME_UPPER", add_bias=True).relu().maxpool(2, 2)
    n.conv(16, 5, auto_pad="SAME_UPPER", add_bias=True).relu().maxpool(3, 3).reshape()
    return n.matmul_add(10, weight_from=(16, 4, 4, 10)).model()


def lenet(seed: int) -> onnx.ModelProto:
    """LeNet-style (as PyTorch exports it): Conv 5x5 -> 6, Relu, MaxPool 2/2, Conv 5x5 -> 16,
    Relu, MaxPool 2/2, Flatten (256), Gemm 120 transB, Relu, Gemm 84 transB, Relu, Gemm 10
    transB."""
    n = _Net("lenet", (1, 28, 28), seed, U01)
    n.conv(6, 5).relu().maxpool(2, 2).conv(16, 5).relu().maxpool(2, 2).flatten()
    n.gemm(120, trans_b=True).relu().gemm(84, trans_b=True).relu()
    return n.gemm(10, trans_b=True).model()


def stride2_nobias(seed: int) -> onnx.ModelProto:
    """Stride-2 MNIST net without conv biases: 3 x (Conv 3x3 stride 2 pad 1, no bias, Relu)
    -> 8, 16, 16 channels (28 -> 14 -> 7 -> 4), Flatten (256), Gemm 10."""
    n = _Net("stride2_nobias", (1, 28, 28), seed, U01)
    n.conv(8, 3, 2, 1, bias=False).relu().conv(16, 3, 2, 1, bias=False).relu()
    return n.conv(16, 3, 2, 1, bias=False).relu().flatten().gemm(10).model()


def conv_add_bias(seed: int) -> onnx.ModelProto:
    """Bias as a separate Add: Conv 3x3 -> 4, Add (1,4,1,1), Relu, MaxPool 2/2,
    Conv 1x1 -> 8, Add (1,8,1,1), Relu, GAP."""
    n = _Net("conv_add_bias", (1, 8, 8), seed, S11)
    n.conv(4, 3, add_bias=True).relu().maxpool(2, 2)
    return n.conv(8, 1, add_bias=True).relu().gap().model()


def activations(seed: int) -> onnx.ModelProto:
    """8-bit activation functions: Conv 3x3 -> 8, Clip(0, 6), Conv 1x1 -> 8, Sigmoid,
    Conv 1x1 -> 8, Tanh, Conv 1x1 -> 8, HardSigmoid, GAP."""
    n = _Net("activations", (1, 8, 8), seed, S11)
    n.conv(8, 3).clip(0.0, 6.0).conv(8, 1).act("Sigmoid").conv(8, 1).act("Tanh")
    return n.conv(8, 1).act("HardSigmoid").gap().model()


def bn_conv3_max2(seed: int) -> onnx.ModelProto:
    """Conv + BatchNormalization as PyTorch exports them: Conv 3x3 -> 8, BN, Relu,
    MaxPool 2/2, Conv 1x1 -> 8, BN, Relu, GAP."""
    n = _Net("bn_conv3_max2", (1, 8, 8), seed, U01)
    n.conv(8, 3).batchnorm().relu().maxpool(2, 2)
    return n.conv(8, 1).batchnorm().relu().gap().model()


def bn_leaky_fc(seed: int) -> onnx.ModelProto:
    """BatchNormalization, leaky ReLU and a fully connected head: Conv 3x3 pad 1 -> 6, BN,
    LeakyRelu 0.125, MaxPool 2/2, Conv 3x3 -> 8, BN, Relu, Flatten (32), Gemm 10."""
    n = _Net("bn_leaky_fc", (3, 8, 8), seed, S11)
    n.conv(6, 3, pad=1).batchnorm().act("LeakyRelu", alpha=0.125).maxpool(2, 2)
    return n.conv(8, 3).batchnorm().relu().flatten().gemm(10).model()


def fc_softmax(seed: int) -> onnx.ModelProto:
    """Trailing Softmax: Conv 3x3 -> 8, Relu, MaxPool 2/2, Flatten (72), Gemm 10, Softmax."""
    n = _Net("fc_softmax", (1, 8, 8), seed, U01)
    return n.conv(8, 3).relu().maxpool(2, 2).flatten().gemm(10).act("Softmax").model()


FLOAT_NETS: dict[str, Callable[[int], onnx.ModelProto]] = {
    f.__name__: f
    for f in (
        zoo_conv3_max2,
        zoo_leaky,
        zoo_no_relu,
        zoo_conv2_max3s2,
        zoo_conv5_pad2,
        zoo_stride2,
        zoo_stride3,
        gap_fc,
        fc1,
        fc3,
        mnist_same,
        lenet,
        stride2_nobias,
        conv_add_bias,
        activations,
        fc_softmax,
        bn_conv3_max2,
        bn_leaky_fc,
    )
}

#: (input shape, output shape) of every net
SHAPES: dict[str, tuple[Shape, Shape]] = {
    "zoo_conv3_max2": ((1, 1, 6, 6), (1, 8, 1, 1)),
    "zoo_leaky": ((1, 3, 8, 8), (1, 8, 1, 1)),
    "zoo_no_relu": ((1, 1, 7, 7), (1, 8, 1, 1)),
    "zoo_conv2_max3s2": ((1, 1, 8, 8), (1, 8, 1, 1)),
    "zoo_conv5_pad2": ((1, 1, 12, 12), (1, 8, 1, 1)),
    "zoo_stride2": ((1, 1, 9, 9), (1, 8, 1, 1)),
    "zoo_stride3": ((1, 1, 12, 12), (1, 8, 1, 1)),
    "gap_fc": ((1, 3, 8, 8), (1, 10)),
    "fc1": ((1, 1, 8, 8), (1, 10)),
    "fc3": ((1, 1, 12, 12), (1, 10)),
    "mnist_same": ((1, 1, 28, 28), (1, 10)),
    "lenet": ((1, 1, 28, 28), (1, 10)),
    "stride2_nobias": ((1, 1, 28, 28), (1, 10)),
    "conv_add_bias": ((1, 1, 8, 8), (1, 8, 1, 1)),
    "activations": ((1, 1, 8, 8), (1, 8, 1, 1)),
    "fc_softmax": ((1, 1, 8, 8), (1, 10)),
    "bn_conv3_max2": ((1, 1, 8, 8), (1, 8, 1, 1)),
    "bn_leaky_fc": ((1, 3, 8, 8), (1, 10)),
}


# -- calibration data ------------------------------------------------------------------
def input_range(model: onnx.ModelProto) -> tuple[float, float]:
    """The input value range stored in the model's metadata ([0, 1] if there is none)."""
    props = {p.key: p.value for p in model.metadata_props}
    lo, hi = props.get(INPUT_RANGE_KEY, U01).split(",")
    return float(lo), float(hi)


def calibration(model: onnx.ModelProto, n: int, seed: int) -> np.ndarray:
    """``n`` seeded float32 inputs of shape ``(n, C, H, W)``, uniform over the input range.

    Use ``x[i : i + 1]`` as the i-th input of the model (its batch size is 1).
    """
    dims = model.graph.input[0].type.tensor_type.shape.dim
    chw = tuple(int(d.dim_value) for d in dims[1:])
    lo, hi = input_range(model)
    rng = np.random.default_rng(seed)
    return (lo + (hi - lo) * rng.random((n, *chw))).astype(np.float32)
