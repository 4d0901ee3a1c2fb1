"""What the CPU at hand can do, for tests whose oracle depends on it."""

from __future__ import annotations

from pathlib import Path


def has_vnni() -> bool:
    """VNNI by CPUID as numpy reads it (right under qemu-user's emulated CPUs too), or
    AVX-VNNI (which numpy does not list) in /proc/cpuinfo: onnxruntime's u8 x s8 kernels
    are exact there (without it they saturate pair sums, docs/numerics.md)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # pragma: no cover - numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__ as features
    if features.get("AVX512VNNI", False):
        return True
    try:
        return " avx_vnni" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
