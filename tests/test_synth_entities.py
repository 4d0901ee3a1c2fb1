"""`ghdl --synth --std=08` accepts the compute-core entities with several generic sets.

pcnn_window, pcnn_maxpool and pcnn_maxpool_line take plain integer generics (-g on the
command line); pcnn_conv and pcnn_pe take the record / integer-array generics, set by a
tiny generic-free wrapper written into tmp_path, also with their products as ECP5 blocks
(G_DSP, pcnn_mul_ecp5: a MULT18X18D black box in the netlist) and in the logic form
(pcnn_mul_ice40: SB_MAC16 black boxes in the memory form). The Verilog netlist is
checked for the constructs that yosys 0.23 rejects (zero-width constants, $fatal) and the
log for latches.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pocket_cnn.ip import rtl_sources

pytestmark = pytest.mark.requires_tools("ghdl")

#: The files of this core in compile order (read from pocket_cnn.core).
ENTITY_FILES = (
    "pcnn_pkg.vhd",
    "pcnn_skid.vhd",
    "pcnn_window.vhd",
    "pcnn_mul_ecp5.vhd",
    "pcnn_mul_ice40.vhd",
    "pcnn_conv.vhd",
    "pcnn_pe_mem.vhd",
    "pcnn_maxpool.vhd",
    "pcnn_maxpool_line.vhd",
    "pcnn_pe.vhd",
)
ACTS = ("PCNN_ACT_NONE", "PCNN_ACT_RELU", "PCNN_ACT_LEAKY")


def _sources() -> list[Path]:
    files = [p for p in rtl_sources() if p.name in ENTITY_FILES]
    assert [p.name for p in files] == list(ENTITY_FILES), "entity files missing from the core"
    return files


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def _synth(tmp_path: Path, top: str, extra: list[Path], generics: list[str]) -> str:
    """Analyse the entity files (+ extra), synthesise ``top`` to Verilog, check the result;
    the netlist."""
    ana = ["ghdl", "-a", "--std=08", "--work=pocket_cnn"]
    for src in [*_sources(), *extra]:
        res = _run([*ana, str(src)], tmp_path)
        assert res.returncode == 0, f"analysis of {src.name} failed:\n{res.stderr}"
    cmd = ["ghdl", "--synth", "--std=08", "--work=pocket_cnn", "--no-formal", *generics]
    res = _run([*cmd, "--out=verilog", top], tmp_path)
    assert res.returncode == 0, f"synthesis of {top} failed:\n{res.stderr}"
    assert "latch" not in res.stderr.lower(), res.stderr
    assert not re.search(r"(?<![0-9])0'b", res.stdout), "zero-width constant in the netlist"
    assert "$fatal" not in res.stdout
    assert "module" in res.stdout
    return res.stdout


WINDOW_SETS = [
    (1, 4, 4, 3, 1, 1),
    (2, 5, 6, 5, 2, 2),
    (1, 3, 3, 1, 1, 2),
    (3, 6, 5, 2, 3, 0),
    (4, 3, 5, 1, 1, 0),
]


@pytest.mark.parametrize(("ch", "h", "w", "k", "s", "p"), WINDOW_SETS)
def test_synth_window(tmp_path: Path, ch: int, h: int, w: int, k: int, s: int, p: int) -> None:
    gens = [f"-gG_CHANNELS={ch}", f"-gG_HEIGHT={h}", f"-gG_WIDTH={w}", f"-gG_KERNEL={k}"]
    _synth(tmp_path, "pcnn_window", [], [*gens, f"-gG_STRIDE={s}", f"-gG_PAD={p}"])


@pytest.mark.parametrize("width", [1, 24])
def test_synth_skid(tmp_path: Path, width: int) -> None:
    _synth(tmp_path, "pcnn_skid", [], [f"-gG_WIDTH={width}"])


@pytest.mark.parametrize(("ch", "k"), [(1, 2), (4, 3)])
def test_synth_maxpool(tmp_path: Path, ch: int, k: int) -> None:
    _synth(tmp_path, "pcnn_maxpool", [], [f"-gG_CHANNELS={ch}", f"-gG_KERNEL={k}"])


#: pcnn_maxpool_line: channels, height, width, kernel, stride (flip-flop line, block-RAM
#: line, Wo = 1, kernel 1)
POOL_LINE_SETS = [(4, 4, 4, 2, 2), (8, 9, 20, 3, 3), (12, 4, 2, 2, 2), (2, 5, 5, 1, 2)]


@pytest.mark.parametrize(("ch", "h", "w", "k", "s"), POOL_LINE_SETS)
def test_synth_maxpool_line(tmp_path: Path, ch: int, h: int, w: int, k: int, s: int) -> None:
    gens = [f"-gG_CHANNELS={ch}", f"-gG_HEIGHT={h}", f"-gG_WIDTH={w}", f"-gG_KERNEL={k}"]
    _synth(tmp_path, "pcnn_maxpool_line", [], [*gens, f"-gG_STRIDE={s}"])


def _wrapper(
    path: Path, entity: str, cfg: dict[str, object], seed: int, dsp: str = "PCNN_DSP_INFER"
) -> Path:
    """Write a generic-free wrapper ``synth_top`` around ``entity`` with seeded weights and
    its products in the form ``dsp``."""
    rng = np.random.default_rng(seed)
    ci, co, k = int(cfg["ch_in"]), int(cfg["ch_out"]), int(cfg["kernel"])
    wts = rng.integers(-128, 128, size=co * ci * k * k)
    bias = rng.integers(-(2**20), 2**20, size=co)
    in_w = k * k * ci * 8 if entity == "pcnn_conv" else ci * 8
    last = "s_last => s_last, " if entity == "pcnn_conv" else ""
    fields = ", ".join(f"{key} => {val}" for key, val in cfg.items())

    def agg(values: np.ndarray) -> str:
        items = [f"{i} => {int(v)}" for i, v in enumerate(values)]
        return "(" + ", ".join(items) + ")"

    path.write_text(f"""library ieee;
use ieee.std_logic_1164.all;
library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;
entity synth_top is
  port (clk, rst, s_valid, s_last, m_ready : in std_logic;
        s_data : in std_logic_vector({in_w - 1} downto 0);
        s_ready, m_valid, m_last : out std_logic;
        m_data : out std_logic_vector({co * 8 - 1} downto 0));
end entity;
architecture rtl of synth_top is
  constant C_CFG : pcnn_pe_cfg_t := ({fields});
  constant C_W : pcnn_int_array_t(0 to {wts.size - 1}) := {agg(wts)};
  constant C_B : pcnn_int_array_t(0 to {bias.size - 1}) := {agg(bias)};
begin
  u : entity pocket_cnn.{entity}
    generic map (G_CFG => C_CFG, G_WEIGHTS => C_W, G_BIAS => C_B, G_DSP => {dsp})
    port map (clk => clk, rst => rst, s_valid => s_valid, s_ready => s_ready,
              s_data => s_data, {last}m_valid => m_valid, m_ready => m_ready,
              m_data => m_data, m_last => m_last);
end architecture;
""")
    return path


def _cfg(**kw: object) -> dict[str, object]:
    cfg: dict[str, object] = {
        "ch_in": 2, "ch_out": 3, "height": 6, "width": 5, "kernel": 3, "stride": 1, "pad": 1,
        "shift": 8, "act": ACTS[1], "in_signed": "true", "pool_kernel": 0, "pool_stride": 1,
        "par_in": 2, "par_out": 3, "par_k": 0, "acc_bits": 24, "requant": "PCNN_RQ_SHIFT",
        "pad_value": 0, "zp": 0, "clamp_lo": -128, "clamp_hi": 127, "wrom_bram": "false",
        "mem_form": "false", "mul_logic": "false", "rq_digit": 0,
    }  # fmt: skip
    cfg.update(kw)
    if not cfg["par_k"]:  # every tap at once
        cfg["par_k"] = int(str(cfg["kernel"])) ** 2
    return cfg


CONV_SETS = {
    "full_k3_relu": _cfg(),
    "partial_k5_leaky": _cfg(kernel=5, act=ACTS[2], par_in=1, par_out=2, ch_in=3),
    "par1_k1_uint8_neg_shift": _cfg(kernel=1, in_signed="false", shift=-3, par_in=1, par_out=1),
    "full_k2_none_shift0": _cfg(kernel=2, act=ACTS[0], shift=0, ch_in=1, ch_out=1),
    "taps2_k3_par1_bram": _cfg(par_in=1, par_out=1, par_k=2, wrom_bram="true"),
    "taps7_k5_partial_logic": _cfg(kernel=5, ch_in=3, par_in=2, par_out=2, par_k=7),
}

PE_SETS = {
    "full_k3_p1_pool2": _cfg(pool_kernel=2, pool_stride=2),
    "folded_k5_p2_s2": _cfg(kernel=5, pad=2, stride=2, par_in=1, par_out=1, act=ACTS[2]),
    "k1_p0_pool3_s1_uint8": _cfg(kernel=1, pad=0, pool_kernel=3, in_signed="false"),
    "k2_s3_p2": _cfg(kernel=2, stride=3, pad=2, height=8, width=7, par_out=2),
    "taps1_k3_p1_pool2_bram": _cfg(
        pool_kernel=2, pool_stride=2, par_in=1, par_out=1, par_k=1, wrom_bram="true"
    ),
    # memory-window form (pcnn_pe_mem): with a line pool, and products in logic
    "mem_k5_p2_pool2": _cfg(
        kernel=5, pad=2, par_in=1, par_out=2, pool_kernel=2, pool_stride=2, mem_form="true"
    ),
    "mem_k3_s2_logic": _cfg(stride=2, par_in=1, par_out=1, mem_form="true", mul_logic="true"),
}


@pytest.mark.parametrize("name", sorted(CONV_SETS))
def test_synth_conv(tmp_path: Path, name: str) -> None:
    top = _wrapper(tmp_path / "synth_top.vhd", "pcnn_conv", CONV_SETS[name], seed=1)
    _synth(tmp_path, "synth_top", [top], [])


@pytest.mark.parametrize("name", sorted(PE_SETS))
def test_synth_pe(tmp_path: Path, name: str) -> None:
    top = _wrapper(tmp_path / "synth_top.vhd", "pcnn_pe", PE_SETS[name], seed=2)
    _synth(tmp_path, "synth_top", [top], [])


def test_synth_mul_ecp5(tmp_path: Path) -> None:
    netlist = _synth(tmp_path, "pcnn_mul_ecp5", [], [])
    assert "MULT18X18D #(" in netlist


#: the ECP5 block form of PEs: unfolded (an even number of adder levels: an odd one keeps
#: its products inferred, each with the first adder level), folded with weights in logic
#: and in block RAM, the memory form
ECP5_SETS = {
    "conv_full_k2_none_shift0": ("pcnn_conv", CONV_SETS["full_k2_none_shift0"]),
    "conv_partial_k5_leaky": ("pcnn_conv", CONV_SETS["partial_k5_leaky"]),
    "conv_taps2_k3_par1_bram": ("pcnn_conv", CONV_SETS["taps2_k3_par1_bram"]),
    "pe_mem_k5_p2_pool2": ("pcnn_pe", PE_SETS["mem_k5_p2_pool2"]),
}


@pytest.mark.parametrize("name", sorted(ECP5_SETS))
def test_synth_ecp5_blocks(tmp_path: Path, name: str) -> None:
    entity, cfg = ECP5_SETS[name]
    top = _wrapper(tmp_path / "synth_top.vhd", entity, cfg, seed=4, dsp="PCNN_DSP_ECP5")
    netlist = _synth(tmp_path, "synth_top", [top], [])
    assert "MULT18X18D #(" in netlist


@pytest.mark.parametrize("name", ["conv_partial_k5_leaky", "pe_mem_k5_p2_pool2"])
def test_synth_logic_form(tmp_path: Path, name: str) -> None:
    """The logic form (iCE40 flow): a folded conv's products as two half products; the
    memory form's products (not in logic) two per SB_MAC16 (pcnn_mul_ice40)."""
    entity, cfg = ECP5_SETS[name]
    top = _wrapper(tmp_path / "synth_top.vhd", entity, cfg, seed=4, dsp="PCNN_DSP_LOGIC")
    netlist = _synth(tmp_path, "synth_top", [top], [])
    assert "MULT18X18D" not in netlist
    assert ("SB_MAC16 #(" in netlist) == (entity == "pcnn_pe")


@pytest.mark.parametrize("signed", ["true", "false"])
def test_synth_mul_ice40(tmp_path: Path, signed: str) -> None:
    netlist = _synth(tmp_path, "pcnn_mul_ice40", [], [f"-gG_X_SIGNED={signed}"])
    assert "SB_MAC16 #(" in netlist
    assert f".A_SIGNED(1'b{int(signed == 'true')})" in netlist


def test_synth_pe_mem(tmp_path: Path) -> None:
    cfg = _cfg(kernel=4, pad=0, height=4, width=4, par_in=2, par_out=2, mem_form="true")
    top = _wrapper(tmp_path / "synth_top.vhd", "pcnn_pe_mem", cfg, seed=3)
    _synth(tmp_path, "synth_top", [top], [])


@pytest.mark.parametrize(("ch", "pix"), [(1, 1), (3, 4)])
def test_synth_flatten(tmp_path: Path, ch: int, pix: int) -> None:
    src = next(p for p in rtl_sources() if p.name == "pcnn_flatten.vhd")
    _synth(tmp_path, "pcnn_flatten", [src], [f"-gG_CH={ch}", f"-gG_PIXELS={pix}"])


@pytest.mark.parametrize("ch", [1, 10, 256])
def test_synth_argmax(tmp_path: Path, ch: int) -> None:
    src = next(p for p in rtl_sources() if p.name == "pcnn_argmax.vhd")
    _synth(tmp_path, "pcnn_argmax", [src], [f"-gG_CH={ch}"])
