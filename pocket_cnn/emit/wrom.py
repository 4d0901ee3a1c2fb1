"""Where a PE keeps its weights: block RAM or logic (the ``wrom_bram`` field of
``pcnn_pe_cfg_t``).

pcnn_conv reads one weight word of ``par_out * par_in * par_k`` bytes per clock, one word
per (output group, step): ``ceil(ch_out/par_out) * ceil(ch_in/par_in) * ceil(K*K/par_k)``
words. One word (full parallelism) is constants in logic (constant multipliers). With
several words the PE reads them at a registered address into a registered word, either
as a memory (the form yosys maps to DP16KD / SB_RAM40_4K) or as a constant multiplexer
in LUTs. The cost model picks block RAM when the multiplexer's estimate,
``bits * ceil(words / 8)`` LUT4 (one LUT4 per bit up to 8 words, each further 8 words one
more), reaches :data:`LUTS_PER_BLOCK` LUT4 per block the ROM would take on the smaller
of the two families' blocks (SB_RAM40_4K: 16 bits x 256 words). So a 3x3 kernel folded
to one tap per clock (36 words of 8 bits) goes to block RAM, while a few wide words (a
3x3 kernel at all taps, 4 output groups: 4 words of 72 bits) stay in logic.
"""

from __future__ import annotations

#: LUT4s one block RAM must save to be used for a ROM.
LUTS_PER_BLOCK = 32
#: width and depth of the smaller block (iCE40 SB_RAM40_4K in its 16-bit mode)
BLOCK_BITS, BLOCK_WORDS = 16, 256


def rom_shape(
    ch_in: int, ch_out: int, kk: int, par: tuple[int, int], par_k: int
) -> tuple[int, int]:
    """(words, bits per word) of a PE's weight ROM at ``par`` = (par_in, par_out) and
    ``par_k`` taps per clock."""
    p_in, p_out = min(par[0], ch_in), min(par[1], ch_out)
    p_k = min(par_k, kk)
    words = -(-ch_out // p_out) * -(-ch_in // p_in) * -(-kk // p_k)
    return words, p_out * p_in * p_k * 8


def logic_luts(words: int, bits: int) -> int:
    """Estimated LUT4s of the ROM as a constant multiplexer."""
    return bits * -(-words // 8)


def blocks(words: int, bits: int) -> int:
    """Block RAMs of the ROM (SB_RAM40_4K, 16 x 256)."""
    return -(-bits // BLOCK_BITS) * -(-words // BLOCK_WORDS)


def wrom_in_bram(words: int, bits: int) -> bool:
    """Block RAM for a ROM of ``words`` words of ``bits`` bits (see the module text)."""
    return words > 1 and logic_luts(words, bits) >= LUTS_PER_BLOCK * blocks(words, bits)
