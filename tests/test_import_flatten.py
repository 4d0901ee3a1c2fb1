"""A trailing Flatten / Squeeze / Reshape after global average pooling (as PyTorch
exports `torch.flatten(x, 1)`) is accepted; of the network input it is refused
(flattening before fully connected layers: tests/test_fc.py)."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from pocket_cnn import reference
from pocket_cnn.errors import ModelError
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.reference.oracle import run_ort
from pocket_cnn.zoo import build
from pocket_cnn.zoo.draw import net_input
from pocket_cnn.zoo.onnx_export import to_onnx


def _append(model: onnx.ModelProto, op: str, before_dq: bool, **kw: object) -> onnx.ModelProto:
    """Insert ``op`` at the end of the graph (after, or just before, the final DQ)."""
    g = model.graph
    out = g.output[0].name
    dq = next(n for n in g.node if out in n.output)
    inits: list[onnx.TensorProto] = []
    inputs_extra: list[str] = []
    if op == "Squeeze":
        inits.append(numpy_helper.from_array(np.array([2, 3], np.int64), "sq_axes"))
        inputs_extra = ["sq_axes"]
    if op == "Reshape":
        shape = kw.get("shape", [-1, 0])
        inits.append(numpy_helper.from_array(np.array(shape, np.int64), "rs_shape"))
        inputs_extra = ["rs_shape"]
    attrs = {"axis": kw["axis"]} if "axis" in kw else {}
    if before_dq:
        src = dq.input[0]
        node = helper.make_node(op, [src, *inputs_extra], ["flat_q"], name="flat", **attrs)
        dq.input[0] = "flat_q"
        idx = list(g.node).index(dq)
        g.node.insert(idx, node)
    else:
        dq.output[0] = "pre_flat"
        g.node.append(
            helper.make_node(op, ["pre_flat", *inputs_extra], [out], name="flat", **attrs)
        )
    g.initializer.extend(inits)
    g.output[0].type.tensor_type.ClearField("shape")
    return model


def _fix_reshape_channels(model: onnx.ModelProto, channels: int) -> None:
    for init in model.graph.initializer:
        if init.name == "rs_shape":
            init.CopyFrom(numpy_helper.from_array(np.array([-1, channels], np.int64), "rs_shape"))


@pytest.mark.parametrize("form", ["qdq", "qoperator"])
@pytest.mark.parametrize("op", ["Flatten", "Squeeze", "Reshape"])
@pytest.mark.parametrize("before_dq", [False, True])
def test_trailing_flatten_accepted(form: str, op: str, before_dq: bool) -> None:
    net = build("conv_3x1_1x1_max_2x2_odd_channel")
    model = _append(to_onnx(net, form, batch=None), op, before_dq)
    _fix_reshape_channels(model, net.output_shape[0])
    got = from_onnx(model)
    assert got.output_shape == net.output_shape
    x = net_input(got, 5, seed=3)
    want = run_ort(got, model, x).reshape(5, -1)
    assert np.array_equal(reference.run(got, x).astype(np.int64), want)


def test_flatten_before_gap_refused() -> None:
    net = build("conv_3x1_1x1_max_2x2")
    model = to_onnx(net, "qdq")
    g = model.graph
    first_conv = next(n for n in g.node if n.op_type == "Conv")
    src = first_conv.input[0]
    first_conv.input[0] = "flat_x"
    g.node.insert(list(g.node).index(first_conv), helper.make_node("Flatten", [src], ["flat_x"]))
    with pytest.raises(ModelError, match="Flatten of the network input is not supported"):
        from_onnx(model)


def test_reshape_to_other_shape_refused() -> None:
    net = build("conv_3x1_1x1_max_2x2")
    model = _append(to_onnx(net, "qdq"), "Reshape", False, shape=[-1, 2, 4])
    with pytest.raises(ModelError, match=r"\(N, C\*H\*W\)") as err:
        from_onnx(model)
    assert err.value.node == "flat"
