"""The cycle model: clocks per image of every stage of the generated network at a
parallelism setting, the steady state with images back to back and its bottleneck.

Every block of the pipeline (docs/design.md) needs a number of clocks per image of its
own, with its input always valid and its output always ready (:func:`stage_cycles`):

- ``gather`` (pcnn_axis_gather): one input word per clock, ``C*H*W`` (the input port's
  bound, :attr:`Network.input_words`);
- per PE ``window`` (pcnn_window, conv geometry): one pixel written and one reader
  token (a column shifted in and/or a window emitted) per clock at best; on short rows
  and with padding the writer and the reader wait on each other, so it is counted by
  clocking the window alone (:func:`window_cycles`);
- ``conv`` (pcnn_conv): ``ceil(Cin/PI) * ceil(Cout/PO) * ceil(K*K/PK)`` clocks per
  window, fully pipelined;
- ``pool`` (pcnn_maxpool_line, windows that do not overlap: stride >= kernel; its
  input through a skid slice): one conv output pixel per clock, ``Hc*Wc``;
- ``pool_window`` and ``maxpool`` (overlapping pools, pool geometry): the window as
  above; the max tree takes one window per clock;
- ``gap`` (pcnn_gap): one pixel per clock, its divide bank drains one channel per
  clock while the next image accumulates: ``max(H*W, C)``; in place (the lean form,
  no bank, chosen by :func:`gap_banked` wherever the whole chain loses no clock by
  it), the sums drain while the next image waits: ``H*W + C``;
- ``flatten`` (pcnn_flatten): one pixel per clock, ``H*W``;
- FC PEs (kernel-1 conv over one pixel): its pass-through window (no register) one
  clock, its conv
  ``ceil(Nin/PI) * ceil(Nout/PO)``;
- ``serialize`` (pcnn_axis_serialize, no pixel register): one output word per clock.

With images back to back the network runs at its slowest block, plus the clocks lost
where blocks wait on each other: a window's row slots let its writer run only two rows
ahead, so a slow consumer makes the writer (and the input port) wait at an image start
(e.g. a 5x5 conv at exactly the input rate: 1331 instead of 1152 clocks per image).
:attr:`CycleReport.steady` therefore comes from clocking the whole chain
(:mod:`pocket_cnn.ir.clock_model`, :func:`clocked_ends`), the testbench's ``steady``
(last image's clocks of :data:`IMAGES`); :attr:`CycleReport.stalls` is what the waits
cost over the slowest block. tests/test_cycles.py checks every image's clocks against
GHDL, exactly.

A PE in the memory-window form (pcnn_pe_mem, ``par_k`` = :data:`MEM_K` in its triple)
is one block ``pe_mem``: ``Ho*Wo * ceil(Cout/PO) * K*K * ceil(Cin/PI)`` clocks per image
plus the rows its reader waits for (clocked); an FC in it straight after a conv map
reads the map as a K = H = W conv (no flatten).

The module takes the setting as plain ``(par_in, par_out, par_k)`` triples per PE
(:meth:`pocket_cnn.ir.parallel.PeParallel.triples`), so the parallelism parser can use
it to choose a setting (``auto``) without an import circle.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from pocket_cnn.ir.clock_model import (
    Block,
    Conv,
    Flatten,
    Gap,
    Gather,
    MaxPool,
    MaxPoolLine,
    MemPe,
    PassWindow,
    Serialize,
    Skid,
    conv_first_levels,
    conv_front_stages,
    conv_tree_stages,
    pass_window,
    run_images,
    window,
)
from pocket_cnn.ir.network import ConvStage, FcStage, Network, conv_out
from pocket_cnn.ir.rq_serial import pool_in_pe, stage_rq

#: One PE's setting: (par_in, par_out, par_k).
Triple = tuple[int, int, int]
#: ``par_k`` of a PE in the memory-window form (pcnn_pe_mem: one tap per clock), and of
#: one whose products are logic (``mul_logic``: the same clocks, no DSP).
MEM_K = 0
MEM_LOGIC_K = -1

#: Images the network is clocked over: the steady state is the last image's clocks (the
#: network testbench's ``steady`` over as many images).
IMAGES = 8
#: Images a block alone is clocked over.
ISOLATED_IMAGES = 4


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class StageCycles:
    """Clocks per image of one block; ``pe`` = index of its PE (None outside PEs)."""

    name: str
    cycles: int
    pe: int | None = None


@dataclass(frozen=True)
class CycleReport:
    """Clocks per image of every stage in stream order, and the input port's bound."""

    stages: tuple[StageCycles, ...]
    bound: int
    #: steady-state clocks per image with images back to back (clocked)
    steady: int

    @property
    def slowest(self) -> int:
        """The slowest block's clocks per image (the steady state unless blocks wait
        on each other: :attr:`stalls`)."""
        return max(s.cycles for s in self.stages)

    @property
    def stalls(self) -> int:
        """Clocks per image the steady state loses to blocks waiting on each other."""
        return self.steady - self.slowest

    @property
    def bottleneck(self) -> StageCycles:
        """The slowest stage (the first in stream order on a tie)."""
        return max(self.stages, key=lambda s: s.cycles)

    def pe_cycles(self, pe: int) -> int:
        """Clocks per image of PE ``pe``: its slowest block."""
        return max(s.cycles for s in self.stages if s.pe == pe)


@functools.cache
def window_cycles(ch: int, h: int, w: int, k: int, s: int, p: int) -> int:
    """Clocks per image of pcnn_window over an h x w map of ``ch`` channels (kernel k,
    stride s, pad p) alone, its input always valid and its output always ready: one
    pixel written per clock at best, one reader token per clock, and on short rows
    the writer and the reader waiting on each other (clocked, :mod:`clock_model`)."""
    ends = run_images(
        [window(ch, h, w, k, s, p)],
        conv_out(h, k, s, p) * conv_out(w, k, s, p),
        ISOLATED_IMAGES,
        ISOLATED_IMAGES * (8 * h * w + 64),
    )
    return ends[-1] - ends[-2]


@functools.cache
def mem_pe_cycles(
    ch: int,
    h: int,
    w: int,
    k: int,
    s: int,
    p: int,
    ch_out: int,
    pi: int,
    po: int,
    eng: tuple[int, int, int] = (0, 0, 1),
    logic: bool = False,
) -> int:
    """Clocks per image of pcnn_pe_mem alone (input always valid, output always ready),
    clocked (:class:`pocket_cnn.ir.clock_model.MemPe`; ``eng``: as :func:`mem_eng`;
    ``logic``: products in logic)."""
    blk = MemPe(ch, h, w, k, s, p, ch_out, pi, po, *eng, logic=logic)
    per_img = conv_out(h, k, s, p) * conv_out(w, k, s, p) * blk.nw
    ends = run_images(
        [blk],
        blk.out_pixels,
        ISOLATED_IMAGES,
        ISOLATED_IMAGES * (2 * per_img + 4 * h * w * blk.nig + 64),
    )
    return ends[-1] - ends[-2]


def mem_eng(st: ConvStage | FcStage, ch: int, k: int, par: Triple) -> tuple[int, int, int]:
    """(clocks per output group of the serial requantiser, pool kernel, pool stride) of
    a memory-form PE over ``ch`` input channels with kernel ``k`` (0: no serial
    requantiser; pool (0, 1): no max-pool in the PE; :mod:`pocket_cnn.ir.rq_serial`)."""
    pi, po = min(par[0], ch), min(par[1], st.ch_out if isinstance(st, ConvStage) else st.n_out)
    r, eng = stage_rq(st, po, k * k * -(-ch // pi))
    if r and pool_in_pe(st) and isinstance(st, ConvStage) and st.pool is not None:
        return eng, st.pool.kernel, st.pool.stride
    return eng, 0, 1


def pool_fused(net: Network, i: int, par: Triple) -> bool:
    """Conv PE ``i``'s max-pool runs inside its memory-form PE (no pcnn_maxpool_line)."""
    st = net.stages[i]
    return is_mem(par) and mem_eng(st, st.ch_in, st.kernel, par)[1] > 0


def is_mem(par: Triple) -> bool:
    """The PE's setting asks for the memory-window form."""
    return par[2] <= MEM_K


def is_logic(par: Triple) -> bool:
    """The PE's setting asks for the memory-window form with its products in logic."""
    return par[2] == MEM_LOGIC_K


def fc_map_input(net: Network) -> bool:
    """The first FC reads the conv map itself (memory-window form, no flatten): see
    :func:`fc_geometry`."""
    if not net.fc or net.gap is not None:
        return False
    _, oh, ow = net.stages[-1].out_shape
    return oh * ow > 1


def fc_geometry(net: Network, j: int, par: Triple) -> tuple[int, int, int, int]:
    """(ch_in, h, w, k) of FC ``j`` as its PE runs it: a K = H = W conv over the conv
    map for a memory-form first FC after a map, else a 1x1 conv over one pixel."""
    f = net.fc[j]
    if j == 0 and is_mem(par) and fc_map_input(net):
        c, h, w = f.in_shape
        return c, h, w, h
    return f.n_in, 1, 1, 1


def pe_stages(net: Network, i: int, par: Triple) -> list[StageCycles]:
    """The stages of conv PE ``i``: window, conv (or pe_mem), [pool window, maxpool]."""
    st = net.stages[i]
    c, h, w = st.in_shape
    k, s, p = st.kernel, st.stride, st.pad
    _, ho, wo = st.conv_shape
    if is_mem(par):
        eng = mem_eng(st, c, k, par)
        cyc = mem_pe_cycles(c, h, w, k, s, p, st.ch_out, par[0], par[1], eng, is_logic(par))
        out = [StageCycles(f"{st.name}.pe_mem", cyc, i)]
    else:
        out = [
            StageCycles(f"{st.name}.window", window_cycles(c, h, w, k, s, p), i),
            StageCycles(f"{st.name}.conv", ho * wo * conv_steps(c, st.ch_out, k * k, par), i),
        ]
    if is_mem(par) and pool_fused(net, i, par):
        pass  # the max-pool runs in the PE's serial requantiser
    elif st.pool is not None and st.pool.stride >= st.pool.kernel:
        # pcnn_maxpool_line: one conv output pixel per clock
        out.append(StageCycles(f"{st.name}.pool", ho * wo, i))
    elif st.pool is not None:
        pk_, ps = st.pool.kernel, st.pool.stride
        cyc = window_cycles(st.ch_out, ho, wo, pk_, ps, 0)
        out.append(StageCycles(f"{st.name}.pool_window", cyc, i))
        out.append(
            StageCycles(f"{st.name}.maxpool", conv_out(ho, pk_, ps) * conv_out(wo, pk_, ps), i)
        )
    return out


def conv_steps(ch_in: int, ch_out: int, kk: int, par: Triple) -> int:
    """Clocks pcnn_conv spends on one window (one pixel of an FC PE)."""
    pi, po, pk = par
    return _cdiv(ch_in, pi) * _cdiv(ch_out, po) * _cdiv(kk, pk)


def stage_cycles(
    net: Network, par: Sequence[Triple], banked: bool | None = None
) -> list[StageCycles]:
    """Clocks per image of every block of ``net`` alone at ``par`` (one (par_in,
    par_out, par_k) per PE: the conv stages, then the FC layers), in stream order;
    ``banked``: the GAP's form (None: as :func:`gap_banked` picks it)."""
    c, h, w = net.input_shape
    stages = [StageCycles("gather", c * h * w)]
    for i in range(len(net.stages)):
        stages += pe_stages(net, i, par[i])
    oc, oh, ow = net.stages[-1].out_shape
    if net.gap is not None:
        if banked is None:
            banked = gap_banked(net, tuple(par))
        stages.append(StageCycles("gap", max(oh * ow, oc) if banked else oh * ow + oc))
        oh = ow = 1
    n = len(net.stages)
    if net.fc:
        if oh * ow > 1 and not is_mem(par[n]):
            stages.append(StageCycles("flatten", oh * ow))
        for j, f in enumerate(net.fc):
            if is_mem(par[n + j]):
                ci, fh, fw, fk = fc_geometry(net, j, par[n + j])
                pi, po, _ = par[n + j]
                eng = mem_eng(f, ci, fk, par[n + j])
                logic = is_logic(par[n + j])
                cyc = mem_pe_cycles(ci, fh, fw, fk, 1, 0, f.n_out, pi, po, eng, logic)
                stages.append(StageCycles(f"{f.name}.pe_mem", cyc, n + j))
                continue
            cyc = conv_steps(f.n_in, f.n_out, 1, par[n + j])
            stages.append(StageCycles(f"{f.name}.window", 1, n + j))  # the pass-through
            stages.append(StageCycles(f"{f.name}.conv", cyc, n + j))
    stages.append(StageCycles("serialize", net.output_words))
    return stages


def cycle_report(net: Network, par: Sequence[Triple]) -> CycleReport:
    """Every block's clocks per image and the network's steady state at ``par``
    (clocked over :data:`IMAGES` images back to back)."""
    stages = tuple(stage_cycles(net, par))
    ends = clocked_ends(net, par, IMAGES, max(s.cycles for s in stages))
    return CycleReport(stages, net.input_words, ends[-1] - ends[-2])


def conv_block(ch_in: int, ch_out: int, kk: int, par: Triple, dsp: str = "infer") -> Conv:
    """pcnn_conv of a PE (``kk`` = K*K, 1 for an FC PE) at ``par``: its steps, output
    groups and pipeline depth, weights in block RAM where the emitter puts them;
    ``dsp``: the products' form (``logic``: half products when folded, else the
    products' input registers where no adder level sits with them, one register more;
    ``ecp5``: the blocks' input registers, one register more, where no adder level sits
    with the products, and one adder level in the first tree stage)."""
    # imported here: pocket_cnn.emit imports the parallelism parser, which imports this
    from pocket_cnn.ir.wrom import rom_shape, wrom_in_bram

    pi, po, pk = min(par[0], ch_in), min(par[1], ch_out), min(par[2], kk)
    steps, nog = _cdiv(ch_in, pi) * _cdiv(kk, pk), _cdiv(ch_out, po)
    bram = wrom_in_bram(*rom_shape(ch_in, ch_out, kk, (pi, po), pk))
    ecp5 = dsp == "ecp5"
    # the products' input registers: ECP5 blocks, and the logic form at one step
    dspin = (ecp5 or (dsp == "logic" and steps * nog == 1)) and conv_first_levels(
        pi, pk, steps * nog
    ) == 0
    return Conv(
        steps,
        nog,
        conv_tree_stages(pi, pk, steps * nog, ecp5),
        conv_front_stages(steps, nog, bram, dsp == "logic", dspin),
    )


def network_blocks(
    net: Network, par: Sequence[Triple], banked: bool | None = None, dsp: str = "infer"
) -> list[Block]:
    """The chain of blocks of the generated network top at ``par``, in stream order;
    ``banked``: the GAP's form (None: as :func:`gap_banked` picks it); ``dsp``: the
    products' form."""
    blocks: list[Block] = [Gather(net.input_shape[0]), Skid()]
    for i, st in enumerate(net.stages):
        ci, hh, ww = st.in_shape
        k = st.kernel
        if is_mem(par[i]):
            pi, po, _ = par[i]
            eng = mem_eng(st, ci, k, par[i])
            geo = (ci, hh, ww, k, st.stride, st.pad, st.ch_out, pi, po)
            blocks.append(MemPe(*geo, *eng, logic=is_logic(par[i]), ecp5=dsp == "ecp5"))
        else:
            blocks.append(window(ci, hh, ww, k, st.stride, st.pad))
            if dsp != "infer" and not pass_window(k, st.stride, st.pad):
                blocks.append(Skid())  # the board flows' slice between window and conv
            blocks.append(conv_block(ci, st.ch_out, k * k, par[i], dsp))
        if pool_fused(net, i, par[i]):
            pass  # the max-pool runs in the PE's serial requantiser
        elif st.pool is not None and st.pool.stride >= st.pool.kernel:
            _, ho, wo = st.conv_shape
            blocks.append(MaxPoolLine(ho, wo, st.pool.kernel, st.pool.stride))
        elif st.pool is not None:
            co, ho, wo = st.conv_shape
            blocks.append(window(co, ho, wo, st.pool.kernel, st.pool.stride, 0))
            blocks.append(MaxPool(st.pool.kernel))
    oc, oh, ow = net.stages[-1].out_shape
    if net.gap is not None:
        if banked is None:
            banked = gap_banked(net, tuple(par))
        blocks.append(Gap(oc, oh * ow, banked, gap_serial(net)))
        oh = ow = 1
    n = len(net.stages)
    if net.fc:
        if oh * ow > 1 and not is_mem(par[n]):
            blocks.append(Flatten(oh * ow))
        for j, f in enumerate(net.fc):
            if is_mem(par[n + j]):
                ci, fh, fw, fk = fc_geometry(net, j, par[n + j])
                pi, po, _ = par[n + j]
                eng = mem_eng(f, ci, fk, par[n + j])
                logic = is_logic(par[n + j])
                geo = (ci, fh, fw, fk, 1, 0, f.n_out, pi, po)
                blocks.append(MemPe(*geo, *eng, logic=logic, ecp5=dsp == "ecp5"))
                continue
            blocks.append(PassWindow())
            blocks.append(conv_block(f.n_in, f.n_out, 1, par[n + j], dsp))
    out_c = net.output_words if (net.gap is not None or net.fc) else net.stages[-1].out_shape[0]
    blocks.append(Serialize(1 if gap_serial(net) else out_c))
    blocks.append(Skid())  # the network top's output slice (m_axis_tready -> a register)
    return blocks


def clocked_ends(
    net: Network,
    par: Sequence[Triple],
    images: int,
    slowest: int | None = None,
    banked: bool | None = None,
    dsp: str = "infer",
) -> list[int]:
    """Clock of each image's last output word, ``images`` images back to back, input
    always valid, output always ready (the network testbench without stalls);
    ``slowest``: the slowest block's clocks per image (bounds the run); ``banked``: the
    GAP's form (None: as :func:`gap_banked` picks it); ``dsp``: the products' form
    (:data:`pocket_cnn.emit.vhdl.DSP_FORMS`; the logic form is deeper, the same
    steady state)."""
    if slowest is None:
        slowest = max(s.cycles for s in stage_cycles(net, par))
    limit = (images + 4) * (4 * slowest + 256)
    blocks = network_blocks(net, par, banked, dsp)
    ends = run_images(blocks, net.output_words, images, limit)
    if len(ends) < images:
        raise RuntimeError(f"clock model of {net.name}: {len(ends)} of {images} images")
    return ends


#: gap_banked's answers per network object (kept alive beside them, so an id is never
#: reused while cached) and setting
_GAP_FORMS: dict[int, tuple[Network, dict[tuple[Triple, ...], bool]]] = {}


def gap_serial(net: Network) -> bool:
    """Whether ``net``'s GAP hands its results over one channel per beat: when it feeds
    the byte output straight (no FC, no argmax after it; no result bank then)."""
    return net.gap is not None and not net.fc and not net.argmax


def gap_banked(net: Network, par: tuple[Triple, ...]) -> bool:
    """The form of ``net``'s GAP at ``par`` (False without a GAP): in place (no input
    register, no second bank of sums: about a quarter of the GAP's area) unless that
    costs the whole chain clocks per image, judged by clocking it both ways over
    :data:`IMAGES` images (the steady state, the network testbench's figure)."""
    if net.gap is None:
        return False
    entry = _GAP_FORMS.get(id(net))
    if entry is None or entry[0] is not net:
        if len(_GAP_FORMS) > 64:
            _GAP_FORMS.clear()
        entry = _GAP_FORMS[id(net)] = (net, {})
    if par not in entry[1]:
        # bounds the run: the slowest block with the GAP in place
        slowest = max(s.cycles for s in stage_cycles(net, par, banked=False))
        lean = clocked_ends(net, par, IMAGES, slowest, banked=False)
        full = clocked_ends(net, par, IMAGES, slowest, banked=True)
        entry[1][par] = lean[-1] - lean[-2] > full[-1] - full[-2]
    return entry[1][par]
