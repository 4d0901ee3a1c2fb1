"""The oracle on an x86-64 CPU with AVX2 but no VNNI, emulated by qemu-user (-cpu Haswell).

onnxruntime picks its integer kernels by CPUID, so under the emulated CPU it takes the
AVX2 path whose fused QLinearConv saturates. This runs the oracle's tests there:
tests/test_oracle_fused.py (which then also asserts the fused path differs) and the
zoo and random-model comparisons of tests/test_reference_ort.py (exact oracle == reference).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
#: runs of the emulated tests: again only when the emulator itself died from a signal,
#: never after a failure
ATTEMPTS = 2
#: the emulated process's whole environment, the same wherever the test runs: inside the
#: full suite (an xdist worker's environment) the emulated Python died with SIGSEGV after
#: the same 51 tests in two CI runs, both attempts of the second (2026-12-07), while the
#: same command passed in every run outside it (cause not found); with this environment,
#: the checkout as cwd, no stdin and the usual stack the suite passed
ENV = {
    "PATH": "/usr/bin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "PCNN_EXPECT_FUSED_MISMATCH": "1",
}
QEMU = shutil.which("qemu-x86_64")


#: the emulated runs, each its own process (a short-lived emulated Python each): the
#: fused path's tests, the zoo against the oracle, the random models against the oracle
PARTS = [
    ("test_oracle_fused.py", "fused_path"),
    ("test_reference_ort.py", "zoo_matches"),
    ("test_reference_ort.py", "random_models_match"),
]


@pytest.mark.requires_tools("qemu-x86_64")
@pytest.mark.parametrize(("name", "select"), PARTS)
def test_oracle_on_avx2_without_vnni(name: str, select: str) -> None:
    assert QEMU is not None
    args = [
        # the usual 8 MB stack (the suite's netlist simulations raise the worker's limit)
        "prlimit",
        f"--stack={8 * 2**20}",
        QEMU,
        "-cpu",
        "Haswell",
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        str(TESTS / name),
        "-k",
        select,
    ]
    for _ in range(ATTEMPTS):
        proc = subprocess.run(
            args,
            capture_output=True,
            text=True,
            env=ENV,
            cwd=TESTS.parent,
            stdin=subprocess.DEVNULL,
            timeout=1200,
            check=False,
        )
        if proc.returncode >= 0:
            break  # the tests ran to their end (passed or failed): their verdict counts
    # the emulator's warnings left out; Python's fatal-error report starts at the head
    err = "\n".join(ln for ln in proc.stderr.splitlines() if "TCG doesn't support" not in ln)
    out = proc.stdout[-3000:] + err[:3000]
    assert proc.returncode == 0, out
    assert " passed" in proc.stdout and "failed" not in proc.stdout, out
