"""Scripts for the robustness testbench ``sim/tb/pcnn_robust_tb.vhd``.

A script is a list of segments, each a few images sent back to back (random gaps and
backpressure are the testbench's), optionally cut by a reset at a chosen cycle after
its start and optionally starting with a status clear. Images may break the framing
rule: *short* (tlast on word k < N), *long* (N + m words, tlast on the last). The
network computes a short image as its k words followed by zero words and a long one as
its first N words (``pcnn_axis_gather``, README "Framing"), one result per image, so
the expected words of every image come from the reference run on that repaired image.
The status port's expected values (counters since the last reset, sticky flag) are
written after every segment that is not cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pocket_cnn.ir import Network
from pocket_cnn.reference import run as reference_run
from pocket_cnn.simulation.stimuli import random_images, to_words

KINDS = ("good", "short", "long")


@dataclass(frozen=True)
class SentImage:
    """One image as it is sent: its words and the tlast of each."""

    words: np.ndarray  # int64, the words on s_axis_tdata
    lasts: np.ndarray  # bool, s_axis_tlast per word
    kind: str  # "good", "short" or "long"

    @property
    def bad(self) -> bool:
        """The image breaks the framing rule."""
        return self.kind != "good"


@dataclass
class Segment:
    """Images back to back; a reset ``reset_at`` cycles after the start (-1: none)."""

    images: list[SentImage]
    reset_at: int = -1
    reset_len: int = 1
    clear: bool = False


@dataclass
class ScriptStats:
    """What a script holds (the soak's figures)."""

    segments: int = 0
    images: int = 0
    bad_images: int = 0
    resets: int = 0
    clears: int = 0
    checked_images: int = 0  # images of segments no reset cuts: every result word checked
    kinds: dict[str, int] = field(default_factory=dict)


def send(words: np.ndarray, kind: str, rng: np.random.Generator) -> SentImage:
    """Image ``words`` (N, stream order) sent as ``kind``: good, short (a random
    1..N-1 words) or long (N + a random 1..N extra words)."""
    n = int(words.size)
    if kind == "short" and n > 1:
        k = int(rng.integers(1, n))
        sent = words[:k]
    elif kind == "long":
        extra = rng.integers(-128, 128, int(rng.integers(1, n + 1)))
        sent = np.concatenate([words, extra])
    else:
        kind, sent = "good", words
    lasts = np.zeros(sent.size, dtype=bool)
    lasts[-1] = True
    return SentImage(np.asarray(sent, dtype=np.int64), lasts, kind)


def repaired(image: SentImage, n: int) -> np.ndarray:
    """The N words the network computes on (the framing rule)."""
    if image.words.size >= n:
        return image.words[:n]
    return np.concatenate([image.words, np.zeros(n - image.words.size, dtype=np.int64)])


def _as_input(net: Network, words: np.ndarray) -> np.ndarray:
    """Stream-order words -> (N, C, H, W) images in the network's input dtype."""
    c, h, w = net.input_shape
    x = np.asarray(words, dtype=np.int64).reshape(-1, h, w, c).transpose(0, 3, 1, 2)
    return x.astype(np.int8 if net.input_signed else np.uint8)


def write_script(
    net: Network, segments: list[Segment], outdir: Path, status_bits: int = 8
) -> ScriptStats:
    """Write ``input.txt`` and ``expected.txt`` (format: sim/tb/pcnn_robust_tb.vhd) into
    ``outdir``; the expected words from the reference on the repaired images."""
    n = net.input_words
    all_images = [im for seg in segments for im in seg.images]
    flat = np.concatenate([repaired(im, n) for im in all_images]) if all_images else None
    outs = to_words(reference_run(net, _as_input(net, flat))) if flat is not None else None
    per_out = net.output_words
    words_out = outs.astype(np.int64).astype(np.int8).astype(np.int64) if outs is not None else None
    stats = ScriptStats(segments=len(segments))
    inp: list[str] = []
    exp: list[str] = []
    since_reset_images = since_reset_errors = 0
    flag = False
    idx = 0
    mask = (1 << status_bits) - 1
    for seg in segments:
        cut = seg.reset_at >= 0
        inp.append(f"0 {seg.reset_at} {seg.reset_len} {int(seg.clear)}")
        exp.append(f"0 {int(cut)}")
        if seg.clear:
            flag = False
            stats.clears += 1
        for im in seg.images:
            inp.extend(f"1 {int(w)} {int(t)}" for w, t in zip(im.words, im.lasts, strict=True))
            assert words_out is not None
            exp.extend(f"1 {int(v)}" for v in words_out[idx * per_out : (idx + 1) * per_out])
            idx += 1
            stats.images += 1
            stats.bad_images += int(im.bad)
            stats.kinds[im.kind] = stats.kinds.get(im.kind, 0) + 1
            since_reset_images += 1
            since_reset_errors += int(im.bad)
            flag = flag or im.bad
        if cut:
            stats.resets += 1
            since_reset_images = since_reset_errors = 0
            flag = False
        else:
            stats.checked_images += len(seg.images)
            count = since_reset_images & mask
            exp.append(f"2 {count} {count} {since_reset_errors & mask} {int(flag)}")
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "input.txt").write_text("\n".join(inp) + "\n")
    (outdir / "expected.txt").write_text("\n".join(exp) + "\n")
    return stats


class ScriptMaker:
    """Seeded images and segments for one network."""

    def __init__(self, net: Network, seed: int) -> None:
        self.net = net
        self.rng = np.random.default_rng(seed)
        self._seed = seed

    def image(self, kind: str = "good") -> SentImage:
        """A random image sent as ``kind``."""
        self._seed += 1
        words = to_words(random_images(self.net, 1, self._seed))
        return send(words, kind, self.rng)

    def framing(self) -> list[Segment]:
        """Every kind after every kind, the shortest and longest bad images, a burst of
        bad images, a status clear; a good image after each bad one."""
        n = self.net.input_words
        segs = [Segment([self.image(), self.image()])]
        for first in KINDS:
            for second in KINDS:
                segs.append(Segment([self.image(first), self.image(second), self.image()]))
        words = to_words(random_images(self.net, 1, self._seed + 1000))
        one = np.ones(1, dtype=bool)
        shortest = SentImage(words[:1], one, "short")
        longest_words = np.concatenate([words, words])
        longest = SentImage(longest_words, np.arange(2 * n) == 2 * n - 1, "long")
        segs.append(Segment([shortest, self.image(), longest, self.image()]))
        burst = [self.image(str(self.rng.choice(["short", "long"]))) for _ in range(5)]
        segs.append(Segment([*burst, self.image()], clear=False))
        segs.append(Segment([self.image(), self.image("short")], clear=True))
        segs.append(Segment([self.image()], clear=True))
        return segs

    def reset_sweep(self, span: int) -> list[Segment]:
        """For every cycle 0..span-1: a segment of a good image and a bad one cut by a
        reset at that cycle (1 to 3 cycles long), then two good images checked whole."""
        segs = []
        for at in range(span):
            kind = ("good", "short", "long")[at % 3]
            cut = Segment(
                [self.image(), self.image(kind)],
                reset_at=at,
                reset_len=1 + at % 3,
            )
            segs += [cut, Segment([self.image(), self.image()])]
        return segs

    def soak(self, images: int, bad_pct: float = 10.0, reset_pct: float = 10.0) -> list[Segment]:
        """``images`` images in segments of 1..30; bursts of 1..5 bad images making
        about ``bad_pct`` % of them; about ``reset_pct`` % of the segments cut by a reset
        at a random cycle; now and then a status clear."""
        segs: list[Segment] = []
        left = images
        burst = 0
        est = 2 * (self.net.input_words + self.net.output_words) + 40
        while left > 0:
            size = min(left, int(self.rng.integers(1, 31)))
            ims = []
            for _ in range(size):
                if burst == 0 and self.rng.random() < bad_pct / 100 / 3:
                    burst = int(self.rng.integers(1, 6))
                if burst > 0:
                    burst -= 1
                    ims.append(self.image(str(self.rng.choice(["short", "long"]))))
                else:
                    ims.append(self.image())
            reset_at = -1
            if self.rng.random() < reset_pct / 100:
                reset_at = int(self.rng.integers(0, est * size))
            clear = bool(self.rng.random() < 0.05)
            segs.append(Segment(ims, reset_at, int(self.rng.integers(1, 4)), clear))
            left -= size
        return segs
