"""`pocket-cnn reference` writes the final tensor's own type: uint8 where the quantizer
made the output uint8 (onnxruntime's default), never wrapped into int8."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx

from pocket_cnn.cli.main import main
from pocket_cnn.loader import load
from pocket_cnn.reference import run
from pocket_cnn.reference.oracle import run_ort
from pocket_cnn.zoo.float_nets import FLOAT_NETS, calibration
from pocket_cnn.zoo.ort_quantize import quantize


def test_uint8_output_is_written_as_uint8(tmp_path: Path) -> None:
    model = FLOAT_NETS["zoo_conv3_max2"](0)
    q = quantize(
        model,
        calibration(model, 8, 0),
        form="qdq",
        per_channel=False,
        activation_type="uint8",
        reduce_range=False,
        method="minmax",
    )
    path = tmp_path / "m.onnx"
    onnx.save(q, str(path))
    net = load(str(path))
    assert not net.output_q.signed
    x = np.random.default_rng(1).integers(0, 256, (4, *net.input_shape), dtype=np.uint8)
    np.save(tmp_path / "in.npy", x)
    assert (
        main(["reference", str(path), str(tmp_path / "in.npy"), "-o", str(tmp_path / "o.npy")]) == 0
    )
    out = np.load(tmp_path / "o.npy")
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, run(net, x))
    # the QDQ form runs in float in onnxruntime (batch 1 model): within 1 LSB of the integer kernels
    ort = np.concatenate([run_ort(net, q, x[i : i + 1]) for i in range(len(x))])
    assert np.abs(ort.astype(np.int64) - out.astype(np.int64)).max() <= 1
