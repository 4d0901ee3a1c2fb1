"""Emit the VHDL of one network: configuration package, stream top, legacy wrapper.

``emit(net, outdir)`` renders the Jinja2 templates in ``emit/templates`` (through
:mod:`pocket_cnn.hdl_text`):

- ``<top>_pkg.vhd``: one ``pcnn_pe_cfg_t`` per PE, weights/biases as
  ``pcnn_int_array_t`` constants, GAP constants and the stream geometry;
- ``<top>.vhd``: gather -> PEs -> [GAP] -> serialize behind 8-bit AXI4-Stream ports;
- ``<top>_legacy.vhd``: ``<top>`` behind the original pocket-cnn ports.

The files use ``library pocket_cnn`` for the RTL and ``work`` for each other, so they
can be compiled into pocket_cnn or into a library of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pocket_cnn.emit.gap import GapConstants, gap_constants
from pocket_cnn.emit.names import check_top_name
from pocket_cnn.errors import ModelError
from pocket_cnn.hdl_text import render
from pocket_cnn.ir import Activation, ConvStage, Network
from pocket_cnn.ir.parallel import Parallel, PeParallel, resolve_parallel
from pocket_cnn.ir.requant import single_rounding_exact

#: The templates, as :func:`pocket_cnn.hdl_text.render` names them.
TEMPLATES = "emit/templates"
_ACT = {
    Activation.NONE: "PCNN_ACT_NONE",
    Activation.RELU: "PCNN_ACT_RELU",
    Activation.LEAKY: "PCNN_ACT_LEAKY",
}
#: Values per line in the weight/bias aggregates.
_PER_LINE = 16


@dataclass(frozen=True)
class PeView:
    """Template view of one PE."""

    name: str
    ch_in: int
    ch_out: int
    height: int
    width: int
    kernel: int
    stride: int
    pad: int
    shift: int
    act: str
    in_signed: str
    pool_kernel: int
    pool_stride: int
    par_in: int
    par_out: int
    acc_bits: int
    weights: str
    weights_len: int
    bias: str
    bias_len: int


def aggregate(values: np.ndarray, indent: str = "    ") -> str:
    """The inside of a VHDL array aggregate of ints (one element: named association)."""
    flat = [int(v) for v in np.asarray(values).reshape(-1)]
    if len(flat) == 1:
        return f"{indent}0 => {flat[0]}"
    lines = [
        indent + ", ".join(str(v) for v in flat[i : i + _PER_LINE])
        for i in range(0, len(flat), _PER_LINE)
    ]
    return ",\n".join(lines)


def check_shift_hardware(st: ConvStage) -> None:
    """The PE's requantiser is a rounding shift: the stage's scales must be powers of
    two with zero point 0, and the shift must give onnxruntime's float32 result for
    every accumulator the layer can reach (it rounds accumulators past 2**24)."""
    if not st.is_pow2:
        raise ModelError(
            "scales that are not powers of two, zero points, uint8 activations inside the "
            "network and activation tables run in the reference but have no hardware yet; "
            "quantize with power-of-two scales and zero point 0 to generate VHDL",
            node=st.name,
        )
    lo, hi = st.acc_range
    if single_rounding_exact(st.mantissa, 0, -128, 127, lo, hi) is not True:
        raise ModelError(
            f"accumulators up to {max(-lo, hi)} pass 2**24, where onnxruntime rounds them to "
            "float32 before the shift; the shift-only hardware cannot prove the same result: "
            "use smaller weights or fewer input channels",
            node=st.name,
        )


def pe_view(st: ConvStage, par: tuple[int, int]) -> PeView:
    """Template view of a conv stage with its parallelism."""
    check_shift_hardware(st)
    _, h, w = st.in_shape
    return PeView(
        name=st.name,
        ch_in=st.ch_in,
        ch_out=st.ch_out,
        height=h,
        width=w,
        kernel=st.kernel,
        stride=st.stride,
        pad=st.pad,
        shift=st.shift,
        act=_ACT[Activation(st.activation)],
        in_signed="true" if st.in_signed else "false",
        pool_kernel=st.pool.kernel if st.pool is not None else 0,
        pool_stride=st.pool.stride if st.pool is not None else 1,
        par_in=par[0],
        par_out=par[1],
        acc_bits=st.acc_bits,
        weights=aggregate(st.weights),
        weights_len=int(st.weights.size),
        bias=aggregate(st.bias),
        bias_len=int(st.bias.size),
    )


def net_gap_constants(net: Network) -> GapConstants | None:
    """GAP constants of the network (None without GAP)."""
    if net.gap is None:
        return None
    if not (net.gap.x_q.is_pow2 and net.gap.y_q.is_pow2):
        raise ModelError(
            "a global average pool with scales that are not powers of two or with zero "
            "points runs in the reference but has no hardware yet",
            node=net.gap.name,
        )
    _, h, w = net.gap.in_shape
    return gap_constants(h * w, net.gap.frac_out - net.gap.frac_in, name=net.gap.name)


def context(net: Network, top: str, parallel: PeParallel | Parallel) -> dict[str, Any]:
    """Everything the templates need; ``parallel`` as :func:`emit` takes it."""
    if net.fc:
        names = ", ".join(f"'{f.name}'" for f in net.fc)
        raise ModelError(
            f"fully connected layers ({names}) have no hardware yet: nothing is emitted; "
            "the reference (pocket-cnn reference) runs them, the VHDL needs a model without them",
            node=net.fc[0].name,
        )
    if not net.stages:
        raise ModelError("the network has no convolution; nothing to emit", node=net.name)
    pars = resolve_parallel(net, parallel).pairs
    pes = [pe_view(st, p) for st, p in zip(net.stages, pars, strict=True)]
    c_in, h_in, w_in = net.input_shape
    links = [{"what": "gathered input pixels", "ch": c_in}]
    links += [
        {"what": f"output of PE {i} ({st.name})", "ch": st.ch_out}
        for i, st in enumerate(net.stages)
    ]
    gap = net_gap_constants(net)
    c_last, h_last, w_last = net.stages[-1].out_shape
    if gap is not None:
        links.append({"what": "global average pool results", "ch": c_last})
        out_pixels = 1
    else:
        out_pixels = h_last * w_last
    return {
        "top": top,
        "net_name": net.name,
        "in_ch": c_in,
        "in_pixels": h_in * w_in,
        "out_ch": c_last,
        "out_pixels": out_pixels,
        "pes": pes,
        "gap": gap,
        "links": links,
        "last": len(links) - 1,
    }


def emit(
    net: Network,
    outdir: str | Path,
    top: str = "pcnn_net",
    parallel: PeParallel | Parallel = None,
) -> list[Path]:
    """Write ``<top>_pkg.vhd``, ``<top>.vhd``, ``<top>_legacy.vhd``; return them, compile order.

    ``parallel``: the :class:`PeParallel` the caller resolved (used as is), None for full
    parallelism, or (par_in, par_out) pairs (checked here).
    """
    check_top_name(top)
    ctx = context(net, top, parallel)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for template, suffix in (
        ("net_pkg.vhd.j2", "_pkg"),
        ("net_top.vhd.j2", ""),
        ("net_legacy.vhd.j2", "_legacy"),
    ):
        path = out / f"{top}{suffix}.vhd"
        text = render(f"{TEMPLATES}/{template}", **ctx)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        written.append(path)
    return written
