"""The model zoo and the random network generator."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from pocket_cnn import reference, zoo
from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Network, conv_out
from pocket_cnn.zoo.draw import net_input
from pocket_cnn.zoo.onnx_export import to_onnx

#: input shapes (C, H, W) the zoo models must have (from the original zoo)
INPUT_SHAPES = {
    "conv_3x1_1x1_max_2x2": (1, 6, 6),
    "conv_3x1_1x1_max_2x2_leaky_relu": (1, 6, 6),
    "conv_3x1_1x1_max_2x2_no_relu": (1, 6, 6),
    "conv_3x1_1x1_max_2x2_nonsquare_input": (1, 5, 9),
    "conv_3x1_1x1_max_2x2_odd_input": (1, 7, 7),
    "conv_3x1_1x1_max_2x2_colored_input": (3, 6, 6),
    "conv_3x1_1x1_max_2x2_odd_channel": (1, 6, 6),
    "conv_3x1_1x1_max_2x2_one_channel": (1, 6, 6),
    "conv_3x1_1x1_max_2x2_padding": (1, 4, 4),
    "conv_3x1_1x1_max_2x1": (1, 6, 6),
    "conv_3x2_1x1_max_2x1": (1, 9, 9),
    "conv_3x2_1x1_max_2x1_padding": (1, 9, 9),
    "conv_2x1_1x1_max_3x2": (1, 8, 8),
    "conv_3x3_2x2_1x1": (1, 12, 12),
    "conv_3x1_1x1_max_3x1": (1, 6, 6),
    "conv_3x1_1x1_max_3x3": (1, 8, 8),
    "conv_5x1_1x1_max_2x2": (1, 8, 8),
    "conv_4x3x1_1x1": (1, 10, 10),
    "conv_2x_3x1_1x1_max_2x2": (1, 14, 14),
    "conv_2x_3x1_1x1_max_2x2_padding": (1, 12, 12),
    "conv_2x_3x1_1x1_max_2x2_mt": (1, 24, 48),
    "lenet_mnist8": (1, 28, 28),
}


def _usable(y: np.ndarray) -> bool:
    return bool(np.any(y != 0)) and bool(np.any((y != 127) & (y != -128)))


def _params(net: Network) -> list[object]:
    out: list[object] = [net.input_shape, net.input_signed, net.input_frac]
    for st in net.stages:
        out += [st.weights.tolist(), st.bias.tolist(), st.stride, st.pad, st.pool]
        out += [st.frac_in, st.frac_w, st.frac_out, st.activation]
    if net.gap is not None:
        out += [net.gap.frac_in, net.gap.frac_out]
    return out


def test_zoo_has_every_original_model() -> None:
    assert set(zoo.ZOO) == set(INPUT_SHAPES)


@pytest.mark.parametrize("name", sorted(zoo.ZOO))
def test_zoo_model_builds_and_is_usable(name: str) -> None:
    net = zoo.build(name)
    assert net.name == name
    assert net.input_shape == INPUT_SHAPES[name]
    assert not net.input_signed and net.input_frac == 8
    for st in net.stages:
        assert st.weights.dtype == np.int8 and st.bias.dtype == np.int32
    for form in ("qdq", "qoperator"):
        onnx.checker.check_model(to_onnx(net, form), full_check=True)  # type: ignore[arg-type]
    # other images than the calibration ones: no stage all zero or all saturated
    outs = reference.run_all(net, net_input(net, 20, seed=4242))
    for st_name, y in zip([*(s.name for s in net.stages), "gap"], outs, strict=False):
        assert _usable(y), f"{name}: stage {st_name} output is all zero or all saturated"


@pytest.mark.parametrize("name", sorted(zoo.ZOO))
def test_zoo_seeds(name: str) -> None:
    assert _params(zoo.build(name, seed=3)) == _params(zoo.build(name, seed=3))
    assert _params(zoo.build(name, seed=3)) != _params(zoo.build(name, seed=4))


def test_zoo_unknown_name() -> None:
    with pytest.raises(ModelError, match="unknown zoo model"):
        zoo.build("conv_does_not_exist")


def _check_shapes(net: Network) -> None:
    shape = net.input_shape
    for st in net.stages:
        assert st.in_shape == shape
        _, h, w = shape
        assert h + 2 * st.pad >= st.kernel and w + 2 * st.pad >= st.kernel
        assert st.pad < st.kernel
        _, ho, wo = st.conv_shape
        assert ho == conv_out(h, st.kernel, st.stride, st.pad) >= 1 and wo >= 1
        if st.pool is not None:
            assert min(ho, wo) >= st.pool.kernel
        shape = st.out_shape
    if net.gap is not None:
        assert net.gap.in_shape == shape


def test_random_networks_valid_and_cover_options() -> None:
    seen: set[tuple[str, object]] = set()
    for seed in range(300):
        net = zoo.random_network(seed)
        _check_shapes(net)
        c, h, w = net.input_shape
        assert h <= 16 and w <= 16 and c <= 16
        seen.add(("signed", net.input_signed))
        seen.add(("gap", net.gap is not None))
        seen.add(("layers", len(net.stages)))
        for st in net.stages:
            assert st.ch_out <= 16
            seen.update({("k", st.kernel), ("s", st.stride), ("p", st.pad), ("a", st.activation)})
            seen.add(("pool", None if st.pool is None else (st.pool.kernel, st.pool.stride)))
            seen.add(("shift<=0", st.shift <= 0))
        out = reference.run(net, net_input(net, 2, seed))
        assert out.dtype == np.int8
    want = {("k", k) for k in (1, 2, 3, 5)} | {("s", s) for s in (1, 2, 3)}
    want |= {("p", p) for p in (0, 1, 2)} | {("signed", b) for b in (True, False)}
    want |= {("gap", b) for b in (True, False)} | {("shift<=0", b) for b in (True, False)}
    want |= {("pool", (k, s)) for k in (2, 3) for s in (1, 2, 3)} | {("pool", None)}
    want |= {("layers", n) for n in (1, 2, 3, 4)}
    assert want <= seen
    assert {a for key, a in seen if key == "a"} == {"none", "relu", "leaky"}


def test_random_network_seeds_and_channels() -> None:
    assert _params(zoo.random_network(11)) == _params(zoo.random_network(11))
    assert _params(zoo.random_network(11)) != _params(zoo.random_network(12))
    widths = [st.ch_out for s in range(40) for st in zoo.random_network(s, max_channels=64).stages]
    assert max(widths) <= 64 and max(widths) > 16
