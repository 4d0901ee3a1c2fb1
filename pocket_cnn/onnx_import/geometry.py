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


def _no_auto_pad(node: onnx.NodeProto, a: dict[str, Any]) -> None:
    auto_pad = a.get("auto_pad", "NOTSET")
    if auto_pad not in ("NOTSET", "VALID"):
        raise fail(node, f"auto_pad={auto_pad} is not supported; write explicit pads")


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
    _no_auto_pad(node, a)
    stride = _square(node, list(a.get("strides", [1, 1])), "stride", STRIDES)
    pads = list(a.get("pads", [0, 0, 0, 0]))
    if len(pads) != 4:
        raise fail(node, f"pads {pads} are not 2-D")
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


def pool_spec(node: onnx.NodeProto) -> PoolSpec:
    """The max-pool window of a MaxPool node (no pads, floor mode, no dilation)."""
    a = attrs(node)
    if "kernel_shape" not in a:
        raise fail(node, "kernel_shape is missing")
    kernel = _square(node, list(a["kernel_shape"]), "pool kernel", POOL_KERNELS)
    stride = _square(node, list(a.get("strides", [1, 1])), "pool stride", POOL_STRIDES)
    pads = list(a.get("pads", [0, 0, 0, 0]))
    if any(p != 0 for p in pads):
        raise fail(node, f"MaxPool pads {pads} are not supported; use no padding (floor mode)")
    if int(a.get("ceil_mode", 0)) != 0:
        raise fail(node, "ceil_mode=1 is not supported; use ceil_mode 0 (floor)")
    _dilations(node, a)
    _no_auto_pad(node, a)
    return PoolSpec(kernel=kernel, stride=stride)
