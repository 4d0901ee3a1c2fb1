"""Simulate the ``ghdl --synth`` Verilog netlist of a network and compare with the reference.

Synthesis must mean what simulation means: :func:`simulate_netlist` builds the netlist
(:func:`pocket_cnn.synth.netlist.synth_netlist`), renders the testbench
``synth/templates/pcnn_tb_netlist.v.j2`` (images back to back into s_axis with random input
gaps, m_axis under random backpressure), runs it in Icarus Verilog (``iverilog -g2012``
+ ``vvp``, the default) or Verilator (``verilator --binary``) and checks every result
word and its tlast against :func:`pocket_cnn.reference.run`. The word files are those of
:mod:`pocket_cnn.simulation.stimuli`.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pocket_cnn.errors import ModelError
from pocket_cnn.hdl_text import render
from pocket_cnn.ir import Network
from pocket_cnn.ir.inputs import check_input
from pocket_cnn.ir.parallel import PeParallel
from pocket_cnn.reference import run
from pocket_cnn.simulation.stimuli import from_words, to_words, write_words
from pocket_cnn.synth.netlist import DEFAULT_TIMEOUT, netlist_notes, synth_netlist
from pocket_cnn.tools import call, find_tool

SIMULATORS = ("iverilog", "verilator")
TB_TOP = "pcnn_tb_netlist"
TB_TEMPLATE = "synth/templates/pcnn_tb_netlist.v.j2"
INPUT_FILE = "netlist_input.txt"
RESULT_FILE = "netlist_result.txt"
#: Cycles without any transfer on either port after which the testbench stops (plus MACs).
IDLE_BASE = 20_000
#: Cycles after the last expected word during which extra words are still recorded.
TAIL = 200


@dataclass
class NetlistRun:
    """One simulation of the netlist: its outputs against the reference's."""

    outputs: np.ndarray  # int8, the netlist's words in the layout of the reference
    expected: np.ndarray  # int8, the reference's outputs
    tlast_errors: int  # result words whose tlast is not where an image's result ends
    cycles: int  # clock cycles of the whole run (reset included)
    bound: int  # H*W*C of the network input: the cycle bound per image
    simulator: str
    netlist: Path
    notes: list[str] = field(default_factory=list)  # GHDL synthesis warnings
    seconds: dict[str, float] = field(default_factory=dict)  # per step
    #: cycle at which each image's last result word left the core
    image_ends: list[int] = field(default_factory=list)

    @property
    def steady(self) -> int | None:
        """Steady-state cycles per image, as the GHDL testbench measures it: the last
        image-to-image difference of the result end cycles (None with < 2 images)."""
        if len(self.image_ends) < 2:
            return None
        return self.image_ends[-1] - self.image_ends[-2]

    @property
    def bad_images(self) -> int:
        """Images whose output differs from the reference in any word."""
        n = self.outputs.shape[0]
        diff = (self.outputs != self.expected).reshape(n, -1)
        return int(np.sum(np.any(diff, axis=1)))

    @property
    def passed(self) -> bool:
        """Every word equal to the reference and every tlast in place."""
        return self.tlast_errors == 0 and bool(np.array_equal(self.outputs, self.expected))


def idle_limit(net: Network) -> int:
    """Quiet cycles (no transfer on either port) that mean a hang: a PE does at least one
    MAC per cycle, so no wait inside an image is longer than the MACs of an image."""
    return IDLE_BASE + sum(st.macs for st in net.stages)


def render_testbench(
    net: Network, images: int, top: str, stall_in: int, stall_out: int, seed: int
) -> str:
    """The testbench's Verilog text for ``images`` images."""
    return render(
        TB_TEMPLATE,
        top=top,
        images=images,
        in_words=images * net.input_words,
        image_words=net.input_words,
        out_words=images * net.output_words,
        stall_in=stall_in,
        stall_out=stall_out,
        idle_limit=idle_limit(net),
        tail=TAIL,
        seed_in=(seed * 2654435761) % 2**32 or 1,  # xorshift needs a non-zero state
        seed_out=(seed * 40503 + 12345) % 2**32 or 1,
        input_file=INPUT_FILE,
        result_file=RESULT_FILE,
    )


def _raise_stack_limit() -> None:
    """Let child processes use the largest stack allowed: Verilator's model of a big
    netlist (e.g. lenet_mnist8 at full parallelism) keeps large evaluation frames on the
    stack and crashes at the usual 8 MB."""
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_STACK, (hard, hard))


def _build_and_run(simulator: str, work: Path, tb: Path, netlist: Path, timeout: float) -> None:
    """Compile the testbench with the netlist in ``simulator`` and run it in ``work``."""
    if simulator == "iverilog":
        exe = work / "tb.vvp"
        call(
            [find_tool("iverilog"), "-g2012", "-s", TB_TOP, "-o", str(exe), str(tb), str(netlist)],
            work,
            "iverilog compile of the netlist",
            timeout,
            work / "iverilog.log",
        )
        call(
            [find_tool("vvp"), "-n", str(exe)],
            work,
            "vvp simulation of the netlist",
            timeout,
            work / "vvp.log",
        )
        return
    obj = work / "verilator_obj"
    call(
        [
            find_tool("verilator"),
            "--binary",
            "-Wno-fatal",
            "-Wno-lint",
            "-Wno-style",
            "--top-module",
            TB_TOP,
            "--Mdir",
            str(obj),
            "-j",
            "2",
            str(tb),
            str(netlist),
        ],
        work,
        "verilator build of the netlist",
        timeout,
        work / "verilator.log",
    )
    _raise_stack_limit()
    call(
        [str(obj / f"V{TB_TOP}")],
        work,
        "verilator simulation of the netlist",
        timeout,
        work / "verilator_run.log",
    )


def parse_result(path: Path, expected_words: int) -> tuple[list[int], list[int], int, list[int]]:
    """(words, tlast bits, cycles, cycle of every word) from the testbench's result file."""
    if not path.is_file():
        raise ModelError("the netlist testbench wrote no result file", node=str(path))
    words: list[int] = []
    lasts: list[int] = []
    stamps: list[int] = []
    cycles = -1
    for line in path.read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "end":
            cycles = int(parts[1])
        elif parts[0] in ("timeout", "xstate"):
            raise ModelError(
                f"netlist simulation stopped: {line.strip()} "
                f"({len(words)} of {expected_words} result words taken)",
                node="netlist",
            )
        else:
            try:
                words.append(int(parts[0]))
                lasts.append(int(parts[1]))
                stamps.append(int(parts[2]))
            except (ValueError, IndexError):
                raise ModelError(
                    f"netlist result word {len(words)} is undefined ({line.strip()}): "
                    "an uninitialised register reaches the output",
                    node="netlist",
                ) from None
    if cycles < 0:
        raise ModelError("netlist simulation ended without its end line", node=str(path))
    if len(words) != expected_words:
        raise ModelError(
            f"netlist simulation gave {len(words)} result words, expected {expected_words}",
            node="netlist",
        )
    return words, lasts, cycles, stamps


def run_netlist(
    net: Network,
    netlist: Path,
    x: np.ndarray,
    workdir: str | Path,
    top: str = "pcnn_net",
    simulator: str = "iverilog",
    stall_in: int = 20,
    stall_out: int = 20,
    seed: int = 1,
    timeout: float = DEFAULT_TIMEOUT,
) -> NetlistRun:
    """Simulate the existing ``netlist`` of ``net`` on images ``x`` against the reference."""
    if simulator not in SIMULATORS:
        raise ModelError(f"unknown simulator; use one of {', '.join(SIMULATORS)}", node=simulator)
    for name, value in (("stall_in", stall_in), ("stall_out", stall_out)):
        if not 0 <= value <= 99:
            raise ModelError("must be a percentage 0..99", node=name)
    xs = check_input(net, x, single=True)
    expected = np.asarray(run(net, xs), dtype=np.int8)
    images = int(xs.shape[0])
    work = Path(workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    write_words(work / INPUT_FILE, to_words(xs))
    (work / RESULT_FILE).unlink(missing_ok=True)
    tb = work / f"{TB_TOP}.v"
    tb.write_text(render_testbench(net, images, top, stall_in, stall_out, seed))
    t0 = time.perf_counter()
    _build_and_run(simulator, work, tb, netlist.resolve(), timeout)
    seconds = {simulator: round(time.perf_counter() - t0, 2)}
    per_image = net.output_words
    words, lasts, cycles, stamps = parse_result(work / RESULT_FILE, images * per_image)
    want_last = [int(i % per_image == per_image - 1) for i in range(len(words))]
    return NetlistRun(
        outputs=from_words(np.asarray(words), net.output_shape, images),
        expected=expected,
        tlast_errors=sum(a != b for a, b in zip(lasts, want_last, strict=True)),
        cycles=cycles,
        bound=net.input_words,
        simulator=simulator,
        netlist=netlist,
        seconds=seconds,
        image_ends=stamps[per_image - 1 :: per_image],
    )


def simulate_netlist(
    net: Network,
    x: np.ndarray,
    workdir: str | Path,
    top: str = "pcnn_net",
    parallel: PeParallel | None = None,
    simulator: str = "iverilog",
    stall_in: int = 20,
    stall_out: int = 20,
    seed: int = 1,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[str], None] | None = None,
) -> NetlistRun:
    """Synthesise ``net`` with ``ghdl --synth`` into ``workdir`` and simulate the netlist on
    images ``x`` ((N, C, H, W) or (C, H, W)); outputs against the reference.

    ``parallel``: resolved by the caller (None: full). ``progress(text)`` is told when each
    step starts and ends (with its seconds)."""
    if simulator not in SIMULATORS:
        raise ModelError(f"unknown simulator; use one of {', '.join(SIMULATORS)}", node=simulator)
    say = progress or (lambda _text: None)
    work = Path(workdir).resolve()
    say(f"ghdl --synth {net.name} ...")
    t0 = time.perf_counter()
    netlist = synth_netlist(net, work, top=top, parallel=parallel, timeout=timeout)
    synth_s = round(time.perf_counter() - t0, 2)
    say(f"ghdl --synth done ({synth_s:.1f} s); {simulator} ...")
    res = run_netlist(
        net, netlist, x, work / simulator, top, simulator, stall_in, stall_out, seed, timeout
    )
    say(f"{simulator} done ({res.seconds[simulator]:.1f} s, {res.cycles} cycles)")
    res.notes = netlist_notes(netlist)
    res.seconds = {"ghdl": synth_s, **res.seconds}
    return res
