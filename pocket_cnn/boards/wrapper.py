"""The per-board VHDL top ``pcnn_board_<name>``: fixes pcnn_board_uart's generics from the YAML.

A wrapper, rather than FuseSoC parameters, because Edalize flows drop VHDL generics for
some tools; the generics are then plain VHDL every tool reads the same way. Its ports
are the names the constraint files use: ``clk``, ``rst_btn``, ``uart_rx``, ``uart_tx``,
``leds(N-1 downto 0)`` (N = the YAML's LED count, 1 to 4).
"""

from __future__ import annotations

from pathlib import Path

from pocket_cnn.boards.spec import Board


def _active_level(active_low: bool) -> str:
    """VHDL literal of the level a pressed button / lit LED has."""
    return "'0'" if active_low else "'1'"


def wrapper_vhdl(board: Board) -> str:
    """VHDL-2008 text of entity ``board.top`` (library of pcnn_board_uart)."""
    top, n = board.top, len(board.leds.pins)
    rst = "low" if board.reset.active_low else "high"
    led = "low" if board.leds.active_low else "high"
    return f"""\
-- {top}: top of board {board.name} ({board.description}),
-- written by pocket-cnn from {board.path.name}: edit the YAML, not this file.
-- Fixes the generics of pcnn_board_uart from the YAML: clock {board.clock.hz} Hz on pin
-- {board.clock.pin}, UART {board.uart.baud} baud, reset button active {rst}, LEDs lit {led}.
library ieee;
use ieee.std_logic_1164.all;

entity {top} is
  port (
    clk     : in  std_logic;                           -- oscillator, pin {board.clock.pin}
    rst_btn : in  std_logic;                           -- reset button, pin {board.reset.pin}
    uart_rx : in  std_logic;                           -- from the host, pin {board.uart.rx}
    uart_tx : out std_logic;                           -- to the host, pin {board.uart.tx}
    leds    : out std_logic_vector({n - 1} downto 0)  -- status LEDs, see pcnn_board_uart
  );
end entity {top};

architecture rtl of {top} is
  signal leds_all : std_logic_vector(3 downto 0);
begin
  u_board : entity work.pcnn_board_uart
    generic map (
      G_CLK_HZ     => {board.clock.hz},
      G_BAUD       => {board.uart.baud},
      G_RST_ACTIVE => {_active_level(board.reset.active_low)},
      G_LED_ON     => {_active_level(board.leds.active_low)}
    )
    port map (
      clk     => clk,
      rst_btn => rst_btn,
      uart_rx => uart_rx,
      uart_tx => uart_tx,
      leds    => leds_all
    );
  leds <= leds_all({n - 1} downto 0);
end architecture rtl;
"""


def write_wrapper(board: Board, outdir: Path) -> Path:
    """Write ``<outdir>/pcnn_board_<name>.vhd``; returns its path."""
    path = outdir / f"{board.top}.vhd"
    path.write_text(wrapper_vhdl(board))
    return path
