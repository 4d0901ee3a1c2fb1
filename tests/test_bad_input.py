"""Bad input of every kind: exit code 2, one line naming node and problem, no output left.

Each case builds a model that breaks one rule (with tests/_support's
``GraphBuilder`` and small edits) and runs it through the CLI (``check`` and
``reference``), through ``from_onnx`` / ``load_model``, and some through a real
subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest
from _support.onnx_graph import GraphBuilder, scale
from onnx import helper, numpy_helper

from pocket_cnn.cli.main import main
from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Activation
from pocket_cnn.onnx_import import from_onnx, load_model

ROOT = Path(__file__).resolve().parents[1]

Make = Callable[[], "onnx.ModelProto | bytes | None"]


# ---- small model edits ------------------------------------------------------------------
def node(model: onnx.ModelProto, name: str) -> onnx.NodeProto:
    return next(n for n in model.graph.node if n.name == name)


def set_attr(model: onnx.ModelProto, name: str, **attrs: object) -> onnx.ModelProto:
    n = node(model, name)
    keep = [a for a in n.attribute if a.name not in attrs]
    del n.attribute[:]
    n.attribute.extend(keep)
    n.attribute.extend(helper.make_attribute(k, v) for k, v in attrs.items())
    return model


def set_init(model: onnx.ModelProto, name: str, arr: np.ndarray) -> onnx.ModelProto:
    inits = model.graph.initializer
    index = next(i for i, t in enumerate(inits) if t.name == name)
    inits[index].CopyFrom(numpy_helper.from_array(np.asarray(arr), name))
    return model


def base(form: str = "qdq", **kw: object) -> GraphBuilder:
    """conv1 3x3 pad 1 -> relu1 -> pool1 -> conv2 1x1 -> gap1 (all in ``form``)."""
    b = GraphBuilder(shape=(2, 8, 8), in_signed=form != "qdq", **kw)  # type: ignore[arg-type]
    b.conv("conv1", 4, k=3, pad=1, form=form).relu("relu1", form=form)
    b.pool("pool1", form=form).conv("conv2", 3, k=1, form=form)
    return b.gap("gap1", form=form)


def qdq() -> onnx.ModelProto:
    return base().model()


def qop() -> onnx.ModelProto:
    return base("qop").model()


def with_dim(model: onnx.ModelProto, index: int, param: str) -> onnx.ModelProto:
    dim = model.graph.input[0].type.tensor_type.shape.dim[index]
    dim.Clear()
    dim.dim_param = param
    return model


def rewire(model: onnx.ModelProto, name: str, index: int, tensor: str) -> onnx.ModelProto:
    node(model, name).input[index] = tensor
    return model


def drop_inputs(model: onnx.ModelProto, name: str, keep: int) -> onnx.ModelProto:
    """Keep only the first ``keep`` inputs of node ``name`` (e.g. drop a scale)."""
    n = node(model, name)
    del n.input[keep:]
    return model


def add_init(model: onnx.ModelProto, name: str, arr: np.ndarray) -> str:
    model.graph.initializer.append(numpy_helper.from_array(np.asarray(arr), name))
    return name


def one_conv() -> onnx.ModelProto:
    """conv1 3x3 with 2 output channels (QDQ)."""
    return GraphBuilder().conv("conv1", 2).model()


def two_convs() -> onnx.ModelProto:
    """conv1 3x3 -> conv2 1x1 (QDQ)."""
    return GraphBuilder().conv("conv1", 2).conv("conv2", 2, k=1).model()


def empty_graph() -> onnx.ModelProto:
    model = qdq()
    del model.graph.node[:]
    return model


def conv_leaky_no_q() -> onnx.ModelProto:
    b = GraphBuilder().conv("conv1", 2, act=Activation.RELU)
    model = b.model()
    n = node(model, "conv1_relu")
    n.op_type = "LeakyRelu"
    n.attribute.extend([helper.make_attribute("alpha", 0.125)])
    return model


def branching() -> onnx.ModelProto:
    model = qdq()
    extra = helper.make_node("Relu", ["relu1_output_0"], ["dangling"], name="side")
    model.graph.node.append(extra)
    return model


def two_inputs() -> onnx.ModelProto:
    model = qdq()
    model.graph.input.append(helper.make_tensor_value_info("aux", onnx.TensorProto.FLOAT, [1]))
    return model


def int_input() -> onnx.ModelProto:
    model = qdq()
    model.graph.input[0].type.tensor_type.elem_type = onnx.TensorProto.INT8
    return model


def qop_leaky_x_scale() -> onnx.ModelProto:
    """QLinearLeakyRelu whose X_scale is not its input's (its Y_scale may differ)."""
    b = GraphBuilder(in_signed=True).conv("conv1", 2, form="qop").leaky("leaky1", form="qop")
    model = b.model()
    return rewire(model, "leaky1", 1, add_init(model, "other_scale", scale(2)))


def non_square_kernel() -> onnx.ModelProto:
    model = set_init(one_conv(), "conv1.weight_quantized", np.ones((2, 1, 3, 1), np.int8))
    return set_attr(model, "conv1", kernel_shape=[3, 1])


def truncated() -> bytes:
    data = qdq().SerializeToString()
    return data[: len(data) // 2]


def float_weights() -> onnx.ModelProto:
    model = one_conv()
    add_init(model, "wf", np.ones((2, 1, 3, 3), np.float32))
    return rewire(model, "conv1", 1, "wf")


def bypass_q(model: onnx.ModelProto, producer: str, consumer: str | None) -> onnx.ModelProto:
    """Drop the Q -> DQ pair after ``producer``: ``consumer`` (or the graph output) takes its
    float result directly."""
    graph = model.graph
    graph.node.remove(node(model, f"{producer}_output_QuantizeLinear"))
    if consumer is None:
        graph.node.remove(node(model, "output_DequantizeLinear"))
        node(model, producer).output[0] = "output"
        return model
    graph.node.remove(node(model, f"{consumer}_input_DequantizeLinear"))
    return rewire(model, consumer, 0, f"{producer}_output_0")


def softmax_after(model: onnx.ModelProto) -> onnx.ModelProto:
    """A Softmax 'sm' between the node that makes the graph output and the output."""
    last = next(n for n in model.graph.node if "output" in n.output)
    last.output[0] = "before_softmax"
    model.graph.node.append(helper.make_node("Softmax", ["before_softmax"], ["output"], name="sm"))
    return model


@dataclass(frozen=True)
class Case:
    id: str
    make: Make
    words: tuple[str, ...]
    node: str | None = None  # ModelError.node expected from from_onnx


def edit(fn: Callable[[onnx.ModelProto], onnx.ModelProto], src: Make = qdq) -> Make:
    return lambda: fn(src())  # type: ignore[arg-type]


def attrs_case(
    id_: str, name: str, attrs: dict[str, object], words: tuple[str, ...], src: Make = qdq
) -> Case:
    """Set ``attrs`` on node ``name`` of ``src``; the error must name that node."""
    return Case(id_, edit(lambda m: set_attr(m, name, **attrs), src), words, name)


def inits_case(
    id_: str, inits: dict[str, object], name: str, words: tuple[str, ...], src: Make = qdq
) -> Case:
    """Replace the initializers ``inits`` of ``src``; the error must name node ``name``."""

    def make(model: onnx.ModelProto) -> onnx.ModelProto:
        for init, value in inits.items():
            set_init(model, init, np.asarray(value))
        return model

    return Case(id_, edit(make, src), words, name)


CONV_Q = "conv1_output_QuantizeLinear"

CASES = [
    Case(
        "unsupported_op",
        edit(lambda m: setattr(node(m, "relu1"), "op_type", "Erf") or m),
        ("node 'relu1' (Erf)", "operator Erf is not supported"),
        "relu1",
    ),
    Case(
        "kernel_4",
        lambda: GraphBuilder().conv("conv1", 2, k=4).model(),
        ("node 'conv1' (Conv): kernel 4x4 is not supported; use kernel 1, 2, 3 or 5",),
        "conv1",
    ),
    Case(
        "kernel_4_qop",
        lambda: GraphBuilder(in_signed=True).conv("conv1", 2, k=4, form="qop").model(),
        ("node 'conv1' (QLinearConv): kernel 4x4 is not supported; use kernel 1, 2, 3 or 5",),
        "conv1",
    ),
    Case(
        "non_square_kernel", non_square_kernel, ("'conv1' (Conv)", "non-square kernel 3x1"), "conv1"
    ),
    attrs_case(
        "non_square_stride",
        "conv1",
        {"strides": [1, 2]},
        ("'conv1' (Conv)", "non-square stride 1x2"),
    ),
    attrs_case(
        "stride_4",
        "conv1",
        {"strides": [4, 4]},
        ("'conv1' (Conv)", "stride 4x4 is not supported", "1, 2 or 3"),
    ),
    attrs_case(
        "padding_3",
        "conv1",
        {"pads": [3, 3, 3, 3]},
        ("'conv1' (Conv)", "padding 3 is not supported", "0, 1 or 2"),
    ),
    attrs_case(
        "asymmetric_padding",
        "conv1",
        {"pads": [1, 1, 0, 0]},
        ("'conv1' (Conv)", "asymmetric padding"),
    ),
    attrs_case(
        "auto_pad_asymmetric",
        "conv1",
        {"auto_pad": "SAME_UPPER", "strides": [2, 2]},
        (
            "'conv1' (Conv)",
            "auto_pad=SAME_UPPER pads the 6x6 input by [0, 0, 1, 1]",
            "not the same on every edge",
            "explicit symmetric pads",
        ),
        src=one_conv,
    ),
    attrs_case(
        "auto_pad_maxpool",
        "pool1",
        {"auto_pad": "SAME_LOWER", "kernel_shape": [3, 3], "strides": [1, 1]},
        ("'pool1' (MaxPool)", "auto_pad=SAME_LOWER pads the input by [1, 1, 1, 1]", "VALID"),
    ),
    attrs_case(
        "dilation",
        "conv1",
        {"dilations": [2, 2]},
        ("'conv1' (Conv)", "dilations [2, 2]", "dilation 1"),
    ),
    attrs_case("group", "conv1", {"group": 2}, ("'conv1' (Conv)", "group=2", "group 1")),
    Case(
        "dynamic_height",
        edit(lambda m: with_dim(m, 2, "H")),
        ("'input'", "height is dynamic ('H')", "fixed height"),
        "input",
    ),
    Case(
        "dynamic_width",
        edit(lambda m: with_dim(m, 3, "W")),
        ("'input'", "width is dynamic ('W')", "fixed width"),
        "input",
    ),
    # any scale and zero point is fine (tests/test_general_quant.py), but a
    # DequantizeLinear or QLinear op must read its input with the scale and zero point
    # it was quantized with
    inits_case(
        "q_dq_zero_points_differ",
        {f"{CONV_Q}_zp": np.int8(3)},
        "relu1_input_DequantizeLinear",
        (
            "'relu1_input_DequantizeLinear' (DequantizeLinear)",
            "zero point 0 int8) differs",
            f"from node '{CONV_Q}' (scale 0.0625, zero point 3 int8)",
            "same scale, zero point and type in both nodes",
        ),
    ),
    inits_case(
        "gap_x_scale_mismatch_qop",
        {"conv2_y_scale": np.float32(0.3)},
        "gap1",
        (
            "'gap1' (QLinearGlobalAveragePool)",
            "x_scale / x_zero_point (scale 0.0625",
            "from node 'conv2' (scale 0.30000001",
            "same scale",
        ),
        src=qop,
    ),
    inits_case(
        "uint8_weights",
        {
            "conv1.weight_quantized": np.ones((2, 1, 3, 3), np.uint8),
            "conv1.weight_zero_point": np.uint8(0),
        },
        "conv1",
        ("'conv1' (Conv)", "uint8 weights", "int8"),
        src=one_conv,
    ),
    inits_case(
        "uint8_weights_qop",
        {"conv1_w": np.ones((2, 1, 3, 3), np.uint8), "conv1_w_zp": np.uint8(0)},
        "conv1",
        ("'conv1' (QLinearConv)", "uint8 weights", "int8"),
        src=lambda: GraphBuilder(in_signed=True).conv("conv1", 2, form="qop").model(),
    ),
    inits_case(
        "per_channel_bias_scale",
        {"conv1.weight_scale": np.array([2**-6, 2**-5, 2**-6], np.float32)},
        "conv1",
        (
            "'conv1' (Conv)",
            "bias scale 0.00012207031 (output channel 1) is not x_scale * w_scale = 0.00024414062",
            "per output channel",
        ),
        src=lambda: GraphBuilder().conv("conv1", 3, per_channel_w=True).model(),
    ),
    attrs_case(
        "maxpool_pads", "pool1", {"pads": [1, 1, 1, 1]}, ("'pool1' (MaxPool)", "pads", "no padding")
    ),
    attrs_case(
        "maxpool_ceil_mode", "pool1", {"ceil_mode": 1}, ("'pool1' (MaxPool)", "ceil_mode=1")
    ),
    attrs_case(
        "maxpool_dilations",
        "pool1",
        {"dilations": [2, 2]},
        ("'pool1' (MaxPool)", "dilations"),
        src=qop,
    ),
    attrs_case(
        "maxpool_kernel_4",
        "pool1",
        {"kernel_shape": [4, 4]},
        ("'pool1' (MaxPool)", "pool kernel 4x4 is not supported", "2 or 3"),
    ),
    Case(
        "gap_not_at_end",
        lambda: base().conv("conv3", 2, k=1).model(),
        ("'conv3' (Conv)", "after GlobalAveragePool", "fully connected layers"),
        "conv3",
    ),
    Case(
        "not_starting_with_conv",
        lambda: GraphBuilder().relu("relu0").conv("conv1", 2).model(),
        ("'relu0' (Relu)", "before any convolution", "start with a Conv"),
        "relu0",
    ),
    Case(
        "channels_513",
        lambda: GraphBuilder(shape=(1, 2, 2)).conv("conv1", 513, k=1).model(),
        ("'conv1' (Conv)", "513 output channels exceed the limit of 512"),
        "conv1",
    ),
    Case(
        "input_channels_600",
        lambda: GraphBuilder(shape=(600, 1, 1)).conv("conv1", 1, k=1).model(),
        ("'input'", "600 input channels exceed the limit of 512"),
        "input",
    ),
    Case("truncated_file", truncated, ("model.onnx", "truncated")),
    Case("not_onnx", lambda: b"this is a text file, not a model\n", ("model.onnx", "ONNX")),
    Case("missing_file", lambda: None, ("model.onnx", "file not found")),
    Case("empty_graph", empty_graph, ("empty", "no nodes")),
    Case(
        "conv_leaky_without_q",
        conv_leaky_no_q,
        (
            "'conv1_relu' (LeakyRelu)",
            "directly on a float Conv result",
            "insert QuantizeLinear (and DequantizeLinear) between the Conv and it",
        ),
        "conv1_relu",
    ),
    Case(
        "leaky_x_scale_mismatch_qop",
        qop_leaky_x_scale,
        (
            "'leaky1' (QLinearLeakyRelu)",
            "X_scale / X_zero_point (scale 0.25, zero point 0 int8) differs",
            "input 'conv1_output_0' from node 'conv1' (scale 0.0625",
        ),
        "leaky1",
    ),
    Case(
        "map_smaller_than_kernel",
        lambda: GraphBuilder(shape=(1, 2, 2)).conv("conv1", 2, k=3).model(),
        ("'conv1' (Conv)", "input map 2x2", "smaller than the 3x3 kernel"),
        "conv1",
    ),
    Case(
        "map_smaller_than_pool",
        lambda: GraphBuilder(shape=(1, 3, 3)).conv("conv1", 2, k=2).pool("pool1", k=3).model(),
        ("'pool1' (MaxPool)", "smaller than the 3x3 pool window"),
        "pool1",
    ),
    Case(
        "branching",
        branching,
        ("'relu1' (Relu)", "'relu1_output_0' feeds 2 nodes", "'side'", "single chain"),
        "relu1",
    ),
    Case("two_inputs", two_inputs, ("2 inputs", "use exactly one")),
    Case(
        "int8_graph_input", int_input, ("'input'", "float tensor feeding QuantizeLinear"), "input"
    ),
    inits_case(
        "dq_zero_point_type",
        {"conv2_input_DequantizeLinear_zp": np.uint8(0)},
        "conv2_input_DequantizeLinear",
        (
            "'conv2_input_DequantizeLinear' (DequantizeLinear)",
            "(scale 0.0625, zero point 0 uint8) differs",
            "from node 'pool1_output_QuantizeLinear' (scale 0.0625, zero point 0 int8)",
            "same scale, zero point and type",
        ),
    ),
    inits_case(
        "bias_scale",
        {"conv1.bias_quantized_scale": scale(3)},
        "conv1",
        ("'conv1' (Conv)", "bias scale 0.125 is not x_scale * w_scale = 0.00012207031"),
        src=one_conv,
    ),
    Case("float_weights", float_weights, ("'conv1' (Conv)", "through DequantizeLinear"), "conv1"),
    Case(
        "output_float_conv",
        edit(lambda m: bypass_q(m, "conv1", None), one_conv),
        ("'output'", "float Conv result", "add QuantizeLinear"),
        "output",
    ),
    inits_case(
        "dq_rescale",
        {"conv2_input_DequantizeLinear_scale": scale(5)},
        "conv2_input_DequantizeLinear",
        (
            "'conv2_input_DequantizeLinear' (DequantizeLinear)",
            "(scale 0.03125, zero point 0 int8) differs",
            f"from node '{CONV_Q}' (scale 0.0625",
            "same scale",
        ),
        src=two_convs,
    ),
    attrs_case(
        "gap_channels_last",
        "gap1",
        {"channels_last": 1},
        ("'gap1' (QLinearGlobalAveragePool)", "channels_last=1"),
        src=qop,
    ),
    inits_case(
        "qop_x_scale_mismatch",
        {"conv2_x_scale": scale(2)},
        "conv2",
        (
            "'conv2' (QLinearConv)",
            "x_scale / x_zero_point (scale 0.25, zero point 0 int8) differs",
            "input 'pool1_output_0' from node 'pool1' (scale 0.0625",
        ),
        src=qop,
    ),
    Case(
        "conv_conv_without_q",
        edit(lambda m: bypass_q(m, "conv1", "conv2"), two_convs),
        ("'conv2' (Conv)", "float Conv result", "insert QuantizeLinear"),
        "conv2",
    ),
    Case(
        "gap_on_float_conv",
        edit(lambda m: bypass_q(m, "conv2", "gap1")),
        ("'gap1' (GlobalAveragePool)", "insert QuantizeLinear"),
        "gap1",
    ),
    Case(
        "host_op_on_float_conv",
        edit(lambda m: softmax_after(bypass_q(m, "conv1", None)), one_conv),
        ("'sm' (Softmax)", "reads a float Conv / Gemm result", "add QuantizeLinear"),
        "sm",
    ),
    Case(
        "no_conv",
        lambda: GraphBuilder(in_signed=True).model(),
        ("'output'", "no convolution"),
        "output",
    ),
    Case(
        "input_q_without_y_scale",
        edit(lambda m: drop_inputs(m, "input_QuantizeLinear", 1)),
        ("'input_QuantizeLinear' (QuantizeLinear)", "y_scale", "missing"),
        "input_QuantizeLinear",
    ),
    Case(
        "conv_q_without_y_scale",
        edit(lambda m: drop_inputs(m, CONV_Q, 1)),
        (f"'{CONV_Q}' (QuantizeLinear)", "y_scale", "missing"),
        CONV_Q,
    ),
    inits_case(
        "conv1d",
        {"conv1.weight_quantized": np.ones((4, 2, 3), np.int8)},
        "conv1",
        ("'conv1' (Conv)", "not 2-D"),
    ),
]


def write_case(case: Case, tmp_path: Path) -> Path:
    """The case's model file (absent for the missing-file case)."""
    path = tmp_path / "model.onnx"
    content = case.make()
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_bytes(content.SerializeToString())
    return path


def assert_one_line(err: str, words: tuple[str, ...]) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("pocket-cnn: error: ")
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_model_cli(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_case(case, tmp_path)
    inp = tmp_path / "in.npy"
    np.save(inp, np.zeros((1, 2, 8, 8), np.uint8))
    before = sorted(p.name for p in tmp_path.iterdir())
    out = tmp_path / "out.npy"
    assert main(["reference", str(path), str(inp), "-o", str(out)]) == 2
    assert_one_line(capsys.readouterr().err, case.words)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert main(["check", str(path)]) == 2
    captured = capsys.readouterr()
    assert_one_line(captured.err, case.words)
    assert captured.out == ""


@pytest.mark.parametrize("case", [c for c in CASES if c.node], ids=[c.id for c in CASES if c.node])
def test_bad_model_error_names_node(case: Case) -> None:
    model = case.make()
    assert isinstance(model, onnx.ModelProto)
    with pytest.raises(ModelError) as info:
        from_onnx(model)
    assert info.value.node == case.node


def test_load_model_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="file not found"):
        load_model(tmp_path / "nothing.onnx")
    with pytest.raises(ModelError, match="is not a file"):
        load_model(tmp_path)


SUBPROCESS_CASES = [
    "kernel_4",
    "truncated_file",
    "not_starting_with_conv",
    "missing_file",
    "input_q_without_y_scale",
]


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_bad_model_subprocess(case_id: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == case_id)
    path = write_case(case, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "pocket_cnn.cli", "check", str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 2
    assert_one_line(proc.stderr, case.words)
    assert proc.stdout == ""
