"""Window geometry of Conv / QLinearConv / MaxPool nodes, checked against the hardware limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import onnx

from pocket_cnn.ir import KERNELS, MAX_CHANNELS, PADS, POOL_KERNELS, POOL_STRIDES, STRIDES, PoolSpec
from pocket_cnn.onnx_import.graph import attrs, fail

Shape = tuple[int, int, int]


def _choices(values: tuple[int, ...]) -> str:
    text = [str(v) for v in values]
    return ", ".join(text[:-1]) + " or " + text[-1]


@dataclass(frozen=True)
class ConvGeometry:
    kernel: int
    stride: int
    pad: int
    out_shape: Shape


def _square(node: onnx.NodeProto, values: list[int], what: str, allowed: tuple[int, ...]) -> int:
    if len(values) != 2:
        raise fail(node, f"{what} {values} is not 2-D; only 2-D (N, C, H, W) layers are supported")
    if values[0] != values[1]:
        raise fail(
            node,
            f"non-square {what} {values[0]}x{values[1]} is not supported; "
            f"use a square {what} ({_choices(allowed)})",
        )
    if values[0] not in allowed:
        raise fail(
            node,
            f"{what} {values[0]}x{values[0]} is not supported; use {what} {_choices(allowed)}",
        )
    return values[0]


AUTO_PADS = ("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER")


def _pads(
    node: onnx.NodeProto,
    a: dict[str, Any],
    kernel: int,
    stride: int,
    in_hw: tuple[int, int] | None,
) -> list[int]:
    """The pads [top, left, bottom, right] of a window op: its ``pads``, or what its
    ``auto_pad`` means on an ``in_hw`` input (ONNX: SAME gives ceil(in / stride) outputs,
    the odd pad pixel at the end for SAME_UPPER, at the start for SAME_LOWER)."""
    auto_pad = a.get("auto_pad", "NOTSET")
    if auto_pad not in AUTO_PADS:
        raise fail(node, f"auto_pad={auto_pad} is not an ONNX setting; use explicit pads")
    if auto_pad == "NOTSET":
        pads = [int(p) for p in a.get("pads", [0, 0, 0, 0])]
        if len(pads) != 4:
            raise fail(node, f"pads {pads} are not 2-D")
        return pads
    if auto_pad == "VALID":
        return [0, 0, 0, 0]
    if in_hw is None:  # pragma: no cover - every caller knows its input
        raise fail(node, f"auto_pad={auto_pad} needs the input size; write explicit pads")
    begin: list[int] = []
    end: list[int] = []
    for size in in_hw:
        out = -(-size // stride)
        total = max((out - 1) * stride + kernel - size, 0)
        small, large = total // 2, total - total // 2
        begin.append(small if auto_pad == "SAME_UPPER" else large)
        end.append(large if auto_pad == "SAME_UPPER" else small)
    pads = [begin[0], begin[1], end[0], end[1]]
    if len(set(pads)) != 1 and node.op_type != "MaxPool":
        h, w = in_hw
        raise fail(
            node,
            f"auto_pad={auto_pad} pads the {h}x{w} input by {pads} (top, left, bottom, "
            "right), not the same on every edge; export the model with explicit "
            "symmetric pads (e.g. an odd kernel at stride 1)",
        )
    return pads


def _dilations(node: onnx.NodeProto, a: dict[str, Any]) -> None:
    dil = list(a.get("dilations", [1, 1]))
    if any(d != 1 for d in dil):
        raise fail(node, f"dilations {dil} are not supported; use dilation 1")


def check_channels(node: onnx.NodeProto, count: int, what: str) -> None:
    """At most MAX_CHANNELS channels anywhere."""
    if count > MAX_CHANNELS:
        raise fail(
            node,
            f"{count} {what} channels exceed the limit of {MAX_CHANNELS}; "
            f"use at most {MAX_CHANNELS} channels",
        )


def conv_geometry(
    node: onnx.NodeProto, weight_shape: tuple[int, ...], in_shape: Shape
) -> ConvGeometry:
    """Kernel, stride and pad of a conv node with weights of ``weight_shape`` on ``in_shape``."""
    a = attrs(node)
    if len(weight_shape) != 4:
        raise fail(node, f"weights of shape {list(weight_shape)} are not 2-D conv weights")
    cout, cin, kh, kw = (int(v) for v in weight_shape)
    if "kernel_shape" in a and list(a["kernel_shape"]) != [kh, kw]:
        raise fail(node, f"kernel_shape {list(a['kernel_shape'])} differs from weights {kh}x{kw}")
    kernel = _square(node, [kh, kw], "kernel", KERNELS)
    if int(a.get("group", 1)) != 1:
        raise fail(node, f"group={a['group']} is not supported; use group 1 (no depthwise)")
    _dilations(node, a)
    stride = _square(node, list(a.get("strides", [1, 1])), "stride", STRIDES)
    pads = _pads(node, a, kernel, stride, (in_shape[1], in_shape[2]))
    if len(set(pads)) != 1:
        raise fail(
            node,
            f"asymmetric padding {pads} is not supported; use the same pad on every side",
        )
    pad = int(pads[0])
    if pad not in PADS:
        raise fail(node, f"padding {pad} is not supported; use padding {_choices(PADS)}")
    c, h, w = in_shape
    check_channels(node, cout, "output")
    if cin != c:
        raise fail(node, f"weights expect {cin} input channels but the input has {c}")
    if h + 2 * pad < kernel or w + 2 * pad < kernel:
        raise fail(
            node,
            f"input map {h}x{w} (padded {h + 2 * pad}x{w + 2 * pad}) is smaller than the "
            f"{kernel}x{kernel} kernel; use a smaller kernel, more padding or a larger input",
        )
    ho = (h + 2 * pad - kernel) // stride + 1
    wo = (w + 2 * pad - kernel) // stride + 1
    return ConvGeometry(kernel=kernel, stride=stride, pad=pad, out_shape=(cout, ho, wo))


def pool_spec(node: onnx.NodeProto, in_hw: tuple[int, int] | None = None) -> PoolSpec:
    """The max-pool window of a MaxPool node (no pads, floor mode, no dilation) on an
    ``in_hw`` input (needed for ``auto_pad`` SAME: accepted where it pads nothing)."""
    a = attrs(node)
    if "kernel_shape" not in a:
        raise fail(node, "kernel_shape is missing")
    kernel = _square(node, list(a["kernel_shape"]), "pool kernel", POOL_KERNELS)
    stride = _square(node, list(a.get("strides", [1, 1])), "pool stride", POOL_STRIDES)
    pads = _pads(node, a, kernel, stride, in_hw)
    auto_pad = a.get("auto_pad", "NOTSET")
    if any(p != 0 for p in pads) and auto_pad != "NOTSET":
        raise fail(
            node,
            f"auto_pad={auto_pad} pads the input by {pads} (top, left, bottom, right); "
            "MaxPool takes no padding: use auto_pad=VALID or no pads (floor mode)",
        )
    if any(p != 0 for p in pads):
        raise fail(node, f"MaxPool pads {pads} are not supported; use no padding (floor mode)")
    if int(a.get("ceil_mode", 0)) != 0:
        raise fail(node, "ceil_mode=1 is not supported; use ceil_mode 0 (floor)")
    _dilations(node, a)
    return PoolSpec(kernel=kernel, stride=stride)
