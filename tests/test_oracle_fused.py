"""Why the oracle runs onnxruntime with graph optimisations off (docs/numerics.md).

With optimisations on, onnxruntime rewrites DequantizeLinear -> Conv -> QuantizeLinear
into one uint8 x int8 QLinearConv. Its AVX2 kernel (x86 CPUs without VNNI) adds the
products in saturating 16-bit pairs, so full-range uint8 inputs come out a few LSB off;
the VNNI kernel is exact. The oracle (``pocket_cnn.reference.oracle.run_ort``) turns the
optimisations off and is exact everywhere: this test shows both paths on this CPU.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import pytest

from pocket_cnn import reference, zoo
from pocket_cnn.reference.oracle import fused_session, run_ort, words

pytest.importorskip("onnxruntime")

MODEL = "conv_3x1_1x1_max_2x2"  # uint8 input: the path the fused kernel takes


def _cpu_has_vnni() -> bool:
    """AVX-512 VNNI, as numpy's own CPUID probe sees it (also under an emulated CPU).
    Not tests/_support/cpu.has_vnni: that one also reads /proc/cpuinfo, which under
    qemu-user (tests/test_oracle_avx2.py) describes the host, not the emulated CPU."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as feats
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__ as feats  # type: ignore
    return bool(feats.get("AVX512VNNI", False))


#: Set by tests/test_oracle_avx2.py, which runs this file on an emulated AVX2 CPU
#: without VNNI, where the fused kernel is known to saturate.
EXPECT_MISMATCH = os.environ.get("PCNN_EXPECT_FUSED_MISMATCH") == "1"


def test_fused_path_on_this_cpu(tmp_path: Path, record_property) -> None:  # type: ignore[no-untyped-def]
    net = zoo.build(MODEL, seed=0)
    model = zoo.to_onnx(net, "qdq", batch="N")
    # full-range uint8 input: where 16-bit pair sums of u8 x s8 products overflow
    x = np.random.default_rng(7).integers(0, 256, (40, *net.input_shape)).astype(np.uint8)
    ref = reference.run(net, x).astype(np.int64)

    # the oracle is exact on every CPU
    assert np.array_equal(run_ort(net, model, x), ref)

    # the optimised session rewrites the QDQ conv into a fused QLinearConv ...
    opt_path = tmp_path / "optimized.onnx"
    fused = words(net, fused_session(model, str(opt_path)), x)
    ops = {n.op_type for n in onnx.load(str(opt_path)).graph.node}
    assert "QLinearConv" in ops and "Conv" not in ops, sorted(ops)

    # ... whose result depends on the CPU's integer kernel
    diff = np.abs(fused - ref)
    vnni = _cpu_has_vnni()
    record_property("cpu_vnni", vnni)
    record_property("fused_mismatches", int(np.count_nonzero(diff)))
    record_property("fused_max_lsb", int(diff.max()))
    print(
        f"fused path on this CPU (VNNI: {vnni}): {np.count_nonzero(diff)} of {diff.size} "
        f"words differ from the exact reference, max {diff.max()} LSB"
    )
    if vnni:
        assert not diff.any(), "the VNNI kernel was exact when this test was written"
    if EXPECT_MISMATCH:
        assert diff.any(), "the AVX2 kernel saturated when this test was written"
