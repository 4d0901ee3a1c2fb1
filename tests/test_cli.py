"""The ``pocket-cnn`` command line: zoo, check and reference, happy paths and input errors.

Expected results come from the library the CLI wraps (zoo builders, the
reference) applied to the zoo network itself, not to what the CLI wrote.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from _support.onnx_graph import assert_same

from pocket_cnn import reference, zoo
from pocket_cnn.atomic import write_atomic
from pocket_cnn.cli.main import main
from pocket_cnn.ir import conv_out
from pocket_cnn.onnx_import import load_model
from pocket_cnn.zoo.draw import net_input
from pocket_cnn.zoo.onnx_export import to_onnx

ROOT = Path(__file__).resolve().parents[1]
MODEL = "conv_3x1_1x1_max_2x2_leaky_relu"


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("pocket-cnn: error: ")
    assert "Traceback" not in err
    return lines[0]


def export(tmp_path: Path, name: str = MODEL, form: str = "qdq", seed: int = 0) -> Path:
    path = tmp_path / f"{name}_{form}.onnx"
    assert main(["zoo", name, "-o", str(path), "--form", form, "--seed", str(seed)]) == 0
    return path


# ---- zoo -------------------------------------------------------------------------------------
def test_zoo_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["zoo", "--list"]) == 0
    assert capsys.readouterr().out.split() == sorted(zoo.ZOO)


@pytest.mark.parametrize("form", ["qdq", "qoperator"])
def test_zoo_writes_model(tmp_path: Path, form: str) -> None:
    path = export(tmp_path, form=form, seed=3)
    onnx.checker.check_model(onnx.load(str(path)))
    assert_same(zoo.build(MODEL, seed=3), load_model(path), stage_names=False)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_zoo_unknown_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.onnx"
    assert main(["zoo", "no_such_model", "-o", str(out)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "'no_such_model'" in line and "pocket-cnn zoo --list" in line
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["zoo"], "--list"),
        (["zoo", MODEL], "-o FILE.onnx"),
    ],
)
def test_zoo_usage_errors(
    argv: list[str],
    words: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert words in one_error_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_output_into_missing_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """-o into a folder that does not exist yet creates it (only once the output is written)."""
    monkeypatch.chdir(tmp_path)
    assert main(["zoo", MODEL, "-o", "new/dir/x.onnx"]) == 0
    assert (tmp_path / "new" / "dir" / "x.onnx").is_file()
    assert main(["zoo", "no_such_model", "-o", "other/x.onnx"]) == 2
    assert not (tmp_path / "other").exists()
    assert main(["generate", f"zoo:{MODEL}", "-o", "gen/a/b"]) == 0
    assert (tmp_path / "gen" / "a" / "b" / "pcnn_net.vhd").is_file()
    assert [p.name for p in (tmp_path / "gen" / "a").iterdir()] == ["b"]


# ---- check -----------------------------------------------------------------------------------
def test_check_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = export(tmp_path, name="conv_3x2_1x1_max_2x1_padding")
    net = zoo.build("conv_3x2_1x1_max_2x1_padding")
    capsys.readouterr()
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = re.split(r"\s{2,}", lines[1])
    macs = 0
    for st in net.stages:
        c, h, w = st.in_shape
        k = st.weights.shape[2]
        ho, wo = conv_out(h, k, st.stride, st.pad), conv_out(w, k, st.stride, st.pad)
        macs += st.weights.shape[0] * ho * wo * c * k * k
        row = next(line for line in lines if line.startswith(f"{st.name} "))
        cells = dict(zip(header, re.split(r"\s{2,}", row), strict=True))
        assert cells["kind"] == "conv"
        assert cells["in CxHxW"] == f"{c}x{h}x{w}"
        assert [cells["kernel"], cells["stride"], cells["pad"]] == [
            f"{k}x{k}",
            str(st.stride),
            str(st.pad),
        ]
        assert cells["act"] == st.activation.value
        # power-of-two scales: the multiplier is 1 * 2**-(frac_in + frac_w - frac_out)
        assert cells["multiplier m / shift s"] == f"m 1 / s {st.frac_in + st.frac_w - st.frac_out}"
        assert cells["x quant"] == f"2**{-st.frac_in} zp 0 {'s8' if st.in_signed else 'u8'}"
        assert cells["y quant"] == f"2**{-st.frac_out} zp 0 s8"
        assert cells["w scales"] == f"2**{-st.frac_w} per-tensor"
        assert cells["acc bits"] == str(st.acc_bits)
        assert cells["weights"] == str(st.weights.size)
    assert net.gap is not None
    assert any(line.startswith(f"{net.gap.name} ") for line in lines)
    assert f"{macs} MACs/image" in lines[-1]


# ---- reference -------------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["qdq", "qoperator"])
def test_reference(tmp_path: Path, form: str) -> None:
    path = export(tmp_path, form=form)
    net = zoo.build(MODEL)
    x = net_input(net, 3, seed=5)
    np.save(tmp_path / "in.npy", x)
    out = tmp_path / "out.npy"
    assert main(["reference", str(path), str(tmp_path / "in.npy"), "-o", str(out)]) == 0
    y = np.load(out)
    assert y.dtype == np.int8
    assert np.array_equal(y, reference.run(net, x))


def test_reference_single_image_no_gap(tmp_path: Path) -> None:
    seed = next(s for s in range(100) if zoo.random_network(s).gap is None)
    net = zoo.random_network(seed)
    path = tmp_path / "random.onnx"
    onnx.save(to_onnx(net, "qoperator"), str(path))
    x = net_input(net, 1, seed=2)
    np.save(tmp_path / "in.npy", x[0])
    out = tmp_path / "out.npy"
    assert main(["reference", str(path), str(tmp_path / "in.npy"), "-o", str(out)]) == 0
    y = np.load(out)
    assert y.shape == (1, *net.stages[-1].out_shape)
    assert np.array_equal(y, reference.run(net, x))


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (input file, words of the message)."""
    files: dict[str, tuple[Path, str]] = {}
    want = "expects (N, 1, 6, 6) uint8"
    np.save(tmp_path / "dtype.npy", np.zeros((1, 1, 6, 6), np.int8))
    files["dtype"] = (tmp_path / "dtype.npy", want)
    np.save(tmp_path / "shape.npy", np.zeros((1, 1, 6, 7), np.uint8))
    files["shape"] = (tmp_path / "shape.npy", want)
    np.save(tmp_path / "ndim.npy", np.zeros((6, 6), np.uint8))
    files["ndim"] = (tmp_path / "ndim.npy", "(6, 6)")
    (tmp_path / "text.npy").write_text("1 2 3\n")
    files["text"] = (tmp_path / "text.npy", "not a .npy array")
    np.savez(tmp_path / "arrays.npz", a=np.zeros((1, 1, 6, 6), np.uint8))
    files["npz"] = (tmp_path / "arrays.npz", "not a single .npy array")
    files["missing"] = (tmp_path / "missing.npy", "input file not found")
    return files


@pytest.mark.parametrize("kind", ["dtype", "shape", "ndim", "text", "npz", "missing"])
def test_reference_bad_input(tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = export(tmp_path)
    src, words = _bad_inputs(tmp_path)[kind]
    before = sorted(p.name for p in tmp_path.iterdir())
    out = tmp_path / "out.npy"
    assert main(["reference", str(path), str(src), "-o", str(out)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert words in line and src.name in line
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# ---- plumbing --------------------------------------------------------------------------------
def test_no_command_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "zoo" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "reference" in capsys.readouterr().out
    assert main(["check"]) == 2  # argparse usage error


def test_subprocess_entry(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "pocket_cnn.cli"]
    done = subprocess.run([*cmd, "zoo", "--list"], capture_output=True, text=True, env=env)
    assert done.returncode == 0 and MODEL in done.stdout.split()
    bad = subprocess.run(
        [*cmd, "zoo", "nope", "-o", "x.onnx"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert bad.returncode == 2
    one_error_line(bad.stderr)
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_keeps_old_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.bin"
    write_atomic(target, b"old")
    assert target.read_bytes() == b"old"

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"new contents")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]
