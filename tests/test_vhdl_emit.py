"""pocket_cnn.emit.vhdl: file set, names, parallelism checks, package contents."""

from __future__ import annotations

from pathlib import Path

import pytest

from pocket_cnn.emit import emit
from pocket_cnn.errors import ModelError
from pocket_cnn.zoo import build

MODEL = "conv_3x1_1x1_max_2x2"


def test_files_in_compile_order(tmp_path: Path) -> None:
    files = emit(build(MODEL), tmp_path, top="cnn_a")
    assert [p.name for p in files] == ["cnn_a_pkg.vhd", "cnn_a.vhd", "cnn_a_legacy.vhd"]
    assert all(p.is_file() for p in files)
    top = files[1].read_text()
    assert "entity cnn_a is" in top and "use work.cnn_a_pkg.all;" in top
    assert "entity pocket_cnn.pcnn_gap" in top


def test_package_holds_weights_and_parallelism(tmp_path: Path) -> None:
    net = build(MODEL)
    pkg = emit(net, tmp_path, parallel=[(1, 2), (4, 1)])[0].read_text()
    first = net.stages[0]
    n = first.weights.size
    assert f"C_PE0_WEIGHTS : pcnn_int_array_t(0 to {n - 1})" in pkg
    head = ", ".join(str(int(v)) for v in first.weights.reshape(-1)[:4])
    assert head in pkg
    assert "par_in      => 1,\n    par_out     => 2," in pkg
    assert "par_in      => 4,\n    par_out     => 1," in pkg
    assert f"C_IN_WORDS    : positive := {net.input_words};" in pkg


def test_default_is_full_parallelism(tmp_path: Path) -> None:
    net = build(MODEL)
    pkg = emit(net, tmp_path)[0].read_text()
    for st in net.stages:
        assert f"par_in      => {st.ch_in},\n    par_out     => {st.ch_out}," in pkg


@pytest.mark.parametrize("top", ["1net", "net__x", "net_", "entity", "pcnn_pe", "a-b", ""])
def test_bad_top_name(tmp_path: Path, top: str) -> None:
    with pytest.raises(ModelError, match="top"):
        emit(build(MODEL), tmp_path, top=top)


@pytest.mark.parametrize(
    "parallel", [[(1, 1)], [(0, 1), (1, 1)], [(2, 1), (1, 1)], [(1, 9), (1, 1)]]
)
def test_bad_parallel(tmp_path: Path, parallel: list[tuple[int, int]]) -> None:
    with pytest.raises(ModelError, match="parallel"):
        emit(build(MODEL), tmp_path, parallel=parallel)


def test_unchanged_files_are_not_rewritten(tmp_path: Path) -> None:
    files = emit(build(MODEL), tmp_path)
    stamps = [p.stat().st_mtime_ns for p in files]
    emit(build(MODEL), tmp_path)
    assert [p.stat().st_mtime_ns for p in files] == stamps
