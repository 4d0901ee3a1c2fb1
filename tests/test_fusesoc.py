"""The FuseSoC IP core: generator, sim targets, use from a user's core, bad models.

FuseSoC runs here the way a user runs it (fixture ``fusesoc``, tests/_support/fusesoc.py):
a fusesoc.conf in tmp_path (cache and build trees there too), the checkout added with
`fusesoc library add`, the venv's bin first on PATH (the generator's python3 is found there).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
import yaml
from _support.fusesoc import FuseSoC
from onnx import numpy_helper

from pocket_cnn import zoo
from pocket_cnn.cli.main import main as cli_main
from pocket_cnn.errors import ModelError
from pocket_cnn.fusesoc.network_gen import generate, parse_params
from pocket_cnn.fusesoc.network_gen import main as gen_main
from pocket_cnn.ip import ROOT, rtl_sources
from pocket_cnn.reference import run
from pocket_cnn.simulation.stimuli import random_images, read_words, to_words
from pocket_cnn.zoo.onnx_export import to_onnx

pytestmark = pytest.mark.requires_tools("ghdl")


def _out(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


@pytest.mark.parametrize("target", ["sim", "sim_leaky", "sim_padding"])
def test_sim_target_passes(fusesoc: FuseSoC, target: str) -> None:
    proc = fusesoc("run", f"--target={target}", "pocket_cnn")
    out = _out(proc)
    assert proc.returncode == 0, out
    assert "pcnn_tb_net: PASS" in out
    # datapath registers start defined; only time 0 (before the first edge) is silenced
    assert "metavalue" not in out, out[:2000]
    match = re.search(r"steady-state (\d+) cycles/image, bound (\d+)", out)
    assert match, out
    assert int(match.group(1)) >= int(match.group(2)) > 0


def _user_core(folder: Path, model: str, top: str = "user_net", **extra: object) -> None:
    """A minimal user core generating a network from ``model`` (sim target via pcnn_tb_run);
    ``extra``: more generator parameters."""
    folder.mkdir(parents=True, exist_ok=True)
    params = {"model": model, "top": top, "testbench": True, "images": 2, **extra}
    core = {
        "name": "user:test:user_core:0.1.0",
        "filesets": {"ip": {"depend": [">=pocket-cnn:cnn:pocket_cnn:0.1.0"]}},
        "generate": {"net": {"generator": "pocket_cnn_gen", "parameters": params}},
        "targets": {
            "sim": {
                "filesets": ["ip"],
                "generate": ["net"],
                "toplevel": "pocket_cnn.pcnn_tb_run",
                "flow": "sim",
                "flow_options": {
                    "tool": "ghdl",
                    "analyze_options": ["-frelaxed"],
                    # as README "Use from FuseSoC" says for networks with big weight ROMs
                    "sim_options": ["--max-stack-alloc=0"],
                },
            }
        },
    }
    (folder / "user.core").write_text("CAPI=2:\n" + yaml.safe_dump(core, sort_keys=False))


def _bad_model(path: Path) -> None:
    """A zoo model whose first weight scale is 0.3, not a power of two."""
    model = to_onnx(zoo.build("conv_3x1_1x1_max_2x2"), "qoperator")
    conv = next(n for n in model.graph.node if n.op_type == "QLinearConv")
    inits = {init.name: i for i, init in enumerate(model.graph.initializer)}
    idx = inits[conv.input[4]]  # w_scale
    old = model.graph.initializer[idx]
    new = numpy_helper.from_array(np.full_like(numpy_helper.to_array(old), 0.3), old.name)
    model.graph.initializer[idx].CopyFrom(new)
    onnx.save(model, path)


def test_user_core_with_onnx_model(fusesoc: FuseSoC, tmp_path: Path) -> None:
    user = tmp_path / "user"
    user.mkdir()
    assert cli_main(["zoo", "conv_3x1_1x1_max_2x2_odd_channel", "-o", str(user / "m.onnx")]) == 0
    _user_core(user, "m.onnx", top="pcnn_net")
    fusesoc.library_add("user", user)
    proc = fusesoc("run", "--target=sim", "user:test:user_core")
    out = _out(proc)
    assert proc.returncode == 0, out
    assert "pcnn_tb_net: PASS, 2 images" in out


def test_user_core_with_argmax(fusesoc: FuseSoC, tmp_path: Path) -> None:
    """Generator parameter ``argmax: true``: the network ends with pcnn_argmax; the sim
    target checks one class index per image against the reference's argmax."""
    user = tmp_path / "user"
    user.mkdir()
    assert cli_main(["zoo", "conv_3x1_1x1_max_2x2_odd_channel", "-o", str(user / "m.onnx")]) == 0
    _user_core(user, "m.onnx", top="pcnn_net", argmax=True, images=5)
    fusesoc.library_add("user", user)
    proc = fusesoc("run", "--target=sim", "user:test:user_core")
    out = _out(proc)
    assert proc.returncode == 0, out
    assert "pcnn_tb_net: PASS, 5 images" in out
    gen = next((tmp_path).rglob("pcnn_net_expected.txt"))
    assert "u_argmax : entity pocket_cnn.pcnn_argmax" in (gen.parent / "pcnn_net.vhd").read_text()
    net = zoo.build("conv_3x1_1x1_max_2x2_odd_channel")
    x = random_images(net, 5, 0)
    want = np.argmax(run(net, x), axis=1)  # one word per image: the class index
    assert (read_words(gen) == want).all()
    assert (read_words(gen.parent / "pcnn_net_input.txt") == to_words(x)).all()


def test_user_core_with_onnxruntime_quantized_lenet(fusesoc: FuseSoC, tmp_path: Path) -> None:
    """The generator on what users have: a LeNet-style float net (5x5 convs, max-pools,
    fully connected 120/84/10) quantized by onnxruntime's quantize_static with its
    defaults (QDQ, uint8 activations, per tensor, MinMax) after quant_pre_process."""
    from pocket_cnn.zoo.float_nets import FLOAT_NETS, calibration
    from pocket_cnn.zoo.ort_quantize import Setting, quantize_setting

    user = tmp_path / "user"
    user.mkdir()
    model = FLOAT_NETS["lenet"](1)
    setting = Setting("qdq", False, "uint8", False, "minmax")  # quantize_static's defaults
    onnx.save(quantize_setting(model, calibration(model, 16, 0), setting), user / "m.onnx")
    _user_core(user, "m.onnx", top="pcnn_net")
    fusesoc.library_add("user", user)
    proc = fusesoc("run", "--target=sim", "user:test:user_core")
    out = _out(proc)
    assert proc.returncode == 0, out
    assert "pcnn_tb_net: PASS, 2 images" in out


def test_bad_model_fails_with_cli_message(
    fusesoc: FuseSoC, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user = tmp_path / "user"
    user.mkdir()
    _bad_model(user / "bad.onnx")
    assert cli_main(["check", str(user / "bad.onnx")]) == 2
    cli_line = capsys.readouterr().err.strip()
    assert cli_line.startswith("pocket-cnn: error:") and "\n" not in cli_line
    _user_core(user, "bad.onnx")
    fusesoc.library_add("user", user)
    proc = fusesoc("run", "--target=sim", "user:test:user_core")
    out = _out(proc)
    assert proc.returncode != 0
    # the CLI names the file by the path it was given; compare the rest of the line
    message = cli_line.split("): ", 1)[-1]
    assert message in out, out
    assert "Failed to run generator" in out
    assert "Traceback" not in out


def test_example_soc(fusesoc: FuseSoC, tmp_path: Path) -> None:
    """examples/soc as a user's own project: depends on pocket_cnn, generates from its model."""
    soc = tmp_path / "soc"
    shutil.copytree(ROOT / "examples" / "soc", soc, ignore=shutil.ignore_patterns("build"))
    (soc / "build").mkdir()
    model = soc / "build" / "model.onnx"
    assert cli_main(["zoo", "conv_3x1_1x1_max_2x2_odd_channel", "-o", str(model)]) == 0
    fusesoc.library_add("soc", soc)
    proc = fusesoc("run", "--target=sim", "example:soc:cnn_soc")
    out = _out(proc)
    assert proc.returncode == 0, out
    assert "soc_tb: PASS (3 images" in out


def test_generated_core_is_valid(fusesoc: FuseSoC, tmp_path: Path) -> None:
    """`pocket-cnn generate` writes a core FuseSoC parses, depending on the IP core."""
    out_dir = tmp_path / "gen"
    assert (
        cli_main(["generate", "zoo:conv_3x1_1x1_max_2x2", "-o", str(out_dir), "--top", "my_net"])
        == 0
    )
    core = yaml.safe_load((out_dir / "my_net.core").read_text())
    files = core["filesets"]["rtl"]["files"]
    assert all((out_dir / f).is_file() for f in files)
    assert any(f.endswith("my_net.vhd") for f in files)
    fusesoc.library_add("gen", out_dir)
    proc = fusesoc("core-info", "pocket-cnn:generated:my_net")
    assert proc.returncode == 0, _out(proc)


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"zoo": "conv_3x1_1x1_max_2x2", "bogus": 1}, "unknown generator parameter"),
        ({"zoo": "x", "model": "m.onnx"}, "exactly one of"),
        ({}, "exactly one of"),
        ({"zoo": "conv_3x1_1x1_max_2x2", "parallel": "all"}, "parallel"),
        ({"zoo": "conv_3x1_1x1_max_2x2", "images": 0}, "images"),
        ({"zoo": "conv_3x1_1x1_max_2x2", "testbench": "yes"}, "testbench"),
        ({"zoo": "conv_3x1_1x1_max_2x2", "argmax": "yes"}, "argmax"),
    ],
)
def test_bad_parameters(params: dict[str, object], words: str) -> None:
    with pytest.raises(ModelError, match=words):
        parse_params(params)


def _input_yml(folder: Path, params: dict[str, object]) -> Path:
    """A generator input file as FuseSoC writes it."""
    yml = folder / "net_input.yml"
    data = {"files_root": str(folder), "gapi": "1.0", "vlnv": "a:b:c-net:0", "parameters": params}
    yml.write_text(yaml.safe_dump(data))
    return yml


def test_generator_main_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    yml = tmp_path / "net_input.yml"
    yml.write_text(
        yaml.safe_dump(
            {
                "files_root": str(tmp_path),
                "gapi": "1.0",
                "vlnv": "a:b:c-net:0",
                "parameters": {"model": "missing.onnx"},
            }
        )
    )
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        assert gen_main([str(yml)]) == 2
    finally:
        os.chdir(cwd)
    err = capsys.readouterr().err.strip()
    assert err.startswith("pocket-cnn: error:") and "\n" not in err
    assert "missing.onnx" in err


def test_generator_testbench_files(tmp_path: Path) -> None:
    """testbench: true writes stimuli, the reference's words, the sim package and the wrapper."""
    yml = tmp_path / "net_input.yml"
    params = {"zoo": "conv_3x1_1x1_max_2x2", "testbench": True, "images": 3, "seed": 4}
    yml.write_text(
        yaml.safe_dump(
            {
                "files_root": str(tmp_path),
                "gapi": "1.0",
                "vlnv": "a:b:c-net:0",
                "parameters": params,
            }
        )
    )
    written = generate(yml, tmp_path)
    names = {p.name for p in written}
    assert {
        "pcnn_net_sim_pkg.vhd",
        "pcnn_tb_net.vhd",
        "pcnn_tb_run.vhd",
        "pcnn_net_gen.core",
    } <= names
    from pocket_cnn.reference import run
    from pocket_cnn.simulation.stimuli import random_images, read_words, to_words

    net = zoo.build("conv_3x1_1x1_max_2x2")
    x = random_images(net, 3, 4)
    assert (read_words(tmp_path / "pcnn_net_input.txt") == to_words(x)).all()
    assert (read_words(tmp_path / "pcnn_net_expected.txt") == to_words(run(net, x))).all()
    core = yaml.safe_load((tmp_path / "pcnn_net_gen.core").read_text())
    assert core["name"] == "a:b:c-net:0"
    assert core["targets"]["default"]["filesets"] == ["rtl", "sim"]


def test_example_soc_synthesises(tmp_path: Path) -> None:
    """The example's top + a generated network pass `ghdl --synth` (the default target's use)."""
    gen = tmp_path / "gen"
    model = tmp_path / "m.onnx"
    assert cli_main(["zoo", "conv_3x1_1x1_max_2x2_odd_channel", "-o", str(model)]) == 0
    assert cli_main(["generate", str(model), "-o", str(gen), "--top", "soc_cnn"]) == 0
    lib = tmp_path / "lib"
    lib.mkdir()
    flags = ["--std=08", "-frelaxed", f"--workdir={lib}", f"-P{lib}"]
    files = [str(p) for p in rtl_sources()]
    files += [str(gen / "soc_cnn_pkg.vhd"), str(gen / "soc_cnn.vhd")]
    steps = [
        ["ghdl", "-a", *flags, "--work=pocket_cnn", *files],
        ["ghdl", "-a", *flags, str(ROOT / "examples" / "soc" / "rtl" / "soc_top.vhd")],
        ["ghdl", "--synth", *flags, "--no-formal", "--out=verilog", "soc_top"],
    ]
    for cmd in steps:
        proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "module soc_top" in proc.stdout


#: a model whose full parallelism (132 multipliers, ~14000 cells) does not fit the UP5K
TOO_BIG = "conv_5x1_1x1_max_2x2"


def test_generator_auto_knows_the_board(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``parallel: auto`` with ``board: icebreaker`` picks what ``pocket-cnn check MODEL
    --board icebreaker`` picks (the same device limits), and writes the same package as
    ``generate --parallel <that setting>``; without the board it picks another setting."""
    assert cli_main(["check", f"zoo:{TOO_BIG}", "--board", "icebreaker"]) == 0
    out = capsys.readouterr()
    assert "does not fit the iCE40UP5K" in out.err  # auto had to slow down for the board
    (setting,) = re.findall(r"^parallelism \(auto\): (\S+)$", out.out, re.MULTILINE)

    def gen(folder: Path, params: dict[str, object]) -> str:
        folder.mkdir()
        generate(_input_yml(folder, {"zoo": TOO_BIG, **params}), folder)
        return capsys.readouterr().err

    err = gen(tmp_path / "board", {"board": "icebreaker"})
    assert f"parallelism on icebreaker: {setting}\n" in err
    assert cli_main(["generate", f"zoo:{TOO_BIG}", "-o", str(tmp_path / "cli")]) == 0
    assert (
        cli_main(
            ["generate", f"zoo:{TOO_BIG}", "-o", str(tmp_path / "cli_set"), "--parallel", setting]
        )
        == 0
    )
    pkg = "pcnn_net_pkg.vhd"
    board_pkg = (tmp_path / "board" / pkg).read_text()
    assert board_pkg == (tmp_path / "cli_set" / pkg).read_text()
    assert board_pkg != (tmp_path / "cli" / pkg).read_text()  # the board made a difference
    err = gen(tmp_path / "free", {})
    assert f"parallelism: {setting}\n" not in err
