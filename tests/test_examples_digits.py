"""examples/digits, shortened: the committed trained nets go through the whole example
(quantize on the calibration split, GHDL on the first held-out images, the table and the
confusion matrix); every image bit-identical to the reference, the hardware's accuracy
equal to onnxruntime's on the quantized model (same predictions image by image)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pocket_cnn.ip import ROOT

SCRIPT = ROOT / "examples" / "digits" / "run_digits.py"


@pytest.mark.requires_tools("ghdl")
@pytest.mark.parametrize(("net", "images"), [("small_cnn", 32), ("lenet", 6)])
def test_digits_example(net: str, images: int, tmp_path: Path) -> None:
    cmd = [sys.executable, str(SCRIPT), "--net", net, "--images", str(images)]
    proc = subprocess.run([*cmd, "--out", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = json.loads((tmp_path / net / "results.json").read_text())
    assert res["images"] == images and res["bit_identical"] == images
    assert res["hardware_accuracy"] == res["quantized_accuracy"]
    assert res["quantized_accuracy"] >= res["float_accuracy"] - 0.1
    assert res["cycles_per_image"] is None or res["cycles_per_image"] >= res["bound"]
    assert (tmp_path / net / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"| {net} | {images} |" in proc.stdout


@pytest.mark.requires_tools("ghdl")
def test_digits_example_argmax(tmp_path: Path) -> None:
    """--argmax: the hardware answers the class; its accuracy equals the quantized one."""
    cmd = [sys.executable, str(SCRIPT), "--net", "small_cnn", "--images", "24", "--argmax"]
    proc = subprocess.run([*cmd, "--out", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = json.loads((tmp_path / "small_cnn" / "results.json").read_text())
    assert res["argmax"] and res["images"] == 24 and res["bit_identical"] == 24
    assert res["hardware_accuracy"] == res["quantized_accuracy"]
