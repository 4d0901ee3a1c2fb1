"""A clock-by-clock model of the network's handshakes (the control path of the RTL,
no data): when every beat moves, hence the cycles per image with images back to back.

Each block of ``rtl/`` is ported as registers plus the combinational ``ready`` it
drives upstream: per clock the valids settle from the source forwards (registered, or
passed through where a block has no register), the readies from the sink backwards (a
block's ``s_ready`` depends on its registers and on its ``m_ready`` only, AXI rule),
then every block takes its clock edge. The
blocks and their control registers are the RTL's, by the same names:

- :class:`Gather` (pcnn_axis_gather; its output skid slice is a :class:`Skid`, pcnn_skid,
  after it), :class:`Serialize` (pcnn_axis_serialize: no
  pixel register, valid passes through), :class:`Flatten` (pcnn_flatten), :class:`Gap`
  (pcnn_gap: sums drained one channel per clock into the 5-register divide pipeline,
  result register; banked: an input register and a bank of finished sums, so the next
  image accumulates meanwhile, else the sums drain in place);
- :class:`Window` (pcnn_window: writer row/column, the reader's token decision
  ``p_dec`` and its position update, the token in flight, the window register) and
  :class:`PassWindow` (its 1x1 form: a skid slice, pcnn_skid);
- :class:`Conv` (pcnn_conv: the hold register of a folded PE, the input counters
  (output group, step), the MAC pipeline tags, accumulator B, output register),
  :class:`MaxPool` (after a pool
  window) and :class:`MaxPoolLine` (pcnn_maxpool_line, non-overlapping pools);
- :class:`MemPe` (pcnn_pe_mem, the memory-window form that replaces window + conv:
  writer of ring words, reader row gate, read / product / accumulator tags, output
  register).

:func:`run_images` streams images back to back (input valid every clock, output always
ready, as the network testbench without stalls) and returns the clock at which each
image's last output word leaves. :mod:`pocket_cnn.ir.cycles` uses it for the steady
state when blocks interact (a window whose row buffer stalls its writer at an image
start, short rows where the writer and the reader wait on each other).

The conv's MAC pipeline depth (:func:`conv_front_stages`: step register, operand
register after a block RAM or of the logic form's half products; :func:`conv_tree_stages`:
adder tree) and its steps per window come from
pcnn_conv's constants: ``ceil(Cin/PI) * ceil(K*K/PK)`` steps (input groups times tap
groups) per output group, ``ceil(Cout/PO)`` output groups.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from pocket_cnn.ir.network import conv_out


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def _log2_ceil(v: int) -> int:
    n = 0
    while 2**n < v:
        n += 1
    return n


class Block:
    """One RTL block: ``valid`` out (registered unless :meth:`out_valid` passes the
    upstream's through), combinational ``ready`` in."""

    valid = False

    def out_valid(self, s_valid: bool) -> bool:
        """``m_valid`` this clock given the upstream's ``valid`` (registered: ignored)."""
        return self.valid

    def ready(self, m_ready: bool) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def clock(self, s_valid: bool, m_ready: bool) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class Gather(Block):
    """pcnn_axis_gather: ``ch`` words -> one pixel beat (no framing errors here)."""

    def __init__(self, ch: int) -> None:
        self.ch = ch
        self.word_cnt = 0

    def ready(self, m_ready: bool) -> bool:
        return self.word_cnt != self.ch - 1 or not self.valid or m_ready

    def clock(self, s_valid: bool, m_ready: bool) -> None:
        take = s_valid and self.ready(m_ready)
        if m_ready:
            self.valid = False
        if take:
            if self.word_cnt == self.ch - 1:
                self.valid = True
                self.word_cnt = 0
            else:
                self.word_cnt += 1


class Serialize(Block):
    """pcnn_axis_serialize: one pixel beat -> ``ch`` words, one per clock; no pixel
    register: the upstream holds the beat, valid passes through, the beat is taken as
    its last word leaves."""

    def __init__(self, ch: int) -> None:
        self.ch = ch
        self.idx = 0

    def out_valid(self, s_valid: bool) -> bool:
        return s_valid

    def ready(self, m_ready: bool) -> bool:
        return m_ready and self.idx == self.ch - 1

    def clock(self, s_valid: bool, m_ready: bool) -> None:
        if s_valid and m_ready:
            self.idx = 0 if self.idx == self.ch - 1 else self.idx + 1


class Flatten(Block):
    """pcnn_flatten: ``pixels`` beats -> one beat."""

    def __init__(self, pixels: int) -> None:
        self.pixels = pixels
        self.cnt = 0

    def ready(self, m_ready: bool) -> bool:
        return self.cnt != self.pixels - 1 or not self.valid or m_ready

    def clock(self, s_valid: bool, m_ready: bool) -> None:
        rdy = self.ready(m_ready)
        if m_ready:
            self.valid = False
        if s_valid and rdy:
            if self.cnt == self.pixels - 1:
                self.valid = True
                self.cnt = 0
            else:
                self.cnt += 1


class Gap(Block):
    """pcnn_gap: per-channel sums, drained one channel per clock into the 5-register
    divide pipeline, result register. ``banked``: an input register and a second bank
    of sums (the next image accumulates while one drains); else the sums drain in place
    and the input waits meanwhile (``busy`` = the RTL's bank_busy). ``serial``: one beat
    per channel result as it leaves the pipeline, not one per image."""

    def __init__(self, ch: int, pixels: int, banked: bool = True, serial: bool = False) -> None:
        self.ch, self.pixels, self.banked, self.serial = ch, pixels, banked, serial
        self.x_vld = False
        self.pix_cnt = 0
        self.bank_busy = False
        self.bank_cnt = 0
        self.pipe = [False] * 5  # c_v, k_v, h_v, p_v, q_v
        self.res_cnt = 0

    def _acc_rdy(self) -> bool:
        return self.pix_cnt != self.pixels - 1 or not self.bank_busy

    def ready(self, m_ready: bool) -> bool:
        if not self.banked:
            return not self.bank_busy
        return not self.x_vld or self._acc_rdy()

    def clock(self, s_valid: bool, m_ready: bool) -> None:
        acc_rdy = self._acc_rdy()
        if self.banked:
            take = self.x_vld and acc_rdy
            if not self.x_vld or acc_rdy:
                self.x_vld = s_valid
        else:
            take = s_valid and not self.bank_busy
        adv = not self.valid or m_ready
        if m_ready:
            self.valid = False
        if adv:
            q_v = self.pipe[-1]
            busy = self.bank_busy
            if busy:
                if self.bank_cnt == self.ch - 1:
                    self.bank_cnt = 0
                    self.bank_busy = False
                else:
                    self.bank_cnt += 1
            self.pipe = [busy, *self.pipe[:-1]]
            if q_v:
                if self.res_cnt == self.ch - 1:
                    self.res_cnt = 0
                    self.valid = True
                else:
                    self.res_cnt += 1
                if self.serial:
                    self.valid = True
        if take:
            if self.pix_cnt == self.pixels - 1:
                self.pix_cnt = 0
                self.bank_busy = True
            else:
                self.pix_cnt += 1


class MaxPool(Block):
    """pcnn_maxpool: ``ceil(log2(K*K))`` (at least 1) register stages that each move
    while empty or while the next one moves (bubbles close up), then a skid slice
    (:class:`Skid`) of one output pixel; ``s_ready`` is a register: whether the words
    held (stages and slice) will be fewer than the slots after this clock."""

    def __init__(self, kernel: int) -> None:
        self.stages = [False] * max(1, _log2_ceil(kernel * kernel))
        self.skid = Skid()
        self.count = 0
        self.rdy = True

    def ready(self, m_ready: bool) -> bool:
        return self.rdy

    def clock(self, s_valid: bool, m_ready: bool) -> None:
        take = s_valid and self.rdy
        pop = (self.skid.full or self.stages[-1]) and m_ready
        moves = [False] * len(self.stages)
        mv = self.skid.ready(m_ready)
        for i in reversed(range(len(self.stages))):
            mv = not self.stages[i] or mv
            moves[i] = mv
        self.skid.clock(self.stages[-1], m_ready)
        before = [take, *self.stages[:-1]]
        self.stages = [b if m else v for b, m, v in zip(before, moves, self.stages, strict=True)]
        self.count += int(take) - int(pop)
        self.rdy = self.count < len(self.stages) + 1
        self.valid = self.skid.full or self.stages[-1]


class MaxPoolLine(Block):
    """pcnn_maxpool_line (stride >= kernel, no pad) over an h x w map: a window's last
    pixel (last column of its last row) puts its maximum into the output register
    (``valid``) when that is free after this clock, else into the spare register
    behind it (``rv``), which moves into the output register as soon as that is free;
    ``s_ready`` is a register (``rdy``): low while both stay full after this clock and
    the next pixel is a window's last. Its position counters as (x, y)."""

    def __init__(self, h: int, w: int, k: int, s: int) -> None:
        self.h, self.w, self.k, self.s = h, w, k, s
        self.ho, self.wo = conv_out(h, k, s), conv_out(w, k, s)
        self.x = self.y = 0
        self.rv = False
        self.rdy = True

    def _fin(self) -> bool:
        """The pixel at the current position is a window's last."""
        x, y, k, s = self.x, self.y, self.k, self.s
        return x // s < self.wo and x % s == k - 1 and y // s < self.ho and y % s == k - 1

    def ready(self, m_ready: bool) -> bool:
        return self.rdy

    def clock(self, s_valid: bool, m_ready: bool) -> None:
        take = s_valid and self.rdy
        ov = self.valid and not m_ready
        rv = self.rv
        if not ov and rv:
            ov, rv = True, False
        if take:
            if self._fin():
                if ov:
                    rv = True
                else:
                    ov = True
            if self.x == self.w - 1:
                self.x = 0
                self.y = 0 if self.y == self.h - 1 else self.y + 1
            else:
                self.x += 1
        self.valid, self.rv = ov, rv
        self.rdy = not (ov and rv and self._fin())


class Skid(Block):
    """pcnn_skid: ``full`` while a word waits in it; ``s_ready`` is that register's
    complement, valid passes through while it is empty."""

    def __init__(self) -> None:
        self.full = False

    def out_valid(self, s_valid: bool) -> bool:
        return self.full or s_valid

    def ready(self, m_ready: bool) -> bool:
        return not self.full

    def clock(self, s_valid: bool, m_ready: bool) -> None:
        if self.full:
            self.full = not m_ready
        else:
            self.full = s_valid and not m_ready


class PassWindow(Skid):
    """pcnn_window with K = 1, stride 1, no pad: no window register, the pixel goes
    through a skid slice."""


def conv_first_levels(par_in: int, kk: int, steps: int) -> int:
    """pcnn_conv's adder levels done with the products (C_L0): one when a window takes
    one step (``steps``: steps times output groups) and the tree's levels are odd."""
    return _log2_ceil(par_in * kk) % 2 if steps == 1 else 0


def conv_tree_stages(par_in: int, kk: int, steps: int, ecp5: bool = False) -> int:
    """pcnn_conv's adder-tree register stages after the product register: the
    ``par_in * kk`` products (kk = taps per clock) padded to a power of two, one level
    done with the products when a window takes one step and the levels are odd, two
    levels per register; ``ecp5`` (products in ECP5 blocks, none done with them): one
    level in the first register stage."""
    levels = _log2_ceil(par_in * kk)
    first = conv_first_levels(par_in, kk, steps)
    rest = levels - first
    if rest <= 0:
        return 0
    l1 = 1 if ecp5 and first == 0 else 2
    return 1 + _cdiv(max(rest - l1, 0), 2)


class Conv(Block):
    """pcnn_conv: a folded PE (``steps * out_groups > 1``) copies the window into its
    hold register (``h_valid``; free again as the last step leaves), else the window is
    used straight from the input; the input counters step through the (output group
    ``og``, step ``st``) pairs; tags move down the MAC pipeline (``front`` step
    registers, :func:`conv_front_stages`, then the product register and the adder-tree
    stages), B holds the accumulator, then the output register. One enable ``en`` moves
    all of it."""

    def __init__(self, steps: int, out_groups: int, tree_stages: int, front: int) -> None:
        self.ns, self.nog = steps, out_groups
        self.hold = steps * out_groups > 1
        self.h_valid = False
        self.st = self.og = 0
        n = front + tree_stages + 1
        #: per pipeline register, input side first: (valid, last step, output group)
        self.tags: deque[tuple[bool, bool, int]] = deque([(False, False, 0)] * n, maxlen=n)
        self.b_valid = self.b_final = False

    def _en(self, m_ready: bool) -> bool:
        return not self.b_valid or not self.valid or m_ready

    def _done(self, m_ready: bool) -> bool:
        """The window's last step moves this clock (en and a_end)."""
        return self._en(m_ready) and self.st == self.ns - 1 and self.og == self.nog - 1

    def ready(self, m_ready: bool) -> bool:
        if self.hold:
            return not self.h_valid or self._done(m_ready)
        return self._done(m_ready)

    def clock(self, s_valid: bool, m_ready: bool) -> None:
        out_free = not self.valid or m_ready
        b_move = self.b_valid and out_free
        en = not self.b_valid or out_free
        i_valid = self.h_valid if self.hold else s_valid
        if self.hold:
            done = self._done(m_ready)
            if self.h_valid and done:
                self.h_valid = False
            if s_valid and (not i_valid or done):
                self.h_valid = True
        if m_ready:
            self.valid = False
        if b_move:
            if self.b_final:
                self.valid = True
            self.b_valid = False
        if en:
            t_valid, t_lastst, t_og = self.tags[-1]
            self.b_valid = t_valid and t_lastst
            self.b_final = t_og == self.nog - 1
            self.tags.appendleft((i_valid, self.st == self.ns - 1, self.og))
            if i_valid:
                if self.st == self.ns - 1:
                    self.st = 0
                    self.og = 0 if self.og == self.nog - 1 else self.og + 1
                else:
                    self.st += 1


def conv_front_stages(
    steps: int, out_groups: int, bram: bool, half: bool = False, dspin: bool = False
) -> int:
    """pcnn_conv's registers ahead of the product register: the step register when
    folded (C_FOLD), an operand register after a block-RAM read or, in the logic
    form (``half``) with the weights in logic, holding the two half products, and the
    ECP5 blocks' input registers (``dspin``: C_DSPIN, ECP5 blocks with no adder level
    beside the products)."""
    sreg = steps * out_groups > 1
    return int(sreg) + int(sreg and (bram or half)) + int(dspin)


@dataclass
class _RowInfo:
    none: bool
    hi: int
    lor: int


class Window(Block):
    """pcnn_window (line buffers of R row slots, one reader token per clock) over an
    h x w map of ``ch`` channels, kernel k, stride s, pad p."""

    def __init__(self, ch: int, h: int, w: int, k: int, s: int, p: int) -> None:
        self.ch, self.h, self.w, self.k, self.s, self.p = ch, h, w, k, s, p
        self.ho, self.wo = conv_out(h, k, s, p), conv_out(w, k, s, p)
        self.r = k + 2 if s == 1 or p >= k else k + 1
        clf, cll = self._real_chi(False), self._real_chi(True)
        bn = max(0, cll - (w - 1))
        self.d = max(0, bn - 1 - clf)
        self.merge = bn > self.d and bn - self.d <= w
        self.wait = self.r >= k + s
        self.sync = w * self.ch * 8 > 64
        nrl0 = s - p if self.ho > 1 else -p
        nxt0 = self.ho == 1
        self.wy = self.wx = self.e = 0
        self.oy = self.ox = 0
        self.col_lo = -p
        self.rinfo = self._row(-p, False)
        self.cinfo = self._col(-p)
        self.nrow_lo = nrl0
        self.nwrap = nxt0
        self.ninfo = self._row(nrl0, nxt0)
        self.sc = -1
        self.mgood = True
        self.b_valid = self.b_shift = self.b_emit = False
        self.b_lor = 0

    def _real_chi(self, last: bool) -> int:
        r = -1
        for ox in range(self.wo):
            cl = ox * self.s - self.p
            if cl <= self.w - 1 and cl + self.k - 1 >= 0 and (last or r == -1):
                r = cl + self.k - 1
        return r

    def _row(self, rl: int, nxt: bool) -> _RowInfo:
        h, k, r = self.h, self.k, self.r
        rhi = rl + k - 1
        hi = min(h - 1, rhi) + (h if nxt else 0)
        lor = r if rl < 0 else (h + r if rl > h - 1 else rl + r)
        return _RowInfo(rl > h - 1 or rhi < 0, hi, lor)

    def _col(self, cl: int) -> tuple[bool, int]:
        chi = cl + self.k - 1
        return (cl > self.w - 1 or chi < 0, chi)

    def ready(self, m_ready: bool) -> bool:
        return self.e < self.rinfo.lor and (self.sync or not self.b_valid or self.e < self.b_lor)

    def _decide(self) -> tuple[bool, bool, bool, bool, int]:
        """p_dec: (issue, shift, emit, give up the merge, sc after it)."""
        e, wy, wx, sc = self.e, self.wy, self.wx, self.sc
        started = e > wy or (e == wy and (wy != 0 or wx != 0))
        c = sc + 1
        if self.s > self.k and c < self.col_lo:
            c = self.col_lo
        j = c - (self.w + self.d)
        ri, (cnone, chi) = self.rinfo, self.cinfo
        if ri.none or cnone:
            return (started, False, started, False, sc)
        if sc == chi:
            return (True, False, True, False, sc)
        emit = c == chi
        if c <= self.w - 1:
            ok = e > ri.hi or (e == ri.hi and wx > c)
            return (ok, ok, emit, False, c)
        ni = self.ninfo
        if self.merge and j >= 0 and self.mgood and not ni.none:
            if e > ni.hi or (e == ni.hi and wx > j):
                return (True, True, emit, False, c)
            if not self.wait or self.nwrap:
                return (True, True, emit, True, c)
            return (False, False, emit, False, c)
        return (True, True, emit, j >= 0, c)

    def clock(self, s_valid: bool, m_ready: bool) -> None:
        w_free = not self.valid or m_ready
        a_can = not self.b_valid or w_free
        wen = s_valid and self.ready(m_ready)
        d_iss, d_shift, d_emit, d_brk, d_c = self._decide()
        iss = a_can and d_iss
        if m_ready:
            self.valid = False
        if self.b_valid and w_free and self.b_emit:
            self.valid = True
        if a_can:
            self.b_valid = False
        at_end = self.oy == self.ho - 1 and self.ox == self.wo - 1
        if iss:
            self.b_valid, self.b_shift, self.b_emit = True, d_shift, d_emit
            self.b_lor = self.rinfo.lor - (self.h if at_end and d_emit else 0)
        e_v = self.e
        if wen:
            if self.wx == self.w - 1:
                self.wx = 0
                e_v += 1
                self.wy = 0 if self.wy == self.h - 1 else self.wy + 1
            else:
                self.wx += 1
        if iss:
            sc_v, mg_v = d_c, self.mgood and not d_brk
            if d_emit:
                if self.ox == self.wo - 1:
                    self.ox = 0
                    cl_v = -self.p
                    wd = self.w + self.d
                    sc_v = sc_v - wd if self.merge and mg_v and sc_v >= wd else -1
                    mg_v = True
                    if self.oy == self.ho - 1:
                        oy_v = 0
                        e_v -= self.h
                    else:
                        oy_v = self.oy + 1
                    self.oy = oy_v
                    self.rinfo = self._row(self.nrow_lo, False)
                    if oy_v == self.ho - 1:
                        nrl_v, self.nwrap = -self.p, True
                    else:
                        nrl_v, self.nwrap = self.nrow_lo + self.s, False
                    self.nrow_lo = nrl_v
                    self.ninfo = self._row(nrl_v, oy_v == self.ho - 1)
                else:
                    self.ox += 1
                    cl_v = self.col_lo + self.s
                self.col_lo = cl_v
                self.cinfo = self._col(cl_v)
            self.sc, self.mgood = sc_v, mg_v
        self.e = e_v


class MemPe(Block):
    """pcnn_pe_mem over an h x w map of ``ch`` channels (kernel k, stride s, pad p) at
    (par_in, par_out): the writer writes a pixel as ``nig`` words (one per clock, taken
    with the last) into a
    ring of ``r`` rows; the reader steps through ``nog * k * k * nig`` words per output
    pixel once the rows of its output row are written (the last row of an image waits
    for the whole image), the writer while the ring has room (a row the reader leaves is
    free a clock later); tags (read register, masked-word register, product register,
    the lane adder tree's stages, one per two levels) -> accumulator B -> (one
    requantiser per lane) the group's bytes C -> output register, one enable;
    ``logic``: products in logic (four quarter products each, a tree stage per level);
    ``ecp5``: products in ECP5 blocks (one level in the first tree stage).
    ``eng`` > 0: the serial requantiser (:mod:`pocket_cnn.ir.rq_serial`), busy ``eng``
    clocks per output group; a finished group waits for it, the pixel is out when it is
    done with the last group."""

    def __init__(
        self,
        ch: int,
        h: int,
        w: int,
        k: int,
        s: int,
        p: int,
        ch_out: int,
        pi: int,
        po: int,
        eng: int = 0,
        pk: int = 0,
        ps: int = 1,
        logic: bool = False,
        ecp5: bool = False,
    ) -> None:
        self.h, self.w, self.k, self.s, self.p = h, w, k, s, p
        self.ho, self.wo = conv_out(h, k, s, p), conv_out(w, k, s, p)
        self.nig = _cdiv(ch, min(pi, ch))
        self.nog = _cdiv(ch_out, min(po, ch_out))
        self.steps = k * k * self.nig  # words per output group
        self.nw = self.nog * self.steps
        self.r = 2 ** _log2_ceil(k + s)
        self.w_ig = self.w_x = self.w_rows = 0
        self.r_oy = self.r_ox = self.r_wa = self.r_img = 0
        self.r_by = -p
        #: the reader's lowest needed row as the writer's room sees it (a clock late)
        self.low_q = self._low()
        #: (valid, last step of the output group, output group): read, masked-word,
        #: product registers
        self.t1 = (False, False, 0)
        self.u = (False, False, 0)
        self.t2 = (False, False, 0)
        #: a lane's adder tree over its terms (products, or with ``logic`` four quarter
        #: products each): a register stage after every two levels (every level in
        #: logic; one level in the first stage behind ECP5 blocks, ``ecp5``)
        levels = _log2_ceil(min(pi, ch) * (4 if logic else 1))
        per = 1 if logic else 2
        first = 1 if ecp5 and not logic else per
        stages = 0 if levels == 0 else 1 + _cdiv(max(levels - first, 0), per)
        self.ts: list[tuple[bool, bool, int]] = [(False, False, 0)] * stages
        self.b_valid = self.b_final = False
        #: stage C (one requantiser per lane): a group's bytes before the output register
        self.c_valid = self.c_final = False
        self.eng = eng
        self.e_cnt = 0
        self.e_final = False
        #: max-pool in the requantiser (pk > 0): conv pixel (ox, oy) as window phase
        #: (dx, dy) and pooled column/row (px, py); only a window's last pixel goes out
        self.pk, self.ps = pk, ps
        self.hp = conv_out(self.ho, pk, ps, 0) if pk else self.ho
        self.wp = conv_out(self.wo, pk, ps, 0) if pk else self.wo
        self.e_ox = self.e_oy = self.e_dx = self.e_dy = self.e_px = self.e_py = 0

    @property
    def out_pixels(self) -> int:
        """Output pixels per image."""
        return self.hp * self.wp

    def _pool_out(self) -> bool:
        """The engine's conv pixel completes a pooled pixel; then the counters step."""
        pk = self.pk
        out = (
            self.e_dx == pk - 1
            and self.e_dy == pk - 1
            and self.e_px < self.wp
            and self.e_py < self.hp
        )
        if self.e_ox == self.wo - 1:
            self.e_ox = self.e_dx = self.e_px = 0
            if self.e_oy == self.ho - 1:
                self.e_oy = self.e_dy = self.e_py = 0
            else:
                self.e_oy += 1
                self.e_dy += 1
                if self.e_dy == self.ps:
                    self.e_dy = 0
                    self.e_py += 1
        else:
            self.e_ox += 1
            self.e_dx += 1
            if self.e_dx == self.ps:
                self.e_dx = 0
                self.e_px += 1
        return out

    def _low(self) -> int:
        """The lowest row the reader needs (global count)."""
        return self.r_img + max(0, self.r_by)

    def _room(self) -> bool:
        # the room count follows the reader a clock late (r_rdone_q)
        return self.w_rows - self.low_q < self.r

    def _ok(self) -> bool:
        need = self.h
        if self.r_oy != self.ho - 1 and self.r_by + self.k < self.h:
            need = self.r_by + self.k
        return self.w_rows - self.r_img >= need

    def ready(self, m_ready: bool) -> bool:
        return self._room() and self.w_ig == self.nig - 1

    def clock(self, s_valid: bool, m_ready: bool) -> None:
        out_free = not self.valid or m_ready
        idle = self.e_cnt == 0
        c_move = self.c_valid and out_free
        b_go = (out_free and idle) if self.eng else (not self.c_valid or out_free)
        b_move = self.b_valid and b_go
        en = not self.b_valid or b_go
        r_ok = self._ok()
        w_go = s_valid and self._room()
        self.low_q = self._low()
        if m_ready:
            self.valid = False
        if self.eng:
            if self.e_cnt == 1 and self.e_final and (not self.pk or self._pool_out()):
                self.valid = True
            if self.e_cnt > 0:
                self.e_cnt -= 1
            if b_move:
                self.e_cnt = self.eng
                self.e_final = self.b_final
                self.b_valid = False
        else:
            if c_move:
                if self.c_final:
                    self.valid = True
                self.c_valid = False
            if b_move:
                self.c_valid, self.c_final = True, self.b_final
                self.b_valid = False
        if en:
            acc = self.ts[-1] if self.ts else self.t2
            self.b_valid = acc[0] and acc[1]
            self.b_final = acc[2] == self.nog - 1
            if self.ts:
                self.ts = [self.t2, *self.ts[:-1]]
            self.t2 = self.u
            self.u = self.t1
            st = self.r_wa % self.steps
            self.t1 = (r_ok, st == self.steps - 1, self.r_wa // self.steps)
            if r_ok:
                if self.r_wa == self.nw - 1:
                    self.r_wa = 0
                    if self.r_ox != self.wo - 1:
                        self.r_ox += 1
                    else:
                        self.r_ox = 0
                        if self.r_oy != self.ho - 1:
                            self.r_oy += 1
                            self.r_by += self.s
                        else:
                            self.r_oy = 0
                            self.r_by = -self.p
                            self.r_img += self.h
                else:
                    self.r_wa += 1
        if w_go:
            if self.w_ig == self.nig - 1:
                self.w_ig = 0
                if self.w_x == self.w - 1:
                    self.w_x = 0
                    self.w_rows += 1
                else:
                    self.w_x += 1
            else:
                self.w_ig += 1


def pass_window(k: int, s: int, p: int) -> bool:
    """Whether pcnn_window of kernel k, stride s, pad p is its pass-through (no window
    register: a 1x1 window at stride 1 without padding is the stream itself)."""
    return k == 1 and s == 1 and p == 0


def window(ch: int, h: int, w: int, k: int, s: int, p: int) -> Block:
    """The pcnn_window of this geometry (the pass-through for 1x1/1/0)."""
    if pass_window(k, s, p):
        return PassWindow()
    return Window(ch, h, w, k, s, p)


def run_images(blocks: list[Block], out_words: int, images: int, limit: int) -> list[int]:
    """Clock the chain ``blocks`` (first: the gather, last: the serializer) with input
    words always valid and the output always ready until ``images`` images have left
    (``out_words`` words each) or ``limit`` clocks passed; returns the clock of each
    image's last output word.

    Per clock the valids settle from the source forwards (pass-through blocks forward
    their upstream's), the readies from the sink backwards (a ready never depends on
    the block's own input valid), then every block takes its clock edge."""
    ends: list[int] = []
    words = 0
    n = len(blocks)
    readies = [True] * (n + 1)
    valids = [True] * (n + 1)
    out_valid = [b.out_valid for b in blocks]
    ready = [b.ready for b in blocks]
    clock = [b.clock for b in blocks]
    fwd, back = range(n), range(n - 1, -1, -1)
    for clk in range(limit):
        for i in fwd:
            valids[i + 1] = out_valid[i](valids[i])
        for i in back:
            readies[i] = ready[i](readies[i + 1])
        if valids[n]:  # a word leaves (the sink is always ready)
            words += 1
            if words % out_words == 0:
                ends.append(clk)
                if len(ends) == images:
                    break
        for i in fwd:
            clock[i](valids[i], readies[i + 1])
    return ends
