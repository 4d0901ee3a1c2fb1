"""The ``check`` table: one row per stage (conv, global average pool, fully connected)
with shapes, geometry, quantisation, requantisation and cost.

Columns are separated by at least two spaces (a cell may hold single spaces, e.g.
``0.0123 zp 128 u8``). The requantisation multiplier of every output channel is
``m * 2**-s`` (docs/numerics.md): the column shows ``m`` and ``s``, or their ranges
over the channels when the weights are quantized per channel; "hw rounding" is the
requantiser the hardware builds for it (pocket_cnn.emit.hw_view.Requant; "gap": the
GAP's own constants, pocket_cnn.emit.gap).
"""

from __future__ import annotations

import numpy as np

from pocket_cnn.emit.fc import fc_as_conv
from pocket_cnn.emit.hw_view import conv_hw
from pocket_cnn.ir import ConvStage, FcStage, GapStage, Network, QTensor
from pocket_cnn.ir.auto_parallel import AutoTarget
from pocket_cnn.ir.cycles import cycle_report
from pocket_cnn.ir.network import pow2_frac
from pocket_cnn.ir.parallel import PeParallel, pe_dims
from pocket_cnn.ir.requant import Mantissa, mantissa

HEADER = (
    "stage",
    "kind",
    "in CxHxW",
    "out",
    "kernel",
    "stride",
    "pad",
    "act",
    "pool",
    "x quant",
    "y quant",
    "w scales",
    "multiplier m / shift s",
    "hw rounding",
    "acc bits",
    "MACs/image",
    "weights",
)


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(v) for v in shape)


def _span(values: np.ndarray) -> str:
    lo, hi = int(values.min()), int(values.max())
    return str(lo) if lo == hi else f"{lo}..{hi}"


def _mult(mant: Mantissa) -> str:
    """``m`` and ``s`` of ``M = m * 2**-s``, as ranges over the channels."""
    return f"m {_span(mant.m)} / s {_span(mant.s)}"


def _w_scales(w_scale: np.ndarray) -> str:
    ws = np.unique(np.asarray(w_scale, dtype=np.float32))
    if ws.size == 1:
        f = pow2_frac(float(ws[0]))
        return f"{f'2**{-f}' if f is not None else f'{float(ws[0]):.6g}'} per-tensor"
    return f"{float(ws.min()):.3g}..{float(ws.max()):.3g} per-channel"


def _y(y_q: QTensor, act_q: QTensor | None) -> str:
    return y_q.text() if act_q is None else f"{y_q.text()} -> {act_q.text()}"


def _bits(lo: int, hi: int) -> int:
    return max(max(-lo, hi).bit_length() + 1, 2)


def _rounding(st: ConvStage, first: bool) -> str:
    """The hardware's requantiser: shift (power of two, no multiplier), mult (one
    rounding, proven equal to onnxruntime) or exact (onnxruntime's float32 steps)."""
    return conv_hw(st, first).mode.value


def _conv_row(st: ConvStage, first: bool = False) -> tuple[str, ...]:
    pool = "-" if st.pool is None else f"max {st.pool.kernel}/{st.pool.stride}"
    return (
        st.name,
        "conv",
        _shape(st.in_shape),
        _shape(st.out_shape),
        f"{st.kernel}x{st.kernel}",
        str(st.stride),
        str(st.pad),
        st.activation.value,
        pool,
        st.x_q.text(),
        _y(st.y_q, st.act_q),
        _w_scales(st.w_scale),
        _mult(st.mantissa),
        _rounding(st, first),
        str(st.acc_bits),
        str(st.macs),
        str(st.weights.size),
    )


def _gap_row(g: GapStage) -> tuple[str, ...]:
    zp = g.x_q.zero_point
    lo, hi = g.area * (g.x_q.lo - zp), g.area * (g.x_q.hi - zp)
    return (
        g.name,
        "gap",
        _shape(g.in_shape),
        _shape(g.out_shape),
        "global",
        "-",
        "-",
        "-",
        "avg",
        g.x_q.text(),
        g.y_q.text(),
        "-",
        _mult(mantissa(g.multiplier)),
        "gap",
        str(_bits(lo, hi)),
        "-",
        "-",
    )


def _fc_row(f: FcStage) -> tuple[str, ...]:
    return (
        f.name,
        "fc",
        _shape(f.in_shape),
        str(f.n_out),
        "-",
        "-",
        "-",
        f.activation.value,
        "-",
        f.x_q.text(),
        _y(f.y_q, f.act_q),
        _w_scales(f.w_scale),
        _mult(f.mantissa),
        _rounding(fc_as_conv(f), False),
        str(f.acc_bits),
        str(f.macs),
        str(f.weights.size),
    )


def rows(net: Network) -> list[tuple[str, ...]]:
    """The table rows (without header): conv stages, the GAP if any, the FC layers."""
    out = [_conv_row(st, i == 0) for i, st in enumerate(net.stages)]
    if net.gap is not None:
        out.append(_gap_row(net.gap))
    out += [_fc_row(f) for f in net.fc]
    return out


def table(net: Network, par: PeParallel | None = None, device: AutoTarget | None = None) -> str:
    """The whole ``pocket-cnn check`` report as text; with ``par`` the per-PE table
    (:func:`pe_table`) before the totals line."""
    body = [HEADER, *rows(net)]
    widths = [max(len(r[i]) for r in body) for i in range(len(HEADER))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in body
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    macs = sum(st.macs for st in net.stages) + sum(f.macs for f in net.fc)
    weights = sum(st.weights.size for st in net.stages) + sum(f.weights.size for f in net.fc)
    biases = sum(st.bias.size for st in net.stages) + sum(f.bias.size for f in net.fc)
    head = (
        f"network '{net.name}': input {_shape(net.input_shape)} ({net.input_q.text()}), "
        f"output {_shape(net.output_shape)} ({net.output_q.text()})"
    )
    fc = f", {len(net.fc)} fully connected" if net.fc else ""
    foot = (
        f"total: {len(net.stages)} conv stages{fc}, {macs} MACs/image, {weights} weights, "
        f"{biases} biases, {net.input_words} input words/image, "
        f"{net.output_words} output words/image"
    )
    pes = [] if par is None else [pe_table(net, par, device)]
    return "\n".join([head, *lines, *pes, foot])


PE_HEADER = ("PE", "parallel", "cycles/image", "slowest block", "multipliers", "")


def _form(par: PeParallel, i: int, k: int, kk: int) -> str:
    """``m``/``ml`` (memory-window form, products in logic) or ``,PK`` where taps fold."""
    if par.is_mem(i):
        return "ml" if par.is_mul_logic(i) else "m"
    return f",{k}" if k != kk else ""


def pe_table(net: Network, par: PeParallel, device: AutoTarget | None = None) -> str:
    """Per PE: parallelism (PIN,POUT[,PK]), clocks per image of its slowest block (the
    cycle model, pocket_cnn.ir.cycles), multipliers; the PEs as slow as the slowest
    block marked as the bottleneck; then the steady state against the input bound, the
    slowest block and the resource estimate (on ``device``: its DSPs)."""
    triples = par.triples(net)
    rep = cycle_report(net, triples)
    device = device or AutoTarget()
    est = device.estimate(net, triples)
    neck = rep.bottleneck
    body: list[tuple[str, ...]] = [PE_HEADER]
    for i, (name, _, _, kk) in enumerate(pe_dims(net)):
        a, b, k = triples[i]
        blocks = [s for s in rep.stages if s.pe == i]
        slow = max(blocks, key=lambda s: s.cycles)
        body.append(
            (
                name,
                f"{a},{b}" + _form(par, i, k, kk),
                str(slow.cycles),
                slow.name.split(".")[-1],
                str(a * b * (1 if par.is_mem(i) else k)),
                "<- bottleneck" if slow.cycles == rep.slowest else "",
            )
        )
    widths = [max(len(r[i]) for r in body) for i in range(len(PE_HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in body]
    lines.insert(1, "  ".join("-" * w for w in widths[:-1]))
    how = "auto" if par.auto else ("full" if par.full else "given")
    where = neck.name if neck.pe is None else f"{neck.name} (PE {neck.pe})"
    stalls = f", {rep.stalls} of them blocks waiting on each other" if rep.stalls else ""
    return "\n".join(
        [
            f"parallelism ({how}): {par}",
            *lines,
            f"steady state: {rep.steady} cycles/image (bound {rep.bound} = H*W*C{stalls}); "
            f"bottleneck: {where}",
            f"estimate: {est.multipliers} multipliers, ~{est.cells} logic cells"
            + (" (products in DSPs)" if est.in_dsps and device.dsps else "")
            + " (pocket_cnn.ir.estimate)",
        ]
    )
