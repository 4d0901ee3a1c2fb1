"""Emit the VHDL of one network: configuration package, stream top, legacy wrapper.

``emit(net, outdir)`` renders the Jinja2 templates in ``emit/templates`` (through
:mod:`pocket_cnn.hdl_text`):

- ``<top>_pkg.vhd``: one ``pcnn_pe_cfg_t`` per PE, weights/biases as
  ``pcnn_int_array_t`` constants, GAP constants and the stream geometry;
- ``<top>.vhd``: gather -> conv PEs -> [GAP] -> [flatten] -> [FC PEs] -> [argmax] ->
  serialize behind
  8-bit AXI4-Stream ports (an FC is a kernel-1 PE over a 1x1 map, :mod:`pocket_cnn.emit.fc`);
- ``<top>_legacy.vhd``: ``<top>`` behind the original pocket-cnn ports.

The files use ``library pocket_cnn`` for the RTL and ``work`` for each other, so they
can be compiled into pocket_cnn or into a library of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pocket_cnn.emit.fc import fc_as_conv, fc_as_map_conv
from pocket_cnn.emit.gap import GapConstants, gap_constants_q
from pocket_cnn.emit.hw_view import ConvHw, Requant, conv_hw
from pocket_cnn.emit.names import check_top_name
from pocket_cnn.errors import ModelError
from pocket_cnn.hdl_text import render
from pocket_cnn.ir import Activation, ConvStage, Network
from pocket_cnn.ir.cycles import gap_banked, gap_serial
from pocket_cnn.ir.parallel import Parallel, PeParallel, resolve_parallel
from pocket_cnn.ir.rq_serial import pool_in_pe, rq_digit
from pocket_cnn.ir.wrom import rom_shape, wrom_in_bram

#: The templates, as :func:`pocket_cnn.hdl_text.render` names them.
TEMPLATES = "emit/templates"
#: Width of each counter of the network top's status port (images in, results out, framing
#: errors; they wrap around). Few pins: the network alone still fits the iCE40UP5K's package.
STATUS_BITS = 8
#: Where the PEs' products come from (``emit(dsp=...)``, the G_DSP generic of pcnn_pe):
#: inferred, ECP5 sysDSP blocks instantiated with their own registers, or logic (a folded
#: conv's products as two registered half products: the iCE40 flow, which maps no DSPs).
DSP_FORMS = ("infer", "ecp5", "logic")
_ACT = {
    Activation.NONE: "PCNN_ACT_NONE",
    Activation.RELU: "PCNN_ACT_RELU",
    Activation.LEAKY: "PCNN_ACT_LEAKY",
    Activation.TABLE: "PCNN_ACT_TABLE",
}
_RQ = {Requant.SHIFT: "PCNN_RQ_SHIFT", Requant.MULT: "PCNN_RQ_MULT", Requant.EXACT: "PCNN_RQ_EXACT"}
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
    par_k: int
    #: "true": the folded weights in block RAM (:mod:`pocket_cnn.ir.wrom`)
    wrom_bram: str
    acc_bits: int
    weights: str
    weights_len: int
    bias: str
    bias_len: int
    requant: str
    pad_value: int
    zp: int
    clamp_lo: int
    clamp_hi: int
    #: aggregates of the per-channel mantissas and shifts ("" for SHIFT) and the table
    mult: str
    mshift: str
    table: str
    #: "true": the memory-window form (rtl/pcnn_pe_mem.vhd)
    mem_form: str = "false"
    #: "true": the memory form's products as shift-and-add logic (no DSP)
    mul_logic: str = "false"
    #: memory form, mult/exact: digit bits of the serial requantiser (0: one per lane)
    rq_digit: int = 0


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


def pe_view(
    st: ConvStage,
    par: tuple[int, int],
    first: bool = True,
    force: Requant | None = None,
    par_k: int | None = None,
    mem: bool = False,
    mul_logic: bool = False,
) -> PeView:
    """Template view of a conv stage with its parallelism (``first``: it reads the
    network input); the requantisation mode and constants from :func:`conv_hw`."""
    hw = conv_hw(st, first, force)
    _, h, w = st.in_shape
    kk = st.kernel * st.kernel
    taps = par_k or kk
    bram = wrom_in_bram(*rom_shape(st.ch_in, st.ch_out, kk, par, taps))
    if mem:  # words of par_in*par_out bytes, one per (output group, tap, input group)
        bram = wrom_in_bram(*rom_shape(st.ch_in, st.ch_out, kk, par, 1))
    return PeView(
        name=st.name,
        ch_in=st.ch_in,
        ch_out=st.ch_out,
        height=h,
        width=w,
        kernel=st.kernel,
        stride=st.stride,
        pad=st.pad,
        shift=hw.shift,
        act=_ACT[Activation(st.activation)],
        in_signed="true" if hw.in_signed else "false",
        pool_kernel=st.pool.kernel if st.pool is not None else 0,
        pool_stride=st.pool.stride if st.pool is not None else 1,
        par_in=par[0],
        par_out=par[1],
        par_k=taps,
        wrom_bram="true" if bram else "false",
        acc_bits=max(hw.acc_bits, st.acc_bits),
        weights=aggregate(st.weights),
        weights_len=int(st.weights.size),
        bias=aggregate(hw.bias),
        bias_len=int(st.bias.size),
        requant=_RQ[hw.mode],
        pad_value=hw.pad_value,
        zp=hw.zp,
        clamp_lo=hw.clamp_lo,
        clamp_hi=hw.clamp_hi,
        mult=aggregate(hw.mult, "      ") if hw.mode is not Requant.SHIFT else "",
        mshift=aggregate(hw.mult_shift, "      ") if hw.mode is not Requant.SHIFT else "",
        table=aggregate(hw.table, "      ") if hw.table is not None else "",
        mem_form="true" if mem else "false",
        mul_logic="true" if mem and mul_logic else "false",
        rq_digit=_rq_digit(st, hw, par) if mem else 0,
    )


def _rq_digit(st: ConvStage, hw: ConvHw, par: tuple[int, int]) -> int:
    """The memory-form PE's serial requantiser digit (:mod:`pocket_cnn.ir.rq_serial`)."""
    pi, po = min(par[0], st.ch_in), min(par[1], st.ch_out)
    steps = st.kernel * st.kernel * -(-st.ch_in // pi)
    mbits = max(int(np.asarray(hw.mult).max()).bit_length(), 1)
    return rq_digit(hw.mode, mbits, po, steps, pool_in_pe(st))


def net_gap_constants(net: Network) -> GapConstants | None:
    """GAP constants of the network (None without GAP)."""
    if net.gap is None:
        return None
    _, h, w = net.gap.in_shape
    return gap_constants_q(h * w, net.gap.x_q, net.gap.y_q, name=net.gap.name)


def context(
    net: Network,
    top: str,
    parallel: PeParallel | Parallel,
    force: Requant | None = None,
    dsp: str = "infer",
) -> dict[str, Any]:
    """Everything the templates need; ``parallel`` and ``dsp`` as :func:`emit` takes them,
    ``force`` a requantisation mode for the stages that are not power-of-two ones (tests)."""
    if dsp not in DSP_FORMS:
        raise ModelError(f"unknown product form {dsp!r}: one of {', '.join(DSP_FORMS)}", node="dsp")
    if not net.stages:
        raise ModelError("the network has no convolution; nothing to emit", node=net.name)
    resolved = resolve_parallel(net, parallel)
    pars = resolved.pairs
    n_conv = len(net.stages)
    c_last, h_last, w_last = net.stages[-1].out_shape
    # an FC in the memory-window form straight after the conv map reads the map itself
    # (a K = H = W conv): no flatten
    map_fc = bool(net.fc) and net.gap is None and h_last * w_last > 1 and resolved.is_mem(n_conv)
    fc_convs = [
        fc_as_map_conv(f) if i == 0 and map_fc else fc_as_conv(f) for i, f in enumerate(net.fc)
    ]
    pes = [
        pe_view(
            st,
            p,
            i == 0,
            force,
            resolved.par_k(i, st.kernel * st.kernel),
            resolved.is_mem(i),
            resolved.is_mul_logic(i),
        )
        for i, (st, p) in enumerate(zip([*net.stages, *fc_convs], pars, strict=True))
    ]
    c_in, h_in, w_in = net.input_shape
    links = [{"what": "gathered input pixels", "ch": c_in}]
    links += [
        {"what": f"output of PE {i} ({st.name})", "ch": st.ch_out}
        for i, st in enumerate(net.stages)
    ]
    # (source link, sink link) of every PE: conv PE i reads link i, writes link i + 1
    pe_links = [(i, i + 1) for i in range(n_conv)]
    gap = net_gap_constants(net)
    serial = gap_serial(net)
    if gap is not None:
        links.append({"what": "global average pool results", "ch": 1 if serial else c_last})
        h_last = w_last = 1
    out_ch, out_pixels = c_last, h_last * w_last
    flatten = None
    if net.fc:
        if h_last * w_last > 1 and not map_fc:
            links.append({"what": "flattened map (h, w, c)", "ch": c_last * h_last * w_last})
            flatten = {"ch": c_last, "pixels": h_last * w_last, "src": len(links) - 2}
        for i, f in enumerate(net.fc):
            links.append({"what": f"output of PE {n_conv + i} ({f.name})", "ch": f.n_out})
            pe_links.append((len(links) - 2, len(links) - 1))
        out_ch, out_pixels = net.fc[-1].n_out, 1
    argmax = None
    if net.argmax:  # the class index of each output pixel: one byte, never flipped
        links.append({"what": "class index per pixel", "ch": 1})
        argmax = {"ch": out_ch, "src": len(links) - 2}
        out_ch = 1
    # the output serializer's beat: channels per beat, beats per image
    ser_ch, ser_pixels = (1, out_ch) if serial else (out_ch, out_pixels)
    return {
        "top": top,
        "net_name": net.name,
        "in_ch": c_in,
        "in_pixels": h_in * w_in,
        "out_ch": out_ch,
        "out_pixels": out_pixels,
        "pes": pes,
        "pe_links": pe_links,
        "n_conv": n_conv,
        "n_fc": len(net.fc),
        "gap": gap,
        "gap_banked": "true" if gap_banked(net, tuple(resolved.triples(net))) else "false",
        "gap_ch": c_last,
        "gap_serial": "true" if serial else "false",
        "ser_ch": ser_ch,
        "ser_pixels": ser_pixels,
        "gap_src": n_conv,
        "gap_dst": n_conv + 1,
        "flatten": flatten,
        "links": links,
        "last": len(links) - 1,
        "argmax": argmax,
        "out_flip": "false" if net.argmax or net.output_q.signed else "true",
        "status_bits": STATUS_BITS,
        "dsp_form": "" if dsp == "infer" else f"PCNN_DSP_{dsp.upper()}",
    }


def emit(
    net: Network,
    outdir: str | Path,
    top: str = "pcnn_net",
    parallel: PeParallel | Parallel = None,
    force: Requant | None = None,
    dsp: str = "infer",
) -> list[Path]:
    """Write ``<top>_pkg.vhd``, ``<top>.vhd``, ``<top>_legacy.vhd``; return them, compile order.

    ``parallel``: the :class:`PeParallel` the caller resolved (used as is), None for full
    parallelism, or (par_in, par_out) pairs (checked here). ``dsp``: where the products
    come from (:data:`DSP_FORMS`): ``infer`` (any target; the synthesis tool picks),
    ``ecp5`` (ECP5 blocks with their own registers, ``rtl/pcnn_mul_ecp5.vhd``: ECP5 targets
    only) or ``logic`` (LUT products, a folded conv's as two registered half products).
    """
    check_top_name(top)
    ctx = context(net, top, parallel, force, dsp)
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
