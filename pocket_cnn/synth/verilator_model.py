"""The Verilator engine's model: the ``ghdl --synth`` netlist compiled once, run many times.

:func:`build_model` synthesises the network (:func:`pocket_cnn.synth.netlist.synth_netlist`)
and compiles the netlist with the C++ testbench ``synth/templates/pcnn_vl_main.cpp.j2``
(``verilator --cc --exe --build``: no timing, ``-O3``, ``--x-assign fast``, ``--x-initial
fast``, no tracing). The executable lands in a cache under the build root keyed by the
emitted VHDL, the RTL, the testbench and the Verilator version, so the next run of the
same design starts at once. :func:`run_model` feeds it a word file and reads the
testbench's result file (the format of :mod:`pocket_cnn.synth.netlist_sim`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from pocket_cnn.emit import emit
from pocket_cnn.hdl_text import render
from pocket_cnn.ip import build_root, rtl_sources
from pocket_cnn.ir import Network
from pocket_cnn.ir.inputs import check_input
from pocket_cnn.ir.parallel import PeParallel
from pocket_cnn.reference import run
from pocket_cnn.simulation.stimuli import from_words, to_words, write_words
from pocket_cnn.synth.netlist import DEFAULT_TIMEOUT, synth_netlist
from pocket_cnn.synth.netlist_sim import (
    INPUT_FILE,
    RESULT_FILE,
    TAIL,
    NetlistRun,
    idle_limit,
    parse_result,
)
from pocket_cnn.tools import call, find_tool

MAIN_TEMPLATE = "synth/templates/pcnn_vl_main.cpp.j2"
#: Verilator's options: the fast model (no timing, no tracing, X values made 0).
VERILATOR_FLAGS = (
    "--cc",
    "--exe",
    "--build",
    "--no-timing",
    "-O3",
    "--x-assign",
    "fast",
    "--x-initial",
    "fast",
    "-Wno-fatal",
    "-Wno-lint",
    "-Wno-style",
)
TOP = "pcnn_net"


def _key(net: Network, parallel: PeParallel | None, main_text: str) -> str:
    """Hash of everything the executable depends on."""
    h = hashlib.sha256()
    with tempfile.TemporaryDirectory(prefix="pcnn-vlkey-") as tmp:
        for path in emit(net, tmp, top=TOP, parallel=parallel):
            h.update(path.read_bytes())
    for path in rtl_sources():
        h.update(path.read_bytes())
    h.update(main_text.encode())
    h.update(" ".join(VERILATOR_FLAGS).encode())
    h.update(call([find_tool("verilator"), "--version"], Path.cwd(), "verilator", 60).encode())
    return h.hexdigest()[:20]


def build_model(
    net: Network,
    parallel: PeParallel | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    say: Callable[[str], None] | None = None,
    cache: Path | None = None,
) -> tuple[Path, dict[str, float]]:
    """The compiled model of ``net`` (built now or found in the cache) and the seconds of
    the steps done now (``ghdl``, ``verilator_build``; none when cached)."""
    tell = say or (lambda _text: None)
    main_text = render(MAIN_TEMPLATE, top=TOP)
    root = cache or build_root() / "verilator"
    final = root / _key(net, parallel, main_text)
    exe = final / f"V{TOP}"
    if exe.is_file():
        tell(f"Verilator model of {net.name} from the cache ({final})")
        return exe, {}
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="build-", dir=root))
    try:
        tell(f"ghdl --synth {net.name} ...")
        t0 = time.perf_counter()
        netlist = synth_netlist(net, work, top=TOP, parallel=parallel, timeout=timeout)
        t1 = time.perf_counter()
        tell(f"ghdl --synth done ({t1 - t0:.1f} s); verilator build ...")
        main = work / "pcnn_vl_main.cpp"
        main.write_text(main_text)
        obj = work / "obj"
        call(
            [
                find_tool("verilator"),
                *VERILATOR_FLAGS,
                "--top-module",
                TOP,
                "--Mdir",
                str(obj),
                "-j",
                "2",
                str(main),
                str(netlist),
            ],
            work,
            "verilator build of the netlist",
            timeout,
            work / "verilator.log",
        )
        t2 = time.perf_counter()
        tell(f"verilator build done ({t2 - t1:.1f} s)")
        built = work / "model"
        built.mkdir()
        shutil.copy2(obj / f"V{TOP}", built / f"V{TOP}")
        try:
            os.rename(built, final)  # atomic: a parallel build of the same key wins or loses
        except OSError:
            if not exe.is_file():
                raise
        return exe, {"ghdl": round(t1 - t0, 2), "verilator_build": round(t2 - t1, 2)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_model(
    net: Network,
    exe: Path,
    x: np.ndarray,
    workdir: str | Path,
    stall_in: int = 0,
    stall_out: int = 0,
    seed: int = 1,
    timeout: float = DEFAULT_TIMEOUT,
) -> NetlistRun:
    """Run the compiled model on images ``x``; outputs against the reference."""
    xs = check_input(net, x, single=True)
    expected = np.asarray(run(net, xs))
    images = int(xs.shape[0])
    work = Path(workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    write_words(work / INPUT_FILE, to_words(xs))
    (work / RESULT_FILE).unlink(missing_ok=True)
    args = [
        str(exe),
        INPUT_FILE,
        RESULT_FILE,
        str(images),
        str(net.input_words),
        str(images * net.output_words),
        str(stall_in),
        str(stall_out),
        str(idle_limit(net)),
        str(TAIL),
        str((seed * 2654435761) % 2**32 or 1),
        str((seed * 40503 + 12345) % 2**32 or 1),
    ]
    t0 = time.perf_counter()
    call(args, work, "verilator simulation of the netlist", timeout, work / "verilator_run.log")
    seconds = time.perf_counter() - t0
    per_image = net.output_words
    words, lasts, cycles, stamps = parse_result(work / RESULT_FILE, images * per_image)
    outputs = from_words(np.asarray(words), net.output_shape, images)
    if not net.output_q.signed:
        outputs = outputs.astype(np.uint8)  # the bytes of a uint8 output
    want_last = [int(i % per_image == per_image - 1) for i in range(len(words))]
    return NetlistRun(
        outputs=outputs,
        expected=expected.astype(outputs.dtype),
        tlast_errors=sum(a != b for a, b in zip(lasts, want_last, strict=True)),
        cycles=cycles,
        bound=net.input_words,
        simulator="verilator",
        netlist=exe,
        seconds={"verilator": round(seconds, 3)},
        image_ends=stamps[per_image - 1 :: per_image],
    )
