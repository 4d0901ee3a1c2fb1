"""Run a generated network in GHDL with the network testbench, outside any flow.

The RTL of library ``pocket_cnn`` (the ``rtl`` fileset of pocket_cnn.core) is
analysed once into a shared directory keyed by the GHDL version and the sources'
paths and contents (``build/ghdl_rtl/<hash>``; safe with parallel workers). Each
model then gets a work directory holding a copy of that library index, into which
only the generated files and sim/tb/pcnn_tb_net.vhd are analysed; GHDL (mcode)
elaborates and runs the testbench with its generics on the command line.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pocket_cnn.emit import emit
from pocket_cnn.errors import ModelError
from pocket_cnn.ip import build_root, fileset, rtl_sources
from pocket_cnn.ir import Network
from pocket_cnn.ir.parallel import PeParallel
from pocket_cnn.reference import run
from pocket_cnn.simulation.stimuli import SimFiles, from_words, write_sim_files
from pocket_cnn.simulation.testbench import TB_ENTITY, read_result, tb_generics
from pocket_cnn.tools import GHDL_FLAGS, call, find_tool, first_error, run_tool

CF_NAME = "pocket_cnn-obj08.cf"
#: GHDL's waveform option per file suffix (what GTKWave opens).
WAVE_OPTIONS = {".ghw": "--wave", ".vcd": "--vcd", ".fst": "--fst"}
#: The testbench's mismatch message (sim/tb/pcnn_tb_net.vhd).
_MISMATCH = re.compile(
    r"image (\d+) word (\d+): got (-?\d+), expected (-?\d+), left the core at cycle (\d+)"
)
#: Default place of the shared RTL library.
DEFAULT_CACHE = build_root() / "ghdl_rtl"


@dataclass
class SimResult:
    """What one GHDL run of the network testbench gave."""

    outputs: np.ndarray  # int8 (N, C) or (N, C, H, W), the hardware's words
    passed: bool  # every word matched the expected file
    cycles: list[int]  # cycles per image as the testbench measured them
    steady: int | None  # steady-state cycles per image (None if too few images)
    bound: int  # H*W*C of the network input
    reason: str  # the testbench's first failure ("" if none)
    log: str  # GHDL's stdout + stderr


def _ghdl_call(args: list[str], cwd: Path, what: str) -> None:
    """One GHDL step (``ghdl`` prepended); a failure is ModelError naming GHDL's first error."""
    call([find_tool("ghdl"), *args], cwd, what, None, node="ghdl")


def tb_sources() -> list[Path]:
    """The network testbench (fileset ``tb`` of pocket_cnn.core)."""
    return fileset("tb")


def rtl_key(sources: list[Path]) -> str:
    """Hash of the GHDL version, the flags and the RTL sources (paths and contents)."""
    h = hashlib.sha256()
    version = run_tool([find_tool("ghdl"), "--version"], Path.cwd(), timeout=120)
    h.update(version.stdout.encode())
    h.update(" ".join(GHDL_FLAGS).encode())
    for src in sources:
        h.update(str(src.resolve()).encode())
        h.update(src.read_bytes())
    return h.hexdigest()[:16]


def rtl_library(cache: Path = DEFAULT_CACHE) -> Path:
    """Directory holding the analysed RTL library (analysed once per RTL version)."""
    sources = rtl_sources()
    missing = [str(s) for s in sources if not s.is_file()]
    if missing:
        raise ModelError(f"RTL source missing: {missing[0]}", node="pocket_cnn.core")
    target = cache / rtl_key(sources)
    if (target / CF_NAME).is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="tmp-", dir=cache))
    try:
        _ghdl_call(
            ["-a", *GHDL_FLAGS, f"--workdir={tmp}", *[str(s.resolve()) for s in sources]],
            tmp,
            "GHDL analysis of the RTL",
        )
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / CF_NAME).is_file():  # another worker did not win the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def prepare(
    net: Network,
    workdir: Path,
    parallel: PeParallel | None = None,
    cache: Path = DEFAULT_CACHE,
    dsp: str = "infer",
) -> Path:
    """Emit the network as ``pcnn_net`` into ``workdir`` and analyse it next to the RTL;
    ``parallel`` resolved by the caller (None: full); ``dsp`` the products' form
    (:func:`pocket_cnn.emit.emit`): ``ecp5`` adds the vendor cell models (fileset
    ``sim_models``)."""
    lib = rtl_library(cache)
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    generated = emit(net, workdir / "vhdl", top="pcnn_net", parallel=parallel, dsp=dsp)
    shutil.copyfile(lib / CF_NAME, workdir / CF_NAME)
    models = fileset("sim_models") if dsp != "infer" else []
    files = [str(p.resolve()) for p in [*models, *generated, *tb_sources()]]
    _ghdl_call(["-a", *GHDL_FLAGS, f"--workdir={workdir}", *files], workdir, "GHDL analysis")
    return workdir


def run_prepared(
    net: Network,
    workdir: Path,
    x: np.ndarray,
    expected: np.ndarray,
    stall_in: int = 0,
    stall_out: int = 0,
    seed: int = 1,
    timeout: float | None = 3600,
    stem: str = "run",
    wave: Path | None = None,
    silence_at_0: bool = True,
) -> SimResult:
    """Simulate images ``x`` on the design analysed in ``workdir``; check against ``expected``."""
    workdir = workdir.resolve()
    files: SimFiles = write_sim_files(net, x, expected, workdir, stem=stem)
    files.result.unlink(missing_ok=True)
    generics = tb_generics(files, stall_in=stall_in, stall_out=stall_out, seed=seed)
    args = [find_tool("ghdl"), "--elab-run", *GHDL_FLAGS, f"--workdir={workdir}", TB_ENTITY]
    args += [f"-g{k}={v}" for k, v in generics.items()]
    # the testbench keeps every word of the run in variables: lift GHDL's stack limit
    args += ["--max-stack-alloc=0"]
    # registers are 'U' only before the first clock edge: no metavalue warnings then
    # (silence_at_0=False: as a user's own simulation runs, tests/test_quiet.py)
    if silence_at_0:
        args += ["--ieee-asserts=disable-at-0"]
    if wave is not None:
        args += [f"{wave_option(wave)}={wave.resolve()}"]
    proc = run_tool(args, workdir, timeout, what="GHDL simulation", hint="")
    log = proc.stdout + proc.stderr
    if not files.result.is_file():
        raise ModelError(f"GHDL simulation failed: {first_error(log)}", node="ghdl")
    res = read_result(files.result)
    words = np.asarray(res.words, dtype=np.int64)
    if words.size != files.images * files.out_words:
        reason = res.reason or first_error(log)
        raise ModelError(
            f"GHDL simulation failed: {words.size} of {files.images * files.out_words} "
            f"output words produced ({reason})",
            node="ghdl",
        )
    outputs = from_words(words, net.output_shape, files.images)
    if not net.output_q.signed:
        outputs = outputs.astype(np.uint8)  # the bytes of a uint8 output
    passed = proc.returncode == 0 and res.passed and bool(np.array_equal(outputs, expected))
    return SimResult(
        outputs=outputs,
        passed=passed,
        cycles=[c for _, c in res.images],
        steady=res.steady,
        bound=net.input_words,
        reason=res.reason,
        log=log,
    )


def wave_option(wave: Path) -> str:
    """GHDL's option writing waveform file ``wave`` (.ghw, .vcd or .fst)."""
    option = WAVE_OPTIONS.get(wave.suffix.lower())
    if option is None:
        raise ModelError(
            f"unknown waveform format {wave.suffix or '(none)'}: use .ghw, .vcd or .fst",
            node="wave",
        )
    return option


def simulate(
    net: Network,
    x: np.ndarray,
    workdir: Path,
    parallel: PeParallel | None = None,
    stall_in: int = 0,
    stall_out: int = 0,
    seed: int = 1,
) -> SimResult:
    """Emit, analyse and simulate ``net`` on images ``x`` in one GHDL run; expected values
    from the reference."""
    whole = max(1, int(x.shape[0]))
    return simulate_chunks(net, x, workdir, parallel, stall_in, stall_out, seed, whole).results[0]


@dataclass
class SimRun:
    """Every chunk of a long simulation: the hardware's outputs against the reference."""

    outputs: np.ndarray  # int8 or uint8, the hardware's words in the layout of the reference
    expected: np.ndarray  # int8 or uint8, the reference's outputs
    results: list[SimResult]  # one per GHDL run (chunk)

    @property
    def bound(self) -> int:
        """H*W*C of the network input: the cycle bound per image."""
        return self.results[0].bound

    @property
    def steady(self) -> int | None:
        """Steady-state cycles per image (worst chunk); None with too few images."""
        values = [r.steady for r in self.results if r.steady is not None]
        return max(values) if values else None

    @property
    def bad_images(self) -> int:
        """Number of images whose output differs from the reference."""
        n = self.outputs.shape[0]
        diff = (self.outputs != self.expected).reshape(n, -1)
        return int(np.sum(np.any(diff, axis=1)))

    def first_mismatch(self) -> str:
        """The first wrong word: image (index into all images), word, expected, got and
        the clock cycle of its GHDL run at which it left the core ("" if none)."""
        start = 0
        for res in self.results:
            m = _MISMATCH.search(res.reason)
            if m:
                img, word, got, exp, cycle = (int(v) for v in m.groups())
                return (
                    f"image {start + img} word {word}: expected {exp}, got {got} "
                    f"(left the core at cycle {cycle} of its GHDL run)"
                )
            start += int(res.outputs.shape[0])
        return ""


def simulate_chunks(
    net: Network,
    x: np.ndarray,
    workdir: Path,
    parallel: PeParallel | None = None,
    stall_in: int = 0,
    stall_out: int = 0,
    seed: int = 1,
    chunk: int = 16,
    progress: Callable[[int, int], None] | None = None,
    wave: Path | None = None,
    dsp: str = "infer",
) -> SimRun:
    """Analyse once, then simulate images ``x`` ``chunk`` at a time (one GHDL run each);
    with ``wave`` one GHDL run of all images that writes that waveform file; ``dsp`` the
    products' form (:func:`prepare`)."""
    if wave is not None:
        wave_option(wave)
        chunk = max(1, int(x.shape[0]))
    expected = run(net, x)
    prepare(net, workdir, parallel, dsp=dsp)
    outs, results = [], []
    n = int(x.shape[0])
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        res = run_prepared(
            net,
            workdir,
            x[start:stop],
            expected[start:stop],
            stall_in,
            stall_out,
            seed + start,
            wave=wave,
        )
        outs.append(res.outputs)
        results.append(res)
        if progress is not None and n > chunk:
            progress(stop, n)
    return SimRun(np.concatenate(outs), np.asarray(expected), results)
