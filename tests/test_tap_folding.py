"""Kernel-tap folding (``--parallel PIN,POUT,PK``) in the generated network: GHDL equals
the reference bit for bit at tap folding (par_k < K*K, dividing K*K or not, with channel
folding, pools, padding, input gaps and output backpressure), the weights of a big
folded PE in the block-RAM form, and the steady-state cycles per image follow
``ceil(Ci/Pi) * ceil(Co/Po) * ceil(K*K/Pk)`` clocks per window. Also the ROM-style cost
model (pocket_cnn.ir.wrom) and what emit writes into each PE's record.
"""

from __future__ import annotations

import pytest

from pocket_cnn.emit.vhdl import context
from pocket_cnn.ir import Network
from pocket_cnn.ir.parallel import PeParallel, resolve_parallel
from pocket_cnn.ir.wrom import blocks, rom_shape, wrom_in_bram
from pocket_cnn.loader import load
from pocket_cnn.simulation.run import simulate_images
from pocket_cnn.simulation.stimuli import random_images

#: (zoo model, parallel, stall %): 3x3 at one tap per clock (the baseline's smallest
#: folding); 5x5 at 7 taps (not dividing 25) with channel folding; two 3x3 PEs with zero
#: padding, the second (8 -> 16, 1,152 weights) one tap per clock from block RAM
CASES = [
    ("conv_3x1_1x1_max_2x2", "1,1,1;1,1", 25),
    ("conv_3x1_1x1_max_2x2", "1,2,2;2,3", 0),
    ("conv_5x1_1x1_max_2x2", "1,2,7;2,3", 30),
    ("conv_2x_3x1_1x1_max_2x2_padding", "1,2,4;1,1,1;4,8;8,4", 20),
]


def pe_cycles(net: Network, par: PeParallel) -> list[int]:
    """Clocks per image of every conv PE: output pixels x clocks per window."""
    out = []
    for i, st in enumerate(net.stages):
        p_in, p_out = par.pairs[i]
        kk = st.kernel * st.kernel
        clocks = -(-st.ch_in // p_in) * -(-st.ch_out // p_out) * -(-kk // par.par_k(i, kk))
        _, ho, wo = st.conv_shape
        out.append(ho * wo * clocks)
    return out


@pytest.mark.requires_tools("ghdl")
@pytest.mark.parametrize(("model", "parallel", "stall"), CASES)
def test_tap_folding_equals_reference(model: str, parallel: str, stall: int) -> None:
    net = load(f"zoo:{model}")
    par = resolve_parallel(net, parallel)
    n = 3 if stall else 4
    x = random_images(net, n, seed=11)
    res = simulate_images(net, x, parallel=par, stall_in=stall, stall_out=stall, seed=3)
    assert res.outputs.shape == res.expected.shape
    assert res.bad_images == 0, res.first_mismatch()
    if not stall:
        # no stalls: the slowest PE (or the input port) sets the rate, within 10 %
        cycles = pe_cycles(net, par)
        print(f"{model} {parallel}: {res.steady} cycles per image, PEs {cycles}")
        slowest = max(max(cycles), res.bound)
        assert res.steady is not None
        assert slowest <= res.steady <= 1.10 * slowest


def test_big_folded_pe_takes_the_block_ram_form() -> None:
    net = load("zoo:conv_2x_3x1_1x1_max_2x2_padding")
    pes = context(net, "pcnn_net", resolve_parallel(net, "1,2,4;1,1,1;4,8;8,4"))["pes"]
    assert [pe.wrom_bram for pe in pes] == ["false", "true", "false", "false"]
    assert [pe.par_k for pe in pes] == [4, 1, 1, 1]


def test_rom_shape() -> None:
    assert rom_shape(1, 4, 9, (1, 1), 1) == (36, 8)
    assert rom_shape(1, 4, 9, (1, 1), 9) == (4, 72)
    assert rom_shape(8, 16, 25, (1, 2), 5) == (8 * 8 * 5, 80)
    assert rom_shape(3, 5, 9, (2, 2), 2) == (2 * 3 * 5, 32 * 2)  # padded groups


@pytest.mark.parametrize(
    ("words", "bits", "bram"),
    [
        (1, 4096, False),  # one word: constants
        (36, 8, False),  # 288 bits: yosys keeps it in logic
        (128, 8, False),  # 1,024 bits: still logic (measured)
        (136, 8, True),  # 1,088 bits in one SB_RAM40_4K: block RAM (measured)
        (400, 8, True),
        (16, 200, False),  # wide and shallow: 13 blocks for 3,200 bits
        (320, 80, True),  # LeNet conv2 at 1,2,5: 10 blocks for 25,600 bits
        (1152, 8, True),
    ],
)
def test_wrom_cost_model(words: int, bits: int, bram: bool) -> None:
    assert wrom_in_bram(words, bits) is bram
    assert blocks(words, bits) >= -(-words * bits // 4096)


def test_default_parallel_has_no_tap_folding() -> None:
    net = load("zoo:conv_3x1_1x1_max_2x2")
    pes = context(net, "pcnn_net", None)["pes"]
    assert [(pe.par_k, pe.wrom_bram) for pe in pes] == [(9, "false"), (1, "false")]
