"""A short Verilator soak (benchmarks/soak.py --engine verilator runs thousands): images
in chunks under random input gaps and output backpressure, every word against the
reference, nothing lost; and a chunk the netlist gets wrong is reported."""

from __future__ import annotations

import numpy as np
import pytest

from pocket_cnn import zoo
from pocket_cnn.synth import verilator_soak
from pocket_cnn.synth.verilator_soak import SoakResult, soak

pytestmark = pytest.mark.requires_tools("ghdl", "verilator", "yosys")


def test_short_soak_passes() -> None:
    net = zoo.build("conv_3x1_1x1_max_2x2")
    seen: list[int] = []

    def progress(r: SoakResult) -> None:
        seen.append(r.images)

    res = soak(net, 600, chunk=150, seed=3, progress=progress)
    assert res.passed, res.failures
    assert res.images == 600 and seen == [150, 300, 450, 600]
    assert res.words == 600 * net.output_words
    assert res.bad_images == res.tlast_errors == 0


def test_soak_reports_a_wrong_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison can fail: with the reference's words changed the soak fails."""
    net = zoo.build("conv_3x1_1x1_max_2x2")
    real = verilator_soak.run_model

    def wrong(*args: object, **kw: object):  # type: ignore[no-untyped-def]
        res = real(*args, **kw)  # type: ignore[arg-type]
        res.expected = np.asarray(res.expected) + 1
        return res

    monkeypatch.setattr(verilator_soak, "run_model", wrong)
    res = soak(net, 40, chunk=20, seed=1)
    assert not res.passed and res.bad_images == 40 and len(res.failures) == 2
