"""Where a PE keeps its weights: block RAM or logic (the ``wrom_bram`` field of
``pcnn_pe_cfg_t``).

pcnn_conv reads one weight word of ``par_out * par_in * par_k`` bytes per clock, one word
per (output group, step): ``ceil(ch_out/par_out) * ceil(ch_in/par_in) * ceil(K*K/par_k)``
words. One word (full parallelism) is constants in logic (constant multipliers). With
several words the PE reads them at a registered address into a registered word, either
as a memory (``wrom_bram`` true: the form yosys maps to SB_RAM40_4K / DP16KD) or as a
multiplexer of constants in LUTs.

The choice follows yosys' own: GHDL 2.0 drops ``rom_style`` / ``ram_style`` attributes
("not kept in the netlist"), so yosys 0.23's ``memory_libmap`` decides where a memory
goes. It prices a ROM bit in logic at 1/16 and a block at 64 (SB_RAM40_4K) or 128
(DP16KD), i.e. a ROM goes to block RAM when ``bits / 16 > 64 * blocks`` (iCE40;
measured here: 1,088 bits of 8-bit words map, 1,024 do not; ECP5 from 2,048 bits).
:func:`wrom_in_bram` applies the iCE40 rule (the lower threshold), so the memory form is
emitted where at least iCE40 maps it, and the multiplexer form (no address subtractor,
which GHDL writes in front of a memory) everywhere else. Examples: a 5x5 kernel folded to
one tap per clock with 16 output channels (400 words of 8 bits) is in block RAM; a 3x3
one with 4 output channels (36 words) and a few wide words (all taps, 4 output groups:
4 words of 72 bits) are in logic.
"""

from __future__ import annotations

#: yosys' price of a block (SB_RAM40_4K) in ROM bits it replaces (64 blocks-cost units
#: at 1/16 per bit)
BLOCK_COST_BITS = 64 * 16
#: SB_RAM40_4K shapes (words, bits)
ICE40_SHAPES = ((256, 16), (512, 8), (1024, 4), (2048, 2))


def rom_shape(
    ch_in: int, ch_out: int, kk: int, par: tuple[int, int], par_k: int
) -> tuple[int, int]:
    """(words, bits per word) of a PE's weight ROM at ``par`` = (par_in, par_out) and
    ``par_k`` taps per clock."""
    p_in, p_out = min(par[0], ch_in), min(par[1], ch_out)
    p_k = min(par_k, kk)
    words = -(-ch_out // p_out) * -(-ch_in // p_in) * -(-kk // p_k)
    return words, p_out * p_in * p_k * 8


def blocks(words: int, bits: int) -> int:
    """SB_RAM40_4K blocks of a ROM of ``words`` x ``bits`` (its best shape)."""
    return min(-(-words // d) * -(-bits // w) for d, w in ICE40_SHAPES)


def wrom_in_bram(words: int, bits: int) -> bool:
    """Block RAM for a ROM of ``words`` words of ``bits`` bits (see the module text)."""
    return words > 1 and words * bits > BLOCK_COST_BITS * blocks(words, bits)
