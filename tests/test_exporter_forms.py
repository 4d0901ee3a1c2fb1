"""What real exporters and quantizers also write (issue 12, item 5).

* ``auto_pad`` SAME_UPPER / SAME_LOWER / VALID on Conv and MaxPool, accepted where the
  pads it means are the same on every edge;
* activation tables exact to onnxruntime in whole models: Sigmoid, Tanh, HardSigmoid
  (DQ -> op -> Q), com.microsoft QLinearSigmoid, Clip(0, x) with its own Q/DQ and a
  change of scale (tests/test_tables.py checks the tables alone);
* ops after the network's integer part (Softmax, QLinearSoftmax, a float HardSigmoid
  and GlobalAveragePool the quantizer left): left to the host, ``check`` says so in one
  line, the reference and the oracle meet at the hardware's output;
* a bias as a separate ``Add`` after the Conv (folded into the bias where exact;
  refused where the quantizer made it an 8-bit tensor, with the fix);
* constant ``Reshape`` s of initializers (folded into constants);
* their refusals: one line naming the node, exit 2 through ``pocket-cnn check``.

Oracles (docs/numerics.md): the QOperator form is compared bit for bit where
onnxruntime's integer kernels are exact on any CPU: int8 activations (s8 x s8), or
uint8 activations with every |weight| <= 64 (reduce_range: no u8 x s8 pair can
saturate), or any uint8 model on a CPU with VNNI; a uint8 model with larger weights on
a CPU without VNNI has no exact oracle here and is skipped. The QDQ form runs float
DequantizeLinear -> Conv -> QuantizeLinear in onnxruntime: at least 99.9 % of the words
equal and none more than 1 apart.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from _support.onnx_graph import GraphBuilder
from onnx import helper, numpy_helper

from pocket_cnn import reference
from pocket_cnn.cli.main import main
from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Activation, Network
from pocket_cnn.onnx_import import from_onnx, tables
from pocket_cnn.reference.oracle import run_ort
from pocket_cnn.zoo.draw import net_input
from pocket_cnn.zoo.float_nets import FLOAT_NETS, calibration
from pocket_cnn.zoo.ort_quantize import MATRIX, Setting, quantize_setting
from pocket_cnn.zoo.qbuilder import MS, QBuilder, s8, u8

pytest.importorskip("onnxruntime")


def _has_vnni() -> bool:
    """VNNI by CPUID as numpy reads it (also under qemu-user), or AVX-VNNI."""
    from numpy._core._multiarray_umath import __cpu_features__ as feats

    if feats.get("AVX512VNNI", False):
        return True
    try:
        return " avx_vnni" in Path("/proc/cpuinfo").read_text()
    except OSError:  # pragma: no cover
        return False


VNNI = _has_vnni()

# quantizer settings (pocket_cnn.zoo.ort_quantize.MATRIX rows, by name)
QOP_S8 = Setting("qoperator", True, "int8", False, "minmax")
QDQ_U8 = Setting("qdq", False, "uint8", True, "minmax")
QDQ_S8 = Setting("qdq", False, "int8", False, "entropy")
QDQ_NOOPT = Setting("qdq", False, "uint8", False, "minmax", optimize=False)
QOP_NOOPT = Setting("qoperator", False, "uint8", False, "minmax", optimize=False)


@functools.cache
def _quantized(name: str, setting: Setting) -> bytes:
    float_model = FLOAT_NETS[name](0)
    return quantize_setting(
        float_model, calibration(float_model, 8, 1), setting
    ).SerializeToString()


def quantized(name: str, setting: Setting) -> onnx.ModelProto:
    return onnx.load_from_string(_quantized(name, setting))


def _oracle(net: Network, model: onnx.ModelProto, n: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """(reference, onnxruntime) on ``n`` random images, fed one at a time (batch-1 models)."""
    x = net_input(net, n, seed=7)
    got = reference.run(net, x).astype(np.int64)
    want = np.concatenate([run_ort(net, model, x[i : i + 1]) for i in range(n)])
    return got, want


def _max_weight(net: Network) -> int:
    layers = [*net.stages, *net.fc]
    return max(int(np.abs(layer.weights.astype(np.int64)).max()) for layer in layers)


def assert_matches(net: Network, model: onnx.ModelProto, qdq: bool) -> None:
    """Reference == onnxruntime with the oracle that applies (module docstring)."""
    got, want = _oracle(net, model)
    assert got.shape == want.shape
    if qdq:
        diff = np.abs(got - want)
        assert int(diff.max()) <= 1
        assert float(np.mean(diff == 0)) >= 0.999
        return
    u8_layers = [s.x_q for s in net.stages] + [f.x_q for f in net.fc]
    exact = all(q.signed for q in u8_layers) or _max_weight(net) <= 64 or VNNI
    if not exact:
        pytest.skip("u8 x s8 with |w| > 64 on a CPU without VNNI: no exact oracle here")
    assert np.array_equal(got, want)


def check_cli(
    model: onnx.ModelProto, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    code = main(["check", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(
    model: onnx.ModelProto,
    node: str,
    words: tuple[str, ...],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``pocket-cnn check`` exits 2 with one line naming ``node`` and ``words``."""
    with pytest.raises(ModelError) as info:
        from_onnx(model)
    assert info.value.node == node
    code, out, err = check_cli(model, tmp_path, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("pocket-cnn: error: ") and f"'{node}'" in lines[0], lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


def set_attrs(
    model: onnx.ModelProto, name: str, drop: tuple[str, ...] = (), **attrs: Any
) -> onnx.ModelProto:
    n = next(n for n in model.graph.node if n.name == name)
    keep = [a for a in n.attribute if a.name not in attrs and a.name not in drop]
    del n.attribute[:]
    n.attribute.extend(keep)
    n.attribute.extend(helper.make_attribute(k, v) for k, v in attrs.items())
    return model


# ---- auto_pad -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("shape", "k", "stride", "auto_pad", "pad"),
    [
        ((1, 12, 12), 5, 1, "SAME_UPPER", 2),
        ((1, 12, 12), 5, 1, "SAME_LOWER", 2),
        ((1, 9, 9), 3, 1, "SAME_UPPER", 1),
        ((1, 7, 7), 3, 2, "SAME_UPPER", 1),  # 7 -> 4: 2 pad pixels, one each side
        ((1, 9, 9), 3, 3, "SAME_LOWER", 0),
        ((1, 9, 9), 3, 1, "VALID", 0),
    ],
)
@pytest.mark.parametrize("form", ["qdq", "qop"])
def test_auto_pad_conv(
    shape: tuple[int, int, int], k: int, stride: int, auto_pad: str, pad: int, form: str
) -> None:
    """The pads auto_pad means become the stage's pad; onnxruntime (which applies
    auto_pad itself) agrees with the reference bit for bit (power-of-two scales)."""
    b = GraphBuilder(shape=shape, in_signed=form == "qop").conv(
        "conv1", 3, k=k, stride=stride, form=form
    )
    model = set_attrs(
        b.pool("pool1", form=form).model(), "conv1", drop=("pads",), auto_pad=auto_pad
    )
    out = -(-shape[1] // stride) if auto_pad != "VALID" else (shape[1] - k) // stride + 1
    # MaxPool 2/2 with SAME_UPPER pads nothing on an even map (accepted), else VALID
    pool_same = set_attrs(model, "pool1", auto_pad="SAME_UPPER" if out % 2 == 0 else "VALID")
    net = from_onnx(pool_same)
    assert net.stages[0].pad == pad
    got, want = _oracle(net, pool_same, n=6)
    assert np.array_equal(got, want)


def test_auto_pad_mnist_same() -> None:
    """The MNIST-like net (5x5 convolutions with auto_pad=SAME_UPPER, bias Adds): pad 2,
    bit exact on the int8 QOperator form, within 1 LSB on the QDQ form."""
    for setting in (QOP_S8, QDQ_S8):
        model = quantized("mnist_same", setting)
        net = from_onnx(model)
        assert [s.pad for s in net.stages] == [2, 2]
        assert [s.kernel for s in net.stages] == [5, 5]
        assert_matches(net, model, setting.form == "qdq")


def test_auto_pad_asymmetric_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = set_attrs(
        GraphBuilder(shape=(1, 8, 8)).conv("conv1", 2, k=2).model(),
        "conv1",
        drop=("pads",),
        auto_pad="SAME_LOWER",
    )
    words = ("auto_pad=SAME_LOWER pads the 8x8 input by [1, 1, 0, 0]", "explicit symmetric pads")
    assert_refused(model, "conv1", words, tmp_path, capsys)


# ---- activation tables in models ----------------------------------------------------------
@pytest.mark.parametrize("setting", MATRIX, ids=lambda s: s.name)
def test_activations_net(
    setting: Setting, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Conv, Clip(0, 6) (folded by the quantizer), Sigmoid, Tanh, HardSigmoid, GAP.

    QDQ: every activation is a table in hardware. QOperator: QLinearSigmoid and
    DQ -> Tanh -> Q are tables; the quantizer leaves HardSigmoid and the
    GlobalAveragePool in float after the last conv's DequantizeLinear: left to the host.
    """
    model = quantized("activations", setting)
    net = from_onnx(model)
    acts = [s.activation for s in net.stages]
    assert acts[1:3] == [Activation.TABLE, Activation.TABLE]
    code, out, err = check_cli(model, tmp_path, capsys)
    assert code == 0, err
    if setting.form == "qdq":
        assert acts[3] is Activation.TABLE and net.gap is not None and not net.host_ops
        assert "left to the host" not in out
    else:
        assert [op for op, _ in net.host_ops] == ["HardSigmoid", "GlobalAveragePool"]
        assert net.gap is None and acts[3] is Activation.NONE
        line = [ln for ln in out.splitlines() if "left to the host" in ln]
        assert line == [
            "left to the host: HardSigmoid 'HardSigmoid_7', GlobalAveragePool "
            "'GlobalAveragePool_8', from tensor 'conv_6'"
        ]
    assert_matches(net, model, setting.form == "qdq")


def test_qlinear_sigmoid_and_tanh_tables_are_onnxruntimes() -> None:
    """The imported tables are tables.float_table with onnxruntime's functions (not
    numpy's): stage 1 QLinearSigmoid, stage 2 DQ -> Tanh -> Q."""
    net = from_onnx(quantized("activations", QOP_S8))
    sig, tanh = net.stages[1], net.stages[2]
    assert sig.table is not None and tanh.table is not None
    want_sig = tables.float_table(sig.y_q, sig.out_q, [tables.sigmoid])
    assert np.array_equal(sig.table, want_sig)
    want_tanh = tables.float_table(tanh.y_q, tanh.out_q, [tables.tanh])
    assert np.array_equal(tanh.table, want_tanh)


@pytest.mark.parametrize("op", ["Sigmoid", "Tanh", "HardSigmoid"])
def test_float_activation_after_qlinear_conv(op: str) -> None:
    """QLinearConv (s8, exact) -> DQ -> op -> Q with another scale: bit exact."""
    out_q = s8(1 / 250, -1) if op == "Tanh" else u8(1 / 255, 0)
    b = QBuilder((3, 10, 10), s8(0.0123, 5)).conv("conv1", 4, s8(0.031, -7), "qop")
    model = b.act("act1", op, out_q=out_q).model()
    net = from_onnx(model)
    assert net.stages[0].activation is Activation.TABLE and net.stages[0].out_q == out_q
    assert_matches(net, model, qdq=False)


def test_clip_with_its_own_scale() -> None:
    """Clip(0, 6) between its own DQ and Q, the Q changing scale, zero point and type
    (s8 -> u8): one table; QLinearConv s8 before it, so bit exact."""
    b = QBuilder((3, 10, 10), s8(0.0123, 5)).conv("conv1", 4, s8(0.07, -10), "qop")
    b.act("clip1", "Clip", out_q=u8(6 / 255, 0), bounds=(0.0, 6.0))
    model = b.conv("conv2", 3, s8(0.11, 2), "qdq", k=1).model()
    net = from_onnx(model)
    first = net.stages[0]
    assert first.activation is Activation.TABLE and first.out_q == u8(6 / 255, 0)
    assert "clip1" in first.nodes
    got, want = _oracle(net, model)
    diff = np.abs(got - want)  # conv2 is QDQ: the float path
    assert int(diff.max()) <= 1 and float(np.mean(diff == 0)) >= 0.999


def test_sigmoid_on_integers_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    b = QBuilder((3, 6, 6), s8(0.0123, 5)).conv("conv1", 4, s8(0.031, -7), "qop")
    b.x = b.add("Sigmoid", [b.x], "sig1")
    words = ("Sigmoid on an 8-bit tensor is not valid ONNX", "insert DequantizeLinear")
    assert_refused(b.model(), "sig1", words, tmp_path, capsys)


# ---- the host's part ------------------------------------------------------------------------
def conv_softmax(form: str = "qdq") -> onnx.ModelProto:
    """conv1 3x3 (power-of-two scales) -> output DQ -> Softmax 'sm' (a conv-only model
    ending in a float op after its last DequantizeLinear)."""
    model = GraphBuilder(in_signed=form == "qop").conv("conv1", 3, form=form).model()
    dq = next(n for n in model.graph.node if n.name == "output_DequantizeLinear")
    dq.output[0] = "logits"
    model.graph.node.append(helper.make_node("Softmax", ["logits"], ["output"], name="sm", axis=1))
    return model


@pytest.mark.parametrize("form", ["qdq", "qop"])
def test_trailing_softmax_left_to_host(
    form: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = conv_softmax(form)
    net = from_onnx(model)
    assert net.host_ops == [("Softmax", "sm")] and net.boundary == "logits"
    code, out, err = check_cli(model, tmp_path, capsys)
    assert code == 0, err
    assert out.splitlines()[-1] == "left to the host: Softmax 'sm', from tensor 'logits'"
    got, want = _oracle(net, model, n=6)  # the oracle reads 'logits'
    assert np.array_equal(got, want)


def test_float_tail_relu_and_pending_ops_left_to_host() -> None:
    """A float Relu after the last DQ, and float ops pending between a DQ and a Softmax
    that has its own Q/DQ: all on the host, in order; the hardware stops at the 8-bit
    tensor before them."""
    b = GraphBuilder().conv("conv1", 2)
    model = b.model()
    dq = next(n for n in model.graph.node if n.name == "output_DequantizeLinear")
    dq.output[0] = "deq"
    model.graph.node.append(helper.make_node("Relu", ["deq"], ["output"], name="r"))
    net = from_onnx(model)
    assert net.host_ops == [("Relu", "r")] and net.boundary == "deq"

    model = b.model()
    dq = next(n for n in model.graph.node if n.name == "output_DequantizeLinear")
    dq.output[0] = "deq"
    extra = [
        helper.make_node("Relu", ["deq"], ["r_out"], name="r"),
        helper.make_node("Softmax", ["r_out"], ["sm_out"], name="sm"),
        helper.make_node(
            "QuantizeLinear", ["sm_out", "output_scale", "output_zp"], ["q"], name="q"
        ),
        helper.make_node(
            "DequantizeLinear", ["q", "output_scale", "output_zp"], ["output"], name="dq"
        ),
    ]
    model.graph.node.extend(extra)
    net = from_onnx(model)
    assert net.host_ops == [
        ("Relu", "r"),
        ("Softmax", "sm"),
        ("QuantizeLinear", "q"),
        ("DequantizeLinear", "dq"),
    ]
    assert net.boundary == "deq" and net.stages[0].activation is Activation.NONE
    got, want = _oracle(net, model, n=4)
    diff = np.abs(got - want)
    assert int(diff.max()) <= 1 and float(np.mean(diff == 0)) >= 0.99


def test_qlinear_softmax_left_to_host() -> None:
    """com.microsoft QLinearSoftmax right after a QLinearConv: the hardware's output is
    the conv's 8-bit tensor itself (the oracle reads the integers)."""
    b = QBuilder((3, 6, 6), s8(0.0123, 5)).conv("conv1", 4, s8(0.031, -7), "qop")
    conv_out = b.x
    ins = [b.x, *b.scale_zp("sm_x", s8(0.031, -7)), *b.scale_zp("sm_y", s8(1 / 256, -128))]
    b.x = b.add("QLinearSoftmax", ins, "sm", domain=MS, axis=1, opset=13)
    b.qt = s8(1 / 256, -128)
    model = b.model()
    net = from_onnx(model)
    assert net.host_ops == [
        ("QLinearSoftmax", "sm"),
        ("DequantizeLinear", "output_DequantizeLinear"),
    ]
    assert net.boundary == conv_out
    got, want = _oracle(net, model, n=4)
    assert np.array_equal(got, want)


@pytest.mark.parametrize("setting", [QDQ_U8, QOP_S8], ids=lambda s: s.name)
def test_fc_softmax(setting: Setting, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Conv, MaxPool, Flatten, Gemm, Softmax: the Softmax (QDQ: with its Q/DQ; QOperator:
    QLinearSoftmax) is the host's, the FC's output the hardware's."""
    model = quantized("fc_softmax", setting)
    net = from_onnx(model)
    assert len(net.fc) == 1 and net.output_shape == (10,)
    ops = [op for op, _ in net.host_ops]
    if setting.form == "qdq":
        assert ops == ["Softmax", "QuantizeLinear", "DequantizeLinear"]
    else:
        assert ops == ["QLinearSoftmax", "DequantizeLinear"]
    code, out, err = check_cli(model, tmp_path, capsys)
    assert code == 0, err
    assert out.splitlines()[-1].startswith("left to the host: ")
    assert_matches(net, model, setting.form == "qdq")


def test_host_op_before_any_conv_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = GraphBuilder(in_signed=True).model()  # input Q -> DQ (output)
    dq = next(n for n in model.graph.node if n.name == "output_DequantizeLinear")
    dq.output[0] = "x"
    model.graph.node.append(helper.make_node("Softmax", ["x"], ["output"], name="sm"))
    assert_refused(model, "sm", ("before any convolution",), tmp_path, capsys)


def test_softmax_before_a_layer_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Only ops after the last layer are the host's: a Softmax (with its Q/DQ) between
    two convolutions is refused."""
    b = QBuilder((3, 6, 6), s8(0.0123, 5)).conv("conv1", 4, s8(0.031, -7), "qop")
    xf = b.dequantize(b.x, "sm_DequantizeLinear", b.qt)
    b.qt = u8(1 / 256, 0)
    b.x = b.quantize(b.add("Softmax", [xf], "sm", axis=1), "sm_QuantizeLinear", b.qt)
    model = b.conv("conv2", 2, s8(0.05, 0), "qop", k=1).model()
    words = ("before layer 'conv2' (QLinearConv)", "after the last layer")
    assert_refused(model, "sm", words, tmp_path, capsys)


# ---- a bias as a separate Add ---------------------------------------------------------------
def conv_add(addend: str, with_bias: bool = True) -> tuple[onnx.ModelProto, np.ndarray]:
    """QBuilder conv1 (QDQ) whose Conv output goes through Add 'add1' before its Q.

    ``addend``: "int32" (DQ of an int32 (1, C, 1, 1) initializer at x_scale * w_scale
    per channel), "float" (float (1, C, 1, 1): what that DequantizeLinear gives),
    "float_inexact" (one value one float32 ulp off),
    "spatial" (a (1, C, H, W) constant). Returns the model and the int32 bias it adds."""
    b = QBuilder((3, 8, 8), u8(0.0123, 131), seed=2).conv(
        "conv1", 4, s8(0.047, 9), "qdq", w_scale=[0.002, 0.004, 0.001, 0.003]
    )
    conv = next(n for n in b.nodes if n.name == "conv1")
    q = b.nodes.pop()  # the conv's QuantizeLinear
    if not with_bias:
        del conv.input[2]
    acc_scale = (np.float32(0.0123) * np.float32([0.002, 0.004, 0.001, 0.003])).astype(np.float32)
    ints = np.array([1234, -567, 89012, -3], np.int32)
    if addend == "int32":
        c = b.add(
            "DequantizeLinear",
            [b.const("add_b", ints.reshape(1, 4, 1, 1)), b.const("add_bs", acc_scale)],
            "add_b_DequantizeLinear",
            axis=1,
        )
    elif addend == "spatial":
        c = b.const("add_b", np.ones((1, 4, 6, 6), np.float32))
    else:
        # what DequantizeLinear of the int32 gives in float32 (an exact multiple)
        values = (ints.astype(np.float32) * acc_scale).astype(np.float32)
        if addend == "float_inexact":
            values[2] = np.nextafter(values[2], np.float32(np.inf))
        c = b.const("add_b", values.reshape(1, 4, 1, 1))
    y = b.add("Add", [conv.output[0], c], "add1")
    q.input[0] = y
    b.nodes.append(q)
    return b.model(), ints


@pytest.mark.parametrize("addend", ["int32", "float"])
@pytest.mark.parametrize("with_bias", [True, False])
def test_bias_add_folded(addend: str, with_bias: bool) -> None:
    model, added = conv_add(addend, with_bias)
    bias = next(t for t in model.graph.initializer if t.name == "conv1_b")
    net = from_onnx(model)
    stage = net.stages[0]
    want = added.astype(np.int64) + (numpy_helper.to_array(bias) if with_bias else 0)
    assert np.array_equal(stage.bias, want)
    assert "add1" in stage.nodes
    got, ort = _oracle(net, model)
    diff = np.abs(got - ort)
    assert int(diff.max()) <= 1 and float(np.mean(diff == 0)) >= 0.999


def test_bias_add_after_gemm_folded() -> None:
    """A fully connected layer's bias as an Add after the Gemm (before its Q): fc1 in QDQ
    form with the Gemm's C moved into an Add gives the same IR and the same words."""
    model = quantized("fc1", QDQ_S8)
    want = from_onnx(model)
    gemm = next(n for n in model.graph.node if n.op_type == "Gemm")
    bias = gemm.input[2]
    del gemm.input[2]
    q = next(n for n in model.graph.node if n.input and n.input[0] == gemm.output[0])
    add = helper.make_node("Add", [gemm.output[0], bias], ["gemm_plus_bias"], name="add_fc")
    q.input[0] = "gemm_plus_bias"
    model.graph.node.insert(list(model.graph.node).index(q), add)
    net = from_onnx(model)
    assert np.array_equal(net.fc[0].bias, want.fc[0].bias) and "add_fc" in net.fc[0].nodes
    assert_matches(net, model, qdq=True)


@pytest.mark.parametrize("setting", [s for s in MATRIX if s.optimize], ids=lambda s: s.name)
def test_conv_add_bias_net(setting: Setting) -> None:
    """conv_add_bias quantized after quant_pre_process (the Adds folded into the biases by
    onnxruntime): imports and matches onnxruntime."""
    model = quantized("conv_add_bias", setting)
    net = from_onnx(model)
    assert len(net.stages) == 2 and not any(n.op_type == "Add" for n in model.graph.node)
    assert_matches(net, model, setting.form == "qdq")


@pytest.mark.parametrize(
    ("addend", "words"),
    [
        (
            "float_inexact",
            ("not an exact multiple of x_scale * w_scale", "int32", "quant_pre_process"),
        ),
        ("spatial", ("shape [1, 4, 6, 6] is not one value per output channel",)),
    ],
)
def test_bias_add_refused(
    addend: str, words: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, _ = conv_add(addend)
    assert_refused(model, "add1", words, tmp_path, capsys)


@pytest.mark.parametrize(
    ("setting", "node", "op"),
    [(QDQ_NOOPT, "Add_1", "Add"), (QOP_NOOPT, "Add_1_quant", "QLinearAdd")],
    ids=["qdq", "qop"],
)
def test_unoptimised_bias_add_refused(
    setting: Setting, node: str, op: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """quantize_static without quant_pre_process's optimisation quantizes the bias Add's
    constant as a uint8 tensor: refused, with the fix."""
    model = quantized("conv_add_bias", setting)
    words = (f"({op})", "8-bit tensor", "quant_pre_process with its default optimisation")
    assert_refused(model, node, words, tmp_path, capsys)


# ---- constant Reshape of an initializer -----------------------------------------------------
def test_reshape_of_weight_initializer_folded() -> None:
    """A conv weight stored flat and reshaped in the graph (Reshape of an initializer with
    a constant shape, before its DequantizeLinear): folded into the constant."""
    b = QBuilder((3, 8, 8), s8(0.0123, 5), seed=4).conv("conv1", 4, s8(0.047, 9), "qdq")
    w = next(t for t in b.inits if t.name == "conv1_w")
    weights = numpy_helper.to_array(w)
    w.CopyFrom(numpy_helper.from_array(weights.reshape(-1), "conv1_w"))
    b.nodes.insert(
        0,
        helper.make_node(
            "Reshape",
            ["conv1_w", b.const("w_shape", np.array(weights.shape, np.int64))],
            ["conv1_w_4d"],
            name="w_reshape",
        ),
    )
    wdq = next(n for n in b.nodes if n.name == "conv1_w_DequantizeLinear")
    wdq.input[0] = "conv1_w_4d"
    model = b.model()
    net = from_onnx(model)
    assert np.array_equal(net.stages[0].weights, weights)
    got, want = _oracle(net, model)
    diff = np.abs(got - want)
    assert int(diff.max()) <= 1 and float(np.mean(diff == 0)) >= 0.999
