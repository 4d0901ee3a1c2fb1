"""A fully connected stage as the hardware runs it: a 1x1 conv over a 1x1 map.

The flatten entity (``rtl/pcnn_flatten.vhd``) collects the H*W pixels of the FC's
input, each a beat of C channels, into one beat of C*H*W bytes in stream order
(h, w, c): byte ``(h*W + w)*C + c``. ONNX flattens in NCHW order (``c*H*W + h*W + w``),
so :func:`fc_as_conv` permutes the weight columns to stream order; the stage is then a
:class:`ConvStage` with kernel 1 over a (C*H*W, 1, 1) map, and the conv PE (its
requantisation, zero points, tables) runs it unchanged. After the global average pool
or another FC the input is already one (C, 1, 1) pixel: no flatten.

In the memory-window form (``rtl/pcnn_pe_mem.vhd``) an FC after a conv map reads the
map itself as a valid conv with K = H = W (:func:`fc_as_map_conv`): ONNX's (c, h, w)
flatten order is already a conv kernel's (ci, ky, kx) order, so the weights are the
Gemm rows reshaped, no permutation, and no flatten entity.
"""

from __future__ import annotations

import numpy as np

from pocket_cnn.errors import ModelError
from pocket_cnn.ir.network import MAX_CHANNELS, ConvStage, FcStage
from pocket_cnn.ir.requant import conv_multiplier


def stream_order(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N, C*H*W, 1, 1) in stream order (h, w, c): what the flatten
    entity hands the FC PE as one pixel."""
    v = np.asarray(x)
    n = v.shape[0]
    return v.transpose(0, 2, 3, 1).reshape(n, -1, 1, 1)


def fc_as_map_conv(fc: FcStage) -> ConvStage:
    """The FC as a K = H = W valid conv over its (C, H, W) input map (square maps only)."""
    c, h, w = fc.in_shape
    if h != w:
        raise ModelError(
            f"the memory-window form runs an FC as a square conv; its input map is {h}x{w}",
            node=fc.name,
        )
    base = fc_as_conv(fc)  # the same checks and quantisation
    wt = np.asarray(fc.weights).reshape(fc.n_out, c, h, w)
    base.in_shape = (c, h, w)
    base.weights = np.ascontiguousarray(wt)
    return base


def fc_as_conv(fc: FcStage) -> ConvStage:
    """The FC as a kernel-1 conv stage over its flattened input in stream order.

    Refuses (one line) an input wider than MAX_CHANNELS and a multiplier that is not
    QLinearConv's (com.microsoft QGemm with alpha != 1).
    """
    c, h, w = fc.in_shape
    if fc.n_in != c * h * w:
        raise ModelError(
            f"fully connected weights read {fc.n_in} values, the input has {c * h * w}",
            node=fc.name,
        )
    if fc.n_in > MAX_CHANNELS:
        raise ModelError(
            f"fully connected layer reads {fc.n_in} values (C*H*W = {c}*{h}*{w}); the "
            f"hardware takes at most {MAX_CHANNELS}: pool or stride the map down first",
            node=fc.name,
        )
    conv_m = conv_multiplier(fc.x_q.scale, fc.w_scale, fc.y_q.scale)
    if not np.array_equal(np.broadcast_to(conv_m, fc.multiplier.shape), fc.multiplier):
        raise ModelError(
            "fully connected layer's requantisation multiplier is not x_scale * w_scale / "
            "y_scale in float32 (QGemm alpha != 1?); export it with alpha = 1",
            node=fc.name,
        )
    wt = np.asarray(fc.weights).reshape(fc.n_out, c, h, w).transpose(0, 2, 3, 1)
    return ConvStage(
        name=fc.name,
        in_shape=(c * h * w, 1, 1),
        weights=np.ascontiguousarray(wt.reshape(fc.n_out, c * h * w, 1, 1)),
        bias=fc.bias,
        stride=1,
        pad=0,
        x_q=fc.x_q,
        w_scale=np.broadcast_to(np.asarray(fc.w_scale, dtype=np.float32), (fc.n_out,)).copy(),
        y_q=fc.y_q,
        activation=fc.activation,
        nodes=list(fc.nodes),
        table=fc.table,
        act_q=fc.act_q,
    )
