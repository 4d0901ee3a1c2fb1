-- pcnn_uart_tx: UART transmitter, 8N1 (start bit, 8 data bits LSB first, stop bit).
-- Takes a byte when s_valid and s_ready are both high on a rising edge (s_ready is
-- high while the transmitter is idle) and shifts it out on o_tx, one bit every
-- G_CLK_HZ / G_BAUD clocks (rounded). Back-to-back bytes follow each other with no
-- idle time beyond the one stop bit. o_tx is a register, idle high.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

entity pcnn_uart_tx is
  generic (
    G_CLK_HZ : positive := 12_000_000;  -- clock frequency in Hz
    G_BAUD   : positive := 115_200      -- baud rate in bit/s (G_CLK_HZ / G_BAUD >= 2)
  );
  port (
    -- clock, synchronous reset (active high)
    clk     : in  std_logic;
    rst     : in  std_logic;
    -- bytes to send
    s_valid : in  std_logic;
    s_ready : out std_logic;  -- high while idle
    s_data  : in  std_logic_vector(7 downto 0);
    -- the line
    o_tx    : out std_logic   -- the UART TX pin, idle high
  );
end entity pcnn_uart_tx;

architecture rtl of pcnn_uart_tx is
  -- clocks per bit, rounded to the nearest integer
  constant C_DIV : positive := (G_CLK_HZ + G_BAUD / 2) / G_BAUD;

  -- frame bits after the start bit, LSB first: data (8) and stop (1)
  signal shreg : std_logic_vector(8 downto 0) := (others => '1');
  signal left  : natural range 0 to 10 := 0;  -- bits of the frame not yet ended, 0 = idle
  signal timer : natural range 0 to C_DIV - 1 := 0;
  signal tx    : std_logic := '1';
begin
  assert C_DIV >= 2
    report "pcnn_uart_tx: G_CLK_HZ / G_BAUD must be at least 2" severity failure;

  process (clk)
  begin
    if rising_edge(clk) then
      if rst = '1' then
        left  <= 0;
        timer <= 0;
        tx    <= '1';
      elsif left = 0 then
        if s_valid = '1' then
          tx    <= '0';                 -- start bit
          shreg <= '1' & s_data;        -- stop bit, data
          left  <= 10;
          timer <= C_DIV - 1;
        end if;
      elsif timer /= 0 then
        timer <= timer - 1;
      else
        -- the current bit has lasted C_DIV clocks: next bit, or idle after the stop bit
        timer <= C_DIV - 1;
        left  <= left - 1;
        tx    <= shreg(0);  -- after the stop bit: '1' (idle)
        shreg <= '1' & shreg(8 downto 1);
      end if;
    end if;
  end process;

  s_ready <= '1' when left = 0 else '0';
  o_tx    <= tx;
end architecture rtl;
