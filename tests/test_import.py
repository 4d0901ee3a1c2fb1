"""ONNX import: round trips through the exporter, hand-written QDQ / QOperator / mixed graphs.

Expected networks come from the test's own layer descriptions (``GraphBuilder``
records the IR it means while it writes the ONNX nodes) or from the network the
exporter was given; numeric checks use onnxruntime as the oracle.
``GraphBuilder`` and ``assert_same`` live in tests/_support/onnx_graph.py (shared).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from _support.onnx_graph import GraphBuilder, assert_same, scale
from onnx import TensorProto, helper, numpy_helper

from pocket_cnn import reference, zoo
from pocket_cnn.ir import Activation, ConvStage, GapStage, Network, PoolSpec, QTensor
from pocket_cnn.onnx_import import from_onnx, load_model
from pocket_cnn.reference.oracle import run_ort
from pocket_cnn.zoo.draw import net_input
from pocket_cnn.zoo.onnx_export import to_onnx

FORMS = ("qdq", "qoperator")


def assert_matches_ort(net: Network, model: onnx.ModelProto, n: int = 4) -> None:
    """The reference of the imported ``net`` equals onnxruntime on ``model``."""
    x = net_input(net, n, seed=1)
    want = np.concatenate([run_ort(net, model, x[i : i + 1]) for i in range(n)])
    got = reference.run(net, x).astype(np.int64)
    assert got.shape == want.shape
    assert np.array_equal(got, want)


# ---- round trips through the exporter ------------------------------------------
# The exporter names the conv node after the stage, so names round-trip too.


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", sorted(zoo.ZOO))
def test_zoo_round_trip(name: str, form: str) -> None:
    net = zoo.build(name)
    assert_same(net, from_onnx(to_onnx(net, form)))


@pytest.mark.parametrize("form", FORMS)
def test_random_round_trip(form: str) -> None:
    for seed in range(50):
        net = zoo.random_network(seed)
        got = from_onnx(to_onnx(net, form, batch=None if seed % 2 else 1))
        assert_same(net, got)


def test_fused_relu_round_trip() -> None:
    for seed in range(20):
        net = zoo.random_network(seed)
        assert_same(net, from_onnx(to_onnx(net, "qdq", relu_style="fused")))


# ---- hand-written graphs ---------------------------------------------------------


def ort_style_qdq() -> GraphBuilder:
    """What onnxruntime's quantize_static writes with power-of-two scale overrides."""
    return (
        GraphBuilder(shape=(3, 9, 9), in_frac=8, name="torch_jit", batch="batch_size")
        .conv("/features/conv1/Conv", 6, k=3, pad=1, act=Activation.RELU, per_channel_w=True)
        .pool("/features/pool1/MaxPool")
        .conv("/features/conv2/Conv", 5, k=1, frac_w=7, frac_out=3)
        .leaky("/features/act2/LeakyRelu")
        .gap("/head/GlobalAveragePool", frac_out=4)
    )


def test_ort_style_qdq_graph() -> None:
    b = ort_style_qdq()
    model = b.model()
    net = from_onnx(model)
    assert_same(b.network(), net)
    assert net.stages[0].nodes[0] == "/features/conv1/Conv"
    assert_matches_ort(net, model)


def test_unsorted_graph() -> None:
    b = ort_style_qdq()
    assert_same(b.network(), from_onnx(b.model(shuffle=True)))


def mixed() -> GraphBuilder:
    """QOperator and QDQ layers mixed in one graph, int8 input."""
    return (
        GraphBuilder(shape=(2, 8, 7), in_frac=5, in_signed=True, name="mixed")
        .conv("c1", 4, k=2, stride=2, form="qop", frac_out=3)
        .leaky("l1", form="qdq")
        .conv("c2", 6, k=3, pad=1, form="qdq", frac_out=2)
        .relu("r2", form="qop")
        .pool("p2", k=2, s=1, form="qop")
        .conv("c3", 3, k=1, form="qop", frac_out=1)
        .leaky("l3", form="qop")
        .gap("g", frac_out=3, form="qdq")
    )


def test_mixed_graph() -> None:
    b = mixed()
    model = b.model()
    net = from_onnx(model)
    assert_same(b.network(), net)
    assert_matches_ort(net, model)


def test_qoperator_gap_and_no_gap() -> None:
    b = GraphBuilder(shape=(1, 5, 5), in_signed=True)
    b.conv("c1", 3, k=3, pad=2, stride=3, form="qop")
    assert_same(b.network(), from_onnx(b.model()))
    b.gap("g", form="qop")
    net = from_onnx(b.model())
    assert_same(b.network(), net)
    assert_matches_ort(net, b.model())


def test_load_model_file(tmp_path: Path) -> None:
    b = mixed()
    path = tmp_path / "m.onnx"
    onnx.save(b.model(), str(path))
    assert_same(b.network(), load_model(path))
    assert_same(b.network(), load_model(str(path)))


def test_constant_node_and_identity() -> None:
    """Scales given by Constant nodes and an Identity in the chain are accepted."""
    b = GraphBuilder().conv("c1", 2, form="qop")
    model = b.model()
    graph = model.graph
    const = helper.make_node(
        "Constant", [], ["c1_y_scale_c"], name="k", value=numpy_helper.from_array(scale(4))
    )
    ident = helper.make_node("Identity", ["c1_output_0"], ["c1_id"], name="id")
    for node in graph.node:
        if node.name == "c1":
            node.input[6] = "c1_y_scale_c"
        if node.name == "output_DequantizeLinear":
            node.input[0] = "c1_id"
    graph.node.insert(0, const)
    graph.node.append(ident)
    assert_same(b.network(), from_onnx(model))


# ---- a model written by onnxruntime's own quantizer -----------------------------------------


def _float_model(rng: np.random.Generator) -> tuple[onnx.ModelProto, Network]:
    """conv3x3 pad 1 -> relu -> maxpool -> conv1x1 -> GAP in float, and the IR it quantizes to.

    Weights are int8 multiples of 2**-frac_w with a 127 in every tensor, so the
    quantizer's symmetric weight scale max|w| / 127 is exactly 2**-frac_w.
    """

    def ints(shape: tuple[int, ...]) -> np.ndarray:
        q = rng.integers(-127, 128, shape).astype(np.int8)
        q.flat[0] = 127
        return q

    w1, w2 = ints((4, 1, 3, 3)), ints((3, 4, 1, 1))
    b1, b2 = rng.integers(-500, 500, 4).astype(np.int32), rng.integers(-500, 500, 3)
    b2 = b2.astype(np.int32)
    inits = [
        numpy_helper.from_array((w1 * 2.0**-6).astype(np.float32), "W1"),
        numpy_helper.from_array((b1 * 2.0**-13).astype(np.float32), "B1"),
        numpy_helper.from_array((w2 * 2.0**-7).astype(np.float32), "W2"),
        numpy_helper.from_array((b2 * 2.0**-11).astype(np.float32), "B2"),
    ]
    mk = helper.make_node
    nodes = [
        mk("Conv", ["input", "W1", "B1"], ["c1"], name="/conv1/Conv", pads=[1, 1, 1, 1]),
        mk("Relu", ["c1"], ["r1"], name="/relu1/Relu"),
        mk("MaxPool", ["r1"], ["p1"], name="/pool1/MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
        mk("Conv", ["p1", "W2", "B2"], ["c2"], name="/conv2/Conv"),
        mk("GlobalAveragePool", ["c2"], ["output"], name="/gap/GlobalAveragePool"),
    ]
    graph = helper.make_graph(
        nodes,
        "torch_jit",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 8, 8])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 3, 1, 1])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    s1 = ConvStage.pow2("/conv1/Conv", (1, 8, 8), w1, b1, 1, 1, 7, 6, 4, True, Activation.RELU)
    s1.pool = PoolSpec(2, 2)
    s2 = ConvStage.pow2("/conv2/Conv", (4, 4, 4), w2, b2, 1, 0, 4, 7, 3, True)
    gap = GapStage.pow2("/gap/GlobalAveragePool", (3, 4, 4), 3, 5)
    net = Network("torch_jit", (1, 8, 8), QTensor.pow2(7, True), [s1, s2], gap, "input", "output")
    return model, net


@pytest.mark.parametrize("fmt", ["QDQ", "QOperator"])
def test_onnxruntime_quantize_static(tmp_path: Path, fmt: str) -> None:
    """quantize_static (int8, symmetric, power-of-two scale overrides) imports exactly.

    The QOperator format writes QLinearConv -> DequantizeLinear -> Relu -> MaxPool ->
    QuantizeLinear (a mix of both forms) and names the conv nodes "<name>_quant".
    """
    quant = pytest.importorskip("onnxruntime.quantization")
    rng = np.random.default_rng(7)
    model, want = _float_model(rng)
    onnx.save(model, str(tmp_path / "float.onnx"))
    feeds = [{"input": rng.random((1, 1, 8, 8), dtype=np.float32)} for _ in range(3)]

    class Reader(quant.CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter(feeds)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.it, None)

    def override(frac: int) -> list[dict[str, np.ndarray]]:
        return [{"scale": scale(frac), "zero_point": np.array(0, np.int8)}]

    fracs = {"input": 7, "c1": 4, "r1": 4, "p1": 4, "c2": 3, "output": 5}
    quant.quantize_static(
        str(tmp_path / "float.onnx"),
        str(tmp_path / "q.onnx"),
        Reader(),
        quant_format=getattr(quant.QuantFormat, fmt),
        activation_type=quant.QuantType.QInt8,
        weight_type=quant.QuantType.QInt8,
        extra_options={
            "ActivationSymmetric": True,
            "WeightSymmetric": True,
            "TensorQuantOverrides": {k: override(v) for k, v in fracs.items()},
        },
    )
    qmodel = onnx.load(str(tmp_path / "q.onnx"))
    net = load_model(tmp_path / "q.onnx")
    assert_same(want, net, stage_names=fmt == "QDQ")
    assert_matches_ort(net, qmodel)


# ---- exact reorderings the importer accepts -----------------------------------------------


def test_conv_relu_maxpool_then_quantize() -> None:
    """QDQ Conv -> Relu -> MaxPool -> Q: max and relu commute with the rounding."""
    b = GraphBuilder(shape=(2, 7, 7), in_signed=True).conv("c1", 3, act=Activation.RELU)
    b.stages[-1].pool = PoolSpec(2, 2)
    model = b.model()
    q = next(n for n in model.graph.node if n.name == "c1_output_QuantizeLinear")
    pool = helper.make_node(
        "MaxPool", [q.input[0]], ["pooled"], name="p1", kernel_shape=[2, 2], strides=[2, 2]
    )
    q.input[0] = "pooled"
    model.graph.node.append(pool)
    model.graph.output[0].type.tensor_type.shape.dim[2].dim_value = 2
    model.graph.output[0].type.tensor_type.shape.dim[3].dim_value = 2
    net = from_onnx(model)
    assert_same(b.network(), net)
    assert_matches_ort(net, model)


def test_activation_after_pool() -> None:
    """MaxPool then Relu / LeakyRelu in one stage (monotone, so it equals act then pool)."""
    b = GraphBuilder(shape=(1, 10, 10), in_signed=True)
    b.conv("c1", 2, form="qop").pool("p1", form="qop").leaky("l1", form="qop")
    b.conv("c2", 2, k=1, form="qdq").pool("p2", k=3, s=1).relu("r2")
    model = b.model()
    net = from_onnx(model)
    assert_same(b.network(), net)
    assert_matches_ort(net, model)
